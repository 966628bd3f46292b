"""Pure rules of the accounts domain: passwords, VAT IDs, roles, status transitions. No I/O."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from marketplace.accounts.models import BUYER_ROLES, TRANSITIONS, VENDOR_ROLES, CompanyKind, CompanyStatus, Role

PASSWORD_MIN = 12
PASSWORD_MAX = 128


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why ``password`` is not acceptable, or None. Length 12-128, not common, not guessable."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password) > PASSWORD_MAX:
        return f"Use at most {PASSWORD_MAX} characters."
    if password.lower() in _common_passwords():
        return "This password is on the list of commonly used passwords; choose another."
    user_inputs = [s for s in (email, email.split("@")[0], name) if s]
    result = zxcvbn(password, user_inputs=user_inputs)
    if result["score"] < 3:
        hint = result["feedback"].get("warning") or "It is too easy to guess."
        return f"{hint.rstrip('.')}. Add more words or characters that do not belong together."
    return None


def normalise_vat_id(value: str) -> str:
    return "".join(ch for ch in value.upper() if ch.isalnum())


def vat_id_problem(country: str, vat_id: str) -> str | None:
    """Format and check digits of an EU VAT ID (python-stdnum); the prefix must match the country."""
    compact = normalise_vat_id(vat_id)
    prefix = "EL" if country == "GR" else country
    if not compact.startswith(prefix):
        return f"A VAT ID of a company in {country} starts with {prefix}."
    try:
        eu_vat.validate(compact)
    except StdnumError as exc:
        return f"This is not a valid VAT ID ({str(exc).rstrip('.').lower()})."
    return None


def vat_country_supported(country: str) -> bool:
    return country.lower() in eu_vat.MEMBER_STATES or country == "GR"


def roles_for(kind: CompanyKind) -> frozenset[str]:
    if kind == CompanyKind.BUYER:
        return frozenset(BUYER_ROLES)
    if kind == CompanyKind.VENDOR:
        return frozenset(VENDOR_ROLES)
    return frozenset(BUYER_ROLES | VENDOR_ROLES)


def invalid_roles(kind: CompanyKind, roles: Iterable[str]) -> list[str]:
    allowed = roles_for(kind)
    return sorted(r for r in roles if r not in allowed)


def can_transition(current: CompanyStatus, target: CompanyStatus) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def can_trade(status: CompanyStatus | str | None) -> bool:
    """Only verified companies publish listings, post RFQs or order."""
    return status == CompanyStatus.VERIFIED


def can_sign_in_to(status: CompanyStatus | str | None) -> bool:
    """Suspended companies cannot be entered; pending and rejected ones can (to complete the profile)."""
    return status != CompanyStatus.SUSPENDED


def leaves_an_admin(admin_ids: set[int], user_id: int, new_roles: Iterable[str] | None) -> bool:
    """Would the company still have an admin if ``user_id`` got ``new_roles`` (None: removed)?"""
    remaining = set(admin_ids)
    remaining.discard(user_id)
    if new_roles is not None and Role.ADMIN in set(new_roles):
        remaining.add(user_id)
    return bool(remaining)
