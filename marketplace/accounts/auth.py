"""Authentication use cases: sign-in, sessions, API tokens as credentials, password reset and change."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

import msgspec

from marketplace.accounts import repository as repo
from marketplace.accounts.commands import ChangePassword, CompleteReset, RequestReset, SignIn
from marketplace.accounts.models import User
from marketplace.accounts.passwords import burn_verification_time, hash_password, needs_rehash, verify_password
from marketplace.accounts.rules import can_sign_in_to, password_problem
from marketplace.core import audit
from marketplace.core.actor import Actor
from marketplace.core.db import Connection
from marketplace.core.errors import Conflict, NotFound, RuleViolation
from marketplace.core.mail import send_email
from marketplace.core.ratelimit import hit
from marketplace.core.security import hash_token, new_token
from marketplace.settings import Settings

SESSION_IDLE_TIMEOUT = timedelta(hours=2)
SESSION_ABSOLUTE_LIFETIME = timedelta(hours=12)
RESET_LIFETIME = timedelta(hours=1)
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_LIMIT_PER_ACCOUNT = 10
LOGIN_LIMIT_PER_IP = 50
RESET_WINDOW = timedelta(hours=1)
RESET_LIMIT_PER_EMAIL = 5

GENERIC_SIGN_IN_FAILURE = "The email or password is not right."


class SignedIn(msgspec.Struct, frozen=True, kw_only=True):
    session_token: str
    user_id: int
    company_id: int | None


class Client(msgspec.Struct, frozen=True, kw_only=True):
    """Where a request came from, for rate limits and the audit log."""

    ip: str | None = None
    user_agent: str | None = None


async def start_session(conn: Connection, user_id: int, company_id: int | None, client: Client) -> str:
    """A brand-new session id (never reuse one across a sign-in); returns the cookie value."""
    raw, digest = new_token()
    await repo.insert_session(
        conn,
        token_hash=digest,
        user_id=user_id,
        company_id=company_id,
        lifetime=SESSION_ABSOLUTE_LIFETIME,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:300] or None,
    )
    return raw


async def _first_enterable_company(conn: Connection, user_id: int) -> tuple[int | None, bool]:
    """(company to enter, whether the user has memberships at all)."""
    memberships = await repo.list_memberships_of_user(conn, user_id)
    for m in memberships:
        if can_sign_in_to(m.status):
            return m.company_id, True
    return None, bool(memberships)


async def sign_in(conn: Connection, cmd: SignIn, client: Client, settings: Settings) -> SignedIn | str:
    """Check the password and open a session, or return why not (a message safe to show).

    A failure returns instead of raising, so its rate-limit count and audit row are committed.
    Raises ``RateLimited`` past the limits per account and per IP.
    """
    email = cmd.email.strip().lower()
    await hit(conn, f"login:account:{email}", limit=LOGIN_LIMIT_PER_ACCOUNT, window=LOGIN_WINDOW)
    if client.ip:
        await hit(conn, f"login:ip:{client.ip}", limit=LOGIN_LIMIT_PER_IP, window=LOGIN_WINDOW)
    user = await repo.get_user_by_email(conn, email)
    if user is None:
        await burn_verification_time(cmd.password, env=settings.env)
        await audit.record(conn, "auth.sign_in", outcome="failure", actor_email=email, ip=client.ip, reason="unknown")
        return GENERIC_SIGN_IN_FAILURE
    if not await verify_password(user.password_hash, cmd.password, env=settings.env):
        await audit.record(
            conn,
            "auth.sign_in",
            outcome="failure",
            actor_user_id=user.id,
            actor_email=user.email,
            ip=client.ip,
            reason="password",
        )
        return GENERIC_SIGN_IN_FAILURE
    if needs_rehash(user.password_hash, env=settings.env):
        await repo.set_password_hash(conn, user.id, await hash_password(cmd.password, env=settings.env))
    company_id, has_memberships = await _first_enterable_company(conn, user.id)
    if company_id is None and has_memberships and not user.is_operator:
        await audit.record(
            conn,
            "auth.sign_in",
            outcome="failure",
            actor_user_id=user.id,
            actor_email=user.email,
            ip=client.ip,
            reason="suspended",
        )
        return "Your company's account is suspended. Please contact Tradeyard support."
    token = await start_session(conn, user.id, company_id, client)
    await audit.record(
        conn, "auth.sign_in", actor_user_id=user.id, actor_email=user.email, company_id=company_id, ip=client.ip
    )
    return SignedIn(session_token=token, user_id=user.id, company_id=company_id)


async def actor_from_session(conn: Connection, raw_token: str, client: Client) -> Actor | None:
    """The signed-in person behind a session cookie, or None when it is unknown, idle or expired."""
    digest = hash_token(raw_token)
    session = await repo.get_live_session(conn, digest, idle_timeout=SESSION_IDLE_TIMEOUT)
    if session is None:
        return None
    if session["stale_seen"]:
        await repo.touch_session(conn, digest)
    company_id = session["company_id"]
    kind = status = None
    roles: frozenset[str] = frozenset()
    if isinstance(company_id, int):
        company = await repo.get_company(conn, company_id)
        member = await repo.get_member(conn, int(session["user_id"]), company_id=company_id)  # type: ignore[call-overload]
        if company is None or member is None or not can_sign_in_to(company.status):
            company_id = None
        else:
            kind, status, roles = str(company.kind), str(company.status), frozenset(member.roles)
    return Actor(
        user_id=int(session["user_id"]),  # type: ignore[call-overload]
        email=str(session["email"]),
        full_name=str(session["full_name"]),
        company_id=company_id if isinstance(company_id, int) else None,
        company_kind=kind,
        company_status=status,
        roles=roles,
        is_operator=bool(session["is_operator"]),
        ip=client.ip,
        time_zone=str(session["time_zone"]),
    )


async def actor_from_api_token(conn: Connection, raw_token: str, client: Client) -> Actor | None:
    """The machine client behind a bearer token, or None when unknown, revoked or expired."""
    row = await repo.use_api_token(conn, hash_token(raw_token))
    if row is None:
        return None
    company_status = str(row["status"])
    if not can_sign_in_to(company_status):
        return None
    actor = Actor(
        user_id=int(row["user_id"]),  # type: ignore[call-overload]
        email=str(row["email"]),
        full_name=str(row["full_name"]),
        company_id=int(row["company_id"]),  # type: ignore[call-overload]
        company_kind=str(row["kind"]),
        company_status=company_status,
        roles=frozenset(cast(list[str], row["roles"])),
        via_token=int(row["id"]),  # type: ignore[call-overload]
        ip=client.ip,
        # A token acts for the person who made it, in their zone (deadlines typed, quote validity, emails).
        time_zone=str(row["time_zone"]),
    )
    if row["first_use_this_hour"]:
        await audit.record(conn, "api_token.used", actor=actor, target_type="api_token", target_id=row["id"])
    return actor


async def sign_out(conn: Connection, raw_token: str, actor: Actor | None) -> None:
    await repo.delete_session(conn, hash_token(raw_token))
    if actor is not None:
        await audit.record(conn, "auth.sign_out", actor=actor)


async def switch_company(conn: Connection, raw_token: str, actor: Actor, company_id: int) -> None:
    """Make ``company_id`` the session's active company; 404 unless the user is a member and may enter it."""
    member = await repo.get_member(conn, actor.user_id, company_id=company_id)
    company = await repo.get_company(conn, company_id)
    if member is None or company is None:
        raise NotFound("company.not_found", "No such company.")
    if not can_sign_in_to(company.status):
        raise RuleViolation("company.suspended", "This company's account is suspended.")
    await repo.set_session_company(conn, hash_token(raw_token), company_id)
    await audit.record(conn, "auth.switch_company", actor=actor, company_id=company_id)


async def request_password_reset(conn: Connection, cmd: RequestReset, client: Client, settings: Settings) -> None:
    """Email a single-use reset link if the account exists. The caller always shows the same answer."""
    email = cmd.email.strip().lower()
    await hit(conn, f"reset:email:{email}", limit=RESET_LIMIT_PER_EMAIL, window=RESET_WINDOW)
    user = await repo.get_user_by_email(conn, email)
    if user is None:
        await audit.record(conn, "auth.password_reset_requested", outcome="failure", actor_email=email, ip=client.ip)
        return
    raw, digest = new_token()
    await repo.insert_password_reset(conn, token_hash=digest, user_id=user.id, lifetime=RESET_LIFETIME)
    link = f"{settings.public_base_url}/password/reset?token={raw}"
    await send_email(
        conn,
        to=user.email,
        subject="Reset your Tradeyard password",
        text=(
            f"Hello {user.full_name},\n\nsomeone asked to reset the password of your Tradeyard account.\n"
            f"To choose a new password, open this link within one hour:\n\n{link}\n\n"
            "If it was not you, ignore this email; your password stays as it is.\n"
        ),
    )
    await audit.record(
        conn, "auth.password_reset_requested", actor_user_id=user.id, actor_email=user.email, ip=client.ip
    )


async def reset_token_is_live(conn: Connection, raw_token: str) -> bool:
    return await repo.password_reset_is_live(conn, hash_token(raw_token))


async def complete_password_reset(conn: Connection, cmd: CompleteReset, client: Client, settings: Settings) -> None:
    """Set the new password from a live token (once), and end every session of the account."""
    user_id = await repo.use_password_reset(conn, hash_token(cmd.token))
    if user_id is None:
        raise Conflict("auth.reset_link_invalid", "This reset link has expired or was already used. Ask for a new one.")
    user = await repo.get_user(conn, user_id)
    assert user is not None
    await _set_new_password(conn, user, cmd.password, settings)
    await audit.record(conn, "auth.password_reset", actor_user_id=user.id, actor_email=user.email, ip=client.ip)


async def change_password(
    conn: Connection, actor: Actor, cmd: ChangePassword, client: Client, settings: Settings
) -> str:
    """Change the password, end every session of the account, and return a fresh one for this browser."""
    user = await repo.get_user(conn, actor.user_id)
    assert user is not None
    if not await verify_password(user.password_hash, cmd.current_password, env=settings.env):
        raise RuleViolation("auth.wrong_password", "The current password is not right.", field="current_password")
    await _set_new_password(conn, user, cmd.new_password, settings, field="new_password")
    await audit.record(conn, "auth.password_changed", actor=actor)
    return await start_session(conn, user.id, actor.company_id, client)


async def _set_new_password(
    conn: Connection, user: User, password: str, settings: Settings, *, field: str = "password"
) -> None:
    problem = password_problem(password, email=user.email, name=user.full_name)
    if problem:
        raise RuleViolation("auth.weak_password", problem, field=field)
    await repo.set_password(conn, user.id, await hash_password(password, env=settings.env))
    await repo.delete_user_sessions(conn, user.id)


async def purge_expired_sessions(conn: Connection) -> int:
    return await repo.purge_sessions(conn, idle_timeout=SESSION_IDLE_TIMEOUT)
