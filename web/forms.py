"""HTML forms: parse a posted form into a command Struct, and re-render with messages next to fields."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.response import Template

from marketplace.core.errors import DomainError, FieldErrors

T = TypeVar("T")


class FormErrors(Exception):
    """Field → message, plus a message for the whole form."""

    def __init__(self, fields: dict[str, str], summary: str | None = None) -> None:
        super().__init__(summary or "; ".join(fields.values()))
        self.fields = fields
        self.summary = summary


async def read_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Form fields as a dict; repeated fields (checkboxes) become lists."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in form:
        if key == "_csrf_token":
            continue
        values = form.getall(key)
        data[key] = values if len(values) > 1 or key.endswith("roles") else values[0]
    return data


def parse(cmd_type: type[T], data: Mapping[str, Any], *, lists: tuple[str, ...] = ()) -> T:
    """Convert form strings into ``cmd_type``; raises ``FormErrors`` naming the field that is wrong."""
    cleaned: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str):
            value = value.strip()
            if value == "":
                continue
        cleaned[key] = value
    for key in lists:
        value = cleaned.get(key)
        if isinstance(value, str):
            cleaned[key] = [value]
    try:
        return msgspec.convert(cleaned, cmd_type, strict=False)
    except msgspec.ValidationError as exc:
        reason, _, where = str(exc).partition(" - at `$.")
        field = where.rstrip("`").split("[", 1)[0] if where else ""
        if not field and "missing required field" in reason:
            field = reason.rpartition("`")[0].rpartition("`")[2]
            reason = "This field is required."
        raise FormErrors({field or "_form": _humane(reason)}) from None


def _humane(reason: str) -> str:
    replacements = {
        "Expected `str` of length >= ": "Too short; at least ",
        "Expected `str` of length <= ": "Too long; at most ",
        "Expected `str` matching regex": "Not in the expected format",
        "Expected `int`, got `str`": "Enter a whole number.",
        "Expected `date`, got `str`": "Enter a date.",
        "Invalid enum value": "Choose one of the options; not",
    }
    for raw, nice in replacements.items():
        if reason.startswith(raw):
            rest = reason[len(raw) :]
            if "length" in raw:
                return f"{nice}{rest} characters."
            return f"{nice} {rest}".strip() if "enum" in raw else nice
    return reason


def errors_of(exc: DomainError | FormErrors) -> tuple[dict[str, str], str | None]:
    if isinstance(exc, FormErrors):
        return exc.fields, exc.summary
    if isinstance(exc, FieldErrors):
        return dict(exc.errors), None
    if exc.field:
        return {exc.field: exc.detail}, None
    return {}, exc.detail


def render_form(
    template: str,
    exc: DomainError | FormErrors,
    *,
    values: Mapping[str, Any],
    status_code: int | None = None,
    **context: Any,
) -> Template:
    """The same page again, with what the person typed (never passwords) and the messages."""
    fields, summary = errors_of(exc)
    safe_values = {k: v for k, v in values.items() if "password" not in k}
    status = status_code or (exc.status if isinstance(exc, DomainError) else 422)
    return Template(
        template_name=template,
        context={"errors": fields, "summary": summary, "values": safe_values, **context},
        status_code=status,
        headers={"Retry-After": str(exc.retry_after)} if getattr(exc, "retry_after", None) else None,  # type: ignore[union-attr]
    )


def parse_nested(cmd_type: type[T], data: Mapping[str, Any]) -> T:
    """Like ``parse`` for commands with lists of Structs: the error names the full path (``lines[0].quantity``),
    which is also the name of the input in the form."""
    try:
        return msgspec.convert(data, cmd_type, strict=False)
    except msgspec.ValidationError as exc:
        reason, _, where = str(exc).partition(" - at `$.")
        field = where.rstrip("`")
        if "missing required field" in reason:
            name = reason.rpartition("`")[0].rpartition("`")[2]
            field = f"{field}.{name}" if field else name
            reason = "This field is required."
        raise FormErrors({field or "_form": _humane(reason)}) from None


def minor_units(text: str, digits: int) -> int:
    """A decimal amount typed in major units ("12.5", "1,234.50" is refused) as integer minor units.

    Parsed from the string, never through a float; more decimals than the currency has are refused.
    Raises ``ValueError`` with a message for the person.
    """
    value = text.strip().replace(",", ".")
    if not value:
        raise ValueError("Enter an amount like 12.50.")
    whole, dot, fraction = value.partition(".")
    if not whole:
        whole = "0"
    if not whole.isdigit() or (dot and not fraction.isdigit()) or not whole.isascii() or not fraction.isascii():
        raise ValueError("Enter an amount like 12.50.")
    if len(fraction) > digits:
        raise ValueError(f"At most {digits} decimal place(s).")
    if len(whole) > 13:
        raise ValueError("Too large.")
    minor: int = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
    return minor


def major_units(minor: int, digits: int) -> str:
    """Integer minor units as the plain decimal a form field shows (``1250`` → ``12.50``); ``minor_units`` reads it."""
    whole, fraction = divmod(minor, 10**digits)
    return f"{whole}.{fraction:0{digits}d}" if digits else str(whole)
