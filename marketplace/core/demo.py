"""What a domain's demo-data step reports back (the runner is marketplace/demo.py)."""

from __future__ import annotations

import msgspec


class DemoAccount(msgspec.Struct, frozen=True, kw_only=True):
    """A sign-in printed by ``./dev run`` (development only)."""

    role: str
    email: str
    password: str
