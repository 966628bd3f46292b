"""The comparison as CSV for spreadsheets: one row per line × vendor, safe against formula injection."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from babel.numbers import get_currency_precision

from rfq.evaluation import Comparison, VendorColumn
from rfq.models import BidStatus

CSV_HEADER = (
    "Line", "Description", "Quantity", "Unit", "Vendor", "Bid", "Status", "Valid until",
    "Unit price", "Price basis", "Landed quantity", "Line total", "Best value", "Lead time (days)",
    "MOQ", "Pack size", "Deviation", "Alternative", "Delivery cost", "Total landed cost", "Currency",
)  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """A CSV cell that a spreadsheet will not run as a formula: text starting (after blanks) with
    ``= + - @`` or a tab or carriage return is prefixed with ``'``."""
    text = "" if value is None else str(value)
    if text.lstrip(" ").startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def decimal_amount(minor: int, currency: str) -> str:
    """Minor units as a plain decimal in the currency's own precision (``1234.50``), exact."""
    digits = get_currency_precision(currency)
    sign, minor = ("-", -minor) if minor < 0 else ("", minor)
    if digits == 0:
        return f"{sign}{minor}"
    return f"{sign}{minor // 10**digits}.{minor % 10**digits:0{digits}d}"


def status_label(vendor: VendorColumn) -> str:
    if vendor.status == BidStatus.REJECTED:
        return "rejected"
    if vendor.needs_reconfirmation:
        return "needs re-confirmation"
    if vendor.expired:
        return "expired"
    return "valid"


def comparison_csv(comparison: Comparison) -> str:
    """The comparison as CSV: a header, one row per line × vendor (in the table's order; an empty offer
    where the vendor did not quote the line), then one totals row per vendor. Amounts are plain decimals
    in the RFQ's currency; every cell is injection-safe (``safe_cell``).
    """
    out = io.StringIO()
    writer = csv.writer(out)
    money = comparison.currency

    def write(cells: Iterable[object]) -> None:
        writer.writerow([safe_cell(c) for c in cells])

    write(CSV_HEADER)
    for row in comparison.rows:
        line = row.line
        for vendor, cell in zip(comparison.vendors, row.cells, strict=True):
            head = (line.position, line.description, line.quantity, line.unit, vendor.vendor_name, vendor.bid_id)
            if cell is None:
                write((*head, "not offered", *[""] * (len(CSV_HEADER) - len(head) - 2), money))
                continue
            write((
                *head, status_label(vendor), vendor.valid_until.isoformat(),
                decimal_amount(cell.unit_price_minor, money), cell.price_basis, cell.landed_quantity,
                decimal_amount(cell.line_total_minor, money), "yes" if cell.best_value else "",
                cell.lead_time_days, cell.moq, cell.pack_size, cell.deviation or "", cell.alternative or "",
                "", "", money,
            ))  # fmt: skip
    for vendor in comparison.vendors:
        write((
            "Total", f"{vendor.lines_covered} of {len(comparison.rows)} lines", "", "", vendor.vendor_name,
            vendor.bid_id, status_label(vendor), vendor.valid_until.isoformat(), "", "", "",
            decimal_amount(vendor.total_minor, money), vendor.best_value_lines,
            "" if vendor.max_lead_time_days is None else vendor.max_lead_time_days,
            "", "", "", "", decimal_amount(vendor.delivery_cost_minor, money),
            decimal_amount(vendor.landed_total_minor, money), money,
        ))  # fmt: skip
    return out.getvalue()
