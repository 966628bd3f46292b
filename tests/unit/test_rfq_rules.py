"""The RFQ transition table is closed: every (role, from, to) is allowed exactly when the table says so."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.core.errors import Forbidden, InvalidTransition
from rfq import rules, sealing
from rfq.models import ACTOR_ROLES, FINAL, PROCEDURES, TRANSITIONS, Kind, Status


@pytest.mark.parametrize(("role", "source", "target"), list(itertools.product(ACTOR_ROLES, list(Status), list(Status))))
def test_the_role_by_from_by_to_matrix_is_closed(role: str, source: Status, target: Status) -> None:
    allowed = role in TRANSITIONS.get((source, target), frozenset())
    if allowed:
        assert rules.transition(source, target, [role]) == role
    elif (source, target) in TRANSITIONS:
        with pytest.raises(Forbidden):
            rules.transition(source, target, [role])
    else:
        with pytest.raises(InvalidTransition):
            rules.transition(source, target, [role])


def test_final_states_have_no_way_out_and_every_other_state_can_be_cancelled() -> None:
    for source, target in TRANSITIONS:
        assert source not in FINAL, (source, target)
    for status in Status:
        if status not in FINAL:
            assert (status, Status.CANCELLED) in TRANSITIONS
    # Only approvers and admins award; only the clock closes.
    assert TRANSITIONS[(Status.EVALUATED, Status.AWARDED)] == {"approver", "admin"}
    assert TRANSITIONS[(Status.PUBLISHED, Status.CLOSED)] == {"system"}


def test_a_company_that_requires_approval_cannot_publish_a_draft_directly() -> None:
    with pytest.raises(InvalidTransition) as caught:
        rules.transition(Status.DRAFT, Status.PUBLISHED, ["buyer"], approval_required=True)
    assert caught.value.code == "rfq.approval_required"
    assert rules.transition(Status.APPROVED, Status.PUBLISHED, ["buyer"], approval_required=True) == "buyer"


def test_material_changes_extend_the_deadline_and_typos_do_not() -> None:
    tender = PROCEDURES[Kind.TENDER]
    now = datetime(2026, 10, 24, 12, tzinfo=UTC)
    closes = now + timedelta(hours=5)
    assert rules.is_material(
        {"lines": [{"change": "changed", "fields": {"quantity": {}}}]}, closes_at_before=closes, closes_at_after=closes
    )
    assert not rules.is_material(
        {"title": {"from": "Bolts", "to": "Bolts M8"}}, closes_at_before=closes, closes_at_after=closes
    )
    assert rules.is_material({}, closes_at_before=closes, closes_at_after=closes - timedelta(minutes=1))
    # A file added or withdrawn is material when the buyer says so.
    files = [{"change": "added", "attachment_id": 1, "filename": "a.pdf", "line_id": None, "material": False}]
    assert not rules.is_material({"attachments": files}, closes_at_before=closes, closes_at_after=closes)
    files.append({"change": "removed", "attachment_id": 2, "filename": "b.pdf", "line_id": 3, "material": True})
    assert rules.is_material({"attachments": files}, closes_at_before=closes, closes_at_after=closes)
    extended = rules.extended_deadline(tender, material=True, now=now, requested=closes)
    assert extended - now == timedelta(hours=tender.min_remaining_after_amendment_hours)
    assert rules.extended_deadline(tender, material=False, now=now, requested=closes) == closes


def test_deadline_arithmetic_across_the_autumn_dst_switch_is_exact_in_utc() -> None:
    """72 hours before a deadline set after the Europe/Berlin switch (2026-10-25 03:00 CEST → 02:00 CET)."""
    berlin = ZoneInfo("Europe/Berlin")
    closes = datetime(2026, 10, 26, 12, 0, tzinfo=berlin).astimezone(UTC)  # instants are kept in UTC
    now = closes - timedelta(hours=72)
    assert now == datetime(2026, 10, 23, 11, 0, tzinfo=UTC)
    # On Berlin's wall clock that is 71 hours: arithmetic on local times would be off by the switch.
    assert closes.astimezone(berlin).replace(tzinfo=None) - now.astimezone(berlin).replace(tzinfo=None) == timedelta(
        hours=71
    )
    wall_clock = datetime(2026, 10, 26, 12, 0, tzinfo=berlin) - timedelta(hours=72)  # Python: wall-clock math
    assert wall_clock.astimezone(UTC) != now
    errors = rules.check_schedule(
        PROCEDURES[Kind.TENDER], now=now, closes_at=closes, questions_close_at=closes - timedelta(hours=1)
    )
    assert errors == {}
    errors = rules.check_schedule(
        PROCEDURES[Kind.TENDER],
        now=now + timedelta(microseconds=1),
        closes_at=closes,
        questions_close_at=closes - timedelta(hours=1),
    )
    assert "closes_at" in errors


@given(st.integers(1, 10**6), st.integers(1, 10**4), st.integers(1, 10**4))
def test_landed_quantity_meets_moq_and_whole_packs(quantity: int, moq: int, pack: int) -> None:
    landed = rules.landed_quantity(quantity, moq=moq, pack_size=pack)
    assert landed >= quantity
    assert landed >= moq
    assert landed % pack == 0
    assert landed - pack < max(quantity, moq)


def test_award_split_never_exceeds_the_requested_quantity() -> None:
    assert rules.check_award_split({1: 100}, {1: [60, 40]}) == {}
    assert "lines.1" in rules.check_award_split({1: 100}, {1: [60, 41]})
    assert "lines.2" in rules.check_award_split({1: 100}, {2: [1]})


def test_question_aliases_are_stable_within_an_rfq_and_unlinkable_across() -> None:
    key = b"k" * 32
    assert sealing.question_alias(key, 1, 7) == sealing.question_alias(key, 1, 7)
    assert sealing.question_alias(key, 1, 7) != sealing.question_alias(key, 2, 7)
    assert sealing.question_alias(key, 1, 7) != sealing.question_alias(key, 1, 8)


def test_sealed_content_is_bound_to_its_bid_and_version() -> None:
    key = sealing.new_data_key()
    blob = sealing.seal_content(key, b'{"lines":[]}', bid_id=1, version=1)
    with pytest.raises(sealing.SealedError):
        sealing.open_content(key, blob, bid_id=2, version=1)
    with pytest.raises(sealing.SealedError):
        sealing.open_content(sealing.new_data_key(), blob, bid_id=1, version=1)
    master = sealing.new_data_key()
    wrapped = sealing.wrap_data_key(master, key, 5)
    assert sealing.unwrap_data_key(master, wrapped, 5) == key
    with pytest.raises(sealing.SealedError):
        sealing.unwrap_data_key(master, wrapped, 6)
