"""Template filters: amounts laid out from the currency's pattern agree with Babel, hundredths are exact."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from web.templating import _babel_money, hundredths, money, template_config

CURRENCIES = ["EUR", "USD", "GBP", "CHF", "JPY", "KWD", "PLN", "SEK", "CZK", "HUF", "CNY", "INR", "BRL", "XXX"]


@given(st.integers(min_value=-(10**12), max_value=10**15), st.sampled_from(CURRENCIES))
def test_money_matches_babel_for_every_amount(minor: int, currency: str) -> None:
    assert money(minor, currency) == _babel_money(minor, currency)


def test_money_of_nothing_is_empty() -> None:
    assert money(None, "EUR") == ""
    assert money(100, None) == ""
    assert [money(m, "EUR") for m in (0, 5, 123456)] == ["€0.00", "€0.05", "€1,234.56"]


def test_hundredths_are_shown_with_two_decimals_exactly() -> None:
    assert [hundredths(v) for v in (0, 5, 8533, 10000, 123456, -250, None)] == [
        "0.00", "0.05", "85.33", "100.00", "1,234.56", "-2.50", "—",
    ]  # fmt: skip


def _when(viewer: str, buyer: str) -> str:
    from types import SimpleNamespace

    env = template_config().instance.engine  # type: ignore[union-attr]
    macro = env.get_template("_rfq.html").module.when
    instant = datetime(2026, 3, 29, 9, 30, tzinfo=UTC)
    return " ".join(str(macro(instant, SimpleNamespace(buyer_time_zone=buyer), viewer)).split())


def test_an_instant_is_shown_in_the_viewers_zone_with_the_buyers_zone_and_utc_each_once() -> None:
    shown = _when("Europe/Helsinki", "Europe/London")  # the day both zones switched to summer time
    assert shown.startswith('<time datetime="2026-03-29T09:30:00+00:00">2026-03-29 12:30 EEST</time>')
    assert shown.endswith("(buyer: 2026-03-29 10:30 BST · 2026-03-29 09:30 UTC)</small>")
    assert _when("Europe/Berlin", "UTC").count("09:30 UTC") == 1  # the buyer's zone is UTC: not twice
    assert "<small" not in _when("UTC", "UTC")
