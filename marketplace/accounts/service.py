"""Accounts use cases: sign-up, company profile and addresses, team, invitations, API tokens, verification.

Every function takes the request's connection and the actor; company data is read and written only
within ``actor.company_id``. Another company's object is ``NotFound``, exactly like a missing one.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from marketplace.accounts import repository as repo
from marketplace.accounts.auth import Client, SignedIn, start_session
from marketplace.accounts.commands import (
    AcceptInvitation,
    AddAddress,
    ChangeMember,
    CreateToken,
    Invite,
    SignUp,
    UpdateProfile,
)
from marketplace.accounts.errors import ADMIN_ONLY
from marketplace.accounts.models import (
    Address,
    ApiToken,
    Company,
    CompanyKind,
    CompanyStatus,
    Invitation,
    Member,
    MembershipSummary,
    Role,
    StatusChange,
)
from marketplace.accounts.passwords import hash_password
from marketplace.accounts.rules import (
    invalid_roles,
    leaves_an_admin,
    normalise_vat_id,
    password_problem,
    vat_country_supported,
    vat_id_problem,
)
from marketplace.core import audit
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from marketplace.core.events import vendor_changed
from marketplace.core.mail import send_email
from marketplace.core.ratelimit import hit
from marketplace.core.security import hash_token, new_token
from marketplace.settings import Settings

INVITATION_LIFETIME = timedelta(days=7)
SIGN_UP_WINDOW = timedelta(hours=1)
SIGN_UP_LIMIT_PER_EMAIL = 5
TOKEN_MAX_LIFETIME_DAYS = 730


def _company_id(actor: Actor) -> int:
    if actor.company_id is None:
        raise NotFound("company.not_selected", "Choose a company first.")
    return actor.company_id


def _require_admin(actor: Actor) -> int:
    company_id = _company_id(actor)
    if Role.ADMIN not in actor.roles:
        raise Forbidden("membership.admin_required", ADMIN_ONLY)
    return company_id


def _check_vat(country: str, vat_id: str | None) -> str | None:
    if not vat_id:
        return None
    compact = normalise_vat_id(vat_id)
    if vat_country_supported(country):
        problem = vat_id_problem(country, compact)
        if problem:
            raise RuleViolation("company.vat_id_invalid", problem, field="vat_id")
    elif not 4 <= len(compact) <= 20:
        raise RuleViolation("company.vat_id_invalid", "This is not a valid tax ID.", field="vat_id")
    return compact


# ------------------------------------------------------------------ sign-up and profile


async def sign_up(conn: Connection, cmd: SignUp, client: Client, settings: Settings) -> SignedIn:
    """Register a company (status pending) with its first admin, and sign that person in."""
    email = cmd.email.strip()
    await hit(conn, f"signup:email:{email.lower()}", limit=SIGN_UP_LIMIT_PER_EMAIL, window=SIGN_UP_WINDOW)
    problem = password_problem(cmd.password, email=email, name=cmd.full_name)
    if problem:
        raise RuleViolation("auth.weak_password", problem, field="password")
    vat_id = _check_vat(cmd.country, cmd.vat_id)
    if await repo.get_user_by_email(conn, email) is not None:
        raise Conflict(
            "user.email_taken",
            "An account with this email already exists. Sign in, or reset your password.",
            field="email",
        )
    company = await repo.insert_company(
        conn,
        kind=cmd.kind,
        legal_name=cmd.legal_name.strip(),
        country=cmd.country,
        vat_id=vat_id,
        registration_number=(cmd.registration_number or "").strip() or None,
    )
    await repo.insert_status_history(conn, company.id, None, CompanyStatus.PENDING, "signed up", None)
    user = await repo.insert_user(
        conn,
        email=email,
        full_name=cmd.full_name.strip(),
        password_hash=await hash_password(cmd.password, env=settings.env),
    )
    await repo.insert_membership(conn, user_id=user.id, company_id=company.id, roles=[Role.ADMIN])
    await audit.record(
        conn,
        "company.signed_up",
        actor_user_id=user.id,
        actor_email=user.email,
        company_id=company.id,
        ip=client.ip,
        target_type="company",
        target_id=company.id,
        kind=str(company.kind),
    )
    token = await start_session(conn, user.id, company.id, client)
    await audit.record(
        conn, "auth.sign_in", actor_user_id=user.id, actor_email=user.email, company_id=company.id, ip=client.ip
    )
    return SignedIn(session_token=token, user_id=user.id, company_id=company.id)


async def get_own_company(conn: Connection, actor: Actor) -> Company:
    company = await repo.get_company(conn, _company_id(actor))
    if company is None:
        raise NotFound("company.not_found", "No such company.")
    return company


async def status_history(conn: Connection, actor: Actor) -> list[StatusChange]:
    return await repo.list_status_history(conn, _company_id(actor))


async def my_companies(conn: Connection, actor: Actor) -> list[MembershipSummary]:
    """Every company the person belongs to (for the switcher); not scoped to the active one by design."""
    return await repo.list_memberships_of_user(conn, actor.user_id)


async def update_profile(conn: Connection, actor: Actor, cmd: UpdateProfile) -> Company:
    company_id = _require_admin(actor)
    company = await repo.lock_company(conn, company_id)
    assert company is not None
    vat_id = _check_vat(company.country, cmd.vat_id)
    updated = await repo.set_company_profile(
        conn,
        company_id=company_id,
        legal_name=cmd.legal_name.strip(),
        vat_id=vat_id,
        registration_number=(cmd.registration_number or "").strip() or None,
    )
    await audit.record(conn, "company.profile_updated", actor=actor, target_type="company", target_id=company_id)
    if updated.kind in ("vendor", "both") and updated.legal_name != company.legal_name:
        await vendor_changed(conn, company_id)  # search documents show the vendor's name
    return updated


async def list_addresses(conn: Connection, actor: Actor) -> list[Address]:
    return await repo.list_addresses(conn, company_id=_company_id(actor))


async def get_address(conn: Connection, actor: Actor, address_id: int) -> Address:
    address = await repo.get_address(conn, address_id, company_id=_company_id(actor))
    if address is None:
        raise NotFound("address.not_found", "No such address.")
    return address


async def add_address(conn: Connection, actor: Actor, cmd: AddAddress) -> Address:
    company_id = _require_admin(actor)
    address = await repo.insert_address(
        conn,
        company_id=company_id,
        kind=cmd.kind,
        label=cmd.label.strip(),
        recipient=cmd.recipient.strip(),
        line1=cmd.line1.strip(),
        line2=(cmd.line2 or "").strip() or None,
        postal_code=cmd.postal_code.strip(),
        city=cmd.city.strip(),
        country=cmd.country,
    )
    if cmd.make_default and not address.is_default:
        address = await repo.set_default_address(conn, address, company_id=company_id)
    return address


async def make_default_address(conn: Connection, actor: Actor, address_id: int) -> Address:
    address = await get_address(conn, actor, address_id)  # 404 before 403: ids of others reveal nothing
    company_id = _require_admin(actor)
    return await repo.set_default_address(conn, address, company_id=company_id)


# ------------------------------------------------------------------ team


async def list_members(conn: Connection, actor: Actor) -> list[Member]:
    return await repo.list_members(conn, company_id=_company_id(actor))


async def get_member(conn: Connection, actor: Actor, user_id: int) -> Member:
    member = await repo.get_member(conn, user_id, company_id=_company_id(actor))
    if member is None:
        raise NotFound("member.not_found", "No such member.")
    return member


def _validate_roles(kind: str | None, roles: list[str]) -> list[str]:
    bad = invalid_roles(CompanyKind(kind or "both"), roles)
    if bad:
        raise RuleViolation("membership.invalid_roles", f"Not a role in this company: {', '.join(bad)}.", field="roles")
    return sorted(set(roles))


async def change_member(conn: Connection, actor: Actor, user_id: int, cmd: ChangeMember) -> Member:
    """Change roles and spending limit. The last admin cannot be demoted (by anyone, themselves included)."""
    before = await get_member(conn, actor, user_id)  # 404 before 403
    company_id = _require_admin(actor)
    roles = _validate_roles(actor.company_kind, cmd.roles)
    admins = await repo.lock_admin_ids(conn, company_id=company_id)
    if not leaves_an_admin(admins, user_id, roles):
        raise RuleViolation(
            "membership.last_admin", "A company needs at least one admin; make someone else admin first.", field="roles"
        )
    await repo.set_member(
        conn,
        user_id,
        company_id=company_id,
        roles=roles,
        spending_limit_minor=cmd.spending_limit_minor,
        spending_limit_currency=cmd.spending_limit_currency,
    )
    await audit.record(
        conn,
        "membership.changed",
        actor=actor,
        target_type="user",
        target_id=user_id,
        roles_before=before.roles,
        roles_after=roles,
        spending_limit_minor=cmd.spending_limit_minor,
    )
    return await get_member(conn, actor, user_id)


async def remove_member(conn: Connection, actor: Actor, user_id: int) -> None:
    member = await get_member(conn, actor, user_id)  # 404 before 403
    company_id = _require_admin(actor)
    admins = await repo.lock_admin_ids(conn, company_id=company_id)
    if not leaves_an_admin(admins, user_id, None):
        raise RuleViolation(
            "membership.last_admin", "A company needs at least one admin; make someone else admin first."
        )
    await repo.delete_membership(conn, user_id, company_id=company_id)
    await audit.record(
        conn, "membership.removed", actor=actor, target_type="user", target_id=user_id, email=member.email
    )


async def invite(conn: Connection, actor: Actor, cmd: Invite, settings: Settings) -> Invitation:
    """Email a signed, expiring, single-use invitation link."""
    company_id = _require_admin(actor)
    roles = _validate_roles(actor.company_kind, cmd.roles)
    email = cmd.email.strip()
    existing = await repo.get_user_by_email(conn, email)
    if existing and await repo.get_member(conn, existing.id, company_id=company_id):
        raise Conflict("membership.exists", "This person is already a member.", field="email")
    raw, digest = new_token()
    invitation = await repo.insert_invitation(
        conn,
        company_id=company_id,
        email=email,
        roles=roles,
        token_hash=digest,
        invited_by=actor.user_id,
        lifetime=INVITATION_LIFETIME,
    )
    company = await get_own_company(conn, actor)
    await send_email(
        conn,
        to=email,
        subject=f"{actor.full_name} invites you to {company.legal_name} on Tradeyard",
        text=(
            f"Hello,\n\n{actor.full_name} invites you to join {company.legal_name} on Tradeyard "
            f"as {', '.join(roles)}.\n\nAccept within 7 days:\n\n"
            f"{settings.public_base_url}/invitations/accept?token={raw}\n\n"
            "The link works once. If you did not expect it, ignore this email.\n"
        ),
    )
    await audit.record(
        conn,
        "membership.invited",
        actor=actor,
        target_type="invitation",
        target_id=invitation.id,
        email=email,
        roles=roles,
    )
    return invitation


async def list_open_invitations(conn: Connection, actor: Actor) -> list[Invitation]:
    return await repo.list_open_invitations(conn, company_id=_company_id(actor))


async def revoke_invitation(conn: Connection, actor: Actor, invitation_id: int) -> None:
    if await repo.get_invitation(conn, invitation_id, company_id=_company_id(actor)) is None:
        raise NotFound("invitation.not_found", "No such open invitation.")
    company_id = _require_admin(actor)
    if not await repo.revoke_invitation(conn, invitation_id, company_id=company_id):
        raise NotFound("invitation.not_found", "No such open invitation.")
    await audit.record(
        conn, "membership.invitation_revoked", actor=actor, target_type="invitation", target_id=invitation_id
    )


async def accept_invitation(
    conn: Connection, actor: Actor | None, cmd: AcceptInvitation, client: Client, settings: Settings
) -> SignedIn:
    """Join the inviting company: as the signed-in user (same email), or as a new account."""
    found = await repo.lock_invitation_by_token(conn, hash_token(cmd.token))
    if found is None:
        raise NotFound("invitation.invalid", "This invitation link is not valid.")
    invitation, expired = found
    if invitation.revoked_at is not None:
        raise Conflict("invitation.revoked", "This invitation was withdrawn.")
    if invitation.accepted_at is not None:
        raise Conflict("invitation.used", "This invitation was already used.")
    if expired:
        raise Conflict("invitation.expired", "This invitation has expired. Ask for a new one.")
    user = await repo.get_user_by_email(conn, invitation.email)
    if actor is not None:
        if actor.email.lower() != invitation.email.lower():
            raise RuleViolation(
                "invitation.other_email", f"This invitation is for {invitation.email}. Sign out and accept it there."
            )
        user_id = actor.user_id
    elif user is not None:
        raise RuleViolation(
            "invitation.sign_in_first", "You already have an account: sign in first, then open the link again."
        )
    else:
        if not cmd.full_name or not cmd.password:
            raise RuleViolation("invitation.details_missing", "Enter your name and a password.", field="full_name")
        problem = password_problem(cmd.password, email=invitation.email, name=cmd.full_name)
        if problem:
            raise RuleViolation("auth.weak_password", problem, field="password")
        created = await repo.insert_user(
            conn,
            email=invitation.email,
            full_name=cmd.full_name.strip(),
            password_hash=await hash_password(cmd.password, env=settings.env),
        )
        user_id = created.id
    await repo.insert_membership(conn, user_id=user_id, company_id=invitation.company_id, roles=invitation.roles)
    await repo.set_invitation_accepted(conn, invitation.id, user_id)
    await audit.record(
        conn,
        "membership.joined",
        actor_user_id=user_id,
        actor_email=invitation.email,
        company_id=invitation.company_id,
        ip=client.ip,
        target_type="invitation",
        target_id=invitation.id,
        roles=invitation.roles,
    )
    token = await start_session(conn, user_id, invitation.company_id, client)
    return SignedIn(session_token=token, user_id=user_id, company_id=invitation.company_id)


# ------------------------------------------------------------------ API tokens


async def create_api_token(conn: Connection, actor: Actor, cmd: CreateToken) -> tuple[ApiToken, str]:
    """A token for a machine client with a subset of roles; the secret is returned once, stored hashed."""
    company_id = _require_admin(actor)
    roles = _validate_roles(actor.company_kind, cmd.roles)
    today = await conn.fetchval("SELECT (now() AT TIME ZONE 'UTC')::date")
    if cmd.expires_on <= today or (cmd.expires_on - today).days > TOKEN_MAX_LIFETIME_DAYS:
        raise RuleViolation(
            "api_token.bad_expiry",
            f"Choose an expiry date after today and within {TOKEN_MAX_LIFETIME_DAYS} days.",
            field="expires_on",
        )
    raw, digest = new_token("ty_")
    token = await repo.insert_api_token(
        conn,
        company_id=company_id,
        name=cmd.name.strip(),
        prefix=raw[:10],
        token_hash=digest,
        roles=roles,
        created_by=actor.user_id,
        expires_at=datetime.combine(cmd.expires_on, time.min, tzinfo=UTC),
    )
    await audit.record(
        conn,
        "api_token.created",
        actor=actor,
        target_type="api_token",
        target_id=token.id,
        roles=roles,
        name=token.name,
    )
    return token, raw


async def list_api_tokens(conn: Connection, actor: Actor) -> list[ApiToken]:
    _require_admin(actor)
    return await repo.list_api_tokens(conn, company_id=_company_id(actor))


async def revoke_api_token(conn: Connection, actor: Actor, token_id: int) -> ApiToken:
    if await repo.get_api_token(conn, token_id, company_id=_company_id(actor)) is None:
        raise NotFound("api_token.not_found", "No such API token.")
    company_id = _require_admin(actor)
    token = await repo.revoke_api_token(conn, token_id, company_id=company_id)
    if token is None:
        raise NotFound("api_token.not_found", "No such API token.")
    await audit.record(conn, "api_token.revoked", actor=actor, target_type="api_token", target_id=token_id)
    return token
