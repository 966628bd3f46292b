"""Money: integer minor units plus an ISO 4217 currency; unit prices may be quoted per a price basis."""

from __future__ import annotations


def line_total_minor(quantity: int, unit_price_minor: int, price_basis: int) -> int:
    """``quantity * unit_price_minor / price_basis`` rounded once, half-up; raises ValueError on bad input."""
    if quantity < 0 or unit_price_minor < 0 or price_basis < 1:
        raise ValueError("Quantity and price are at least 0 and the price basis at least 1.")
    return (2 * quantity * unit_price_minor + price_basis) // (2 * price_basis)
