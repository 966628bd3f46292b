"""Turning exceptions into responses: problem+json (RFC 9457) for the JSON API, pages for people.

One set of handlers on the app. A request is answered as JSON when it targets ``/api/`` or the
readiness probes, or asks for JSON and not HTML; everything else gets an HTML error page (a fragment
for htmx requests). Domain errors carry stable codes; unexpected errors are logged with the request
id and answered 500 without internals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import asyncpg
import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from marketplace.core.errors import ConstraintErrors, DomainError, FieldErrors, RuleViolation, domain_error_for

log = structlog.get_logger("tradeyard.errors")

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://tradeyard.example/problems/"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def wants_json(request: Request[Any, Any, Any]) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path in ("/health", "/ready"):
        return True
    accept = request.headers.get("accept", "")
    return "json" in accept and "html" not in accept


def field_errors(exc: ValidationException) -> list[dict[str, str]]:
    """Litestar/msgspec validation details as ``[{field, reason}]``."""
    errors: list[dict[str, str]] = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict):
            field = str(item.get("key") or "body")
            reason = str(item.get("message", "is invalid"))
            if reason == repr(field):  # Litestar reports a missing value as the KeyError's text
                field, reason = ("body", "A JSON body is required.") if field == "data" else (field, "is required")
            errors.append({"field": field, "reason": reason})
    if not errors:
        # msgspec puts the location into the message: "Expected `int`, got `str` - at `$.quantity`"
        reason, _, where = str(exc.detail).partition(" - at `$")
        field = where.strip("`.").strip() or "body"
        errors.append({"field": field, "reason": reason})
    return errors


def problem(
    status: int,
    *,
    code: str,
    detail: str,
    request: Request[Any, Any, Any],
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    title: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title or _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        "request_id": request.scope.get("state", {}).get("request_id"),
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def error_page(
    request: Request[Any, Any, Any],
    status: int,
    *,
    title: str,
    detail: str,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    context = {
        "status": status,
        "title": title,
        "detail": detail,
        "request_id": request.scope.get("state", {}).get("request_id"),
    }
    # htmx 2 does not swap error responses by default; the fragment is shown by the page's error hook.
    template = "errors/fragment.html" if request.headers.get("hx-request") else "errors/page.html"
    return Template(
        template_name=template, context=context, status_code=status, headers=headers, media_type=MediaType.HTML
    )


def sign_in_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    """People without a session go to the sign-in page and come back afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request"):
        return Response(None, status_code=204, headers={"HX-Redirect": location})
    return Response(None, status_code=303, headers={"Location": location})


def _http_code(status: int) -> str:
    return {
        400: "request.invalid",
        401: "auth.required",
        403: "auth.forbidden",
        404: "resource.not_found",
        405: "request.method_not_allowed",
        413: "request.too_large",
        415: "request.unsupported_media_type",
        429: "request.rate_limited",
    }.get(status, f"http.{status}")


def make_exception_handlers(constraints: ConstraintErrors) -> dict[type[Exception] | int, Callable[..., Response[Any]]]:
    def on_domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        if exc.status == 401 and not wants_json(request):
            return sign_in_redirect(request)
        if wants_json(request):
            errors: list[dict[str, Any]] | None
            if isinstance(exc, FieldErrors):
                errors = [{"field": f, "reason": r} for f, r in exc.errors.items()]
            else:
                errors = [{"field": exc.field, "reason": exc.detail}] if exc.field else None
            return problem(
                exc.status,
                code=exc.code,
                detail=exc.detail,
                request=request,
                errors=errors,
                title=exc.title,
                extra=exc.data or None,
                headers=headers,
            )
        return error_page(request, exc.status, title=exc.title, detail=exc.detail, headers=headers)

    def on_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
        errors = field_errors(exc)
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        if wants_json(request):
            return problem(
                400,
                code="request.validation_failed",
                detail=detail,
                request=request,
                errors=errors,
                title="Invalid input",
            )
        return error_page(request, 400, title="Invalid input", detail=detail)

    def on_http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
        status = exc.status_code
        if status >= 500:
            log.error("http_error", status=status, detail=exc.detail)
        detail = exc.detail if status < 500 else "The server could not complete the request."
        headers = dict(exc.headers or {})
        if wants_json(request):
            return problem(status, code=_http_code(status), detail=detail, request=request, headers=headers)
        return error_page(request, status, title=_TITLES.get(status, "Error"), detail=detail, headers=headers)

    def on_integrity_error(
        request: Request[Any, Any, Any], exc: asyncpg.IntegrityConstraintViolationError
    ) -> Response[Any]:
        mapped = domain_error_for(exc, constraints)
        if mapped is not None:
            return on_domain_error(request, mapped)
        return on_unexpected(request, exc)

    def on_bad_text(request: Request[Any, Any, Any], exc: asyncpg.CharacterNotInRepertoireError) -> Response[Any]:
        """PostgreSQL refuses text it cannot store (a NUL character, usually): the input's fault, not ours."""
        return on_domain_error(
            request, RuleViolation("request.invalid_text", "Text may not contain NUL (\\u0000) characters.")
        )

    def on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        log.exception("unhandled_error", exc_info=exc, path=request.url.path)
        detail = "Something went wrong on our side. The error has been logged; please try again."
        if wants_json(request):
            return problem(HTTP_500_INTERNAL_SERVER_ERROR, code="server.error", detail=detail, request=request)
        return error_page(request, HTTP_500_INTERNAL_SERVER_ERROR, title="Something went wrong", detail=detail)

    return {
        DomainError: on_domain_error,
        ValidationException: on_validation,
        HTTPException: on_http_exception,
        asyncpg.IntegrityConstraintViolationError: on_integrity_error,
        asyncpg.CharacterNotInRepertoireError: on_bad_text,
        Exception: on_unexpected,
    }
