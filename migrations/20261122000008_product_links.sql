-- migrate:up
-- Accessories and replacement parts: links between products of the same vendor.
CREATE TABLE product_link (
    product_id bigint NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    linked_product_id bigint NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('accessory', 'replacement')),
    position integer NOT NULL DEFAULT 0,
    PRIMARY KEY (product_id, linked_product_id, kind),
    CHECK (product_id <> linked_product_id)
);
CREATE INDEX product_link_linked_idx ON product_link (linked_product_id);

-- migrate:down
DROP TABLE product_link;
