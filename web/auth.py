"""Sign-up, sign-in and -out, forgotten password, invitations: the pages before (and at) the door."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromQuery
from litestar.response import Template

from marketplace.accounts import auth, service
from marketplace.accounts.commands import AcceptInvitation, CompleteReset, RequestReset, SignIn, SignUp
from marketplace.accounts.models import CompanyKind
from marketplace.core.actor import MaybeActor
from marketplace.core.db import Tx
from marketplace.core.errors import DomainError
from marketplace.security import SESSION_COOKIE, client_of
from rfq import invitations
from web.forms import FormErrors, parse, read_form, render_form
from web.session import redirect, safe_next, with_session, without_session

AnyRequest = Request[Any, Any, Any]
KINDS = [(k.value, {"buyer": "We buy", "vendor": "We sell", "both": "We buy and sell"}[k.value]) for k in CompanyKind]


INVITATION_LINK_INVALID = (
    "This invitation link is not valid any more: it was used already, or it was changed on the way. "
    "You can register without it; ask the buyer to invite your company again."
)


@get("/signup", name="signup")
async def signup_page(conn: Tx, state: State, invitation: FromQuery[str] = "") -> Template:
    """Registration; with ``?invitation=`` (the link in an email invitation to quote) it says who invites and
    starts as a selling company with the invited address."""
    values: dict[str, Any] = {"country": "DE"}
    invited = await invitations.invitation_for_signup(conn, invitation[:200], settings=state.settings)
    if invited is not None:
        values |= {"kind": "vendor", "email": invited.email, "invitation": invitation}
    context = {"kinds": KINDS, "values": values, "invited": invited, "invalid_link": bool(invitation) and not invited}
    return Template(template_name="auth/signup.html", context=context)


@post("/signup")
async def signup(request: AnyRequest, conn: Tx, state: State) -> Response[Any] | Template:
    """Register a company. A valid invitation link links the supplier's pending invitations to it, in the same
    transaction (accounts know nothing of RFQs: this page composes the two)."""
    data = await read_form(request)
    token = str(data.pop("invitation", "")).strip()[:200]
    invited = await invitations.invitation_for_signup(conn, token, settings=state.settings)
    try:
        if token and invited is None:
            raise FormErrors({}, INVITATION_LINK_INVALID)
        cmd = parse(SignUp, data)
        if invited is not None and cmd.kind not in invitations.VENDOR_KINDS:
            raise FormErrors({"kind": "You were invited to quote: choose 'We sell' or 'We buy and sell'."})
        signed_in = await service.sign_up(conn, cmd, client_of(request), state.settings)
    except (FormErrors, DomainError) as exc:
        keep = {"invitation": token} if invited is not None else {}
        return render_form(
            "auth/signup.html", exc, values=data | keep, kinds=KINDS, invited=invited, invalid_link=False
        )
    linked = 0
    if invited is not None and signed_in.company_id is not None:  # sign-up always creates the company
        linked = await invitations.claim_email_invitations(
            conn, token, company_id=signed_in.company_id, settings=state.settings
        )
    target = "/company?welcome=1" + ("&invited=1" if linked else "")
    return with_session(redirect(target), signed_in.session_token, state)


@get("/login", name="login")
async def login_page(next: FromQuery[str | None] = None) -> Template:
    return Template(template_name="auth/login.html", context={"next": safe_next(next), "values": {}})


@post("/login")
async def login(request: AnyRequest, conn: Tx, state: State) -> Response[Any] | Template:
    data = await read_form(request)
    target = safe_next(data.pop("next", None))
    try:
        cmd = parse(SignIn, data)
        result = await auth.sign_in(conn, cmd, client_of(request), state.settings)
    except (FormErrors, DomainError) as exc:
        return render_form("auth/login.html", exc, values=data, next=target)
    if isinstance(result, str):
        # Returned, not raised: the failed attempt's audit row and rate-limit count are committed.
        return Template(
            template_name="auth/login.html",
            context={"summary": result, "values": data, "next": target, "errors": {}},
            status_code=400,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await auth.sign_out(conn, old, None)
    if result.company_id is None and target == "/company":
        target = "/operator/companies"
    return with_session(redirect(target), result.session_token, state)


@post("/logout")
async def logout(request: AnyRequest, conn: Tx, maybe_actor: MaybeActor) -> Response[Any]:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        await auth.sign_out(conn, raw, maybe_actor)
    return without_session(redirect("/login?signed_out=1"))


@get("/password/forgot", name="password_forgot")
async def forgot_page() -> Template:
    return Template(template_name="auth/forgot.html", context={"values": {}})


@post("/password/forgot")
async def forgot(request: AnyRequest, conn: Tx, state: State) -> Template:
    data = await read_form(request)
    try:
        cmd = parse(RequestReset, data)
        await auth.request_password_reset(conn, cmd, client_of(request), state.settings)
    except (FormErrors, DomainError) as exc:
        return render_form("auth/forgot.html", exc, values=data)
    # The same answer whether or not the account exists.
    return Template(template_name="auth/forgot.html", context={"sent": True, "values": data})


@get("/password/reset", name="password_reset")
async def reset_page(conn: Tx, token: FromQuery[str] = "") -> Template:
    live = bool(token) and len(token) < 200 and await auth.reset_token_is_live(conn, token)
    return Template(template_name="auth/reset.html", context={"token": token, "live": live, "values": {}})


@post("/password/reset")
async def reset(request: AnyRequest, conn: Tx, state: State) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        cmd = parse(CompleteReset, data)
        await auth.complete_password_reset(conn, cmd, client_of(request), state.settings)
    except (FormErrors, DomainError) as exc:
        return render_form("auth/reset.html", exc, values=data, token=data.get("token", ""), live=True)
    return redirect("/login?reset=1")


@get("/invitations/accept", name="invitation_accept")
async def invitation_page(maybe_actor: MaybeActor, token: FromQuery[str] = "") -> Template:
    return Template(template_name="auth/invitation.html", context={"token": token, "actor": maybe_actor, "values": {}})


@post("/invitations/accept")
async def accept_invitation(
    request: AnyRequest, conn: Tx, state: State, maybe_actor: MaybeActor
) -> Response[Any] | Template:
    data = await read_form(request)
    try:
        cmd = parse(AcceptInvitation, data)
        signed_in = await service.accept_invitation(conn, maybe_actor, cmd, client_of(request), state.settings)
    except (FormErrors, DomainError) as exc:
        return render_form("auth/invitation.html", exc, values=data, token=data.get("token", ""), actor=maybe_actor)
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await auth.sign_out(conn, old, None)
    return with_session(redirect("/company?joined=1"), signed_in.session_token, state)


ROUTES = [
    signup_page,
    signup,
    login_page,
    login,
    logout,
    forgot_page,
    forgot,
    reset_page,
    reset,
    invitation_page,
    accept_invitation,
]
