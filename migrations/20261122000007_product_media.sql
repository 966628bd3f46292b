-- migrate:up
-- Images and documents (datasheets, certificates) of products, stored behind the storage interface.
CREATE TABLE product_media (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    vendor_id bigint NOT NULL REFERENCES company (id),
    kind text NOT NULL CHECK (kind IN ('image', 'document')),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    storage_key text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes > 0),
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX product_media_product_idx ON product_media (product_id, kind, position, id);

-- migrate:down
DROP TABLE product_media;
