-- migrate:up
-- Companies, users, memberships, sessions, invitations, password resets, API tokens, rate limits, audit log.

CREATE TYPE company_kind AS ENUM ('buyer', 'vendor', 'both');
CREATE TYPE company_status AS ENUM ('pending', 'verified', 'rejected', 'suspended');
CREATE TYPE address_kind AS ENUM ('bill_to', 'ship_to');

CREATE TABLE company (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind company_kind NOT NULL,
    legal_name text NOT NULL CHECK (length(legal_name) BETWEEN 2 AND 200),
    country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    vat_id text CHECK (vat_id ~ '^[A-Z0-9]{4,20}$'),
    registration_number text CHECK (length(registration_number) <= 60),
    status company_status NOT NULL DEFAULT 'pending',
    status_reason text,
    info_requested boolean NOT NULL DEFAULT false,
    operator_note text,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT company_vat_id_key UNIQUE (vat_id)
);
CREATE INDEX company_status_idx ON company (status, created_at);
CREATE INDEX company_legal_name_idx ON company (lower(legal_name) text_pattern_ops);

CREATE TABLE company_status_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id bigint NOT NULL REFERENCES company (id),
    from_status company_status,
    to_status company_status NOT NULL,
    reason text,
    actor_user_id bigint,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX company_status_history_company_idx ON company_status_history (company_id, at);

CREATE TABLE address (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id bigint NOT NULL REFERENCES company (id),
    kind address_kind NOT NULL,
    label text NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    recipient text NOT NULL CHECK (length(recipient) BETWEEN 1 AND 200),
    line1 text NOT NULL CHECK (length(line1) BETWEEN 1 AND 200),
    line2 text CHECK (length(line2) <= 200),
    postal_code text NOT NULL CHECK (length(postal_code) BETWEEN 1 AND 20),
    city text NOT NULL CHECK (length(city) BETWEEN 1 AND 100),
    country char(2) NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX address_company_idx ON address (company_id, kind);
CREATE UNIQUE INDEX address_one_default_per_kind ON address (company_id, kind) WHERE is_default;

CREATE TABLE app_user (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    password_hash text NOT NULL,
    is_operator boolean NOT NULL DEFAULT false,
    time_zone text NOT NULL DEFAULT 'UTC',
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX app_user_email_key ON app_user (lower(email));

CREATE TABLE membership (
    user_id bigint NOT NULL REFERENCES app_user (id),
    company_id bigint NOT NULL REFERENCES company (id),
    roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY[
        'admin', 'buyer', 'approver', 'requester', 'viewer', 'catalog_manager', 'sales']::text[]),
    spending_limit_minor bigint CHECK (spending_limit_minor >= 0),
    spending_limit_currency char(3) CHECK (spending_limit_currency ~ '^[A-Z]{3}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, company_id)
);
CREATE INDEX membership_company_idx ON membership (company_id);

CREATE TABLE user_session (
    token_hash bytea PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    company_id bigint REFERENCES company (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip inet,
    user_agent text
);
CREATE INDEX user_session_user_idx ON user_session (user_id);
CREATE INDEX user_session_expires_idx ON user_session (expires_at);

CREATE TABLE invitation (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id bigint NOT NULL REFERENCES company (id),
    email text NOT NULL,
    roles text[] NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    invited_by bigint NOT NULL REFERENCES app_user (id),
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by bigint REFERENCES app_user (id),
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitation_company_idx ON invitation (company_id, created_at);

CREATE TABLE password_reset (
    token_hash bytea PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES app_user (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE api_token (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_id bigint NOT NULL REFERENCES company (id),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    prefix text NOT NULL,
    token_hash bytea NOT NULL UNIQUE,
    roles text[] NOT NULL CHECK (cardinality(roles) > 0),
    created_by bigint NOT NULL REFERENCES app_user (id),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    last_used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_token_company_idx ON api_token (company_id, created_at);

-- Fixed-window counters shared by every web process (login per account and per IP, sign-up, reset).
CREATE TABLE rate_limit (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- Security events. Append-only: the trigger below refuses UPDATE, DELETE and TRUNCATE for every role
-- the application connects as.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    action text NOT NULL,
    outcome text NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'failure')),
    actor_user_id bigint,
    actor_email text,
    company_id bigint,
    target_type text,
    target_id text,
    ip inet,
    detail jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at_idx ON audit_log (at DESC);
CREATE INDEX audit_log_company_idx ON audit_log (company_id, at DESC);
CREATE INDEX audit_log_action_idx ON audit_log (action, at DESC);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

-- migrate:down
DROP TABLE audit_log;
DROP FUNCTION audit_log_append_only;
DROP TABLE rate_limit, api_token, password_reset, invitation, user_session, membership, app_user,
    address, company_status_history, company;
DROP TYPE address_kind, company_status, company_kind;
