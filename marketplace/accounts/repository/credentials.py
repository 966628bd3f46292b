"""SQL of the accounts domain: Invitations, password resets and API tokens: secrets stored only as hashes."""

from __future__ import annotations

from datetime import datetime, timedelta

from marketplace.accounts.models import (
    ApiToken,
    Invitation,
)
from marketplace.core.db import Connection

# ------------------------------------------------------------------ invitations

INVITATION_COLUMNS = "id, company_id, email, roles, expires_at, accepted_at, revoked_at, created_at"

INSERT_INVITATION = f"""
INSERT INTO invitation (company_id, email, roles, token_hash, invited_by, expires_at)
VALUES ($1, $2, $3, $4, $5, now() + $6::interval)
RETURNING {INVITATION_COLUMNS}
"""


async def insert_invitation(
    conn: Connection,
    *,
    company_id: int,
    email: str,
    roles: list[str],
    token_hash: bytes,
    invited_by: int,
    lifetime: timedelta,
) -> Invitation:
    row = await conn.fetchrow(INSERT_INVITATION, company_id, email, roles, token_hash, invited_by, lifetime)
    assert row is not None
    return Invitation(**row)


LOCK_INVITATION_BY_TOKEN = f"""
SELECT {INVITATION_COLUMNS}, expires_at <= now() AS expired FROM invitation WHERE token_hash = $1 FOR UPDATE
"""


async def lock_invitation_by_token(conn: Connection, token_hash: bytes) -> tuple[Invitation, bool] | None:
    """The invitation and whether it has expired (database clock)."""
    row = await conn.fetchrow(LOCK_INVITATION_BY_TOKEN, token_hash)
    if row is None:
        return None
    return Invitation(**{k: v for k, v in row.items() if k != "expired"}), bool(row["expired"])


SET_INVITATION_ACCEPTED = "UPDATE invitation SET accepted_at = now(), accepted_by = $2 WHERE id = $1"


async def set_invitation_accepted(conn: Connection, invitation_id: int, user_id: int) -> None:
    await conn.execute(SET_INVITATION_ACCEPTED, invitation_id, user_id)


LIST_OPEN_INVITATIONS = f"""
SELECT {INVITATION_COLUMNS} FROM invitation
WHERE company_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()
ORDER BY created_at DESC
"""


async def list_open_invitations(conn: Connection, *, company_id: int) -> list[Invitation]:
    return [Invitation(**r) for r in await conn.fetch(LIST_OPEN_INVITATIONS, company_id)]


GET_INVITATION = f"SELECT {INVITATION_COLUMNS} FROM invitation WHERE id = $1 AND company_id = $2"


async def get_invitation(conn: Connection, invitation_id: int, *, company_id: int) -> Invitation | None:
    row = await conn.fetchrow(GET_INVITATION, invitation_id, company_id)
    return Invitation(**row) if row else None


REVOKE_INVITATION = """
UPDATE invitation SET revoked_at = now()
WHERE id = $1 AND company_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL
RETURNING id
"""


async def revoke_invitation(conn: Connection, invitation_id: int, *, company_id: int) -> bool:
    return await conn.fetchval(REVOKE_INVITATION, invitation_id, company_id) is not None


# ------------------------------------------------------------------ password resets

INSERT_RESET = "INSERT INTO password_reset (token_hash, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)"


async def insert_password_reset(conn: Connection, *, token_hash: bytes, user_id: int, lifetime: timedelta) -> None:
    await conn.execute(INSERT_RESET, token_hash, user_id, lifetime)


USE_RESET = """
UPDATE password_reset SET used_at = now()
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
RETURNING user_id
"""


async def use_password_reset(conn: Connection, token_hash: bytes) -> int | None:
    """Consume a reset token once; None when unknown, used or expired."""
    value = await conn.fetchval(USE_RESET, token_hash)
    return int(value) if value is not None else None


CHECK_RESET = "SELECT 1 FROM password_reset WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()"


async def password_reset_is_live(conn: Connection, token_hash: bytes) -> bool:
    return await conn.fetchval(CHECK_RESET, token_hash) is not None


# ------------------------------------------------------------------ API tokens

TOKEN_COLUMNS = "id, company_id, name, prefix, roles, expires_at, revoked_at, last_used_at, created_at"

INSERT_TOKEN = f"""
INSERT INTO api_token (company_id, name, prefix, token_hash, roles, created_by, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING {TOKEN_COLUMNS}
"""


async def insert_api_token(
    conn: Connection,
    *,
    company_id: int,
    name: str,
    prefix: str,
    token_hash: bytes,
    roles: list[str],
    created_by: int,
    expires_at: datetime,
) -> ApiToken:
    row = await conn.fetchrow(INSERT_TOKEN, company_id, name, prefix, token_hash, roles, created_by, expires_at)
    assert row is not None
    return ApiToken(**row)


LIST_TOKENS = f"SELECT {TOKEN_COLUMNS} FROM api_token WHERE company_id = $1 ORDER BY created_at DESC, id DESC"


async def list_api_tokens(conn: Connection, *, company_id: int) -> list[ApiToken]:
    return [ApiToken(**r) for r in await conn.fetch(LIST_TOKENS, company_id)]


GET_TOKEN = f"SELECT {TOKEN_COLUMNS} FROM api_token WHERE id = $1 AND company_id = $2"


async def get_api_token(conn: Connection, token_id: int, *, company_id: int) -> ApiToken | None:
    row = await conn.fetchrow(GET_TOKEN, token_id, company_id)
    return ApiToken(**row) if row else None


REVOKE_TOKEN = f"""
UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND company_id = $2
RETURNING {TOKEN_COLUMNS}
"""


async def revoke_api_token(conn: Connection, token_id: int, *, company_id: int) -> ApiToken | None:
    row = await conn.fetchrow(REVOKE_TOKEN, token_id, company_id)
    return ApiToken(**row) if row else None


# Reading a token takes no lock: concurrent requests with one token (an ERP syncing in parallel) must not
# queue behind each other's transactions. ``last_used_at`` is refreshed at most once a minute (as a
# session's ``last_seen_at``), by whichever request gets the row lock; the others skip it rather than wait.
USE_TOKEN = """
WITH live AS (
    SELECT id, company_id, roles, created_by FROM api_token
    WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
), claimed AS (
    SELECT id, last_used_at FROM api_token
    WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
      AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
    FOR UPDATE SKIP LOCKED
), touched AS (
    UPDATE api_token t SET last_used_at = now() FROM claimed WHERE t.id = claimed.id
    RETURNING t.id, (claimed.last_used_at IS NULL OR claimed.last_used_at < now() - interval '1 hour') AS first_use
)
SELECT live.id, live.company_id, live.roles, c.kind, c.status, u.id AS user_id, u.email, u.full_name, u.time_zone,
       coalesce(touched.first_use, false) AS first_use_this_hour
FROM live JOIN company c ON c.id = live.company_id JOIN app_user u ON u.id = live.created_by
LEFT JOIN touched ON touched.id = live.id
"""


async def use_api_token(conn: Connection, token_hash: bytes) -> dict[str, object] | None:
    """A live token (not revoked, not expired) with its company; records the time of use (to the minute)."""
    row = await conn.fetchrow(USE_TOKEN, token_hash)
    return dict(row) if row else None
