-- migrate:up
-- Anyone signed in can report a listing; reports land in the operators' moderation queue.
CREATE TABLE listing_report (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES product (id) ON DELETE CASCADE,
    reporter_user_id bigint NOT NULL REFERENCES app_user (id),
    reporter_company_id bigint REFERENCES company (id),
    reason text NOT NULL CHECK (length(reason) BETWEEN 3 AND 2000),
    created_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    resolution text CHECK (resolution IN ('dismissed', 'taken_down')),
    resolved_by bigint REFERENCES app_user (id)
);
CREATE INDEX listing_report_open_idx ON listing_report (created_at) WHERE resolved_at IS NULL;

-- migrate:down
DROP TABLE listing_report;
