"""Suppliers invited by email: the sign-up link in the invitation, and linking the invitations to the company
that registers with it.

The link carries a signed token (``<invitation id>.<HMAC>``, ``sealing.invitation_token``) rather than
relying on the address typed at sign-up: sign-up does not verify email addresses, so matching on the typed
address would let anyone who types a supplier's address take over that supplier's invitations (and, once
verified, read the request). Holding the token proves the invitation email was received. Whoever registers
with it gets every pending invitation to that address (the same mailbox), linked to the new company while it
is still pending; the requests appear in its inbox once Tradeyard has verified it (``VENDOR_VISIBLE``).

Accounts know nothing of RFQs: the sign-up page (``web/auth.py``) checks the link before registering and
links the invitations in the same transaction, after ``accounts.service.sign_up``.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime

import msgspec

from marketplace.core.db import Connection
from marketplace.core.errors import RuleViolation
from marketplace.core.notifications import notify
from marketplace.settings import Settings
from rfq import repository as repo
from rfq import sealing
from rfq.models import Kind
from rfq.service import BUYER_AUDIENCE

TOKEN = re.compile(r"^(\d{1,18})\.([0-9a-f]{32})$")
VENDOR_KINDS = ("vendor", "both")


class InvitedSupplier(msgspec.Struct, frozen=True, kw_only=True):
    """The invitation a sign-up link stands for, as the sign-up page presents it."""

    invitation_id: int
    email: str
    rfq_id: int
    kind: Kind
    title: str
    buyer_name: str
    closes_at: datetime
    buyer_time_zone: str


async def invitation_for_signup(conn: Connection, token: str, *, settings: Settings) -> InvitedSupplier | None:
    """The pending email invitation behind a sign-up link; None for a forged, altered or already used link."""
    match = TOKEN.match(token.strip())
    if match is None:
        return None
    found = await repo.get_email_invitation(conn, int(match.group(1)))
    if found is None:
        return None
    expected = sealing.invitation_token(sealing.invitation_link_key(settings), found["id"], found["email"])
    if not hmac.compare_digest(expected, match.group(0)):
        return None
    return InvitedSupplier(
        invitation_id=found["id"],
        email=found["email"],
        rfq_id=found["rfq_id"],
        kind=Kind(found["kind"]),
        title=found["title"],
        buyer_name=found["buyer_name"],
        closes_at=found["closes_at"],
        buyer_time_zone=found["buyer_time_zone"],
    )


async def claim_email_invitations(conn: Connection, token: str, *, company_id: int, settings: Settings) -> int:
    """Link every pending invitation to the link's address to ``company_id`` (a company that sells); returns
    how many were linked (0 for an invalid or used link). The buyers hear that their supplier registered.

    Raises ``RuleViolation`` (``rfq.invitation_needs_vendor``) when the company does not sell.
    """
    invited = await invitation_for_signup(conn, token, settings=settings)
    if invited is None:
        return 0
    company = await repo.company_flags(conn, company_id)
    if company["kind"] not in VENDOR_KINDS:
        raise RuleViolation(
            "rfq.invitation_needs_vendor",
            "An invitation to quote goes to a company that sells: choose 'We sell' or 'We buy and sell'.",
            field="kind",
        )
    linked = await repo.link_email_invitations(conn, invited.email, vendor_id=company_id)
    for row in linked:
        await notify(
            conn,
            company_id=row["buyer_id"],
            roles=BUYER_AUDIENCE,
            kind="rfq.supplier_registered",
            subject=f"Invited supplier registered: {row['title']}",
            body=f"{company['legal_name']} registered with your invitation to '{row['title']}'. "
            "It can answer once Tradeyard has verified the company.",
            link=f"/buyer/rfqs/{row['rfq_id']}",
            dedupe_key=f"rfq:{row['rfq_id']}:registered:{row['id']}",
            base_url=settings.public_base_url,
        )
    return len(linked)
