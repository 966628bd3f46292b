"""``python -m marketplace ensure-app-role``: the database login role the application connects as.

Run after migrations, with the owner's URL (``TRADEYARD_OWNER_DATABASE_URL``). It creates (or updates
the password of) the user named in ``TRADEYARD_DATABASE_URL`` and makes it a member of
``tradeyard_rw`` (see migrations/20261122000003_app_role.sql): data access only, audit log append-only.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import asyncpg

GROUP = "tradeyard_rw"


async def ensure_app_role(owner_url: str, app_url: str) -> str:
    parts = urlsplit(app_url)
    user, password = unquote(parts.username or ""), unquote(parts.password or "")
    if not user or not password:
        raise ValueError("TRADEYARD_DATABASE_URL must name a user and a password")
    owner = urlsplit(owner_url)
    if unquote(owner.username or "") == user:
        raise ValueError("the application must not connect as the owner role")
    conn = await asyncpg.connect(owner_url)
    try:
        ident = await conn.fetchval("SELECT quote_ident($1)", user)
        literal = await conn.fetchval("SELECT quote_literal($1)", password)
        exists = await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", user)
        verb = "ALTER" if exists else "CREATE"
        # Identifiers and literals quoted by the server itself; DDL cannot take bind parameters.
        await conn.execute(f"{verb} ROLE {ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {literal}")
        await conn.execute(f"GRANT {GROUP} TO {ident}")
    finally:
        await conn.close()
    return user
