-- migrate:up
-- The buyer's scores (0-100) of each bid on the criteria that are not computed by formula (tenders).
CREATE TABLE bid_score (
    bid_id bigint NOT NULL REFERENCES bid (id),
    criterion text NOT NULL,
    score integer NOT NULL CHECK (score BETWEEN 0 AND 100),
    scored_by bigint NOT NULL REFERENCES app_user (id),
    scored_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (bid_id, criterion)
);

-- migrate:down
DROP TABLE bid_score;
