"""Validated input for the accounts services (msgspec Structs; constraints checked at the edge)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from marketplace.accounts.models import AddressKind, CompanyKind, CompanyStatus

Email = Annotated[
    str,
    msgspec.Meta(
        min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", examples=["anna.admin@nordwerk.example"]
    ),
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Country = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2", examples=["DE", "SE"])]
Roles = Annotated[
    list[str],
    msgspec.Meta(
        min_length=1,
        max_length=7,
        description="buyer side: admin, buyer, approver, requester, viewer; vendor side: admin, catalog_manager, sales",
        examples=[["buyer", "approver"]],
    ),
]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
Reason = Annotated[str, msgspec.Meta(min_length=3, max_length=2000)]


class SignUp(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    legal_name: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
    kind: CompanyKind
    country: Country
    vat_id: Annotated[str, msgspec.Meta(max_length=30)] | None = None
    registration_number: Annotated[str, msgspec.Meta(max_length=60)] | None = None
    full_name: Name
    email: Email
    password: Password


class SignIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]
    password: Password


class UpdateProfile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    legal_name: Annotated[str, msgspec.Meta(min_length=2, max_length=200, examples=["Nordwerk Maschinenbau GmbH"])]
    vat_id: Annotated[str, msgspec.Meta(max_length=30, examples=["DE136695976"])] | None = None
    registration_number: Annotated[str, msgspec.Meta(max_length=60, examples=["HRB 12345"])] | None = None


class AddAddress(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: AddressKind
    label: Annotated[str, msgspec.Meta(min_length=1, max_length=80, examples=["Warehouse Süd"])]
    recipient: Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Goods receipt, Gate 4"])]
    line1: Annotated[str, msgspec.Meta(min_length=1, max_length=200, examples=["Industriestraße 12"])]
    line2: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    postal_code: Annotated[str, msgspec.Meta(min_length=1, max_length=20, examples=["70565"])]
    city: Annotated[str, msgspec.Meta(min_length=1, max_length=100, examples=["Stuttgart"])]
    country: Country
    make_default: bool = False


class Invite(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    email: Email
    roles: Roles


class AcceptInvitation(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
    full_name: Name | None = None
    password: Password | None = None


class ChangeMember(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    roles: Roles
    spending_limit_minor: (
        Annotated[int, msgspec.Meta(ge=0, le=10**15, description="integer minor units (cents)", examples=[500000])]
        | None
    ) = None
    spending_limit_currency: Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}$", examples=["EUR"])] | None = None

    def __post_init__(self) -> None:
        if (self.spending_limit_minor is None) != (self.spending_limit_currency is None):
            raise ValueError("give a spending limit together with its currency, or neither")


class CreateToken(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    roles: Annotated[list[str], msgspec.Meta(min_length=1, max_length=7)]
    expires_on: date


class RequestReset(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    email: Annotated[str, msgspec.Meta(max_length=254)]


class CompleteReset(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    token: Annotated[str, msgspec.Meta(min_length=10, max_length=200)]
    password: Password


class ChangePassword(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    current_password: Password
    new_password: Password


class Decision(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An operator's verification decision about a company."""

    action: Annotated[str, msgspec.Meta(pattern=r"^(approve|reject|request_info|suspend|reinstate)$")]
    reason: Reason | None = None
    expected_version: int | None = None


DECISION_TARGETS: dict[str, CompanyStatus | None] = {
    "approve": CompanyStatus.VERIFIED,
    "reject": CompanyStatus.REJECTED,
    "suspend": CompanyStatus.SUSPENDED,
    "reinstate": CompanyStatus.VERIFIED,
    "request_info": None,
}
