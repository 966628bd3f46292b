"""Error codes of the accounts domain and the constraints they stand for (docs/errors.md)."""

from __future__ import annotations

from marketplace.core.errors import Conflict, ConstraintErrors, DomainError

ADMIN_ONLY = "Only an admin of this company can do this."


class NotAuthenticated(DomainError):
    status = 401
    title = "Sign-in required"

    def __init__(self, detail: str = "Please sign in.") -> None:
        super().__init__("auth.required", detail)


CONSTRAINT_ERRORS: ConstraintErrors = {
    "company_vat_id_key": lambda exc: Conflict(
        "company.vat_id_taken", "A company with this VAT ID is already registered.", field="vat_id"
    ),
    "app_user_email_key": lambda exc: Conflict(
        "user.email_taken",
        "An account with this email already exists. Sign in, or reset your password.",
        field="email",
    ),
}
