"""Units of typed attributes: exact Decimal conversion to a base unit, parsing, and errors."""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vendors.units import (
    DIMENSIONS,
    SIGNIFICANT_DIGITS,
    UNITS,
    UnitError,
    canonical_unit,
    convert,
    dimension_of,
    parse_quantity,
    same_quantity,
    to_base,
)

D = Decimal


# --- The table ----------------------------------------------------------------------------------------


def test_every_base_unit_has_factor_one_and_no_offset() -> None:
    for dimension, base in DIMENSIONS.items():
        unit = UNITS[base]
        assert unit.dimension == dimension
        assert (unit.factor, unit.offset) == (D(1), D(0))


def test_factors_are_positive_decimals_and_only_kelvin_has_an_offset() -> None:
    for symbol, unit in UNITS.items():
        assert unit.symbol == symbol
        assert type(unit.factor) is Decimal
        assert type(unit.offset) is Decimal
        assert unit.factor > 0
    assert {s for s, u in UNITS.items() if u.offset} == {"K"}


# --- Examples -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("0.04", "m", ("40", "mm")),
        ("1.5", "kg", ("1500", "g")),
        ("230", "V", ("230", "V")),
        ("1", "in", ("25.4", "mm")),
        ("1", "ft", ("304.8", "mm")),
        ("2.5", "µm", ("0.0025", "mm")),
        ("1", "lb", ("453.59237", "g")),
        ("0.75", "l", ("750", "ml")),
        ("1", "m³", ("1000000", "ml")),
        ("1", "cm²", ("100", "mm2")),
        ("2", "MPa", ("20", "bar")),
        ("101325", "Pa", ("1.01325", "bar")),
        ("1.5", "h", ("5400", "s")),
        ("2.4", "kHz", ("2400", "Hz")),
        ("300", "K", ("26.85", "°C")),
        ("0", "K", ("-273.15", "°C")),
        ("-20", "°C", ("-20", "°C")),
        ("12", "pcs", ("12", "pcs")),
        ("40.000", "mm", ("40", "mm")),
        ("-0.00", "m", ("0", "mm")),
    ],
)
def test_to_base(value: str, unit: str, expected: tuple[str, str]) -> None:
    base_value, base_unit = to_base(D(value), unit)
    assert (base_value, base_unit) == (D(expected[0]), expected[1])
    assert str(base_value) == expected[0]  # normalised: no trailing zeros, no "4E+1"


def test_results_never_use_a_positive_exponent() -> None:
    value, _ = to_base(D("1E+3"), "km")
    assert str(value) == "1000000000"
    assert str(convert(D("1E+40"), "mm", "in")) == "393700787401574803149606299200000000000"


@pytest.mark.parametrize(
    ("value", "unit", "target", "expected"),
    [
        ("0.04", "m", "mm", "40"),
        ("40", "mm", "m", "0.04"),
        ("1500", "g", "kg", "1.5"),
        ("1", "in", "mm", "25.4"),
        ("254", "mm", "in", "10"),
        ("12", "in", "ft", "1"),
        ("1", "oz", "lb", "0.0625"),
        ("300", "K", "°C", "26.85"),
        ("26.85", "°C", "K", "300"),
        ("-273.15", "degC", "K", "0"),
        ("1000", "mbar", "bar", "1"),
        ("1", "cm3", "ml", "1"),
        ("1", "N·m", "Ncm", "100"),
        ("1", "mm", "in", "0.03937007874015748031496062992"),  # 5/127, rounded to 28 significant digits
        ("2", "in", "ft", "0.1666666666666666666666666667"),  # 1/6, rounded half-even, not truncated
    ],
)
def test_convert(value: str, unit: str, target: str, expected: str) -> None:
    assert convert(D(value), unit, target) == D(expected)


def test_same_quantity_across_units_and_spellings() -> None:
    assert same_quantity((D("0.04"), "m"), (D("40"), "mm"))
    assert same_quantity((D("1.5"), "kg"), (D("1500.000"), "g"))
    assert same_quantity((D("1"), "in"), (D("25.4"), "mm"))
    assert same_quantity((D("5"), "um"), (D("0.005"), "mm"))
    assert same_quantity((D("0"), "°C"), (D("273.15"), "K"))
    assert not same_quantity((D("40"), "mm"), (D("41"), "mm"))
    assert not same_quantity((D("1"), "in"), (D("25.40001"), "mm"))
    assert not same_quantity((D("1"), "kg"), (D("1"), "l"))  # different dimensions are never equal


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("um", "µm"),
        ("μm", "µm"),
        ("ul", "µl"),
        ("L", "l"),
        ("mL", "ml"),
        ("m³", "m3"),
        ("mm²", "mm2"),
        ("degC", "°C"),
        ("℃", "°C"),
        ("pc", "pcs"),
        ("kg", "kg"),
    ],
)
def test_aliases_map_to_one_canonical_symbol(alias: str, canonical: str) -> None:
    assert canonical_unit(alias) == canonical
    assert dimension_of(alias) == dimension_of(canonical)


def test_dimension_of() -> None:
    assert dimension_of("in") == "length"
    assert dimension_of("K") == "temperature"
    assert dimension_of("psi") == "pressure"
    assert dimension_of("pcs") == "count"
    assert dimension_of("%") == "ratio"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("40 mm", (D("40"), "mm")),
        ("40mm", (D("40"), "mm")),
        ("0,04 m", (D("0.04"), "m")),
        ("0.04 m", (D("0.04"), "m")),
        ("230 V", (D("230"), "V")),
        ("-20 °C", (D("-20"), "°C")),
        ("-20°C", (D("-20"), "°C")),
        ("\u221240 degC", (D("-40"), "°C")),
        ("  2,5\u00a0um ", (D("2.5"), "µm")),
        ("0,125 m", (D("0.125"), "m")),
        ("1,5 kg", (D("1.5"), "kg")),
        ("1.500 kg", (D("1.500"), "kg")),
        ("50 %", (D("50"), "%")),
        ("+3 bar", (D("3"), "bar")),
    ],
)
def test_parse_quantity(text: str, expected: tuple[Decimal, str]) -> None:
    assert parse_quantity(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a quantity"),
        ("   ", "Enter a quantity"),
        ("mm", "Cannot read 'mm' as a quantity"),
        ("40", "'40' has no unit"),
        ("40 furlongs", "Unknown unit 'furlongs'."),
        ("40 MM", "Unknown unit 'MM'; did you mean 'mm'?"),
        ("1.5 KG", "did you mean 'kg'?"),
        ("40 C", "Unknown unit 'C'."),
        ("1,500 kg", "'1,500 kg' is ambiguous: write 1500 or 1.5."),
        ("1.000.000 mm", "Cannot read"),
        ("1 000 mm", "Cannot read"),
        ("1e3 mm", "Cannot read"),
        (".5 mm", "Cannot read"),
        ("5. mm", "Cannot read"),
        ("4" * 70 + " mm", "at most 64 characters"),
    ],
)
def test_parse_quantity_refuses_malformed_text(text: str, message: str) -> None:
    with pytest.raises(UnitError, match=re.escape(message)):
        parse_quantity(text)


def test_unknown_unit_is_a_unit_error_and_a_value_error() -> None:
    with pytest.raises(UnitError, match="Unknown unit 'Mm'"):
        dimension_of("Mm")
    with pytest.raises(ValueError, match="Unknown unit"):
        to_base(D(1), "parsec")
    with pytest.raises(UnitError, match="Unknown unit"):
        same_quantity((D(1), "m"), (D(1), "yd"))


def test_convert_across_dimensions_is_refused() -> None:
    with pytest.raises(UnitError, match=r"Cannot convert kg \(mass\) to l \(volume\)"):
        convert(D(1), "kg", "l")
    with pytest.raises(UnitError, match="Cannot convert"):
        convert(D(1), "pcs", "%")


@pytest.mark.parametrize("value", [D("NaN"), D("Infinity"), D("-Infinity"), D("1E+999"), D("1E-999")])
def test_non_finite_and_absurd_values_are_refused(value: Decimal) -> None:
    with pytest.raises(UnitError):
        to_base(value, "mm")


# --- Properties ---------------------------------------------------------------------------------------

LINEAR_PAIRS = sorted(
    (a, b)
    for a, ua in UNITS.items()
    for b, ub in UNITS.items()
    if ua.dimension == ub.dimension and not ua.offset and not ub.offset
)


def _terminates(r: Fraction) -> bool:
    d = r.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _exact_both_ways(a: str, b: str) -> bool:
    ratio = Fraction(UNITS[a].factor) / Fraction(UNITS[b].factor)
    return _terminates(ratio) and _terminates(1 / ratio)


EXACT_PAIRS = [pair for pair in LINEAR_PAIRS if _exact_both_ways(*pair)]
INEXACT_PAIRS = [pair for pair in LINEAR_PAIRS if not _exact_both_ways(*pair)]

values = st.decimals(min_value=-(10**12), max_value=10**12, places=6, allow_nan=False, allow_infinity=False)


def test_the_pair_lists_cover_both_kinds() -> None:
    assert ("m", "mm") in EXACT_PAIRS
    assert ("oz", "lb") in EXACT_PAIRS  # 1/16 and 16
    assert ("mm", "in") in INEXACT_PAIRS  # 5/127


@settings(max_examples=200)
@given(values, st.sampled_from(EXACT_PAIRS))
def test_round_trip_is_exact_when_the_ratio_is_a_decimal_both_ways(x: Decimal, pair: tuple[str, str]) -> None:
    a, b = pair
    there = convert(x, a, b)
    assert Fraction(there) == Fraction(x) * Fraction(UNITS[a].factor) / Fraction(UNITS[b].factor)
    assert convert(there, b, a) == x


@settings(max_examples=200)
@given(values, st.sampled_from(INEXACT_PAIRS))
def test_round_trip_is_within_rounding_otherwise(x: Decimal, pair: tuple[str, str]) -> None:
    a, b = pair
    back = convert(convert(x, a, b), b, a)
    assert abs(back - x) <= abs(x) * D("1E-26")


@settings(max_examples=200)
@given(values, st.sampled_from(INEXACT_PAIRS))
def test_results_are_exact_or_correctly_rounded_to_28_significant_digits(x: Decimal, pair: tuple[str, str]) -> None:
    a, b = pair
    exact = Fraction(x) * Fraction(UNITS[a].factor) / Fraction(UNITS[b].factor)
    result = convert(x, a, b)
    if _terminates(exact):  # e.g. psi to Pa: one direction of an inexact pair can be exact
        assert Fraction(result) == exact
        return
    assert len(result.as_tuple().digits) <= SIGNIFICANT_DIGITS
    half_ulp = Fraction(1, 2) * Fraction(10) ** (result.adjusted() - SIGNIFICANT_DIGITS + 1)
    assert abs(Fraction(result) - exact) <= half_ulp


@settings(max_examples=200)
@given(values, st.sampled_from(sorted(UNITS)))
def test_to_base_agrees_with_convert_and_same_quantity(x: Decimal, unit: str) -> None:
    base_value, base_unit = to_base(x, unit)
    assert base_unit == DIMENSIONS[dimension_of(unit)]
    assert base_value == convert(x, unit, base_unit)
    # to_base only multiplies by an exact factor and adds an exact offset: never rounded.
    assert Fraction(base_value) == Fraction(x) * Fraction(UNITS[unit].factor) + Fraction(UNITS[unit].offset)
    assert same_quantity((x, unit), (base_value, base_unit))
    assert "E+" not in str(base_value)


@settings(max_examples=200)
@given(values)
def test_temperature_round_trip_is_exact(x: Decimal) -> None:
    assert convert(convert(x, "°C", "K"), "K", "°C") == x
    assert convert(x, "K", "°C") == x - D("273.15")


@settings(max_examples=200)
@given(values, st.sampled_from(sorted(UNITS)), st.booleans())
def test_parse_reads_what_was_written(x: Decimal, unit: str, comma: bool) -> None:
    text = format(x, "f")
    if comma:
        text = text.replace(".", ",")
        integer, _, frac = text.lstrip("-").partition(",")
        if len(frac) == 3 and integer.lstrip("0"):
            return  # refused as ambiguous, tested above
    assert parse_quantity(f"{text} {unit}") == (x, unit)
