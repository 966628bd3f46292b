"""Who is asking: resolved once per request from a session cookie or an API token."""

from __future__ import annotations

from typing import TypeAlias

import msgspec
from litestar.di import NamedDependency

from marketplace.core.errors import NotFound


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """The caller. ``company_id`` scopes every read and write of company data."""

    user_id: int
    email: str
    full_name: str
    company_id: int | None
    company_kind: str | None = None
    company_status: str | None = None
    roles: frozenset[str] = frozenset()
    is_operator: bool = False
    via_token: int | None = None
    """The API token id when a machine client is calling; None for people."""
    ip: str | None = None
    time_zone: str = "UTC"

    def has_any(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


def require_operator(actor: Actor) -> None:
    """Operator use cases do not exist for anyone else: raises ``NotFound``, as an unknown page would."""
    if not actor.is_operator:
        raise NotFound("resource.not_found", "Not found.")


# How handlers ask for the caller: ``actor: CurrentActor`` (sign-in required) or ``maybe_actor: MaybeActor``.
# The providers live in marketplace/security.py (session cookie for pages, bearer token for the API).
CurrentActor: TypeAlias = NamedDependency[Actor]
MaybeActor: TypeAlias = NamedDependency[Actor | None]
