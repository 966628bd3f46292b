-- migrate:up
-- Attachments of requests, their lines and of bids (issue 6). See docs/rfq.md, "Attachments".

-- Request files are versioned with the request: those added after publication come with an amendment
-- (added_in: the revision that added them), and a removal after publication only marks them
-- (removed_in), as lines are never deleted after publication.
ALTER TABLE rfq_attachment
    ADD COLUMN added_in integer NOT NULL DEFAULT 1,
    ADD COLUMN removed_in integer;
-- A draft's lines are replaced as a whole when the draft is edited; its line files are moved to the new
-- line at the same position (rfq/repository/rfqs.py replace_lines), or become files of the whole request.
ALTER TABLE rfq_attachment
    DROP CONSTRAINT rfq_attachment_line_id_fkey,
    ADD CONSTRAINT rfq_attachment_line_id_fkey FOREIGN KEY (line_id) REFERENCES rfq_line (id) ON DELETE SET NULL;
CREATE INDEX rfq_attachment_line_idx ON rfq_attachment (line_id) WHERE line_id IS NOT NULL;

-- Sealed bid files keep nothing readable in the clear: their name, type, size and hash are sealed
-- together (sealed_meta, AES-GCM with the tender's key), and the bytes on disk are ciphertext.
ALTER TABLE bid_attachment
    ALTER COLUMN filename DROP NOT NULL,
    ALTER COLUMN content_type DROP NOT NULL,
    ALTER COLUMN size_bytes DROP NOT NULL,
    ALTER COLUMN sha256 DROP NOT NULL,
    ADD COLUMN sealed_meta bytea,
    -- The deadline the file had to make (the RFQ's, or a round's); others may read it from this instant.
    ADD COLUMN opens_at timestamptz,
    -- Removed by its vendor before the deadline; the row and the bytes stay for the audit.
    ADD COLUMN removed_at timestamptz,
    ADD CONSTRAINT bid_attachment_sealed_xor CHECK (
        CASE WHEN sealed
            THEN sealed_meta IS NOT NULL AND filename IS NULL AND content_type IS NULL AND size_bytes IS NULL
                 AND sha256 IS NULL
            ELSE sealed_meta IS NULL AND filename IS NOT NULL AND content_type IS NOT NULL
                 AND size_bytes IS NOT NULL AND sha256 IS NOT NULL
        END);
UPDATE bid_attachment a SET opens_at = r.closes_at FROM bid b JOIN rfq r ON r.id = b.rfq_id WHERE b.id = a.bid_id;
ALTER TABLE bid_attachment ALTER COLUMN opens_at SET NOT NULL;

-- As for bid versions: a file is attached, or removed, only if its transaction commits before the
-- deadline on the referee clock (half-open: at the instant is late).
CREATE FUNCTION bid_attachment_on_time() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF rfq_clock() >= NEW.opens_at THEN
        RAISE EXCEPTION 'bid attachment changed at or after its deadline %', NEW.opens_at
            USING ERRCODE = 'check_violation', CONSTRAINT = 'bid_attachment_on_time';
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER bid_attachment_on_time AFTER INSERT OR UPDATE ON bid_attachment
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bid_attachment_on_time();

-- migrate:down
DROP TRIGGER bid_attachment_on_time ON bid_attachment;
DROP FUNCTION bid_attachment_on_time();
DELETE FROM bid_attachment WHERE sealed;
ALTER TABLE bid_attachment
    DROP CONSTRAINT bid_attachment_sealed_xor,
    DROP COLUMN removed_at,
    DROP COLUMN opens_at,
    DROP COLUMN sealed_meta,
    ALTER COLUMN filename SET NOT NULL,
    ALTER COLUMN content_type SET NOT NULL,
    ALTER COLUMN size_bytes SET NOT NULL,
    ALTER COLUMN sha256 SET NOT NULL;
DROP INDEX rfq_attachment_line_idx;
ALTER TABLE rfq_attachment
    DROP CONSTRAINT rfq_attachment_line_id_fkey,
    ADD CONSTRAINT rfq_attachment_line_id_fkey FOREIGN KEY (line_id) REFERENCES rfq_line (id) ON DELETE CASCADE,
    DROP COLUMN removed_in,
    DROP COLUMN added_in;
