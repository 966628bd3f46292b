"""Error codes of RFQs and tenders that stand for database constraints (docs/errors.md)."""

from __future__ import annotations

from marketplace.core.errors import Conflict, ConstraintErrors, RuleViolation

CONSTRAINT_ERRORS: ConstraintErrors = {
    # Checked when the bid's transaction commits, on the referee clock (migration 20261123000030).
    "bid_version_on_time": lambda exc: RuleViolation(
        "rfq.deadline_passed", "Offers are accepted only before the deadline; this one was completed at or after it."
    ),
    # The same check for the files of a bid (migration 20261123000040).
    "bid_attachment_on_time": lambda exc: RuleViolation(
        "rfq.deadline_passed", "Files of an offer change only before the deadline; this change completed after it."
    ),
    "award_one_per_rfq": lambda exc: Conflict("rfq.already_awarded", "This request has already been awarded."),
    "bid_one_per_vendor": lambda exc: Conflict("rfq.bid_conflict", "Your offer changed meanwhile; send it again."),
}
