"""Pure catalog rules: GTINs, SKUs, order quantities and prices. No I/O.

Money is integer minor units of a currency (cents); a unit price is quoted for ``price_basis`` units
(234 cents per 100 pieces), and a line total is rounded once, half-up, with integer arithmetic only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Final, Literal

import msgspec

from marketplace.core.money import line_total_minor

GTIN_LENGTHS: Final = frozenset({8, 12, 13, 14})
PRICE_BASES: Final = frozenset({1, 10, 100, 1000, 10000})
SKU_MAX_LENGTH: Final = 64

_GTIN_SEPARATORS: Final = re.compile(r"[ \-]")
_SKU_ALLOWED: Final = re.compile(r"[A-Za-z0-9\-_./ +]")


# --- GTIN ---------------------------------------------------------------------------------------------


def _gtin_check_digit(body: str) -> int:
    """The mod-10 check digit for the digits before it: weights 3, 1, 3, ... from the right."""
    total = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_problem(code: str) -> str | None:
    """Why ``code`` is not a valid GTIN-8/12/13/14 (spaces and hyphens ignored), or None if it is."""
    digits = _GTIN_SEPARATORS.sub("", code)
    if not digits:
        return "Enter a GTIN."
    if not (digits.isascii() and digits.isdigit()):
        return "A GTIN has only digits."
    if len(digits) not in GTIN_LENGTHS:
        return "A GTIN has 8, 12, 13 or 14 digits."
    expected = _gtin_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        return f"The check digit should be {expected}."
    return None


def normalise_gtin(code: str) -> str:
    """The GTIN as stored: separators removed, zero-padded to 14 digits; raises ValueError if invalid."""
    problem = gtin_problem(code)
    if problem is not None:
        raise ValueError(problem)
    return _GTIN_SEPARATORS.sub("", code).zfill(14)


# --- SKU ----------------------------------------------------------------------------------------------


def sku_problem(sku: str) -> str | None:
    """Why ``sku`` is not a valid SKU (1–64 ASCII letters, digits and ``-_./ +``), or None if it is."""
    if not sku:
        return "Enter a SKU."
    if len(sku) > SKU_MAX_LENGTH:
        return f"A SKU has at most {SKU_MAX_LENGTH} characters."
    if sku != sku.strip(" "):
        return "A SKU cannot start or end with a space."
    bad = sorted({char for char in sku if not _SKU_ALLOWED.fullmatch(char)})
    if bad:
        shown = " ".join(repr(char) for char in bad)
        return f"A SKU has only letters, digits, spaces and - _ . / +; not {shown}."
    return None


# --- Order quantities ---------------------------------------------------------------------------------


class OrderRules(msgspec.Struct, frozen=True, kw_only=True):
    """How an offer may be ordered, all counted in units.

    A quantity ``q`` is valid when ``q >= moq``, ``q % pack_size == 0`` and ``(q - moq) % increment == 0``.
    Valid rules have ``moq`` and ``increment`` multiples of ``pack_size``, so the valid quantities are
    exactly ``moq, moq + increment, moq + 2 * increment, ...``.
    """

    moq: int = 1
    pack_size: int = 1
    increment: int = 1


class QuantityProblem(msgspec.Struct, frozen=True, kw_only=True):
    """Why a quantity cannot be ordered, with the nearest valid quantities below and above it."""

    message: str
    lower: int | None
    higher: int


def order_rules_problem(rules: OrderRules) -> str | None:
    """Why ``rules`` admit no sensible quantity, or None if they are valid."""
    if rules.pack_size < 1:
        return "The pack size is at least 1."
    if rules.moq < 1:
        return "The minimum order quantity is at least 1."
    if rules.increment < 1:
        return "The order increment is at least 1."
    if rules.moq % rules.pack_size:
        return f"The minimum order quantity must be a whole number of packs of {rules.pack_size}."
    if rules.increment % rules.pack_size:
        return f"The order increment must be a whole number of packs of {rules.pack_size}."
    return None


def is_valid_quantity(quantity: int, rules: OrderRules) -> bool:
    """Whether ``quantity`` units may be ordered under ``rules`` (which are assumed valid)."""
    return quantity >= rules.moq and quantity % rules.pack_size == 0 and (quantity - rules.moq) % rules.increment == 0


def _describe(rules: OrderRules) -> str:
    pack, moq, step = rules.pack_size, rules.moq, rules.increment
    # "from" matters when it is not implied by the pack, or when steps start counting from it.
    show_from = moq > pack or step > pack
    show_step = step > pack or (show_from and step > 1)
    parts = ["Sold"]
    if pack > 1:
        parts.append(f"in packs of {pack}")
    if show_from:
        parts.append(f"from {moq}")
    if show_step:
        parts.append(f"in steps of {step}")
    return " ".join(parts)


def quantity_problem(quantity: int, rules: OrderRules) -> QuantityProblem | None:
    """Why ``quantity`` cannot be ordered, with the nearest valid ones; raises ValueError for invalid rules."""
    rules_problem = order_rules_problem(rules)
    if rules_problem is not None:
        raise ValueError(rules_problem)
    if is_valid_quantity(quantity, rules):
        return None
    if quantity < rules.moq:
        lower, higher = None, rules.moq
    else:
        steps = (quantity - rules.moq) // rules.increment
        lower = rules.moq + steps * rules.increment
        higher = lower + rules.increment
    description = _describe(rules)
    if lower is None:
        message = f"Order at least {higher}." if description == "Sold" else f"{description}: order at least {higher}."
    else:
        message = f"{description}: order {lower} or {higher}."
    return QuantityProblem(message=message, lower=lower, higher=higher)


# --- Prices -------------------------------------------------------------------------------------------


class PriceTier(msgspec.Struct, frozen=True, kw_only=True):
    """A price that applies from ``min_qty`` units up, quoted for ``price_basis`` units."""

    min_qty: int
    unit_price_minor: int
    price_basis: int = 1


class ContractPrice(msgspec.Struct, frozen=True, kw_only=True):
    """A buyer's negotiated tiers from one price list, valid between two inclusive dates (None = open)."""

    price_list_id: int
    valid_from: date | None
    valid_to: date | None
    tiers: tuple[PriceTier, ...]


class PriceQuote(msgspec.Struct, frozen=True, kw_only=True):
    """The price that applies to a quantity, where it came from, and the line total."""

    source: Literal["list", "contract"]
    price_list_id: int | None
    currency: str
    min_qty: int
    unit_price_minor: int
    price_basis: int
    quantity: int
    line_total_minor: int


def tiers_problem(tiers: Sequence[PriceTier]) -> str | None:
    """Why a tier list is unusable, or None if it is valid (the price per unit never rises with quantity)."""
    if not tiers:
        return "Enter at least one price."
    previous: PriceTier | None = None
    for tier in tiers:
        if tier.min_qty < 1:
            return "A price applies from a quantity of at least 1."
        if tier.unit_price_minor < 0:
            return f"The price from {tier.min_qty} cannot be negative."
        if tier.price_basis not in PRICE_BASES:
            return f"The price from {tier.min_qty} is per 1, 10, 100, 1000 or 10000 units."
        if previous is not None:
            if tier.min_qty <= previous.min_qty:
                return "Price tiers are sorted by quantity, each from a larger quantity than the one before."
            # price/basis <= previous price/basis, cross-multiplied to stay in integers.
            if tier.unit_price_minor * previous.price_basis > previous.unit_price_minor * tier.price_basis:
                return f"The price per unit from {tier.min_qty} is higher than from {previous.min_qty}."
        previous = tier
    return None


def applicable_tier(quantity: int, tiers: Sequence[PriceTier]) -> PriceTier | None:
    """The tier with the highest ``min_qty <= quantity``, or None if there is none."""
    candidates = [tier for tier in tiers if tier.min_qty <= quantity]
    return max(candidates, key=lambda tier: tier.min_qty) if candidates else None


def contract_is_valid(contract: ContractPrice, today: date) -> bool:
    """Whether ``today`` lies within the contract's inclusive validity dates."""
    return (contract.valid_from is None or contract.valid_from <= today) and (
        contract.valid_to is None or today <= contract.valid_to
    )


def _quote(
    quantity: int,
    tier: PriceTier,
    *,
    currency: str,
    source: Literal["list", "contract"],
    price_list_id: int | None,
) -> PriceQuote:
    return PriceQuote(
        source=source,
        price_list_id=price_list_id,
        currency=currency,
        min_qty=tier.min_qty,
        unit_price_minor=tier.unit_price_minor,
        price_basis=tier.price_basis,
        quantity=quantity,
        line_total_minor=line_total_minor(quantity, tier.unit_price_minor, tier.price_basis),
    )


def price_for(
    quantity: int,
    *,
    currency: str,
    list_tiers: Sequence[PriceTier],
    contracts: Sequence[ContractPrice],
    today: date,
) -> PriceQuote | None:
    """The price for ``quantity`` units: the cheapest valid contract, else the list price, else None.

    A valid contract with an applicable tier always beats the list price, even a cheaper one: the buyer
    negotiated it. Among contracts the lowest line total wins, then the lowest ``price_list_id``.
    Tiers are assumed to pass ``tiers_problem``; a negative price raises ValueError.
    """
    if quantity < 1:
        return None
    best: tuple[int, int, PriceQuote] | None = None
    for contract in contracts:
        tier = applicable_tier(quantity, contract.tiers) if contract_is_valid(contract, today) else None
        if tier is not None:
            quote = _quote(quantity, tier, currency=currency, source="contract", price_list_id=contract.price_list_id)
            key = (quote.line_total_minor, contract.price_list_id, quote)
            if best is None or key[:2] < best[:2]:
                best = key
    if best is not None:
        return best[2]
    tier = applicable_tier(quantity, list_tiers)
    if tier is None:
        return None
    return _quote(quantity, tier, currency=currency, source="list", price_list_id=None)
