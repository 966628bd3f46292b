"""Domain errors with stable dotted codes, and the constraint-name → domain-error mapping.

Services raise these; only ``api.py`` and ``web/`` turn them into HTTP responses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import asyncpg


class DomainError(Exception):
    """A business rule said no. ``code`` is stable and documented (docs/errors.md)."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"

    def __init__(self, code: str, detail: str, *, field: str | None = None, **data: Any) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.data = data


class NotFound(DomainError):
    """The object does not exist *for this caller*: not yours and not found are the same answer."""

    status = 404
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class StaleWrite(Conflict):
    """A compare-and-set on ``version`` lost: someone else changed the object first."""

    title = "Changed by someone else"


class InvalidTransition(Conflict):
    title = "Not allowed in the current state"


class RuleViolation(DomainError):
    status = 422
    title = "Rule violated"


class FieldErrors(RuleViolation):
    """Several problems at once, each with its field (``variants[2].gtin``), for forms, APIs and imports."""

    def __init__(self, errors: dict[str, str], *, code: str = "request.invalid") -> None:
        first_field, first_reason = next(iter(errors.items()))
        super().__init__(code, f"{first_field}: {first_reason}", field=first_field)
        self.errors = errors


class Unavailable(DomainError):
    """A dependency we need right now (search, a payment provider) is not reachable."""

    status = 503
    title = "Temporarily unavailable"


ConstraintErrors = Mapping[str, Callable[[asyncpg.IntegrityConstraintViolationError], DomainError]]


def domain_error_for(
    exc: asyncpg.IntegrityConstraintViolationError, constraints: ConstraintErrors
) -> DomainError | None:
    """The domain error a violated constraint stands for, looked up by constraint name (never message text)."""
    name = getattr(exc, "constraint_name", None)
    if name is None:
        return None
    factory = constraints.get(name)
    return factory(exc) if factory is not None else None
