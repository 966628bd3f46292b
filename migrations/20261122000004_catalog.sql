-- migrate:up
-- Vendor catalogs: categories with attribute definitions, products and variants, list prices with tiers,
-- contract price lists per buyer, warehouses and stock.

CREATE TYPE product_status AS ENUM ('draft', 'pending_review', 'live', 'rejected', 'archived');
CREATE TYPE attribute_type AS ENUM ('number', 'text', 'enum', 'boolean');

CREATE TABLE category (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id bigint REFERENCES category (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    classification_system text CHECK (classification_system IN ('UNSPSC', 'ECLASS')),
    classification_code text CHECK (length(classification_code) <= 20),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((classification_system IS NULL) = (classification_code IS NULL))
);
CREATE INDEX category_parent_idx ON category (parent_id);

CREATE TABLE attribute_definition (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    category_id bigint NOT NULL REFERENCES category (id),
    code text NOT NULL CHECK (code ~ '^[a-z][a-z0-9_]{0,39}$'),
    label text NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    type attribute_type NOT NULL,
    dimension text,          -- for numbers: length, mass, voltage ... (vendors/units.py)
    display_unit text,       -- for numbers: the unit buyers see and filter in
    enum_values text[],      -- for enums
    required boolean NOT NULL DEFAULT false,
    position integer NOT NULL DEFAULT 0,
    CONSTRAINT attribute_definition_code_key UNIQUE (category_id, code),
    CHECK ((type = 'number') = (dimension IS NOT NULL)),
    CHECK ((type = 'enum') = (enum_values IS NOT NULL))
);

CREATE TABLE warehouse (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id bigint NOT NULL REFERENCES company (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT warehouse_name_key UNIQUE (vendor_id, name)
);

CREATE TABLE product (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id bigint NOT NULL REFERENCES company (id),
    sku text NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    brand text CHECK (length(brand) <= 120),
    category_id bigint REFERENCES category (id),
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb,   -- shared by every variant: code -> typed value
    warranty text CHECK (length(warranty) <= 2000),
    country_of_origin char(2) CHECK (country_of_origin ~ '^[A-Z]{2}$'),
    unit text NOT NULL DEFAULT 'pcs',                -- unit of measure the quantities count
    pack_size integer NOT NULL DEFAULT 1 CHECK (pack_size >= 1),
    moq integer NOT NULL DEFAULT 1 CHECK (moq >= 1),
    increment integer NOT NULL DEFAULT 1 CHECK (increment >= 1),
    currency char(3) NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    vat_class text NOT NULL DEFAULT 'standard' CHECK (vat_class IN ('standard', 'reduced', 'zero', 'exempt')),
    hide_price_from_guests boolean NOT NULL DEFAULT false,
    status product_status NOT NULL DEFAULT 'draft',
    status_reason text,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT product_sku_key UNIQUE (vendor_id, sku)
);
CREATE INDEX product_vendor_status_idx ON product (vendor_id, status, id);
CREATE INDEX product_category_idx ON product (category_id);

CREATE TABLE variant (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    vendor_id bigint NOT NULL REFERENCES company (id),
    sku text NOT NULL,
    name text NOT NULL DEFAULT '' CHECK (length(name) <= 200),  -- e.g. "M8 x 40"; empty for a single variant
    mpn text CHECK (length(mpn) <= 80),
    gtin char(14) CHECK (gtin ~ '^[0-9]{14}$'),
    attributes jsonb NOT NULL DEFAULT '{}'::jsonb,     -- the options that make this variant (length, size ...)
    lead_time_days integer CHECK (lead_time_days BETWEEN 0 AND 365),
    position integer NOT NULL DEFAULT 0,
    CONSTRAINT variant_sku_key UNIQUE (vendor_id, sku)
);
CREATE INDEX variant_product_idx ON variant (product_id, position, id);
CREATE INDEX variant_gtin_idx ON variant (gtin) WHERE gtin IS NOT NULL;

-- List prices: volume tiers per variant, in minor units per price basis (234 cents per 100 pieces).
CREATE TABLE price_tier (
    variant_id bigint NOT NULL REFERENCES variant (id) ON DELETE CASCADE,
    min_qty integer NOT NULL CHECK (min_qty >= 1),
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    price_basis integer NOT NULL DEFAULT 1 CHECK (price_basis IN (1, 10, 100, 1000, 10000)),
    PRIMARY KEY (variant_id, min_qty)
);

-- Contract prices a vendor grants to chosen buyer companies, valid between two dates (inclusive).
CREATE TABLE price_list (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id bigint NOT NULL REFERENCES company (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    valid_from date,
    valid_to date,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to)
);
CREATE INDEX price_list_vendor_idx ON price_list (vendor_id);

CREATE TABLE price_list_buyer (
    price_list_id bigint NOT NULL REFERENCES price_list (id) ON DELETE CASCADE,
    buyer_id bigint NOT NULL REFERENCES company (id),
    PRIMARY KEY (price_list_id, buyer_id)
);
CREATE INDEX price_list_buyer_buyer_idx ON price_list_buyer (buyer_id);

CREATE TABLE price_list_entry (
    price_list_id bigint NOT NULL REFERENCES price_list (id) ON DELETE CASCADE,
    variant_id bigint NOT NULL REFERENCES variant (id) ON DELETE CASCADE,
    min_qty integer NOT NULL CHECK (min_qty >= 1),
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    price_basis integer NOT NULL DEFAULT 1 CHECK (price_basis IN (1, 10, 100, 1000, 10000)),
    PRIMARY KEY (price_list_id, variant_id, min_qty)
);
CREATE INDEX price_list_entry_variant_idx ON price_list_entry (variant_id);

CREATE TABLE stock (
    variant_id bigint NOT NULL REFERENCES variant (id) ON DELETE CASCADE,
    warehouse_id bigint NOT NULL REFERENCES warehouse (id),
    on_hand integer NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (variant_id, warehouse_id)
);
CREATE INDEX stock_warehouse_idx ON stock (warehouse_id);

CREATE TABLE product_status_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    from_status product_status,
    to_status product_status NOT NULL,
    reason text,
    actor_user_id bigint,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_status_history_product_idx ON product_status_history (product_id, at);

-- migrate:down
DROP TABLE product_status_history, stock, price_list_entry, price_list_buyer, price_list, price_tier, variant,
    product, warehouse, attribute_definition, category;
DROP TYPE attribute_type, product_status;
