"""Catalog CSV: one row per variant, `;` or `,`, UTF-8 (docs/catalog-csv.md). Pure parsing and writing.

Rows with the same ``product_sku`` form one product; product columns must agree across its rows.
Attribute columns are ``attr:<code>``: values shared by every variant of a product are stored on the
product, the others on each variant, and the export writes them back the same way, so an exported
file re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

import msgspec

from vendors.attributes import display
from vendors.commands import ProductIn, TierIn
from vendors.models import Product, Tier, Variant

PRODUCT_COLUMNS = (
    "product_sku",
    "title",
    "description",
    "brand",
    "category",
    "unit",
    "pack_size",
    "moq",
    "increment",
    "currency",
    "vat_class",
    "country_of_origin",
    "warranty",
    "hide_price_from_guests",
)
VARIANT_COLUMNS = ("variant_sku", "variant_name", "mpn", "gtin", "lead_time_days", "prices")
REQUIRED = ("product_sku", "title", "variant_sku")
ATTR_PREFIX = "attr:"
MAX_ROWS = 200_000


class RowError(msgspec.Struct, frozen=True, kw_only=True):
    row: int
    """1-based line in the file, the header being line 1."""
    column: str
    reason: str


class ParsedProduct(msgspec.Struct, frozen=True, kw_only=True):
    command: ProductIn
    rows: tuple[int, ...]
    """The file line of each variant, in order (``rows[i]`` is ``command.variants[i]``)."""


def format_prices(tiers: Sequence[Tier]) -> str:
    return "|".join(f"{t.min_qty}:{t.unit_price_minor}/{t.price_basis}" for t in tiers)


def parse_prices(text: str) -> list[TierIn]:
    """``1:1250/1|100:1100/1`` → tiers (min quantity : price in minor units / price basis)."""
    tiers = []
    for part in filter(None, (p.strip() for p in text.split("|"))):
        qty, sep, rest = part.partition(":")
        price, _, basis = rest.partition("/")
        if not sep or not qty.isdigit() or not price.isdigit() or (basis and not basis.isdigit()):
            raise ValueError(f"{part!r} is not min_qty:price/basis, e.g. 100:1250/1")
        tiers.append(TierIn(min_qty=int(qty), unit_price_minor=int(price), price_basis=int(basis or 1)))
    return tiers


def _dialect(sample: str) -> str:
    header = sample.splitlines()[0] if sample else ""
    return ";" if header.count(";") >= header.count(",") else ","


def parse(data: bytes) -> tuple[list[ParsedProduct], list[RowError]]:
    """Parse a whole file into product commands (validated for shape) and per-row errors."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [RowError(row=1, column="", reason=f"The file is not UTF-8 (byte {exc.start}).")]
    reader = csv.DictReader(io.StringIO(text), delimiter=_dialect(text[:4096]))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return [], [RowError(row=1, column=c, reason="This column is required.") for c in missing]
    unknown = [c for c in header if c not in PRODUCT_COLUMNS + VARIANT_COLUMNS and not c.startswith(ATTR_PREFIX)]
    if unknown:
        return [], [RowError(row=1, column=c, reason="Unknown column.") for c in unknown]
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    errors: list[RowError] = []
    for n, raw in enumerate(reader, start=2):
        if n > MAX_ROWS + 1:
            errors.append(RowError(row=n, column="", reason=f"A file may have at most {MAX_ROWS} rows."))
            break
        row = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if None in raw:
            errors.append(RowError(row=n, column="", reason="This row has more fields than the header."))
            continue
        if not any(row.values()):
            continue
        groups.setdefault(row.get("product_sku", ""), []).append((n, row))
    products = []
    for sku, rows in groups.items():
        parsed, problems = _product(sku, rows, header)
        errors.extend(problems)
        if parsed is not None:
            products.append(parsed)
    return products, sorted(errors, key=lambda e: (e.row, e.column))


def _product(
    sku: str, rows: list[tuple[int, dict[str, str]]], header: Sequence[str]
) -> tuple[ParsedProduct | None, list[RowError]]:
    errors: list[RowError] = []
    first_line, first = rows[0]
    errors.extend(
        RowError(row=line, column=column, reason=f"Differs from row {first_line} of the same product.")
        for line, row in rows[1:]
        for column in PRODUCT_COLUMNS
        if column in header and row.get(column, "") != first.get(column, "")
    )
    attr_codes = [c[len(ATTR_PREFIX) :] for c in header if c.startswith(ATTR_PREFIX)]
    shared = {
        code: first.get(ATTR_PREFIX + code, "")
        for code in attr_codes
        if first.get(ATTR_PREFIX + code, "")
        and all(r.get(ATTR_PREFIX + code, "") == first.get(ATTR_PREFIX + code, "") for _, r in rows)
    }
    variants: list[dict[str, Any]] = []
    for line, row in rows:
        try:
            prices = parse_prices(row.get("prices", ""))
        except ValueError as exc:
            errors.append(RowError(row=line, column="prices", reason=str(exc)))
            prices = []
        variants.append(
            {
                "sku": row.get("variant_sku", ""),
                "name": row.get("variant_name", ""),
                "mpn": row.get("mpn") or None,
                "gtin": row.get("gtin") or None,
                "lead_time_days": row.get("lead_time_days") or None,
                "prices": [msgspec.structs.asdict(t) for t in prices],
                "attributes": {
                    c: row[ATTR_PREFIX + c] for c in attr_codes if row.get(ATTR_PREFIX + c) and c not in shared
                },
            }
        )
    raw: dict[str, Any] = {k: first[k] for k in PRODUCT_COLUMNS if first.get(k)}
    raw["sku"] = raw.pop("product_sku", sku)
    if "hide_price_from_guests" in raw:
        raw["hide_price_from_guests"] = raw["hide_price_from_guests"].lower() in ("yes", "true", "1")
    raw["attributes"] = shared
    raw["variants"] = variants
    try:
        command = msgspec.convert(raw, ProductIn, strict=False)
    except msgspec.ValidationError as exc:
        reason, _, where = str(exc).partition(" - at `$.")
        errors.append(_locate(where.rstrip("`"), reason, rows))
        return None, errors
    if errors:
        return None, errors
    return ParsedProduct(command=command, rows=tuple(line for line, _ in rows)), errors


def _locate(path: str, reason: str, rows: Sequence[tuple[int, dict[str, str]]]) -> RowError:
    """``variants[1].gtin`` → (line of that variant, ``gtin``); product fields → the product's first line."""
    names = {"sku": "product_sku", "name": "variant_name"}
    if path.startswith("variants["):
        index = int(path[len("variants[") : path.index("]")])
        rest = path[path.index("]") + 2 :] if "]." in path else "variant_sku"
        column = "variant_sku" if rest == "sku" else names.get(rest, rest)
        if column.startswith("attributes."):
            column = ATTR_PREFIX + column[len("attributes.") :]
        line = rows[index][0] if index < len(rows) else rows[0][0]
        return RowError(row=line, column=column, reason=reason)
    column = names.get(path, path)
    if column.startswith("attributes."):
        column = ATTR_PREFIX + column[len("attributes.") :]
    return RowError(row=rows[0][0], column=column, reason=reason)


def locate_field_errors(errors: dict[str, str], parsed: ParsedProduct) -> list[RowError]:
    """Map service field errors (``variants[2].prices``) back to file rows and columns."""
    rows: list[tuple[int, dict[str, str]]] = [(line, {}) for line in parsed.rows]
    return [_locate(field, reason, rows) for field, reason in errors.items()]


def write(
    products: Iterable[tuple[Product, str | None, Sequence[Variant], dict[int, list[Tier]]]], attr_codes: Sequence[str]
) -> str:
    """The catalog as CSV (``;``), one row per variant; the inverse of ``parse``."""
    out = io.StringIO()
    header = [*PRODUCT_COLUMNS, *VARIANT_COLUMNS, *(ATTR_PREFIX + c for c in attr_codes)]
    writer = csv.DictWriter(out, fieldnames=header, delimiter=";", lineterminator="\n")
    writer.writeheader()
    for product, category_slug, variants, tiers in products:
        base = {
            "product_sku": product.sku,
            "title": product.title,
            "description": product.description,
            "brand": product.brand or "",
            "category": category_slug or "",
            "unit": product.unit,
            "pack_size": product.pack_size,
            "moq": product.moq,
            "increment": product.increment,
            "currency": product.currency,
            "vat_class": product.vat_class,
            "country_of_origin": product.country_of_origin or "",
            "warranty": product.warranty or "",
            "hide_price_from_guests": "yes" if product.hide_price_from_guests else "",
        }
        for v in variants:
            attrs = {**product.attributes, **v.attributes}
            writer.writerow(
                {
                    **base,
                    "variant_sku": v.sku,
                    "variant_name": v.name,
                    "mpn": v.mpn or "",
                    "gtin": v.gtin or "",
                    "lead_time_days": "" if v.lead_time_days is None else v.lead_time_days,
                    "prices": format_prices(tiers.get(v.id, [])),
                    **{ATTR_PREFIX + c: display(attrs[c]) for c in attr_codes if c in attrs},
                }
            )
    return out.getvalue()
