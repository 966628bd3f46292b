"""Demo data for ``./dev run`` and ``./dev seed``: idempotent, so a second run changes nothing.

Each domain contributes a seeding step once it has data worth showing; steps run in one transaction
under an advisory lock, so two processes seeding at once cannot duplicate anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from marketplace.accounts.demo import seed_accounts
from marketplace.core.db import Connection
from marketplace.core.demo import DemoAccount
from vendors.demo import seed_catalogs

SEED_LOCK_KEY = 0x7E5EED  # pg_advisory_xact_lock key for seeding


SeedStep = Callable[[Connection], Awaitable[list[DemoAccount]]]


def seed_steps() -> list[SeedStep]:
    """Each domain's demo data, in dependency order (companies before catalogs)."""
    return [seed_accounts, seed_catalogs]


async def seed(conn: Connection) -> list[DemoAccount]:
    """Load all demo data; returns the demo accounts. Safe to run any number of times."""
    accounts: list[DemoAccount] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", SEED_LOCK_KEY)
        for step in seed_steps():
            accounts.extend(await step(conn))
    return accounts
