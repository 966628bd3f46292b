"""Operator use cases on accounts: the verification queue, a company's file, decisions, user search, audit.

Only operators reach these; to anyone else they answer ``NotFound``, as if they did not exist.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import msgspec

from marketplace.accounts import repository as repo
from marketplace.accounts.commands import DECISION_TARGETS, Decision
from marketplace.accounts.models import Address, Company, CompanyStatus, Member, Role, StatusChange
from marketplace.accounts.passwords import hash_password
from marketplace.accounts.rules import can_transition, vat_country_supported, vat_id_problem
from marketplace.core import audit
from marketplace.core.actor import Actor, require_operator
from marketplace.core.db import Connection
from marketplace.core.errors import InvalidTransition, NotFound, RuleViolation, StaleWrite
from marketplace.core.events import vendor_changed
from marketplace.core.mail import send_email
from marketplace.settings import Settings


async def decide_company(conn: Connection, actor: Actor, company_id: int, decision: Decision) -> Company:
    """An operator verifies, rejects, asks for information, suspends or reinstates a company."""
    require_operator(actor)
    company = await repo.lock_company(conn, company_id)
    if company is None:
        raise NotFound("company.not_found", "No such company.")
    if decision.expected_version is not None and decision.expected_version != company.version:
        raise StaleWrite("company.changed", "Someone else changed this company meanwhile; reload and decide again.")
    needs_reason = decision.action in ("reject", "request_info", "suspend")
    if needs_reason and not decision.reason:
        raise RuleViolation("company.reason_required", "Give a reason; the company will see it.", field="reason")
    target = DECISION_TARGETS[decision.action]
    if target is None:
        if company.status not in (CompanyStatus.PENDING, CompanyStatus.REJECTED):
            raise InvalidTransition("company.invalid_transition", "Only companies awaiting verification can be asked.")
        updated = await repo.set_info_requested(conn, company_id, decision.reason or "", version=company.version)
    else:
        wrong_kind_of_move = (decision.action == "reinstate" and company.status != CompanyStatus.SUSPENDED) or (
            decision.action == "approve" and company.status not in (CompanyStatus.PENDING, CompanyStatus.REJECTED)
        )
        if not can_transition(company.status, target) or wrong_kind_of_move:
            raise InvalidTransition(
                "company.invalid_transition", f"A {company.status} company cannot be {decision.action}d."
            )
        updated = await repo.set_company_status(conn, company_id, target, decision.reason, version=company.version)
        await repo.insert_status_history(conn, company_id, company.status, target, decision.reason, actor.user_id)
    if updated is None:
        raise StaleWrite("company.changed", "Someone else changed this company meanwhile; reload and decide again.")
    await audit.record(
        conn,
        f"company.{decision.action}",
        actor=actor,
        company_id=company_id,
        target_type="company",
        target_id=company_id,
        reason=decision.reason,
        from_status=str(company.status),
        to_status=str(updated.status),
    )
    await _tell_admins(conn, updated, decision)
    if updated.kind in ("vendor", "both") and updated.status != company.status:
        await vendor_changed(conn, company_id)  # its listings appear in or vanish from search
    return updated


_DECISION_TEXT = {
    "approve": "has been verified. You can now trade on Tradeyard.",
    "reject": "could not be verified.",
    "request_info": "needs more information before we can verify it.",
    "suspend": "has been suspended.",
    "reinstate": "has been reinstated. You can trade on Tradeyard again.",
}


async def _tell_admins(conn: Connection, company: Company, decision: Decision) -> None:
    for member in await repo.list_members(conn, company_id=company.id):
        if Role.ADMIN in member.roles:
            reason = f"\n\nReason: {decision.reason}" if decision.reason else ""
            await send_email(
                conn,
                to=member.email,
                subject=f"Tradeyard: {company.legal_name} {_DECISION_TEXT[decision.action].split('.')[0]}",
                text=f"Hello {member.full_name},\n\n{company.legal_name} {_DECISION_TEXT[decision.action]}{reason}\n",
            )


class CompanyFile(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an operator needs to decide about a company."""

    company: Company
    vat_check: str
    members: list[Member]
    addresses: list[Address]
    history: list[StatusChange]


async def search_companies(
    conn: Connection, actor: Actor, *, status: CompanyStatus | None, query: str | None, page: int, per_page: int = 25
) -> tuple[list[Company], int]:
    require_operator(actor)
    return await repo.search_companies(
        conn, status=status, query=query, limit=per_page, offset=(max(page, 1) - 1) * per_page
    )


async def company_file(conn: Connection, actor: Actor, company_id: int) -> CompanyFile:
    require_operator(actor)
    company = await repo.get_company(conn, company_id)
    if company is None:
        raise NotFound("company.not_found", "No such company.")
    if not company.vat_id:
        vat_check = "No VAT ID given."
    elif vat_country_supported(company.country):
        vat_check = vat_id_problem(company.country, company.vat_id) or "Format and check digits are valid."
    else:
        vat_check = "Country outside the EU VAT system: checked for length only."
    return CompanyFile(
        company=company,
        vat_check=vat_check,
        members=await repo.list_members(conn, company_id=company_id),
        addresses=await repo.list_addresses(conn, company_id=company_id),
        history=await repo.list_status_history(conn, company_id),
    )


async def search_users(conn: Connection, actor: Actor, query: str) -> list[dict[str, object]]:
    require_operator(actor)
    return await repo.search_users(conn, query)


async def audit_entries(
    conn: Connection,
    actor: Actor,
    *,
    action: str | None,
    company_id: int | None,
    actor_email: str | None,
    outcome: str | None,
    since: datetime | None,
    until: datetime | None,
    page: int,
    per_page: int = 50,
) -> tuple[list[dict[str, object]], int]:
    require_operator(actor)
    return await audit.list_entries(
        conn,
        action=action,
        company_id=company_id,
        actor_email=actor_email,
        outcome=outcome,
        since=since,
        until=until,
        limit=per_page,
        offset=(max(page, 1) - 1) * per_page,
    )


async def note_company(conn: Connection, actor: Actor, company_id: int, note: str) -> None:
    require_operator(actor)
    if await repo.get_company(conn, company_id) is None:
        raise NotFound("company.not_found", "No such company.")
    await repo.set_operator_note(conn, company_id, note)


async def create_operator(conn: Connection, email: str, settings: Settings) -> str | None:
    """Make ``email`` an operator (creating the account if needed). Returns a new account's one-time password."""
    user = await repo.get_user_by_email(conn, email)
    password = None
    if user is None:
        password = secrets.token_urlsafe(18)
        user = await repo.insert_user(
            conn,
            email=email,
            full_name=email.split("@")[0],
            password_hash=await hash_password(password, env=settings.env),
            is_operator=True,
        )
    else:
        await repo.set_operator(conn, user.id)
    await audit.record(conn, "operator.created", actor_user_id=user.id, actor_email=user.email, via="cli")
    return password
