-- migrate:up
-- Search (issue 5): who may see a restricted product, the index's state, synonyms and search analytics.

-- A product with rows here is visible only to these buyer companies (and its own vendor); without rows it
-- is visible to everyone. Search documents carry the audience; product pages check it too.
CREATE TABLE product_audience (
    product_id bigint NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    buyer_id bigint NOT NULL REFERENCES company (id),
    PRIMARY KEY (product_id, buyer_id)
);
CREATE INDEX product_audience_buyer_idx ON product_audience (buyer_id);

-- One row per logical index (e.g. 'products'): the hash of the settings it was built with, and
-- the rebuild in progress, if any.
CREATE TABLE search_index_state (
    name text PRIMARY KEY,
    settings_hash text,
    rebuilding_since timestamptz,
    rebuilt_at timestamptz,
    documents integer
);

-- Every product the indexer handled, with when: a rebuild replays what was indexed while it ran.
CREATE TABLE search_touched (
    product_id bigint PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX search_touched_at_idx ON search_touched (at);

-- Synonyms operators manage; pushed to the index whenever they change.
CREATE TABLE search_synonym (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    terms text[] NOT NULL CHECK (cardinality(terms) BETWEEN 2 AND 20),
    one_way boolean NOT NULL DEFAULT false,   -- true: the first term finds the others, not the reverse
    created_by bigint REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- What people searched and clicked (analytics). No company names in the query log beyond the id.
CREATE TABLE search_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    search_id uuid NOT NULL UNIQUE,
    at timestamptz NOT NULL DEFAULT now(),
    company_id bigint,
    query text NOT NULL,
    normalized text NOT NULL,
    filtered boolean NOT NULL DEFAULT false,
    total integer NOT NULL,
    source text NOT NULL DEFAULT 'page' CHECK (source IN ('page', 'api', 'typeahead'))
);
CREATE INDEX search_event_at_idx ON search_event (at);

CREATE TABLE search_click (
    search_id uuid NOT NULL REFERENCES search_event (search_id) ON DELETE CASCADE,
    product_id bigint NOT NULL,
    position integer NOT NULL CHECK (position >= 1),
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (search_id, product_id)
);

-- migrate:down
DROP TABLE search_click, search_event, search_synonym, search_touched, search_index_state, product_audience;
