"""The judged query set of ``bench/relevance.py``, over the demo catalog (``./dev seed``, ``vendors/demo.py``).

Every judgement is a function of a product's own data (SKUs, MPNs, GTINs, category and typed
attributes), never of what any engine returns: grade 2 = what the buyer is looking for, 1 = a
reasonable neighbour (same article from the other vendor, same kind with one attribute off), 0 = not
relevant. The demo catalog holds two vendors (SH, LT) selling the same articles (same MPN and GTIN), so
most exact queries have two grade-2 products.

Shape of the demo data that the set respects: screws are DIN 933 (M4, M8) and DIN 7985 (M5, M10) in
A2, A4, 8.8 and zinc-plated steel, lengths 10-30 mm; bearings 6200-6212 (open, 2RS, ZZ); cables NYM-J
and NHXH, 5 cores; gloves level D, sizes 7-11; centrifuge tubes 0.5-50 ml; ballpoint pens blue/green.

``SYNONYMS`` are what an operator would enter (the demo has none); the benchmark stores them in its own
database and pushes them to its index. The PostgreSQL baselines get no synonyms: neither ships any.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec


class Variant(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    mpn: str | None
    gtin: str | None
    attributes: dict[str, Any]


class Product(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    sku: str
    category: str
    """The category slug: screws, nuts, bearings, cables, gloves, lab, office."""
    attributes: dict[str, Any]
    variants: list[Variant]

    def values(self, code: str) -> set[str]:
        """Every value of attribute ``code`` on the product or one of its variants, as text."""
        out = set()
        for attrs in (self.attributes, *(v.attributes for v in self.variants)):
            value = attrs.get(code)
            if isinstance(value, dict) and "value" in value:
                out.add(str(value.get("base", value["value"])).lower())
        return out

    def number(self, code: str, wanted: float) -> bool:
        return any(_float(v) == wanted for v in self.values(code))

    def mpn(self, mpn: str) -> bool:
        return any(v.mpn == mpn for v in self.variants)

    def sku_is(self, sku: str) -> bool:
        return self.sku == sku or any(v.sku == sku for v in self.variants)

    def gtin(self, gtin: str) -> bool:
        return any(v.gtin == gtin for v in self.variants)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


Judge = Callable[[Product], int]


class Query(msgspec.Struct, frozen=True):
    text: str
    kind: str
    judge: Judge


def _screw(p: Product, standard: str | None = None, thread: str | None = None) -> bool:
    return (
        p.category == "screws"
        and (standard is None or standard.lower() in p.values("standard"))
        and (thread is None or thread.lower() in p.values("thread"))
    )


def _stainless(p: Product) -> bool:
    return bool(p.values("material") & {"a2", "a4"})


def _bearing(p: Product, series: str | None = None) -> bool:
    return p.category == "bearings" and (series is None or p.mpn(series))


def graded(best: Callable[[Product], bool], near: Callable[[Product], bool] | None = None) -> Judge:
    """2 where ``best`` holds, else 1 where ``near`` holds, else 0."""

    def judge(p: Product) -> int:
        if best(p):
            return 2
        return 1 if near is not None and near(p) else 0

    return judge


def part(mpn: str) -> Judge:
    """A part number query: products selling a variant with this MPN."""
    return graded(lambda p: p.mpn(mpn))


def sku(sku: str, gtin: str) -> Judge:
    """A SKU query: that vendor's product; the other vendor's same article (same GTIN) is a neighbour."""
    return graded(lambda p: p.sku_is(sku), lambda p: p.gtin(gtin))


M8X30 = graded(
    lambda p: _screw(p, "DIN 933", "M8") and p.number("length", 30),
    lambda p: _screw(p, "DIN 933") or (_screw(p, thread="M8") and p.number("length", 30)),
)

QUERIES: Final[list[Query]] = [
    # -------------------------------------------------------------- exact part numbers, as printed
    Query("6204-2RS", "exact", part("6204-2RS")),
    Query("933803012", "exact", part("933803012")),
    Query("7985502530", "exact", part("7985502530")),
    Query("NYM-J525", "exact", part("NYM-J525")),
    Query("6212-ZZ", "exact", part("6212-ZZ")),
    Query("SH-DIN933-M8X30-A2-12", "exact", sku("SH-DIN933-M8X30-A2-12", "04008312402341")),
    Query("LT-GLOVE-D-9-3", "exact", sku("LT-GLOVE-D-9-3", "04028907866662")),
    Query("04008312402341", "exact", graded(lambda p: p.gtin("04008312402341"))),
    # -------------------------------------------------------------- the same with other separators and case
    Query("6204 2rs", "separators", part("6204-2RS")),
    Query("62042RS", "separators", part("6204-2RS")),
    Query("6204/2RS", "separators", part("6204-2RS")),
    Query("nymj525", "separators", part("NYM-J525")),
    Query("sh-din933-m8x30-a2-12", "separators", sku("SH-DIN933-M8X30-A2-12", "04008312402341")),
    Query("4008312402341", "separators", graded(lambda p: p.gtin("04008312402341"))),
    Query("DIN933 M8x30", "separators", M8X30),
    Query("din 933 m8 x 30", "separators", M8X30),
    # -------------------------------------------------------------- misspelled names
    Query("hexagon head scerw", "typos", graded(lambda p: _screw(p, "DIN 933"), lambda p: _screw(p))),
    Query("deep grove ball baering", "typos", graded(lambda p: _bearing(p))),
    Query(
        "centrifuge tueb 50 ml",
        "typos",
        graded(lambda p: p.category == "lab" and p.number("volume", 50), lambda p: p.category == "lab"),
    ),
    Query(
        "balpoint pen blue",
        "typos",
        graded(lambda p: p.category == "office" and "blue" in p.values("colour"), lambda p: p.category == "office"),
    ),
    Query("cut resistent gloves", "typos", graded(lambda p: p.category == "gloves")),
    Query(
        "instalation cable nhxh",
        "typos",
        graded(lambda p: p.category == "cables" and any(v.mpn and "NHXH" in v.mpn for v in p.variants)),
    ),
    Query(
        "raised cheese haed screw M10",
        "typos",
        graded(lambda p: _screw(p, "DIN 7985", "M10"), lambda p: _screw(p, "DIN 7985") or _screw(p, thread="M10")),
    ),
    Query("safty gloves size 9", "typos", graded(lambda p: p.category == "gloves" and "9" in p.values("size"))),
    # -------------------------------------------------------------- synonyms (SYNONYMS below)
    Query("hex bolt M8", "synonyms", graded(lambda p: _screw(p, "DIN 933", "M8"), lambda p: _screw(p, "DIN 933"))),
    Query(
        "stainless screw M5",
        "synonyms",
        graded(lambda p: _screw(p, thread="M5") and _stainless(p), lambda p: _screw(p, thread="M5")),
    ),
    Query("kugellager 6205", "synonyms", graded(lambda p: _bearing(p, "6205"), lambda p: _bearing(p))),
    Query(
        "biro green",
        "synonyms",
        graded(lambda p: p.category == "office" and "green" in p.values("colour"), lambda p: p.category == "office"),
    ),
    Query(
        "falcon tube 15 ml",
        "synonyms",
        graded(lambda p: p.category == "lab" and p.number("volume", 15), lambda p: p.category == "lab"),
    ),
    Query("cut proof gloves", "synonyms", graded(lambda p: p.category == "gloves")),
    Query(
        "edelstahl M8",
        "synonyms",
        graded(lambda p: _screw(p, thread="M8") and _stainless(p), lambda p: _screw(p, thread="M8")),
    ),
    # -------------------------------------------------------------- attribute queries
    Query(
        "M8 stainless 40 mm",
        "attributes",
        # No M8 screw in the demo comes in 40 mm: the best answers are M8 stainless ones (grade 1).
        graded(
            lambda p: _screw(p, thread="M8") and _stainless(p) and p.number("length", 40),
            lambda p: _screw(p, thread="M8") and _stainless(p),
        ),
    ),
    Query(
        "M8 A2 30 mm",
        "attributes",
        graded(
            lambda p: _screw(p, thread="M8") and "a2" in p.values("material") and p.number("length", 30),
            lambda p: _screw(p, thread="M8") and p.number("length", 30),
        ),
    ),
    Query(
        "M10 A4 screw",
        "attributes",
        graded(
            lambda p: _screw(p, thread="M10") and "a4" in p.values("material"),
            lambda p: _screw(p, thread="M10") or (_screw(p) and "a4" in p.values("material")),
        ),
    ),
    Query(
        "bearing 25 mm bore",
        "attributes",
        graded(lambda p: _bearing(p) and p.number("bore", 25), lambda p: _bearing(p)),
    ),
    Query("ball bearing 6206 ZZ", "attributes", graded(lambda p: p.mpn("6206-ZZ"), lambda p: _bearing(p))),
    Query(
        "cable 5 core 2.5 mm²",
        "attributes",
        graded(
            lambda p: p.category == "cables" and p.number("cores", 5) and p.number("cross_section", 2.5),
            lambda p: p.category == "cables",
        ),
    ),
    Query(
        "halogen free cable",
        "attributes",
        graded(
            lambda p: p.category == "cables" and "true" in p.values("halogen_free"), lambda p: p.category == "cables"
        ),
    ),
    Query(
        "centrifuge tube 1.5 ml",
        "attributes",
        graded(lambda p: p.category == "lab" and p.number("volume", 1.5), lambda p: p.category == "lab"),
    ),
]

SYNONYMS: Final[list[tuple[list[str], bool]]] = [
    # (terms, one_way): one-way synonyms let the first term find the others, not the reverse.
    (["hex bolt", "hexagon head screw"], False),
    (["inbus", "hex socket", "socket head"], False),
    (["stainless", "a2", "a4"], True),
    (["edelstahl", "a2", "a4"], True),
    (["kugellager", "ball bearing"], True),
    (["biro", "ballpoint pen"], False),
    (["falcon tube", "centrifuge tube"], False),
    (["cut proof", "cut resistant"], False),
]

KINDS: Final = ["exact", "separators", "typos", "synonyms", "attributes"]
