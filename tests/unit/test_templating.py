"""Template filters: amounts laid out from the currency's pattern agree with Babel, hundredths are exact."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from web.templating import _babel_money, hundredths, money

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
