-- migrate:up
-- A vendor's own catalog group tree (BMEcat CATALOG_STRUCTURE) and which products sit in which group:
-- buyers browse a storefront by these groups, and an import uses them to pick the platform category
-- when an article names no usable classification class. `category_id` is the vendor's own choice of
-- platform category for the group; NULL means "match automatically" (docs/catalog.md).
CREATE TABLE vendor_catalog_group (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id bigint NOT NULL REFERENCES company (id),
    code text NOT NULL CHECK (length(code) BETWEEN 1 AND 100),            -- the file's GROUP_ID
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    parent_code text CHECK (length(parent_code) BETWEEN 1 AND 100),       -- NULL for a root group
    position integer NOT NULL DEFAULT 0,
    category_id bigint REFERENCES category (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT vendor_catalog_group_code_key UNIQUE (vendor_id, code)
);

CREATE TABLE product_catalog_group (
    product_id bigint NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    group_id bigint NOT NULL REFERENCES vendor_catalog_group (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, group_id)
);
CREATE INDEX product_catalog_group_group_idx ON product_catalog_group (group_id, product_id);

-- Re-importing a package must not attach the same file twice: imports look files up by content hash.
ALTER TABLE product_media ADD COLUMN sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$');
CREATE INDEX product_media_sha256_idx ON product_media (product_id, sha256) WHERE sha256 IS NOT NULL;

-- migrate:down
DROP INDEX product_media_sha256_idx;
ALTER TABLE product_media DROP COLUMN sha256;
DROP TABLE product_catalog_group, vendor_catalog_group;
