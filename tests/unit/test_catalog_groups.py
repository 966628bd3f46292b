"""Pure parts of catalog groups and packages: the group tree, which category a group stands for,
package paths, media kinds, and the outline pass of the BMEcat reader."""

from __future__ import annotations

import io

import pytest

from tests.support.bmecat import JPEG, PDF, PNG, catalog, group_system, mime_product
from vendors.bmecat import outline
from vendors.bmecat_package import is_external, safe_path
from vendors.groups import group_category, nodes, subtree_ids, tree_order
from vendors.media import kind_for
from vendors.models import CatalogGroup, CategoryIndex


def _group(gid: int, code: str, parent: str | None, *, name: str = "", category_id: int | None = None) -> CatalogGroup:
    return CatalogGroup(
        id=gid,
        vendor_id=1,
        code=code,
        name=name or f"G{code}",
        parent_code=parent,
        position=gid,
        category_id=category_id,
    )


INDEX = CategoryIndex(
    by_code={"23110101": "screws", "G20": "bearings"},
    by_name={"cables": "cables", "kabel": "cables", "screws": "screws"},
    by_id={1: "screws", 2: "bearings", 3: "cables"},
    names={},
)
TREE = [
    _group(1, "1", None),
    _group(2, "10", "1", name="Kabel"),
    _group(3, "11", "10"),
    _group(4, "20", "1"),
    _group(5, "2", None, category_id=2),
    _group(6, "21", "2"),
    _group(7, "30", "404"),  # unknown parent: a root
]


def test_tree_order_is_depth_first_and_survives_cycles() -> None:
    assert [(g.code, d) for g, d in tree_order(TREE)] == [
        ("1", 0),
        ("10", 1),
        ("11", 2),
        ("20", 1),
        ("2", 0),
        ("21", 1),
        ("30", 0),
    ]
    cycle = [_group(1, "a", "b"), _group(2, "b", "a"), _group(3, "c", "c")]
    assert sorted(g.code for g, _ in tree_order(cycle)) == ["a", "b", "c"]
    assert subtree_ids(TREE, 1) == [1, 2, 3, 4]
    assert subtree_ids(TREE, 3) == [3]
    assert subtree_ids(TREE, 99) == []


@pytest.mark.parametrize(
    ("code", "slug"),
    [
        ("10", "cables"),  # by its name, case-insensitively
        ("11", "cables"),  # no match of its own: its parent's
        ("20", "bearings"),  # its name "G20" is a classification code
        ("2", "bearings"),  # the vendor's choice wins
        ("21", "bearings"),  # inherited from the chosen parent
        ("30", None),
        ("nope", None),
    ],
)
def test_group_category(code: str, slug: str | None) -> None:
    assert group_category(code, {g.code: g for g in TREE}, INDEX) == slug


def test_group_category_by_code_or_by_a_name_that_is_a_code() -> None:
    groups = {"23110101": _group(1, "23110101", None, name="Whatever"), "x": _group(2, "x", None, name="G20")}
    assert group_category("23110101", groups, INDEX) == "screws"
    assert group_category("x", groups, INDEX) == "bearings"


def test_nodes_count_products_of_subgroups() -> None:
    rows = nodes(TREE, {3: 2, 6: 1}, INDEX, non_empty=True)
    assert [(n.group.code, n.depth, n.products, n.category, n.chosen) for n in rows] == [
        ("1", 0, 2, None, False),
        ("10", 1, 2, "cables", False),
        ("11", 2, 2, "cables", False),
        ("2", 0, 1, "bearings", True),
        ("21", 1, 1, "bearings", False),
    ]


@pytest.mark.parametrize(
    ("source", "safe"),
    [
        ("bilder/a.jpg", "bilder/a.jpg"),
        ("./bilder//a.jpg", "bilder/a.jpg"),
        ("../a.jpg", None),
        ("bilder/../../a.jpg", None),
        ("bilder/../a.jpg", None),
        ("/etc/passwd", None),
        ("C:/x.jpg", None),
        ("c:x.jpg", None),
        ("bilder\\..\\a.jpg", None),
        ("", None),
        (".", None),
        ("a\x00.jpg", None),
    ],
)
def test_safe_path(source: str, safe: str | None) -> None:
    assert safe_path(source) == safe


def test_external_sources_and_media_kinds() -> None:
    assert is_external("https://x.test/a.jpg")
    assert is_external("HTTP://x.test/a.jpg")
    assert is_external("//x.test/a.jpg")
    assert not is_external("http/a.jpg")
    assert kind_for("normal", PDF) == "image"  # then refused by the image content check
    assert kind_for("data_sheet", PDF) == "document"
    assert kind_for("others", PNG) == "image"
    assert kind_for(None, JPEG) == "image"
    assert kind_for("safety_data_sheet", b"<html>") == "document"


def test_outline_reads_groups_and_catalog_level_maps_without_building_articles() -> None:
    doc = catalog(
        group_system(("1", "Root", None), ("10", "Leaf", "1"))
        + mime_product("A", groups=("10",))
        + mime_product("B")
        + "<PRODUCT_TO_CATALOGGROUP_MAP><PROD_ID>B</PROD_ID><CATALOG_GROUP_ID>10</CATALOG_GROUP_ID>"
        '</PRODUCT_TO_CATALOGGROUP_MAP><PRODUCT_TO_CATALOGGROUP_MAP mode="delete"><PROD_ID>A</PROD_ID>'
        "<CATALOG_GROUP_ID>1</CATALOG_GROUP_ID></PRODUCT_TO_CATALOGGROUP_MAP>\n"
    )
    shape = outline(io.BytesIO(doc))
    assert shape.articles == 2
    assert [(g.group_id, g.parent_id) for g in shape.groups] == [("1", None), ("10", "1")]
    assert [(a.supplier_aid, a.group_id, a.mode) for a in shape.assignments] == [
        ("B", "10", None),
        ("A", "1", "delete"),
    ]
