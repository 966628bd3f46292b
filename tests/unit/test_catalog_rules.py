"""Catalog rules: GTINs, SKUs, order quantities, tiered and contract prices."""

from __future__ import annotations

import re
from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.core.money import line_total_minor
from vendors.rules import (
    ContractPrice,
    OrderRules,
    PriceQuote,
    PriceTier,
    QuantityProblem,
    gtin_problem,
    is_valid_quantity,
    normalise_gtin,
    order_rules_problem,
    price_for,
    quantity_problem,
    sku_problem,
    tiers_problem,
)

TODAY = date(2025, 6, 15)

# --- GTIN ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["4006381333931", "96385074", "036000291452", "10012345678902", "4006 3813 3393 1"])
def test_valid_gtins(code: str) -> None:
    assert gtin_problem(code) is None


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("4006381333932", "The check digit should be 1."),
        ("96385075", "The check digit should be 4."),
        ("036000291450", "The check digit should be 2."),
        ("10012345678901", "The check digit should be 2."),
        ("400638133393", "The check digit should be 0."),  # 12 digits: checked as a GTIN-12
        ("400638133", "A GTIN has 8, 12, 13 or 14 digits."),
        ("400638133393100", "A GTIN has 8, 12, 13 or 14 digits."),
        ("1234567", "A GTIN has 8, 12, 13 or 14 digits."),
        ("4006381333931x", "A GTIN has only digits."),
        ("４００６３８１３３３９３１", "A GTIN has only digits."),  # full-width digits are not ASCII digits
        ("", "Enter a GTIN."),
        ("  ", "Enter a GTIN."),
    ],
)
def test_invalid_gtins(code: str, message: str) -> None:
    assert gtin_problem(code) == message


def test_normalise_gtin_pads_to_14_digits() -> None:
    assert normalise_gtin("9638 5074") == "00000096385074"
    assert normalise_gtin("036000291452") == "00036000291452"
    assert normalise_gtin("400-6381-333931") == "04006381333931"
    assert normalise_gtin("10012345678902") == "10012345678902"
    with pytest.raises(ValueError, match=r"The check digit should be 1\."):
        normalise_gtin("4006381333932")


@settings(max_examples=200)
@given(st.text(alphabet="0123456789", min_size=7, max_size=13).filter(lambda s: len(s) + 1 in {8, 12, 13, 14}))
def test_exactly_one_check_digit_is_valid_and_padding_keeps_it_valid(body: str) -> None:
    valid = [d for d in "0123456789" if gtin_problem(body + d) is None]
    assert len(valid) == 1
    assert gtin_problem(normalise_gtin(body + valid[0])) is None
    assert gtin_problem(body + valid[0]) is None


# --- SKU ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sku", ["A", "AB-123_x.9/4 +1", "x" * 64, "rohr 40/2"])
def test_valid_skus(sku: str) -> None:
    assert sku_problem(sku) is None


@pytest.mark.parametrize(
    ("sku", "message"),
    [
        ("", "Enter a SKU."),
        ("x" * 65, "A SKU has at most 64 characters."),
        (" AB1", "A SKU cannot start or end with a space."),
        ("AB1 ", "A SKU cannot start or end with a space."),
        ("AB#1", "A SKU has only letters, digits, spaces and - _ . / +; not '#'."),
        ("Größe\t1", "A SKU has only letters, digits, spaces and - _ . / +; not '\\t' 'ß' 'ö'."),
    ],
)
def test_invalid_skus(sku: str, message: str) -> None:
    assert sku_problem(sku) == message


# --- Order quantities ---------------------------------------------------------------------------------

PACKS_FROM_200 = OrderRules(moq=200, pack_size=100, increment=100)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (200, None),
        (300, None),
        (
            350,
            QuantityProblem(
                message="Sold in packs of 100 from 200 in steps of 100: order 300 or 400.", lower=300, higher=400
            ),
        ),
        (
            250,
            QuantityProblem(
                message="Sold in packs of 100 from 200 in steps of 100: order 200 or 300.", lower=200, higher=300
            ),
        ),
        (
            100,
            QuantityProblem(
                message="Sold in packs of 100 from 200 in steps of 100: order at least 200.", lower=None, higher=200
            ),
        ),
        (
            0,
            QuantityProblem(
                message="Sold in packs of 100 from 200 in steps of 100: order at least 200.", lower=None, higher=200
            ),
        ),
        (
            -300,
            QuantityProblem(
                message="Sold in packs of 100 from 200 in steps of 100: order at least 200.", lower=None, higher=200
            ),
        ),
    ],
)
def test_quantity_problem_packs_from_200(quantity: int, expected: QuantityProblem | None) -> None:
    assert quantity_problem(quantity, PACKS_FROM_200) == expected


@pytest.mark.parametrize(
    ("rules", "quantity", "message"),
    [
        (OrderRules(), 0, "Order at least 1."),
        (OrderRules(moq=5), 3, "Sold from 5: order at least 5."),
        (OrderRules(increment=2), 4, "Sold from 1 in steps of 2: order 3 or 5."),
        (OrderRules(moq=12, pack_size=12, increment=12), 30, "Sold in packs of 12: order 24 or 36."),
        (
            OrderRules(moq=10, pack_size=10, increment=30),
            30,
            "Sold in packs of 10 from 10 in steps of 30: order 10 or 40.",
        ),
    ],
)
def test_quantity_problem_messages(rules: OrderRules, quantity: int, message: str) -> None:
    problem = quantity_problem(quantity, rules)
    assert problem is not None
    assert problem.message == message


def test_any_positive_quantity_is_valid_by_default() -> None:
    assert quantity_problem(1, OrderRules()) is None
    assert quantity_problem(7919, OrderRules()) is None


@pytest.mark.parametrize(
    ("rules", "message"),
    [
        (OrderRules(pack_size=0), "The pack size is at least 1."),
        (OrderRules(moq=0), "The minimum order quantity is at least 1."),
        (OrderRules(increment=0), "The order increment is at least 1."),
        (
            OrderRules(moq=150, pack_size=100, increment=100),
            "The minimum order quantity must be a whole number of packs of 100.",
        ),
        (
            OrderRules(moq=100, pack_size=100, increment=50),
            "The order increment must be a whole number of packs of 100.",
        ),
    ],
)
def test_order_rules_problem(rules: OrderRules, message: str) -> None:
    assert order_rules_problem(rules) == message
    with pytest.raises(ValueError, match=re.escape(message)):
        quantity_problem(100, rules)


@st.composite
def order_rules(draw: st.DrawFn) -> OrderRules:
    pack = draw(st.integers(1, 30))
    return OrderRules(pack_size=pack, moq=pack * draw(st.integers(1, 8)), increment=pack * draw(st.integers(1, 8)))


def _valid_by_definition(q: int, rules: OrderRules) -> bool:
    return q >= rules.moq and q % rules.pack_size == 0 and (q - rules.moq) % rules.increment == 0


@settings(max_examples=200)
@given(order_rules(), st.integers(-50, 3000))
def test_quantity_problem_points_to_the_nearest_valid_quantities(rules: OrderRules, q: int) -> None:
    assert order_rules_problem(rules) is None
    problem = quantity_problem(q, rules)
    assert is_valid_quantity(q, rules) == _valid_by_definition(q, rules)
    assert (problem is None) == _valid_by_definition(q, rules)
    if problem is None:
        return
    assert problem.higher > q
    assert _valid_by_definition(problem.higher, rules)
    assert not any(_valid_by_definition(n, rules) for n in range(q + 1, problem.higher))
    if problem.lower is None:
        assert not any(_valid_by_definition(n, rules) for n in range(-50, q))
        assert problem.message.lower().endswith(f"order at least {problem.higher}.")
    else:
        assert problem.lower < q
        assert _valid_by_definition(problem.lower, rules)
        assert not any(_valid_by_definition(n, rules) for n in range(problem.lower + 1, q))
        assert problem.message.endswith(f": order {problem.lower} or {problem.higher}.")


# --- Prices -------------------------------------------------------------------------------------------


def test_price_per_hundred_pieces() -> None:
    assert line_total_minor(250, 234, 100) == 585  # 2.34 per 100 pieces × 250 pieces


@pytest.mark.parametrize(
    ("quantity", "price", "basis", "total"),
    [
        (1, 5, 10, 1),  # 0.5 rounds up
        (1, 4, 10, 0),  # 0.4 rounds down
        (3, 1, 2, 2),  # 1.5 rounds up
        (1, 15, 10, 2),  # 1.5 rounds up, not to even
        (1, 25, 10, 3),  # 2.5 rounds up, not to even
        (7, 1999, 1, 13993),
        (0, 1999, 1, 0),
        (10, 0, 1, 0),
        (333, 1, 1000, 0),
        (500, 1, 1000, 1),
    ],
)
def test_line_total_rounds_half_up_once(quantity: int, price: int, basis: int, total: int) -> None:
    assert line_total_minor(quantity, price, basis) == total


def test_line_total_rounds_once_not_per_unit() -> None:
    # 0.4 cents per piece: rounding each piece would give 0; rounding the line gives 4.
    assert line_total_minor(10, 4, 10) == 4


@pytest.mark.parametrize(("quantity", "price", "basis"), [(-1, 100, 1), (1, -100, 1), (1, 100, 0)])
def test_line_total_refuses_negative_input(quantity: int, price: int, basis: int) -> None:
    with pytest.raises(ValueError, match="at least"):
        line_total_minor(quantity, price, basis)


@settings(max_examples=200)
@given(st.integers(0, 10**9), st.integers(0, 10**9), st.sampled_from([1, 10, 100, 1000, 10000]))
def test_line_total_is_the_exact_rational_rounded_half_up(quantity: int, price: int, basis: int) -> None:
    exact = Fraction(quantity * price, basis)
    total = line_total_minor(quantity, price, basis)
    assert total == int(exact + Fraction(1, 2))  # floor(x + 1/2) for x >= 0
    assert abs(Fraction(total) - exact) <= Fraction(1, 2)


LIST = (
    PriceTier(min_qty=1, unit_price_minor=250, price_basis=100),
    PriceTier(min_qty=100, unit_price_minor=234, price_basis=100),
    PriceTier(min_qty=1000, unit_price_minor=2000, price_basis=1000),
)


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ((), "Enter at least one price."),
        ((PriceTier(min_qty=0, unit_price_minor=1),), "A price applies from a quantity of at least 1."),
        ((PriceTier(min_qty=1, unit_price_minor=-1),), "The price from 1 cannot be negative."),
        (
            (PriceTier(min_qty=1, unit_price_minor=1, price_basis=12),),
            "The price from 1 is per 1, 10, 100, 1000 or 10000 units.",
        ),
        (
            (PriceTier(min_qty=10, unit_price_minor=5), PriceTier(min_qty=10, unit_price_minor=4)),
            "Price tiers are sorted by quantity, each from a larger quantity than the one before.",
        ),
        (
            (PriceTier(min_qty=10, unit_price_minor=5), PriceTier(min_qty=5, unit_price_minor=4)),
            "Price tiers are sorted by quantity, each from a larger quantity than the one before.",
        ),
        (
            (
                PriceTier(min_qty=1, unit_price_minor=250, price_basis=100),
                PriceTier(min_qty=50, unit_price_minor=26, price_basis=10),
            ),
            "The price per unit from 50 is higher than from 1.",
        ),
    ],
)
def test_tiers_problem(tiers: tuple[PriceTier, ...], message: str) -> None:
    assert tiers_problem(tiers) == message


def test_valid_tiers_including_equal_prices_on_another_basis() -> None:
    assert tiers_problem(LIST) is None
    assert (
        tiers_problem(
            [PriceTier(min_qty=1, unit_price_minor=3), PriceTier(min_qty=5, unit_price_minor=300, price_basis=100)]
        )
        is None
    )


def _list_price(quantity: int, tiers: tuple[PriceTier, ...] = LIST) -> PriceQuote | None:
    return price_for(quantity, currency="EUR", list_tiers=tiers, contracts=(), today=TODAY)


def test_list_price_uses_the_highest_tier_that_applies() -> None:
    assert _list_price(250) == PriceQuote(
        source="list",
        price_list_id=None,
        currency="EUR",
        min_qty=100,
        unit_price_minor=234,
        price_basis=100,
        quantity=250,
        line_total_minor=585,
    )
    quote = _list_price(99)
    assert quote is not None
    assert (quote.min_qty, quote.line_total_minor) == (1, 248)  # 247.5 rounds up
    quote = _list_price(1000)
    assert quote is not None
    assert (quote.min_qty, quote.line_total_minor) == (1000, 2000)


def test_no_price_when_nothing_applies() -> None:
    assert _list_price(5, (PriceTier(min_qty=10, unit_price_minor=100),)) is None
    assert _list_price(5, ()) is None
    assert _list_price(0) is None
    assert _list_price(-3) is None


def test_tier_order_in_the_input_does_not_matter() -> None:
    assert _list_price(250, tuple(reversed(LIST))) == _list_price(250)


def _contract(
    list_id: int, price: int, *, start: date | None = None, end: date | None = None, min_qty: int = 1
) -> ContractPrice:
    return ContractPrice(
        price_list_id=list_id,
        valid_from=start,
        valid_to=end,
        tiers=(PriceTier(min_qty=min_qty, unit_price_minor=price),),
    )


def test_contract_beats_a_cheaper_list_price() -> None:
    quote = price_for(
        10,
        currency="EUR",
        list_tiers=(PriceTier(min_qty=1, unit_price_minor=100),),
        contracts=[_contract(7, 120)],
        today=TODAY,
    )
    assert quote is not None
    assert (quote.source, quote.price_list_id, quote.line_total_minor) == ("contract", 7, 1200)


def test_cheapest_valid_contract_wins_ties_go_to_the_lowest_price_list() -> None:
    contracts = [
        _contract(3, 90),
        _contract(1, 80, end=TODAY - timedelta(days=1)),  # expired
        _contract(2, 95, min_qty=50),  # does not apply to 10 units
        _contract(9, 85),
        _contract(5, 85),
        _contract(4, 70, start=TODAY + timedelta(days=1)),  # not started
    ]
    quote = price_for(10, currency="EUR", list_tiers=LIST, contracts=contracts, today=TODAY)
    assert quote is not None
    assert (quote.source, quote.price_list_id, quote.line_total_minor) == ("contract", 5, 850)


def test_list_price_when_no_contract_applies() -> None:
    contracts = [_contract(1, 80, end=TODAY - timedelta(days=1)), _contract(2, 95, min_qty=500)]
    quote = price_for(10, currency="CHF", list_tiers=LIST, contracts=contracts, today=TODAY)
    assert quote is not None
    assert (quote.source, quote.price_list_id, quote.currency, quote.line_total_minor) == ("list", None, "CHF", 25)


def test_contract_applies_without_list_tiers() -> None:
    quote = price_for(10, currency="EUR", list_tiers=(), contracts=[_contract(2, 95)], today=TODAY)
    assert quote is not None
    assert quote.source == "contract"


# --- Price properties ---------------------------------------------------------------------------------

dates = st.dates(min_value=date(2000, 1, 2), max_value=date(2099, 12, 30))


@st.composite
def valid_tiers(draw: st.DrawFn) -> tuple[PriceTier, ...]:
    """Tiers that pass tiers_problem: rising min_qty, per-unit price never rising."""
    count = draw(st.integers(1, 5))
    mins = sorted(draw(st.sets(st.integers(1, 2000), min_size=count, max_size=count)))
    tiers: list[PriceTier] = []
    per_unit = Fraction(draw(st.integers(0, 100_000)), 100)
    for min_qty in mins:
        basis = draw(st.sampled_from([1, 10, 100, 1000, 10000]))
        price = int(per_unit * basis)  # floor: never above the previous per-unit price
        tiers.append(PriceTier(min_qty=min_qty, unit_price_minor=price, price_basis=basis))
        per_unit = Fraction(price, basis) * Fraction(draw(st.integers(50, 100)), 100)
    result = tuple(tiers)
    assert tiers_problem(result) is None
    return result


@settings(max_examples=200)
@given(valid_tiers(), st.integers(1, 3000), st.integers(1, 3000))
def test_price_per_unit_never_rises_with_quantity(tiers: tuple[PriceTier, ...], a: int, b: int) -> None:
    small, large = sorted((a, b))
    low, high = _list_price(small, tiers), _list_price(large, tiers)
    if low is None:
        assert small < tiers[0].min_qty
        return
    assert high is not None
    assert Fraction(high.unit_price_minor, high.price_basis) <= Fraction(low.unit_price_minor, low.price_basis)


@settings(max_examples=200)
@given(
    valid_tiers(),
    valid_tiers(),
    st.integers(1, 3000),
    st.one_of(st.none(), st.integers(0, 400)),
    st.one_of(st.none(), st.integers(0, 400)),
)
def test_a_valid_contract_always_beats_the_list_price(
    list_tiers: tuple[PriceTier, ...],
    contract_tiers: tuple[PriceTier, ...],
    quantity: int,
    back: int | None,
    ahead: int | None,
) -> None:
    contract = ContractPrice(
        price_list_id=42,
        valid_from=None if back is None else TODAY - timedelta(days=back),
        valid_to=None if ahead is None else TODAY + timedelta(days=ahead),
        tiers=contract_tiers,
    )
    quote = price_for(quantity, currency="EUR", list_tiers=list_tiers, contracts=[contract], today=TODAY)
    if quantity >= contract_tiers[0].min_qty:
        assert quote is not None
        assert (quote.source, quote.price_list_id) == ("contract", 42)
        tier = max((t for t in contract_tiers if t.min_qty <= quantity), key=lambda t: t.min_qty)
        assert quote.line_total_minor == line_total_minor(quantity, tier.unit_price_minor, tier.price_basis)
    elif quantity >= list_tiers[0].min_qty:
        assert quote is not None
        assert quote.source == "list"
    else:
        assert quote is None


@settings(max_examples=200)
@given(dates, dates)
def test_contract_validity_dates_are_inclusive(a: date, b: date) -> None:
    start, end = sorted((a, b))
    contract = _contract(7, 50, start=start, end=end)
    list_tiers = (PriceTier(min_qty=1, unit_price_minor=100),)

    def source(day: date) -> str | None:
        quote = price_for(3, currency="EUR", list_tiers=list_tiers, contracts=[contract], today=day)
        return None if quote is None else quote.source

    assert source(start) == "contract"
    assert source(end) == "contract"
    assert source(start - timedelta(days=1)) == "list"
    assert source(end + timedelta(days=1)) == "list"


@settings(max_examples=200)
@given(dates)
def test_open_ended_contracts(day: date) -> None:
    list_tiers = (PriceTier(min_qty=1, unit_price_minor=100),)
    days = (day - timedelta(days=1), day, day + timedelta(days=1))
    for contract, expected in [
        (_contract(1, 50, start=day), ("list", "contract", "contract")),
        (_contract(1, 50, end=day), ("contract", "contract", "list")),
        (_contract(1, 50), ("contract", "contract", "contract")),
    ]:
        quotes = [price_for(3, currency="EUR", list_tiers=list_tiers, contracts=[contract], today=d) for d in days]
        assert tuple(q.source if q else None for q in quotes) == expected


@settings(max_examples=200)
@given(
    st.lists(st.tuples(st.integers(1, 20), st.integers(0, 500)), min_size=1, max_size=6, unique_by=lambda o: o[0]),
    st.integers(1, 100),
)
def test_the_lowest_contract_total_wins(offers: list[tuple[int, int]], quantity: int) -> None:
    contracts = [_contract(list_id, price) for list_id, price in offers]
    quote = price_for(quantity, currency="EUR", list_tiers=LIST, contracts=contracts, today=TODAY)
    assert quote is not None
    best_total, best_id = min((quantity * price, list_id) for list_id, price in offers)
    assert (quote.line_total_minor, quote.price_list_id) == (best_total, best_id)
