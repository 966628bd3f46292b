-- migrate:up
-- The application connects as a login role that is a member of tradeyard_rw: data access only.
-- It cannot change the schema, and it can only read and append the audit log. Migrations run as the
-- owner; `python -m marketplace ensure-app-role` creates the login role and grants it this group.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tradeyard_rw') THEN
        CREATE ROLE tradeyard_rw NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO tradeyard_rw;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO tradeyard_rw;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO tradeyard_rw;
-- Tables and sequences that later migrations create get the same grants.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tradeyard_rw;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO tradeyard_rw;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM tradeyard_rw;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations FROM tradeyard_rw;

-- migrate:down
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM tradeyard_rw;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT, UPDATE ON SEQUENCES FROM tradeyard_rw;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM tradeyard_rw;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM tradeyard_rw;
REVOKE USAGE ON SCHEMA public FROM tradeyard_rw;
