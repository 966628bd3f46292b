"""A generator of realistic industrial catalogs for demo data and benchmarks (deterministic per seed).

Fasteners with DIN/ISO designations, bearings like ``6204-2RS``, cables, safety gear, lab consumables
and office supplies, with typed attributes, tiered prices per 100 where catalogs quote them so, and
GTINs. Two vendors generated with overlapping ``shared`` ranges offer the same articles (same GTIN,
brand and MPN) at different prices, as real marketplaces see.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from marketplace.core.db import Connection
from vendors import repository as repo
from vendors.commands import ProductIn, TierIn, VariantIn

# slug, name, parent slug, classification code (ECLASS), attribute definitions
CATEGORIES: list[tuple[str, str, str | None, str | None, list[dict[str, Any]]]] = [
    (
        "fasteners",
        "Fasteners",
        None,
        "23110000",
        [
            {
                "code": "material",
                "aliases": ["Werkstoff", "Werkstoffqualität"],
                "label": "Material",
                "type": "enum",
                "enum_values": ["A2", "A4", "8.8", "10.9", "steel zinc plated"],
            },
        ],
    ),
    (
        "screws",
        "Screws and bolts",
        "fasteners",
        "23110101",
        [
            {
                "code": "thread",
                "aliases": ["Gewinde", "Gewindegröße"],
                "label": "Thread",
                "type": "enum",
                "enum_values": ["M3", "M4", "M5", "M6", "M8", "M10", "M12", "M16"],
            },
            {
                "code": "length",
                "aliases": ["Länge", "Nennlänge"],
                "label": "Length",
                "type": "number",
                "dimension": "length",
                "display_unit": "mm",
                "required": True,
            },
            {"code": "standard", "label": "Standard", "type": "text"},
        ],
    ),
    (
        "nuts",
        "Nuts",
        "fasteners",
        "23110201",
        [
            {
                "code": "thread",
                "aliases": ["Gewinde", "Gewindegröße"],
                "label": "Thread",
                "type": "enum",
                "enum_values": ["M3", "M4", "M5", "M6", "M8", "M10", "M12", "M16"],
            },
            {"code": "standard", "label": "Standard", "type": "text"},
        ],
    ),
    (
        "bearings",
        "Ball bearings",
        None,
        "23050101",
        [
            {
                "aliases": ["Innendurchmesser", "Bohrung"],
                "code": "bore",
                "label": "Bore diameter",
                "type": "number",
                "dimension": "length",
                "display_unit": "mm",
            },
            {
                "code": "outer_diameter",
                "aliases": ["Außendurchmesser"],
                "label": "Outer diameter",
                "type": "number",
                "dimension": "length",
                "display_unit": "mm",
            },
            {"code": "width", "label": "Width", "type": "number", "dimension": "length", "display_unit": "mm"},
            {"code": "sealing", "label": "Sealing", "type": "enum", "enum_values": ["open", "2RS", "ZZ"]},
        ],
    ),
    (
        "cables",
        "Cables",
        None,
        "27060101",
        [
            {
                "aliases": ["Aderzahl", "Adern"],
                "code": "cores",
                "label": "Cores",
                "type": "number",
                "dimension": "count",
                "display_unit": "pcs",
            },
            {
                "code": "cross_section",
                "aliases": ["Leiterquerschnitt", "Querschnitt"],
                "label": "Cross-section",
                "type": "number",
                "dimension": "area",
                "display_unit": "mm2",
            },
            {
                "code": "voltage",
                "label": "Rated voltage",
                "type": "number",
                "dimension": "voltage",
                "display_unit": "V",
            },
            {"code": "halogen_free", "label": "Halogen-free", "type": "boolean"},
        ],
    ),
    (
        "gloves",
        "Safety gloves",
        None,
        "40190101",
        [
            {"code": "size", "label": "Size", "type": "enum", "enum_values": ["7", "8", "9", "10", "11"]},
            {
                "code": "cut_level",
                "label": "Cut level (EN 388)",
                "type": "enum",
                "enum_values": ["A", "B", "C", "D", "E", "F"],
            },
        ],
    ),
    (
        "lab",
        "Lab consumables",
        None,
        "32010101",
        [
            {"code": "volume", "label": "Volume", "type": "number", "dimension": "volume", "display_unit": "ml"},
            {"code": "sterile", "label": "Sterile", "type": "boolean"},
        ],
    ),
    (
        "office",
        "Office supplies",
        None,
        "24000000",
        [
            {"code": "colour", "label": "Colour", "type": "text"},
        ],
    ),
]

THREADS = ["M4", "M5", "M6", "M8", "M10", "M12"]
LENGTHS = [10, 12, 16, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 100]
SCREW_TYPES = [
    ("DIN933", "Hexagon head screw DIN 933 / ISO 4017"),
    ("DIN912", "Socket head cap screw DIN 912 / ISO 4762"),
    ("DIN7985", "Raised cheese head screw DIN 7985"),
    ("ISO7380", "Button head socket screw ISO 7380"),
]
MATERIALS = ["A2", "A4", "8.8", "steel zinc plated"]
BEARING_SERIES = [(f"62{n:02d}", 5 * n if n >= 4 else [10, 12, 15, 17][n], 30 + 6 * n, 9 + n) for n in range(13)]
CABLES = [("NYM-J", 300, False), ("H07RN-F", 450, False), ("NHXH", 600, True), ("YSLY-JZ", 300, False)]
BRANDS = {
    "fasteners": ["Würth", "Bossard", "Fabory", "Reyher"],
    "bearings": ["SKF", "FAG", "NSK"],
    "cables": ["Lapp", "Helukabel", "Nexans"],
}


def gtin13(rng: random.Random, prefix: str = "40") -> str:
    body = prefix + "".join(str(rng.randint(0, 9)) for _ in range(10))
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def generate(vendor_tag: str, count: int, *, seed: int = 7, price_factor: int = 100) -> Iterator[ProductIn]:
    """``count`` products for one vendor; the same ``seed`` gives the same articles (and GTINs) to every vendor."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    makers = [_screws, _bearings, _cables, _gloves, _lab, _office]
    n = 0
    while n < count:
        for make in makers:
            if n >= count:
                return
            yield make(rng, vendor_tag, n, price_factor)
            n += 1


def _tiers(rng: random.Random, base: int, factor: int, *, basis: int = 1, moq: int = 1) -> list[TierIn]:
    price = max(1, base * factor // 100)
    return [
        TierIn(min_qty=moq, unit_price_minor=price, price_basis=basis),
        TierIn(min_qty=moq * 10, unit_price_minor=price * 92 // 100, price_basis=basis),
        TierIn(min_qty=moq * 50, unit_price_minor=price * 85 // 100, price_basis=basis),
    ]


def _screws(rng: random.Random, tag: str, n: int, factor: int) -> ProductIn:
    code, title = SCREW_TYPES[n % len(SCREW_TYPES)]
    thread = THREADS[(n // len(SCREW_TYPES)) % len(THREADS)]
    material = MATERIALS[(n // 24) % len(MATERIALS)]
    brand = BRANDS["fasteners"][n % 4]
    lengths = LENGTHS[(n % 3) : (n % 3) + 6]
    variants = [
        VariantIn(
            sku=f"{tag}-{code}-{thread}X{length}-{material.replace(' ', '').replace('.', '')}-{n}",
            name=f"{thread} x {length}",
            mpn=f"{code[3:]}{thread[1:]}{length:03d}{n % 97:02d}",
            gtin=gtin13(rng),
            attributes={"thread": thread, "length": f"{length} mm"},
            lead_time_days=rng.choice([None, 2, 5, 10]),
            prices=_tiers(rng, 900 + 60 * length, factor, basis=100, moq=100),
        )
        for length in lengths
    ]
    return ProductIn(
        sku=f"{tag}-{code}-{thread}-{n}",
        title=f"{title}, {thread}, {material}",
        brand=brand,
        category="screws",
        attributes={"material": material, "standard": code.replace("DIN", "DIN ").replace("ISO", "ISO ")},
        description=f"{title} with metric thread {thread} in {material}. Sold in boxes of 100.",
        unit="pcs",
        pack_size=100,
        moq=100,
        increment=100,
        country_of_origin=rng.choice(["DE", "IT", "TW"]),
        variants=variants,
    )


def _bearings(rng: random.Random, tag: str, n: int, factor: int) -> ProductIn:
    series, bore, outer, width = BEARING_SERIES[n % len(BEARING_SERIES)]
    brand = BRANDS["bearings"][n % 3]
    variants = [
        VariantIn(
            sku=f"{tag}-{series}-{seal}-{brand[:3].upper()}-{n}",
            name=f"{series}-{seal}" if seal != "open" else series,
            mpn=f"{series}-{seal}" if seal != "open" else series,
            gtin=gtin13(rng, "73"),
            attributes={"sealing": seal},
            lead_time_days=rng.choice([None, 3, 7]),
            prices=_tiers(rng, 350 + 90 * (n % 13) + (120 if seal != "open" else 0), factor),
        )
        for seal in ("open", "2RS", "ZZ")
    ]
    return ProductIn(
        sku=f"{tag}-{series}-{brand[:3].upper()}-{n}",
        title=f"Deep groove ball bearing {series}",
        brand=brand,
        category="bearings",
        attributes={"bore": f"{bore} mm", "outer_diameter": f"{outer} mm", "width": f"{width} mm"},
        description=f"Single-row deep groove ball bearing {series}, {bore} x {outer} x {width} mm.",
        country_of_origin=rng.choice(["SE", "DE", "JP"]),
        variants=variants,
    )


def _cables(rng: random.Random, tag: str, n: int, factor: int) -> ProductIn:
    kind, voltage, halogen_free = CABLES[n % len(CABLES)]
    cores = [3, 4, 5][n % 3]
    brand = BRANDS["cables"][n % 3]
    variants = [
        VariantIn(
            sku=f"{tag}-{kind}-{cores}X{str(section).replace('.', '')}-{n}",
            name=f"{cores} x {section} mm²",
            mpn=f"{kind}{cores}{str(section).replace('.', '')}",
            gtin=gtin13(rng),
            attributes={"cross_section": f"{section} mm2"},
            prices=_tiers(rng, int(80 * cores * section), factor),
            lead_time_days=rng.choice([None, 1, 4]),
        )
        for section in (1.5, 2.5, 4)
    ]
    return ProductIn(
        sku=f"{tag}-{kind}-{cores}-{n}",
        title=f"Installation cable {kind} {cores}-core, per metre",
        brand=brand,
        category="cables",
        unit="m",
        attributes={
            "cores": f"{cores} pcs",
            "voltage": f"{voltage} V",
            "halogen_free": "yes" if halogen_free else "no",
        },
        description=f"{kind} cable with {cores} cores, sold by the metre in multiples of 50 m.",
        pack_size=50,
        moq=50,
        increment=50,
        variants=variants,
    )


def _gloves(rng: random.Random, tag: str, n: int, factor: int) -> ProductIn:
    level = "ABCDEF"[n % 6]
    variants = [
        VariantIn(
            sku=f"{tag}-GLOVE-{level}-{size}-{n}",
            name=f"Size {size}",
            gtin=gtin13(rng),
            attributes={"size": str(size)},
            prices=_tiers(rng, 390 + 120 * (n % 6), factor),
        )
        for size in (7, 8, 9, 10, 11)
    ]
    return ProductIn(
        sku=f"{tag}-GLOVE-{level}-{n}",
        title=f"Cut-resistant safety gloves, level {level} (EN 388)",
        brand=rng.choice(["Uvex", "Ansell", "Showa"]),
        category="gloves",
        attributes={"cut_level": level},
        unit="pair",
        pack_size=12,
        moq=12,
        increment=12,
        variants=variants,
    )


def _lab(rng: random.Random, tag: str, n: int, factor: int) -> ProductIn:
    volume = [0.5, 1.5, 2, 15, 50][n % 5]
    return ProductIn(
        sku=f"{tag}-TUBE-{str(volume).replace('.', '')}-{n}",
        title=f"Centrifuge tube {volume} ml, PP",
        brand=rng.choice(["Eppendorf", "Sarstedt", "Greiner"]),
        category="lab",
        attributes={"volume": f"{volume} ml", "sterile": "yes" if n % 2 else "no"},
        unit="pcs",
        pack_size=500,
        moq=500,
        increment=500,
        variants=[
            VariantIn(sku=f"{tag}-TUBE-{n}", gtin=gtin13(rng), prices=_tiers(rng, 2400, factor, basis=100, moq=500))
        ],
    )


def _office(rng: random.Random, tag: str, n: int, factor: int) -> ProductIn:
    colour = ["black", "blue", "red", "green"][n % 4]
    return ProductIn(
        sku=f"{tag}-PEN-{colour.upper()}-{n}",
        title=f"Ballpoint pen, {colour}, box of 50",
        brand=rng.choice(["Schneider", "Pilot", "Stabilo"]),
        category="office",
        attributes={"colour": colour},
        unit="box",
        variants=[VariantIn(sku=f"{tag}-PEN-{n}", gtin=gtin13(rng), prices=_tiers(rng, 1290, factor))],
    )


async def ensure_categories(conn: Connection) -> None:
    """The platform's category tree with attribute definitions (idempotent)."""
    ids: dict[str, int] = {}
    for slug, name, parent, code, definitions in CATEGORIES:
        category = await repo.upsert_category(
            conn,
            parent_id=ids.get(parent) if parent else None,
            name=name,
            slug=slug,
            classification_system="ECLASS" if code else None,
            classification_code=code,
        )
        ids[slug] = category.id
        for position, definition in enumerate(definitions):
            await repo.upsert_attribute_definition(conn, category_id=category.id, position=position, **definition)


async def seed_vendor_catalog(
    conn: Connection, vendor_id: int, admin_user_id: int, *, tag: str, count: int, price_factor: int
) -> int:
    """Demo products for one vendor, made live, with a warehouse and stock; skipped if it has products."""
    from marketplace.core.actor import Actor
    from vendors.service import save_product

    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM product WHERE vendor_id = $1)", vendor_id):
        return 0
    actor = Actor(
        user_id=admin_user_id,
        email="demo",
        full_name="demo",
        company_id=vendor_id,
        company_kind="vendor",
        company_status="verified",
        roles=frozenset({"admin", "catalog_manager"}),
    )
    for command in generate(tag, count, price_factor=price_factor):
        await save_product(conn, actor, command, audit_source="demo data")
    await conn.execute("UPDATE product SET status = 'live' WHERE vendor_id = $1", vendor_id)
    warehouse = await repo.insert_warehouse(conn, vendor_id=vendor_id, name="Main", country="DE")
    await conn.execute(
        """
        INSERT INTO stock (variant_id, warehouse_id, on_hand, reserved)
        SELECT v.id, $2, (abs(hashtext(v.sku)) % 5000) * 10, 0
        FROM variant v WHERE v.vendor_id = $1 AND abs(hashtext(v.sku)) % 3 <> 0
        """,
        vendor_id,
        warehouse.id,
    )
    return count


DEMO_VENDORS = [("admin@schraubenhaus.example", "SH", 100), ("admin@lagerteknik.example", "LT", 104)]
DEMO_PRODUCTS_PER_VENDOR = 1200


async def seed_catalogs(conn: Connection) -> list[Any]:
    """Categories and two overlapping demo catalogs (same seed: same articles, different prices)."""
    await ensure_categories(conn)
    for email, tag, factor in DEMO_VENDORS:
        row = await conn.fetchrow(
            "SELECT m.company_id, u.id FROM app_user u JOIN membership m ON m.user_id = u.id WHERE u.email = $1", email
        )
        if row is not None:
            await seed_vendor_catalog(
                conn, row["company_id"], row["id"], tag=tag, count=DEMO_PRODUCTS_PER_VENDOR, price_factor=factor
            )
    await _seed_contract(conn)
    return []


async def _seed_contract(conn: Connection) -> None:
    """Nordwerk buys screws from Schraubenhaus on a frame contract: 10 % below list on the first 200 variants."""
    vendor = await conn.fetchval(
        "SELECT m.company_id FROM membership m JOIN app_user u ON u.id = m.user_id WHERE u.email = $1",
        DEMO_VENDORS[0][0],
    )
    buyer = await conn.fetchval(
        "SELECT m.company_id FROM membership m JOIN app_user u ON u.id = m.user_id WHERE u.email = $1",
        "admin@nordwerk.example",
    )
    if vendor is None or buyer is None:
        return
    if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM price_list WHERE vendor_id = $1)", vendor):
        return
    price_list_id = await repo.insert_price_list(
        conn, vendor_id=vendor, name="Nordwerk frame contract", valid_from=None, valid_to=None
    )
    await repo.set_price_list_buyers(conn, price_list_id, [buyer])
    await conn.execute(
        """
        INSERT INTO price_list_entry (price_list_id, variant_id, min_qty, unit_price_minor, price_basis)
        SELECT $1, t.variant_id, t.min_qty, t.unit_price_minor * 90 / 100, t.price_basis
        FROM price_tier t JOIN variant v ON v.id = t.variant_id
        WHERE v.id IN (SELECT id FROM variant WHERE vendor_id = $2 ORDER BY id LIMIT 200)
        """,
        price_list_id,
        vendor,
    )
