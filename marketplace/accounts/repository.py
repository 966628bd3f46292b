"""SQL of the accounts domain. Every read of company data takes the company as a keyword argument."""

from __future__ import annotations

from datetime import datetime, timedelta

from marketplace.accounts.models import (
    Address,
    ApiToken,
    Company,
    CompanyStatus,
    Invitation,
    Member,
    MembershipSummary,
    StatusChange,
    User,
)
from marketplace.core.db import Connection

COMPANY_COLUMNS = """id, kind, legal_name, country, vat_id, registration_number, status, status_reason,
    info_requested, operator_note, version, created_at"""

# ------------------------------------------------------------------ companies

INSERT_COMPANY = f"""
INSERT INTO company (kind, legal_name, country, vat_id, registration_number)
VALUES ($1, $2, $3, $4, $5)
RETURNING {COMPANY_COLUMNS}
"""


async def insert_company(
    conn: Connection, *, kind: str, legal_name: str, country: str, vat_id: str | None, registration_number: str | None
) -> Company:
    row = await conn.fetchrow(INSERT_COMPANY, kind, legal_name, country, vat_id, registration_number)
    assert row is not None
    return Company(**row)


GET_COMPANY = f"SELECT {COMPANY_COLUMNS} FROM company WHERE id = $1"


async def get_company(conn: Connection, company_id: int) -> Company | None:
    row = await conn.fetchrow(GET_COMPANY, company_id)
    return Company(**row) if row else None


LOCK_COMPANY = f"SELECT {COMPANY_COLUMNS} FROM company WHERE id = $1 FOR UPDATE"


async def lock_company(conn: Connection, company_id: int) -> Company | None:
    row = await conn.fetchrow(LOCK_COMPANY, company_id)
    return Company(**row) if row else None


SET_COMPANY_STATUS = f"""
UPDATE company SET status = $2, status_reason = $3, info_requested = false, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $4
RETURNING {COMPANY_COLUMNS}
"""


async def set_company_status(
    conn: Connection, company_id: int, status: CompanyStatus, reason: str | None, *, version: int
) -> Company | None:
    row = await conn.fetchrow(SET_COMPANY_STATUS, company_id, status, reason, version)
    return Company(**row) if row else None


SET_INFO_REQUESTED = f"""
UPDATE company SET info_requested = true, status_reason = $2, version = version + 1, updated_at = now()
WHERE id = $1 AND version = $3
RETURNING {COMPANY_COLUMNS}
"""


async def set_info_requested(conn: Connection, company_id: int, reason: str, *, version: int) -> Company | None:
    row = await conn.fetchrow(SET_INFO_REQUESTED, company_id, reason, version)
    return Company(**row) if row else None


SET_OPERATOR_NOTE = "UPDATE company SET operator_note = $2, updated_at = now() WHERE id = $1"


async def set_operator_note(conn: Connection, company_id: int, note: str) -> None:
    await conn.execute(SET_OPERATOR_NOTE, company_id, note)


SET_COMPANY_PROFILE = f"""
UPDATE company
SET legal_name = $2, vat_id = $3, registration_number = $4, info_requested = false,
    version = version + 1, updated_at = now()
WHERE id = $1
RETURNING {COMPANY_COLUMNS}
"""


async def set_company_profile(
    conn: Connection, *, company_id: int, legal_name: str, vat_id: str | None, registration_number: str | None
) -> Company:
    row = await conn.fetchrow(SET_COMPANY_PROFILE, company_id, legal_name, vat_id, registration_number)
    assert row is not None
    return Company(**row)


INSERT_STATUS_HISTORY = """
INSERT INTO company_status_history (company_id, from_status, to_status, reason, actor_user_id)
VALUES ($1, $2, $3, $4, $5)
"""


async def insert_status_history(
    conn: Connection,
    company_id: int,
    from_status: CompanyStatus | None,
    to_status: CompanyStatus,
    reason: str | None,
    actor_user_id: int | None,
) -> None:
    await conn.execute(INSERT_STATUS_HISTORY, company_id, from_status, to_status, reason, actor_user_id)


LIST_STATUS_HISTORY = """
SELECT from_status, to_status, reason, actor_user_id, at FROM company_status_history
WHERE company_id = $1 ORDER BY at, id
"""


async def list_status_history(conn: Connection, company_id: int) -> list[StatusChange]:
    return [StatusChange(**r) for r in await conn.fetch(LIST_STATUS_HISTORY, company_id)]


SEARCH_COMPANIES = f"""
SELECT {COMPANY_COLUMNS}, count(*) OVER () AS total
FROM company
WHERE ($1::company_status IS NULL OR status = $1)
  AND ($2::text IS NULL OR lower(legal_name) LIKE '%' || lower($2) || '%' OR vat_id = upper($2)
       OR EXISTS (SELECT 1 FROM membership m JOIN app_user u ON u.id = m.user_id
                  WHERE m.company_id = company.id AND lower(u.email) = lower($2)))
ORDER BY (status = 'pending') DESC, created_at
LIMIT $3 OFFSET $4
"""


async def search_companies(
    conn: Connection, *, status: CompanyStatus | None, query: str | None, limit: int, offset: int
) -> tuple[list[Company], int]:
    """Operators only: companies by status and name, VAT ID or member email; a page and the total."""
    rows = await conn.fetch(SEARCH_COMPANIES, status, query, limit, offset)
    total = rows[0]["total"] if rows else 0
    return [Company(**{k: v for k, v in r.items() if k != "total"}) for r in rows], total


# ------------------------------------------------------------------ addresses

ADDRESS_COLUMNS = "id, company_id, kind, label, recipient, line1, line2, postal_code, city, country, is_default"

LIST_ADDRESSES = f"SELECT {ADDRESS_COLUMNS} FROM address WHERE company_id = $1 ORDER BY kind, is_default DESC, id"


async def list_addresses(conn: Connection, *, company_id: int) -> list[Address]:
    return [Address(**r) for r in await conn.fetch(LIST_ADDRESSES, company_id)]


GET_ADDRESS = f"SELECT {ADDRESS_COLUMNS} FROM address WHERE id = $1 AND company_id = $2"


async def get_address(conn: Connection, address_id: int, *, company_id: int) -> Address | None:
    row = await conn.fetchrow(GET_ADDRESS, address_id, company_id)
    return Address(**row) if row else None


INSERT_ADDRESS = f"""
INSERT INTO address (company_id, kind, label, recipient, line1, line2, postal_code, city, country, is_default)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,
        NOT EXISTS (SELECT 1 FROM address WHERE company_id = $1 AND kind = $2))
RETURNING {ADDRESS_COLUMNS}
"""


async def insert_address(
    conn: Connection,
    *,
    company_id: int,
    kind: str,
    label: str,
    recipient: str,
    line1: str,
    line2: str | None,
    postal_code: str,
    city: str,
    country: str,
) -> Address:
    """The first address of a kind becomes that kind's default."""
    row = await conn.fetchrow(
        INSERT_ADDRESS, company_id, kind, label, recipient, line1, line2, postal_code, city, country
    )
    assert row is not None
    return Address(**row)


CLEAR_DEFAULT = "UPDATE address SET is_default = false WHERE company_id = $1 AND kind = $2 AND is_default"
SET_DEFAULT = f"UPDATE address SET is_default = true WHERE id = $1 AND company_id = $2 RETURNING {ADDRESS_COLUMNS}"


async def set_default_address(conn: Connection, address: Address, *, company_id: int) -> Address:
    await conn.execute(CLEAR_DEFAULT, company_id, address.kind)
    row = await conn.fetchrow(SET_DEFAULT, address.id, company_id)
    assert row is not None
    return Address(**row)


# ------------------------------------------------------------------ users

USER_COLUMNS = "id, email, full_name, password_hash, is_operator, time_zone"

INSERT_USER = f"""
INSERT INTO app_user (email, full_name, password_hash, is_operator) VALUES ($1, $2, $3, $4)
RETURNING {USER_COLUMNS}
"""


async def insert_user(
    conn: Connection, *, email: str, full_name: str, password_hash: str, is_operator: bool = False
) -> User:
    row = await conn.fetchrow(INSERT_USER, email, full_name, password_hash, is_operator)
    assert row is not None
    return User(**row)


GET_USER_BY_EMAIL = f"SELECT {USER_COLUMNS} FROM app_user WHERE lower(email) = lower($1)"


async def get_user_by_email(conn: Connection, email: str) -> User | None:
    row = await conn.fetchrow(GET_USER_BY_EMAIL, email)
    return User(**row) if row else None


GET_USER = f"SELECT {USER_COLUMNS} FROM app_user WHERE id = $1"


async def get_user(conn: Connection, user_id: int) -> User | None:
    row = await conn.fetchrow(GET_USER, user_id)
    return User(**row) if row else None


SET_PASSWORD_HASH = "UPDATE app_user SET password_hash = $2 WHERE id = $1"


async def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    """Rehash with new parameters (same password): sessions stay valid."""
    await conn.execute(SET_PASSWORD_HASH, user_id, password_hash)


SET_PASSWORD = "UPDATE app_user SET password_hash = $2, password_changed_at = now() WHERE id = $1"


async def set_password(conn: Connection, user_id: int, password_hash: str) -> None:
    await conn.execute(SET_PASSWORD, user_id, password_hash)


SET_OPERATOR = "UPDATE app_user SET is_operator = true WHERE id = $1"


async def set_operator(conn: Connection, user_id: int) -> None:
    await conn.execute(SET_OPERATOR, user_id)


SEARCH_USERS = """
SELECT u.id, u.email, u.full_name, u.is_operator,
       coalesce(array_agg(c.legal_name ORDER BY c.legal_name) FILTER (WHERE c.id IS NOT NULL), '{}') AS companies
FROM app_user u
LEFT JOIN membership m ON m.user_id = u.id
LEFT JOIN company c ON c.id = m.company_id
WHERE lower(u.email) LIKE '%' || lower($1) || '%' OR lower(u.full_name) LIKE '%' || lower($1) || '%'
GROUP BY u.id
ORDER BY u.email
LIMIT 50
"""


async def search_users(conn: Connection, query: str) -> list[dict[str, object]]:
    """Operators only."""
    return [dict(r) for r in await conn.fetch(SEARCH_USERS, query)]


# ------------------------------------------------------------------ memberships

INSERT_MEMBERSHIP = """
INSERT INTO membership (user_id, company_id, roles) VALUES ($1, $2, $3)
ON CONFLICT (user_id, company_id) DO NOTHING
RETURNING user_id
"""


async def insert_membership(conn: Connection, *, user_id: int, company_id: int, roles: list[str]) -> bool:
    """False when the user is already a member."""
    return await conn.fetchval(INSERT_MEMBERSHIP, user_id, company_id, roles) is not None


MEMBER_COLUMNS = """m.user_id, u.email, u.full_name, m.roles, m.spending_limit_minor, m.spending_limit_currency,
    m.created_at"""

LIST_MEMBERS = f"""
SELECT {MEMBER_COLUMNS} FROM membership m JOIN app_user u ON u.id = m.user_id
WHERE m.company_id = $1 ORDER BY u.full_name, u.id
"""


async def list_members(conn: Connection, *, company_id: int) -> list[Member]:
    return [Member(**r) for r in await conn.fetch(LIST_MEMBERS, company_id)]


GET_MEMBER = f"""
SELECT {MEMBER_COLUMNS} FROM membership m JOIN app_user u ON u.id = m.user_id
WHERE m.company_id = $1 AND m.user_id = $2
"""


async def get_member(conn: Connection, user_id: int, *, company_id: int) -> Member | None:
    row = await conn.fetchrow(GET_MEMBER, company_id, user_id)
    return Member(**row) if row else None


LOCK_ADMIN_IDS = """
SELECT user_id FROM membership WHERE company_id = $1 AND 'admin' = ANY(roles) ORDER BY user_id FOR UPDATE
"""


async def lock_admin_ids(conn: Connection, *, company_id: int) -> set[int]:
    """The company's admins, locked in a stable order so two demotions cannot both pass the last-admin rule."""
    return {r["user_id"] for r in await conn.fetch(LOCK_ADMIN_IDS, company_id)}


SET_MEMBER = """
UPDATE membership SET roles = $3, spending_limit_minor = $4, spending_limit_currency = $5
WHERE company_id = $1 AND user_id = $2
"""


async def set_member(
    conn: Connection,
    user_id: int,
    *,
    company_id: int,
    roles: list[str],
    spending_limit_minor: int | None,
    spending_limit_currency: str | None,
) -> None:
    await conn.execute(SET_MEMBER, company_id, user_id, roles, spending_limit_minor, spending_limit_currency)


DELETE_MEMBERSHIP = "DELETE FROM membership WHERE company_id = $1 AND user_id = $2"


async def delete_membership(conn: Connection, user_id: int, *, company_id: int) -> None:
    await conn.execute(DELETE_MEMBERSHIP, company_id, user_id)


LIST_MEMBERSHIPS_OF_USER = """
SELECT c.id AS company_id, c.legal_name, c.kind, c.status, m.roles
FROM membership m JOIN company c ON c.id = m.company_id
WHERE m.user_id = $1 ORDER BY c.legal_name, c.id
"""


async def list_memberships_of_user(conn: Connection, user_id: int) -> list[MembershipSummary]:
    return [MembershipSummary(**r) for r in await conn.fetch(LIST_MEMBERSHIPS_OF_USER, user_id)]


# ------------------------------------------------------------------ sessions

INSERT_SESSION = """
INSERT INTO user_session (token_hash, user_id, company_id, expires_at, ip, user_agent)
VALUES ($1, $2, $3, now() + $4::interval, $5::inet, $6)
"""


async def insert_session(
    conn: Connection,
    *,
    token_hash: bytes,
    user_id: int,
    company_id: int | None,
    lifetime: timedelta,
    ip: str | None,
    user_agent: str | None,
) -> None:
    await conn.execute(INSERT_SESSION, token_hash, user_id, company_id, lifetime, ip, user_agent)


GET_LIVE_SESSION = """
SELECT s.user_id, s.company_id, s.last_seen_at, s.last_seen_at < now() - interval '1 minute' AS stale_seen,
       u.email, u.full_name, u.is_operator, u.time_zone
FROM user_session s JOIN app_user u ON u.id = s.user_id
WHERE s.token_hash = $1 AND s.expires_at > now() AND s.last_seen_at > now() - $2::interval
"""


async def get_live_session(conn: Connection, token_hash: bytes, *, idle_timeout: timedelta) -> dict[str, object] | None:
    """A session that is neither past its absolute expiry nor idle too long (judged by the database clock)."""
    row = await conn.fetchrow(GET_LIVE_SESSION, token_hash, idle_timeout)
    return dict(row) if row else None


TOUCH_SESSION = "UPDATE user_session SET last_seen_at = now() WHERE token_hash = $1"


async def touch_session(conn: Connection, token_hash: bytes) -> None:
    await conn.execute(TOUCH_SESSION, token_hash)


SET_SESSION_COMPANY = "UPDATE user_session SET company_id = $2 WHERE token_hash = $1"


async def set_session_company(conn: Connection, token_hash: bytes, company_id: int) -> None:
    await conn.execute(SET_SESSION_COMPANY, token_hash, company_id)


DELETE_SESSION = "DELETE FROM user_session WHERE token_hash = $1"


async def delete_session(conn: Connection, token_hash: bytes) -> None:
    await conn.execute(DELETE_SESSION, token_hash)


DELETE_USER_SESSIONS = "DELETE FROM user_session WHERE user_id = $1"


async def delete_user_sessions(conn: Connection, user_id: int) -> None:
    await conn.execute(DELETE_USER_SESSIONS, user_id)


PURGE_SESSIONS = "DELETE FROM user_session WHERE expires_at <= now() OR last_seen_at <= now() - $1::interval"


async def purge_sessions(conn: Connection, *, idle_timeout: timedelta) -> int:
    status = await conn.execute(PURGE_SESSIONS, idle_timeout)
    return int(status.split()[-1])


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


USE_TOKEN = """
WITH old AS (
    SELECT id, last_used_at FROM api_token
    WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()
    FOR UPDATE
)
UPDATE api_token t SET last_used_at = now()
FROM old, company c, app_user u
WHERE t.id = old.id AND c.id = t.company_id AND u.id = t.created_by
RETURNING t.id, t.company_id, t.roles, c.kind, c.status, u.id AS user_id, u.email, u.full_name,
          (old.last_used_at IS NULL OR old.last_used_at < now() - interval '1 hour') AS first_use_this_hour
"""


async def use_api_token(conn: Connection, token_hash: bytes) -> dict[str, object] | None:
    """A live token (not revoked, not expired) with its company; records the time of use."""
    row = await conn.fetchrow(USE_TOKEN, token_hash)
    return dict(row) if row else None
