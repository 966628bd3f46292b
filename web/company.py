"""Pages of the signed-in company: profile and addresses, team and invitations, API tokens, switching."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.response import Template

from marketplace.accounts import auth, service
from marketplace.accounts.commands import AddAddress, ChangeMember, ChangePassword, CreateToken, Invite, UpdateProfile
from marketplace.accounts.models import AddressKind, CompanyKind, Role
from marketplace.accounts.rules import can_trade, roles_for
from marketplace.core.actor import Actor, CurrentActor
from marketplace.core.db import Connection, PathId, Tx
from marketplace.core.errors import DomainError
from marketplace.security import SESSION_COOKIE, client_of
from web.forms import FormErrors, parse, read_form, render_form
from web.session import redirect, with_session

AnyRequest = Request[Any, Any, Any]

ROLE_LABELS = {
    Role.ADMIN: "Admin: manages the company, team and tokens",
    Role.BUYER: "Buyer: orders and runs RFQs",
    Role.APPROVER: "Approver: approves orders and awards",
    Role.REQUESTER: "Requester: drafts requisitions",
    Role.VIEWER: "Viewer: reads only",
    Role.CATALOG_MANAGER: "Catalog manager: maintains listings",
    Role.SALES: "Sales: answers RFQs and handles orders",
}
ADDRESS_KINDS = [(AddressKind.BILL_TO.value, "Bill-to"), (AddressKind.SHIP_TO.value, "Ship-to")]


def role_options(actor: Actor) -> list[tuple[str, str]]:
    allowed = roles_for(CompanyKind(actor.company_kind or "both"))
    return [(r.value, ROLE_LABELS[r]) for r in Role if r in allowed]


async def _profile_context(conn: Connection, actor: Actor) -> dict[str, Any]:
    company = await service.get_own_company(conn, actor)
    return {
        "actor": actor,
        "company": company,
        "can_trade": can_trade(company.status),
        "addresses": await service.list_addresses(conn, actor),
        "is_admin": Role.ADMIN in actor.roles,
        "address_kinds": ADDRESS_KINDS,
        "history": await service.status_history(conn, actor),
    }


@get("/company", name="company")
async def company_page(conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    if actor.company_id is None:
        return redirect("/operator/companies" if actor.is_operator else "/company/switch")
    return Template(template_name="company/profile.html", context={**await _profile_context(conn, actor), "values": {}})


@post("/company")
async def update_company(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        await service.update_profile(conn, actor, parse(UpdateProfile, data))
    except (FormErrors, DomainError) as exc:
        return render_form("company/profile.html", exc, values=data, **await _profile_context(conn, actor))
    return redirect("/company?saved=1")


@post("/company/addresses")
async def add_address(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any] | Template:
    data = await read_form(request)
    data["make_default"] = data.get("make_default") == "on"
    try:
        await service.add_address(conn, actor, parse(AddAddress, data))
    except (FormErrors, DomainError) as exc:
        return render_form(
            "company/profile.html", exc, values={}, address_values=data, **await _profile_context(conn, actor)
        )
    return redirect("/company?saved=1#addresses")


@post("/company/addresses/{address_id:int}/default")
async def default_address(conn: Tx, actor: CurrentActor, address_id: PathId) -> Response[Any]:
    await service.make_default_address(conn, actor, address_id)
    return redirect("/company?saved=1#addresses")


async def _team_context(conn: Connection, actor: Actor) -> dict[str, Any]:
    return {
        "actor": actor,
        "company": await service.get_own_company(conn, actor),
        "members": await service.list_members(conn, actor),
        "invitations": await service.list_open_invitations(conn, actor),
        "roles": role_options(actor),
        "is_admin": Role.ADMIN in actor.roles,
    }


@get("/company/team", name="team")
async def team_page(conn: Tx, actor: CurrentActor) -> Template:
    return Template(template_name="company/team.html", context={**await _team_context(conn, actor), "values": {}})


@post("/company/team/invite")
async def invite(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        await service.invite(conn, actor, parse(Invite, data, lists=("roles",)), state.settings)
    except (FormErrors, DomainError) as exc:
        return render_form("company/team.html", exc, values=data, **await _team_context(conn, actor))
    return redirect("/company/team?invited=1")


@post("/company/team/{user_id:int}")
async def change_member(
    request: AnyRequest, conn: Tx, actor: CurrentActor, user_id: PathId
) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        await service.change_member(conn, actor, user_id, parse(ChangeMember, data, lists=("roles",)))
    except (FormErrors, DomainError) as exc:
        if isinstance(exc, DomainError) and exc.status == 404:
            raise
        return render_form(
            "company/team.html", exc, values={}, member_error=user_id, **await _team_context(conn, actor)
        )
    return redirect("/company/team?saved=1")


@post("/company/team/{user_id:int}/remove")
async def remove_member(conn: Tx, actor: CurrentActor, user_id: PathId) -> Response[Any] | Template:
    try:
        await service.remove_member(conn, actor, user_id)
    except DomainError as exc:
        if exc.status == 404:
            raise
        return render_form(
            "company/team.html", exc, values={}, member_error=user_id, **await _team_context(conn, actor)
        )
    return redirect("/company/team?removed=1")


@post("/company/invitations/{invitation_id:int}/revoke")
async def revoke_invitation(conn: Tx, actor: CurrentActor, invitation_id: PathId) -> Response[Any]:
    await service.revoke_invitation(conn, actor, invitation_id)
    return redirect("/company/team")


async def _tokens_context(conn: Connection, actor: Actor) -> dict[str, Any]:
    return {
        "actor": actor,
        "tokens": await service.list_api_tokens(conn, actor),
        "roles": role_options(actor),
        "now": await conn.fetchval("SELECT now()"),
    }


@get("/company/tokens", name="tokens")
async def tokens_page(conn: Tx, actor: CurrentActor) -> Template:
    return Template(template_name="company/tokens.html", context={**await _tokens_context(conn, actor), "values": {}})


@post("/company/tokens")
async def create_token(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Template:
    data = await read_form(request)
    try:
        token, secret = await service.create_api_token(conn, actor, parse(CreateToken, data, lists=("roles",)))
    except (FormErrors, DomainError) as exc:
        return render_form("company/tokens.html", exc, values=data, **await _tokens_context(conn, actor))
    # Shown once, on this response only; we keep just its hash.
    return Template(
        template_name="company/tokens.html",
        context={**await _tokens_context(conn, actor), "values": {}, "new_token": token, "secret": secret},
        status_code=201,
        headers={"Cache-Control": "no-store"},
    )


@post("/company/tokens/{token_id:int}/revoke")
async def revoke_token(conn: Tx, actor: CurrentActor, token_id: PathId) -> Response[Any]:
    await service.revoke_api_token(conn, actor, token_id)
    return redirect("/company/tokens?revoked=1")


@get("/company/switch", name="switch")
async def switch_page(conn: Tx, actor: CurrentActor) -> Template:
    memberships = await service.my_companies(conn, actor)
    return Template(template_name="company/switch.html", context={"actor": actor, "memberships": memberships})


@post("/company/switch")
async def switch(request: AnyRequest, conn: Tx, actor: CurrentActor) -> Response[Any]:
    data = await read_form(request)
    raw = request.cookies.get(SESSION_COOKIE, "")
    company_id = str(data.get("company_id", ""))
    if not company_id.isdigit() or len(company_id) > 18:
        return redirect("/company/switch")
    await auth.switch_company(conn, raw, actor, int(company_id))
    return redirect("/company")


@get("/account/password", name="password_change")
async def password_page(actor: CurrentActor) -> Template:
    return Template(template_name="company/password.html", context={"actor": actor, "values": {}})


@post("/account/password")
async def change_password(request: AnyRequest, conn: Tx, actor: CurrentActor, state: State) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        token = await auth.change_password(conn, actor, parse(ChangePassword, data), client_of(request), state.settings)
    except (FormErrors, DomainError) as exc:
        return render_form("company/password.html", exc, values=data, actor=actor)
    return with_session(redirect("/company?password_changed=1"), token, state)


ROUTES = [
    company_page,
    update_company,
    add_address,
    default_address,
    team_page,
    invite,
    change_member,
    remove_member,
    revoke_invitation,
    tokens_page,
    create_token,
    revoke_token,
    switch_page,
    switch,
    password_page,
    change_password,
]
