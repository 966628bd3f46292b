"""Units of typed attributes, normalised so that equal quantities compare equal.

Every unit belongs to one dimension and reaches that dimension's base unit by
``base = value * factor + offset``; factors and offsets are exact ``Decimal`` values (the offset is only
non-zero for kelvin). Arithmetic is done on exact ``Fraction`` values and rounded once at the end:

* a result that is a terminating decimal is returned exactly, whatever its length (so ``to_base`` and
  every conversion by a power of ten, or into a unit with a larger exact factor, never round);
* otherwise (for example millimetres to inches, 1/25.4 = 5/127) it is rounded half-even to
  ``SIGNIFICANT_DIGITS`` significant digits.

Results are normalised: no trailing zeros after the point and never a positive exponent, so
``to_base(Decimal("0.04"), "m") == (Decimal("40"), "mm")`` and ``str()`` of it is ``"40"``.

Spelling decisions (symbols are case-sensitive, as in SI: ``m`` is metre, ``M`` is nothing here):

* micro may be written ``µ`` (micro sign), ``μ`` (Greek mu) or ``u``: ``µm``, ``um``, ``µl``, ``ul``;
* squares and cubes may use superscripts: ``mm²``/``mm2``, ``m³``/``m3``; the ASCII form is canonical;
* litres may be written ``l`` or ``L`` (``ml``/``mL`` ...), as SI allows both; ``l`` is canonical;
* Celsius is ``°C``, ``degC`` or ``℃``; a bare ``C`` is refused because it is the coulomb;
* ``pc`` is accepted for ``pcs``; ``N·m`` for ``Nm``;
* anything else, e.g. ``MM`` or ``KG``, is refused with a "did you mean" hint rather than guessed.

Beyond the brief's list, ``cm3`` (= ml, engine and syringe volumes) and ``Ncm``/``kNm`` (torque) are
known units. Fahrenheit is not: its factor 5/9 has no exact decimal form. ``pcs`` and ``%`` are separate
dimensions (``count`` and ``ratio``): converting between them means nothing. The psi factor is the only
inexact one (lbf/in² is not a terminating decimal in bar); it is stored to 28 significant digits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Final

import msgspec

SIGNIFICANT_DIGITS: Final = 28
"""Significant digits kept when an exact result is not a terminating decimal."""

_MAX_EXPONENT: Final = 100  # |exponent| of an input Decimal; keeps the exact arithmetic small
_MAX_QUANTITY_TEXT: Final = 64


class UnitError(ValueError):
    """A unit or quantity that cannot be read, or two units that cannot be converted."""


class Unit(msgspec.Struct, frozen=True, kw_only=True):
    """One unit: ``value`` in this unit is ``value * factor + offset`` in its dimension's base unit."""

    symbol: str
    dimension: str
    factor: Decimal
    offset: Decimal = Decimal(0)


# dimension: (base unit, {canonical symbol: factor to the base unit}); factors are strings, never floats.
_TABLE: Final[dict[str, tuple[str, dict[str, str]]]] = {
    "length": (
        "mm",
        {"µm": "0.001", "mm": "1", "cm": "10", "dm": "100", "m": "1000", "km": "1000000", "in": "25.4", "ft": "304.8"},
    ),
    "mass": (
        "g",
        {"mg": "0.001", "g": "1", "kg": "1000", "t": "1000000", "lb": "453.59237", "oz": "28.349523125"},
    ),
    "volume": (
        "ml",
        {"µl": "0.001", "ml": "1", "cm3": "1", "cl": "10", "dl": "100", "l": "1000", "m3": "1000000"},
    ),
    "voltage": ("V", {"mV": "0.001", "V": "1", "kV": "1000"}),
    "current": ("A", {"mA": "0.001", "A": "1"}),
    "power": ("W", {"mW": "0.001", "W": "1", "kW": "1000"}),
    "pressure": (
        "bar",
        {
            "mbar": "0.001",
            "bar": "1",
            "Pa": "0.00001",
            "kPa": "0.01",
            "MPa": "10",
            # 0.45359237 kg × 9.80665 m/s² / (0.0254 m)², in bar, to 28 significant digits.
            "psi": "0.06894757293168361336722673445",
        },
    ),
    "torque": ("Nm", {"Ncm": "0.01", "Nm": "1", "kNm": "1000"}),
    "frequency": ("Hz", {"Hz": "1", "kHz": "1000", "MHz": "1000000"}),
    "time": ("s", {"ms": "0.001", "s": "1", "min": "60", "h": "3600"}),
    "area": ("mm2", {"mm2": "1", "cm2": "100", "m2": "1000000"}),
    "temperature": ("°C", {"°C": "1", "K": "1"}),
    "count": ("pcs", {"pcs": "1"}),
    "ratio": ("%", {"%": "1"}),
}

_OFFSETS: Final[dict[str, str]] = {"K": "-273.15"}

_ALIASES: Final[dict[str, str]] = {
    "um": "µm",
    "μm": "µm",
    "ul": "µl",
    "μl": "µl",
    "µL": "µl",
    "μL": "µl",
    "uL": "µl",
    "mL": "ml",
    "cL": "cl",
    "dL": "dl",
    "L": "l",
    "cm³": "cm3",
    "m³": "m3",
    "mm²": "mm2",
    "cm²": "cm2",
    "m²": "m2",
    "degC": "°C",
    "℃": "°C",
    "N·m": "Nm",
    "pc": "pcs",
}

DIMENSIONS: Final[Mapping[str, str]] = MappingProxyType({dim: base for dim, (base, _) in _TABLE.items()})
"""Dimension name → its base unit."""

UNITS: Final[Mapping[str, Unit]] = MappingProxyType(
    {
        symbol: Unit(
            symbol=symbol,
            dimension=dim,
            factor=Decimal(factor),
            offset=Decimal(_OFFSETS.get(symbol, "0")),
        )
        for dim, (_, factors) in _TABLE.items()
        for symbol, factor in factors.items()
    }
)
"""Canonical symbol → unit."""

ALIASES: Final[Mapping[str, str]] = MappingProxyType(dict(_ALIASES))
"""Accepted alternative spelling → canonical symbol."""

_SPELLINGS: Final[dict[str, str]] = {**{s: s for s in UNITS}, **_ALIASES}

_QUANTITY: Final = re.compile(
    r"(?P<sign>[-+\u2212]?)(?P<int>[0-9]+)(?:(?P<sep>[.,])(?P<frac>[0-9]+))?\s*(?P<unit>.*)", re.DOTALL
)


def _unknown(unit: str) -> UnitError:
    folded = unit.casefold()
    hints = sorted({canon for spelling, canon in _SPELLINGS.items() if spelling.casefold() == folded})
    hint = f"; did you mean {hints[0]!r}?" if len(hints) == 1 else "."
    return UnitError(f"Unknown unit {unit!r}{hint}")


def unit_info(unit: str) -> Unit:
    """The unit for a symbol or accepted alias; raises UnitError for an unknown one."""
    canon = _SPELLINGS.get(unit)
    if canon is None:
        raise _unknown(unit)
    return UNITS[canon]


def canonical_unit(unit: str) -> str:
    """The canonical spelling of a unit (``um`` → ``µm``, ``m³`` → ``m3``); raises UnitError."""
    return unit_info(unit).symbol


def dimension_of(unit: str) -> str:
    """The dimension of a unit, e.g. ``"length"`` for ``"in"``; raises UnitError for an unknown unit."""
    return unit_info(unit).dimension


def _exact(value: Decimal) -> Fraction:
    if not value.is_finite():
        raise UnitError(f"{value} is not a number.")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite, so never 'n', 'N' or 'F'
    if value and abs(exponent) > _MAX_EXPONENT:
        raise UnitError(f"{value} is out of range.")
    return Fraction(value)


def _decimal(r: Fraction) -> Decimal:
    """``r`` exactly if it is a terminating decimal, else rounded half-even; normalised, no positive exponent."""
    if r == 0:
        return Decimal(0)
    sign = "-" if r < 0 else ""
    r = abs(r)
    rest = r.denominator
    twos = fives = 0
    while rest % 2 == 0:
        rest //= 2
        twos += 1
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest == 1:
        places = max(twos, fives)
        coefficient = r.numerator * 10**places // r.denominator
        exponent = -places
    else:
        magnitude = len(str(r.numerator)) - len(str(r.denominator))
        if r < Fraction(10) ** magnitude:
            magnitude -= 1  # now 10**magnitude <= r < 10**(magnitude + 1)
        shift = SIGNIFICANT_DIGITS - 1 - magnitude
        scaled = r * Fraction(10) ** shift
        coefficient, remainder = divmod(scaled.numerator, scaled.denominator)
        # No exact tie is possible: that would make r a terminating decimal.
        if 2 * remainder > scaled.denominator:
            coefficient += 1
        exponent = -shift
    while exponent < 0 and coefficient % 10 == 0:
        coefficient //= 10
        exponent += 1
    if exponent > 0:
        coefficient *= 10**exponent
        exponent = 0
    return Decimal(f"{sign}{coefficient}E{exponent}")


def _in_base(value: Decimal, unit: Unit) -> Fraction:
    return _exact(value) * Fraction(unit.factor) + Fraction(unit.offset)


def to_base(value: Decimal, unit: str) -> tuple[Decimal, str]:
    """``value`` in the base unit of its dimension, exact and normalised; raises UnitError."""
    info = unit_info(unit)
    return _decimal(_in_base(value, info)), DIMENSIONS[info.dimension]


def convert(value: Decimal, unit: str, target_unit: str) -> Decimal:
    """``value`` in ``unit`` expressed in ``target_unit`` (same dimension); raises UnitError."""
    source, target = unit_info(unit), unit_info(target_unit)
    if source.dimension != target.dimension:
        raise UnitError(f"Cannot convert {source.symbol} ({source.dimension}) to {target.symbol} ({target.dimension}).")
    return _decimal((_in_base(value, source) - Fraction(target.offset)) / Fraction(target.factor))


def same_quantity(a: tuple[Decimal, str], b: tuple[Decimal, str]) -> bool:
    """Whether two quantities are exactly equal; False across dimensions, UnitError for an unknown unit."""
    unit_a, unit_b = unit_info(a[1]), unit_info(b[1])
    return unit_a.dimension == unit_b.dimension and _in_base(a[0], unit_a) == _in_base(b[0], unit_b)


def parse_quantity(text: str) -> tuple[Decimal, str]:
    """Read ``"40 mm"``, ``"0,04 m"`` or ``"-20 °C"`` as (value, canonical unit); raises UnitError.

    The value is kept as written (``"40.0 mm"`` gives ``Decimal("40.0")``). A dot or a comma is the decimal
    separator; thousands separators and exponents are refused. A comma followed by exactly three digits
    after a non-zero integer part (``"1,500 kg"``) is refused as ambiguous: it means 1.5 in German and
    1500 in English. ``"0,125 m"`` is fine.
    """
    stripped = text.strip()
    if not stripped:
        raise UnitError("Enter a quantity with its unit, such as '40 mm'.")
    if len(stripped) > _MAX_QUANTITY_TEXT:
        raise UnitError(f"A quantity has at most {_MAX_QUANTITY_TEXT} characters.")
    match = _QUANTITY.fullmatch(stripped)
    if match is None:
        raise UnitError(f"Cannot read {text!r} as a quantity: write a number and a unit, such as '40 mm'.")
    integer, sep, frac, unit = match["int"], match["sep"], match["frac"], match["unit"].strip()
    if not unit:
        raise UnitError(f"{text!r} has no unit: write a number and a unit, such as '40 mm'.")
    if sep == "," and len(frac) == 3 and integer.lstrip("0"):
        decimal = format(Decimal(f"{integer}.{frac}").normalize(), "f")
        raise UnitError(f"{text!r} is ambiguous: write {int(integer + frac)} or {decimal}.")
    if unit[0] in ".,0123456789" or re.match(r"[eE][-+]?[0-9]", unit):
        raise UnitError(f"Cannot read {text!r} as a quantity: write a number and a unit, such as '40 mm'.")
    try:
        symbol = canonical_unit(unit)
    except UnitError as error:
        raise UnitError(f"Cannot read {text!r} as a quantity. {error}") from None
    sign = "-" if match["sign"] in ("-", "\u2212") else ""
    value = Decimal(f"{sign}{integer}.{frac}" if frac else f"{sign}{integer}")
    return value, symbol
