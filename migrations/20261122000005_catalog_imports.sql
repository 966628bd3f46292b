-- migrate:up
-- Catalog imports run as jobs; the page polls this row for progress and the report.
CREATE TABLE catalog_import (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vendor_id bigint NOT NULL REFERENCES company (id),
    created_by bigint NOT NULL REFERENCES app_user (id),
    format text NOT NULL CHECK (format IN ('csv', 'bmecat')),
    filename text NOT NULL CHECK (length(filename) <= 255),
    storage_key text NOT NULL,
    dry_run boolean NOT NULL,
    mode text NOT NULL CHECK (mode IN ('all', 'partial')),
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    total integer,
    done integer NOT NULL DEFAULT 0,
    error_count integer NOT NULL DEFAULT 0,
    report jsonb,
    failure text,
    created_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX catalog_import_vendor_idx ON catalog_import (vendor_id, created_at DESC);

-- migrate:down
DROP TABLE catalog_import;
