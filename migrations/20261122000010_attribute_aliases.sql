-- migrate:up
-- Other names an attribute goes by in suppliers' files (BMEcat feature names such as "Länge"), matched
-- case-insensitively when features are imported.
ALTER TABLE attribute_definition ADD COLUMN aliases text[] NOT NULL DEFAULT '{}';

-- migrate:down
ALTER TABLE attribute_definition DROP COLUMN aliases;
