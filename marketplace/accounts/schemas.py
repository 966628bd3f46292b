"""JSON API shapes of the accounts domain (snake_case on the wire)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from marketplace.accounts.models import Address, Company, Member
from marketplace.core.actor import Actor


class MeOut(msgspec.Struct, frozen=True, kw_only=True):
    user_id: int
    email: str
    full_name: str
    company_id: int | None
    roles: list[str]
    api_token_id: int | None
    time_zone: str
    """The zone the caller acts in (a token acts in the zone of the person who made it)."""

    @classmethod
    def from_actor(cls, actor: Actor) -> MeOut:
        return cls(
            user_id=actor.user_id,
            email=actor.email,
            full_name=actor.full_name,
            company_id=actor.company_id,
            roles=sorted(actor.roles),
            api_token_id=actor.via_token,
            time_zone=actor.time_zone,
        )


class CompanyOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    legal_name: str
    country: str
    vat_id: str | None
    registration_number: str | None
    status: str
    can_trade: bool
    created_at: datetime

    @classmethod
    def from_record(cls, c: Company) -> CompanyOut:
        return cls(
            id=c.id,
            kind=str(c.kind),
            legal_name=c.legal_name,
            country=c.country,
            vat_id=c.vat_id,
            registration_number=c.registration_number,
            status=str(c.status),
            can_trade=str(c.status) == "verified",
            created_at=c.created_at,
        )


class AddressOut(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    kind: str
    label: str
    recipient: str
    line1: str
    line2: str | None
    postal_code: str
    city: str
    country: str
    is_default: bool

    @classmethod
    def from_record(cls, a: Address) -> AddressOut:
        return cls(
            id=a.id,
            kind=str(a.kind),
            label=a.label,
            recipient=a.recipient,
            line1=a.line1,
            line2=a.line2,
            postal_code=a.postal_code,
            city=a.city,
            country=a.country,
            is_default=a.is_default,
        )


class MemberOut(msgspec.Struct, frozen=True, kw_only=True):
    user_id: int
    email: str
    full_name: str
    roles: list[str]
    spending_limit_minor: int | None
    spending_limit_currency: str | None

    @classmethod
    def from_record(cls, m: Member) -> MemberOut:
        return cls(
            user_id=m.user_id,
            email=m.email,
            full_name=m.full_name,
            roles=m.roles,
            spending_limit_minor=m.spending_limit_minor,
            spending_limit_currency=m.spending_limit_currency,
        )
