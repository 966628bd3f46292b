"""The audit log is append-only: the application's role lacks the privilege, and a trigger refuses anyway."""

from __future__ import annotations

import asyncpg
import pytest

from marketplace.core import audit
from marketplace.core.db import Connection


async def test_audit_rows_cannot_be_changed_or_deleted(conn: Connection) -> None:
    await audit.record(conn, "auth.sign_in", actor_email="someone@example.test", ip="203.0.113.7")
    row_id = await conn.fetchval("SELECT max(id) FROM audit_log")
    for statement in (
        "UPDATE audit_log SET action = 'nothing' WHERE id = $1",
        "DELETE FROM audit_log WHERE id = $1",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
            async with conn.transaction():
                await conn.execute(statement, row_id)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with conn.transaction():
            await conn.execute("TRUNCATE audit_log")
    assert await conn.fetchval("SELECT host(ip) FROM audit_log WHERE id = $1", row_id) == "203.0.113.7"


async def test_even_the_owner_cannot_rewrite_audit_rows(owner_conn: Connection) -> None:
    """Second line of defence: a trigger refuses changes for every role, the owner included."""
    tx = owner_conn.transaction()
    await tx.start()
    try:
        # A row to refuse: the trigger fires per row, so an empty log would prove nothing.
        await audit.record(owner_conn, "auth.sign_in", actor_email="owner-test@example.test")
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await owner_conn.execute("DELETE FROM audit_log")
    finally:
        await tx.rollback()
