"""Resolving the actor of a request: session cookie for pages, bearer token for the JSON API.

The JSON API accepts only bearer tokens, never cookies; that is why CSRF protection can exempt it.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from litestar import Request

from marketplace.accounts.auth import Client, actor_from_api_token, actor_from_session
from marketplace.accounts.errors import NotAuthenticated
from marketplace.core.actor import Actor, MaybeActor
from marketplace.core.db import Tx

SESSION_COOKIE = "ty_session"

AnyRequest: TypeAlias = Request[Any, Any, Any]


def client_of(request: AnyRequest) -> Client:
    return Client(ip=request.client.host if request.client else None, user_agent=request.headers.get("user-agent"))


async def provide_optional_web_actor(request: AnyRequest, conn: Tx) -> Actor | None:
    raw = request.cookies.get(SESSION_COOKIE)
    actor = None
    if raw and len(raw) <= 200:
        actor = await actor_from_session(conn, raw, client_of(request))
    request.state["actor"] = actor  # the layout shows who is signed in
    return actor


async def provide_web_actor(maybe_actor: MaybeActor) -> Actor:
    if maybe_actor is None:
        raise NotAuthenticated()
    return maybe_actor


async def provide_api_actor(request: AnyRequest, conn: Tx) -> Actor:
    header = request.headers.get("authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw or len(raw) > 200:
        raise NotAuthenticated("Send an API token as `Authorization: Bearer <token>`.")
    actor = await actor_from_api_token(conn, raw.strip(), client_of(request))
    if actor is None:
        raise NotAuthenticated("This API token is unknown, revoked or expired.")
    return actor
