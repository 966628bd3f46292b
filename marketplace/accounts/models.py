"""Records and enums of the accounts domain, and the company status machine as data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import msgspec


class CompanyKind(StrEnum):
    BUYER = "buyer"
    VENDOR = "vendor"
    BOTH = "both"


class CompanyStatus(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class Role(StrEnum):
    ADMIN = "admin"
    BUYER = "buyer"
    APPROVER = "approver"
    REQUESTER = "requester"
    VIEWER = "viewer"
    CATALOG_MANAGER = "catalog_manager"
    SALES = "sales"


BUYER_ROLES = frozenset({Role.ADMIN, Role.BUYER, Role.APPROVER, Role.REQUESTER, Role.VIEWER})
VENDOR_ROLES = frozenset({Role.ADMIN, Role.CATALOG_MANAGER, Role.SALES})

# Which status an operator decision may move a company to, from where.
TRANSITIONS: dict[CompanyStatus, frozenset[CompanyStatus]] = {
    CompanyStatus.PENDING: frozenset({CompanyStatus.VERIFIED, CompanyStatus.REJECTED}),
    CompanyStatus.REJECTED: frozenset({CompanyStatus.PENDING, CompanyStatus.VERIFIED}),
    CompanyStatus.VERIFIED: frozenset({CompanyStatus.SUSPENDED}),
    CompanyStatus.SUSPENDED: frozenset({CompanyStatus.VERIFIED}),
}


class AddressKind(StrEnum):
    BILL_TO = "bill_to"
    SHIP_TO = "ship_to"


class Company(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: CompanyKind
    legal_name: str
    country: str
    vat_id: str | None
    registration_number: str | None
    status: CompanyStatus
    status_reason: str | None
    info_requested: bool
    operator_note: str | None
    version: int
    created_at: datetime


class Address(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    company_id: int
    kind: AddressKind
    label: str
    recipient: str
    line1: str
    line2: str | None
    postal_code: str
    city: str
    country: str
    is_default: bool


class User(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    email: str
    full_name: str
    password_hash: str
    is_operator: bool
    time_zone: str


class Member(msgspec.Struct, frozen=True, kw_only=True):
    """A user as seen from one company."""

    user_id: int
    email: str
    full_name: str
    roles: list[str]
    spending_limit_minor: int | None
    spending_limit_currency: str | None
    created_at: datetime


class MembershipSummary(msgspec.Struct, frozen=True, kw_only=True):
    """One of the companies a user belongs to (for the company switcher)."""

    company_id: int
    legal_name: str
    kind: CompanyKind
    status: CompanyStatus
    roles: list[str]


class Invitation(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    company_id: int
    email: str
    roles: list[str]
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


class ApiToken(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    company_id: int
    name: str
    prefix: str
    roles: list[str]
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime


class StatusChange(msgspec.Struct, frozen=True, kw_only=True):
    from_status: CompanyStatus | None
    to_status: CompanyStatus
    reason: str | None
    actor_user_id: int | None
    at: datetime
