"""Session cookies and redirects shared by the pages."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.datastructures import State

from marketplace.accounts.auth import SESSION_ABSOLUTE_LIFETIME
from marketplace.security import SESSION_COOKIE
from marketplace.settings import Settings


def safe_next(target: str | None, default: str = "/company") -> str:
    """Only local paths: an open redirect would let phishing mails bounce through us."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def redirect(location: str, *, htmx: bool = False) -> Response[Any]:
    if htmx:
        return Response(None, status_code=204, headers={"HX-Redirect": location})
    return Response(None, status_code=303, headers={"Location": location})


def with_session(response: Response[Any], token: str, state: State) -> Response[Any]:
    settings: Settings = state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(SESSION_ABSOLUTE_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        secure=settings.public_base_url.startswith("https://"),
        samesite="lax",
    )
    return response


def without_session(response: Response[Any]) -> Response[Any]:
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
