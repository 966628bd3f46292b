"""Carts, requisition lists, checkout, approvals and spending limits, orders per vendor, shipments, returns."""
