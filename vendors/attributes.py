"""Typed attribute values: checked against the category's definitions and normalised for comparison.

Stored as JSON per product or variant: ``{"length": {"value": "40", "unit": "mm", "base": "40",
"base_unit": "mm"}, "material": {"value": "A2"}, "rohs": {"value": true}}``. ``base`` is the value in
the dimension's base unit, so ``0.04 m`` and ``40 mm`` compare (and filter) equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from vendors.models import AttributeDefinition
from vendors.units import UnitError, dimension_of, parse_quantity, to_base

TRUE_WORDS = frozenset({"true", "yes", "ja", "1", "y", "on"})
FALSE_WORDS = frozenset({"false", "no", "nein", "0", "n", "off"})


def check_value(definition: AttributeDefinition, raw: str) -> dict[str, Any]:
    """One raw value ("40 mm", "A2", "yes") as a typed value; raises ValueError with a message for people."""
    text = raw.strip()
    if not text:
        raise ValueError("is empty")
    if len(text) > 200:
        raise ValueError("is longer than 200 characters")
    if definition.type == "number":
        try:
            value, unit = parse_quantity(text)
        except UnitError:
            unit = definition.display_unit or ""
            try:
                value = Decimal(text.replace(",", "."))
            except InvalidOperation:
                raise ValueError(f"is not a number with a unit, e.g. 40 {unit}".rstrip()) from None
            if not value.is_finite():
                raise ValueError("is not a number") from None
        try:
            if dimension_of(unit) != definition.dimension:
                raise ValueError(f"needs a unit of {definition.dimension}, e.g. {definition.display_unit}")
            base, base_unit = to_base(value, unit)
        except UnitError as exc:
            raise ValueError(str(exc)) from None
        return {"value": _plain(value), "unit": unit, "base": _plain(base), "base_unit": base_unit}
    if definition.type == "boolean":
        lowered = text.lower()
        if lowered in TRUE_WORDS:
            return {"value": True}
        if lowered in FALSE_WORDS:
            return {"value": False}
        raise ValueError("must be yes or no")
    if definition.type == "enum":
        allowed = definition.enum_values or []
        match = next((v for v in allowed if v.lower() == text.lower()), None)
        if match is None:
            raise ValueError(f"must be one of: {', '.join(allowed)}")
        return {"value": match}
    return {"value": text}


def _plain(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros (40, 0.5, 1500)."""
    text = format(value.normalize(), "f")
    return text


def check_attributes(
    definitions: Sequence[AttributeDefinition], raw: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values for the known codes, and ``code → reason`` for every problem (unknown codes included)."""
    by_code = {d.code: d for d in definitions}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for code, text in raw.items():
        if text is None or str(text).strip() == "":
            continue
        definition = by_code.get(code)
        if definition is None:
            errors[code] = "is not an attribute of this category"
            continue
        try:
            values[code] = check_value(definition, str(text))
        except ValueError as exc:
            errors[code] = f"{definition.label} {exc}"
    return values, errors


def missing_required(definitions: Sequence[AttributeDefinition], *value_sets: Mapping[str, Any]) -> list[str]:
    present = set().union(*(v.keys() for v in value_sets)) if value_sets else set()
    return [d.code for d in definitions if d.required and d.code not in present]


def display(value: Mapping[str, Any]) -> str:
    """How a stored value reads on a page ("40 mm", "A2", "yes")."""
    v = value.get("value")
    if isinstance(v, bool):
        return "yes" if v else "no"
    unit = value.get("unit")
    return f"{v} {unit}" if unit else str(v)
