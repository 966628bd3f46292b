"""SQL of the accounts domain: Users, memberships and sessions."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.models import (
    Member,
    MembershipSummary,
    User,
)
from marketplace.core.db import Connection

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
