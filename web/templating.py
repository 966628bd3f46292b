"""The Jinja environment shared by every page (autoescape on, templates under web/templates)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import format_currency, get_currency_precision
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from markupsafe import Markup, escape

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


def money(minor: int | None, currency: str | None) -> str:
    """Integer minor units as a formatted amount (Babel; the currency's own number of decimals)."""
    if minor is None or not currency:
        return ""
    digits = get_currency_precision(currency)
    return format_currency(Decimal(minor).scaleb(-digits), currency, locale="en_GB")


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
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(env))
