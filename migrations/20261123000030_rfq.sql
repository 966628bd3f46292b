-- migrate:up
-- RFQs and sealed tenders (issue 6): requests with lots and lines, invitations, questions and answers,
-- amendments, bids as immutable versions (sealed bids only as ciphertext), awards, notifications.

-- Which buyer companies need an approver's approval before an RFQ is published.
ALTER TABLE company ADD COLUMN rfq_approval_required boolean NOT NULL DEFAULT false;

CREATE TYPE rfq_kind AS ENUM ('rfq', 'tender');
CREATE TYPE rfq_status AS ENUM (
    'draft', 'pending_approval', 'approved', 'published', 'closed', 'evaluated', 'awarded', 'unsuccessful',
    'cancelled');
CREATE TYPE rfq_visibility AS ENUM ('public', 'invited');

-- The referee clock for deadlines: the database's clock. A session may freeze it with
-- `SET LOCAL tradeyard.clock = '<instant>'` (only tests do; the application never sets it), so deadline
-- boundaries are tested at the exact instant.
CREATE FUNCTION rfq_clock() RETURNS timestamptz LANGUAGE sql VOLATILE AS $$
    SELECT coalesce(nullif(current_setting('tradeyard.clock', true), '')::timestamptz, clock_timestamp())
$$;

CREATE TABLE rfq (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    buyer_id bigint NOT NULL REFERENCES company (id),
    created_by bigint NOT NULL REFERENCES app_user (id),
    kind rfq_kind NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 3 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    visibility rfq_visibility NOT NULL DEFAULT 'invited',
    category_ids bigint[] NOT NULL DEFAULT '{}',
    status rfq_status NOT NULL DEFAULT 'draft',
    -- The procedure's rules (durations, sealed, minimum bids, rounds, Q&A, standstill), copied from code
    -- when the RFQ is created: a rule change in code never alters an RFQ in flight.
    rules jsonb NOT NULL,
    -- Evaluation criteria with weights (tenders); frozen at publication.
    criteria jsonb NOT NULL DEFAULT '[]',
    revision integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    closes_at timestamptz NOT NULL,
    questions_close_at timestamptz NOT NULL,
    buyer_time_zone text NOT NULL DEFAULT 'UTC',
    -- Best-and-final-offer round (tenders): its own sealed deadline, for the shortlisted vendors.
    bafo_closes_at timestamptz,
    standstill_until timestamptz,
    -- The next instant the clock job must look at this RFQ (close, standstill end); NULL when none.
    next_check timestamptz,
    -- Sealed procedures: the per-RFQ data key, encrypted (AES-GCM) with the key from settings.
    sealing_key bytea,
    proceed_below_minimum boolean NOT NULL DEFAULT false,
    status_reason text,
    published_at timestamptz,
    closed_at timestamptz,
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rfq_questions_before_close CHECK (questions_close_at <= closes_at),
    CONSTRAINT rfq_sealed_has_key CHECK (
        status IN ('draft', 'pending_approval', 'approved') OR NOT (rules ->> 'sealed')::boolean
        OR sealing_key IS NOT NULL)
);
CREATE INDEX rfq_buyer_idx ON rfq (buyer_id, created_at DESC);
CREATE INDEX rfq_next_check_idx ON rfq (next_check) WHERE next_check IS NOT NULL;
CREATE INDEX rfq_public_idx ON rfq (closes_at) WHERE status = 'published' AND visibility = 'public';
CREATE INDEX rfq_categories_idx ON rfq USING gin (category_ids);

CREATE TABLE rfq_status_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id),
    from_status rfq_status,
    to_status rfq_status NOT NULL,
    actor_user_id bigint REFERENCES app_user (id),
    actor_role text NOT NULL,
    reason text,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rfq_status_history_rfq_idx ON rfq_status_history (rfq_id, id);

CREATE TABLE rfq_lot (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id) ON DELETE CASCADE,
    position integer NOT NULL,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    UNIQUE (rfq_id, position)
);

CREATE TABLE rfq_line (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id) ON DELETE CASCADE,
    lot_id bigint REFERENCES rfq_lot (id) ON DELETE SET NULL,
    position integer NOT NULL,
    product_id bigint REFERENCES product (id),
    variant_id bigint REFERENCES variant (id),
    description text NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
    quantity bigint NOT NULL CHECK (quantity > 0),
    unit text NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    required_by date,
    delivery_address_id bigint REFERENCES address (id),
    target_price_minor bigint CHECK (target_price_minor >= 0),
    target_price_basis integer NOT NULL DEFAULT 1 CHECK (target_price_basis >= 1),
    -- Lines are never deleted after publication: an amendment removing a line sets removed_in.
    removed_in integer,
    UNIQUE (rfq_id, position)
);
CREATE INDEX rfq_line_rfq_idx ON rfq_line (rfq_id, position);

CREATE TABLE rfq_attachment (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id) ON DELETE CASCADE,
    line_id bigint REFERENCES rfq_line (id) ON DELETE CASCADE,
    storage_key text NOT NULL,
    filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    size_bytes bigint NOT NULL,
    sha256 text NOT NULL,
    uploaded_by bigint NOT NULL REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rfq_attachment_rfq_idx ON rfq_attachment (rfq_id);

CREATE TABLE rfq_invitation (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id) ON DELETE CASCADE,
    vendor_id bigint REFERENCES company (id),
    -- A supplier not yet on the platform is invited by email; signing up with that address links it.
    email text,
    status text NOT NULL DEFAULT 'invited' CHECK (status IN ('invited', 'accepted', 'declined')),
    decline_reason text,
    invited_by bigint NOT NULL REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    responded_at timestamptz,
    CHECK (vendor_id IS NOT NULL OR email IS NOT NULL)
);
CREATE UNIQUE INDEX rfq_invitation_vendor_key ON rfq_invitation (rfq_id, vendor_id) WHERE vendor_id IS NOT NULL;
CREATE UNIQUE INDEX rfq_invitation_email_key ON rfq_invitation (rfq_id, lower(email))
    WHERE vendor_id IS NULL AND email IS NOT NULL;
CREATE INDEX rfq_invitation_vendor_idx ON rfq_invitation (vendor_id);

-- Questions are private to the asker until answered; answers are broadcast with the asker shown only
-- by a per-RFQ alias (an HMAC of the vendor id with a per-RFQ salt), never by name.
CREATE TABLE rfq_question (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id) ON DELETE CASCADE,
    vendor_id bigint NOT NULL REFERENCES company (id),
    asked_by bigint NOT NULL REFERENCES app_user (id),
    alias text NOT NULL,
    line_id bigint REFERENCES rfq_line (id),
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
    asked_at timestamptz NOT NULL DEFAULT now(),
    answer text CHECK (length(answer) <= 8000),
    answered_by bigint REFERENCES app_user (id),
    answered_at timestamptz
);
CREATE INDEX rfq_question_rfq_idx ON rfq_question (rfq_id, id);

-- Every published change of an RFQ: what changed (field by field), whether it was material.
CREATE TABLE rfq_amendment (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id) ON DELETE CASCADE,
    revision integer NOT NULL,
    material boolean NOT NULL,
    summary text NOT NULL CHECK (length(summary) BETWEEN 1 AND 2000),
    changes jsonb NOT NULL,
    closes_at_before timestamptz NOT NULL,
    closes_at_after timestamptz NOT NULL,
    created_by bigint NOT NULL REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (rfq_id, revision)
);

-- One bid per vendor and RFQ; its content lives in immutable versions. Bid writes never touch the rfq
-- row, so placing, changing or withdrawing a bid changes no public attribute of the RFQ.
CREATE TABLE bid (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id),
    vendor_id bigint NOT NULL REFERENCES company (id),
    status text NOT NULL DEFAULT 'submitted'
        CHECK (status IN ('submitted', 'withdrawn', 'needs_reconfirmation', 'rejected')),
    -- The RFQ revision the live version answers; after a material amendment it must be re-confirmed.
    rfq_revision integer NOT NULL,
    current_version integer NOT NULL DEFAULT 1,
    -- Negotiation (RFQ) and best-and-final-offer (tender): whose turn it is, and the round.
    turn text NOT NULL DEFAULT 'buyer' CHECK (turn IN ('buyer', 'vendor')),
    round integer NOT NULL DEFAULT 1,
    -- The vendor's deadline for a revised quote the buyer asked for (negotiation) or a final offer (BAFO).
    respond_by timestamptz,
    shortlisted boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT bid_one_per_vendor UNIQUE (rfq_id, vendor_id)
);
CREATE INDEX bid_vendor_idx ON bid (vendor_id, created_at DESC);

CREATE TABLE bid_version (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bid_id bigint NOT NULL REFERENCES bid (id),
    version integer NOT NULL,
    author text NOT NULL DEFAULT 'vendor' CHECK (author IN ('vendor', 'buyer')),
    round integer NOT NULL DEFAULT 1,
    rfq_revision integer NOT NULL,
    submitted_by bigint NOT NULL REFERENCES app_user (id),
    submitted_at timestamptz NOT NULL,
    -- The deadline this version had to make; sealed content may be decrypted from this instant on.
    opens_at timestamptz NOT NULL,
    -- Exactly one of: plaintext content (RFQ quotes, buyer counter-offers) or sealed (tender bids).
    content jsonb,
    sealed bytea,
    content_sha256 text NOT NULL,
    idempotency_key text,
    note text CHECK (length(note) <= 2000),
    UNIQUE (bid_id, version),
    CONSTRAINT bid_version_content_xor CHECK ((content IS NULL) <> (sealed IS NULL))
);
CREATE UNIQUE INDEX bid_version_idempotency_key ON bid_version (bid_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;

-- The deadline is checked again when the transaction commits, on the referee clock: a bid is accepted
-- only if it commits before the deadline instant (half-open: at the instant is late).
CREATE FUNCTION bid_version_on_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.author = 'vendor' AND rfq_clock() >= NEW.opens_at THEN
        RAISE EXCEPTION 'bid received at or after its deadline %', NEW.opens_at
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bid_version_on_time';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER bid_version_on_time AFTER INSERT ON bid_version
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bid_version_on_time();

CREATE TABLE bid_status_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bid_id bigint NOT NULL REFERENCES bid (id),
    from_status text,
    to_status text NOT NULL,
    actor_user_id bigint REFERENCES app_user (id),
    reason text,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bid_status_history_bid_idx ON bid_status_history (bid_id, id);

-- Bid attachments are stored encrypted with the RFQ's key when the procedure is sealed.
CREATE TABLE bid_attachment (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    bid_id bigint NOT NULL REFERENCES bid (id),
    storage_key text NOT NULL,
    filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
    content_type text NOT NULL,
    size_bytes bigint NOT NULL,
    sha256 text NOT NULL,
    sealed boolean NOT NULL,
    uploaded_by bigint NOT NULL REFERENCES app_user (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bid_attachment_bid_idx ON bid_attachment (bid_id);

-- The buyer's decision, per line: quantities split between vendors, prices locked from the bid version.
CREATE TABLE award (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    rfq_id bigint NOT NULL REFERENCES rfq (id),
    justification text NOT NULL CHECK (length(justification) BETWEEN 1 AND 4000),
    decided_by bigint NOT NULL REFERENCES app_user (id),
    decided_at timestamptz NOT NULL DEFAULT now(),
    final_at timestamptz NOT NULL,
    evaluation jsonb NOT NULL DEFAULT '{}',
    CONSTRAINT award_one_per_rfq UNIQUE (rfq_id)
);

CREATE TABLE award_line (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    award_id bigint NOT NULL REFERENCES award (id),
    rfq_id bigint NOT NULL REFERENCES rfq (id),
    line_id bigint NOT NULL REFERENCES rfq_line (id),
    bid_id bigint NOT NULL REFERENCES bid (id),
    vendor_id bigint NOT NULL REFERENCES company (id),
    bid_version integer NOT NULL,
    quantity bigint NOT NULL CHECK (quantity > 0),
    currency char(3) NOT NULL,
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    price_basis integer NOT NULL CHECK (price_basis >= 1),
    line_total_minor bigint NOT NULL,
    lead_time_days integer,
    UNIQUE (award_id, line_id, bid_id)
);
CREATE INDEX award_line_vendor_idx ON award_line (vendor_id);

-- In-app notifications, one row per recipient user. Never carries sealed data.
CREATE TABLE notification (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES app_user (id),
    company_id bigint NOT NULL REFERENCES company (id),
    kind text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    link text,
    -- One notification per (user, key): jobs and retries may run twice.
    dedupe_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    UNIQUE (user_id, dedupe_key)
);
CREATE INDEX notification_user_idx ON notification (user_id, created_at DESC);

-- migrate:down
DROP TABLE notification, award_line, award, bid_attachment, bid_status_history, bid_version, bid,
    rfq_amendment, rfq_question, rfq_invitation, rfq_attachment, rfq_line, rfq_lot, rfq_status_history, rfq;
DROP FUNCTION bid_version_on_time();
DROP FUNCTION rfq_clock();
DROP TYPE rfq_visibility, rfq_status, rfq_kind;
ALTER TABLE company DROP COLUMN rfq_approval_required;
