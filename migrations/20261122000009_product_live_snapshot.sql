-- migrate:up
-- What a product looked like when it was last approved, so reviewers see a diff of later edits.
ALTER TABLE product ADD COLUMN live_snapshot jsonb;

-- migrate:down
ALTER TABLE product DROP COLUMN live_snapshot;
