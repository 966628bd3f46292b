"""The Jinja environment shared by every page (autoescape on, templates under web/templates)."""

from __future__ import annotations

import functools
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import format_currency, get_currency_precision
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from markupsafe import Markup, escape

from marketplace.core.storage import size_text

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"


def localtime(value: datetime | None, tz: str = "UTC") -> str:
    """An instant in the viewer's time zone, with the zone named (storage is always UTC)."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


MONEY_LOCALE = "en_GB"


def _babel_money(minor: int, currency: str) -> str:
    digits = get_currency_precision(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency, locale=MONEY_LOCALE)


def _number(minor: int, digits: int) -> str:
    whole = f"{minor // 10**digits:,}"
    return f"{whole}.{minor % 10**digits:0{digits}d}" if digits else whole


@functools.cache
def _money_pattern(currency: str) -> tuple[str, str, int] | None:
    """Prefix, suffix and decimals of ``currency`` in ``MONEY_LOCALE``, read once from Babel's own output
    (None: Babel's layout is not "prefix, grouped number, suffix", so every amount goes through Babel)."""
    digits = get_currency_precision(currency)
    sample, number = _babel_money(1234567, currency), _number(1234567, digits)
    at = sample.find(number)
    if at < 0 or sample.count(number) != 1:
        return None
    return sample[:at], sample[at + len(number) :], digits


def money(minor: int | None, currency: str | None) -> str:
    """Integer minor units as a formatted amount (Babel's format, the currency's own number of decimals).

    Babel is slow (~100 µs an amount; a 200 × 20 comparison shows 8,000), so a non-negative amount is
    laid out from the currency's pattern read once from Babel; tests check both agree.
    """
    if minor is None or not currency:
        return ""
    pattern = _money_pattern(currency) if minor >= 0 else None
    if pattern is None:
        return _babel_money(minor, currency)
    prefix, suffix, digits = pattern
    return f"{prefix}{_number(minor, digits)}{suffix}"


def hundredths(value: int | None) -> str:
    """An integer count of hundredths (scores, percentages) with two decimals, exactly: 8533 → "85.33"."""
    if value is None:
        return "—"
    sign, value = ("-", -value) if value < 0 else ("", value)
    return f"{sign}{value // 100:,}.{value % 100:02d}"


def highlight(text: str) -> Markup:
    """Search matches (between \\x02 and \\x03, see search.query) as <mark>, everything else escaped."""
    safe = str(escape(text)).replace("\x02", "<mark>").replace("\x03", "</mark>")
    return Markup(safe)  # noqa: S704 - escaped above; only our own <mark> tags are added


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["localtime"] = localtime
    env.filters["money"] = money
    env.filters["highlight"] = highlight
    env.filters["hundredths"] = hundredths
    env.filters["filesize"] = size_text
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
