"""Evaluation of opened bids: landed quantities and totals, best value per line, weighted scores and ranks,
abnormally low flags, and the injection-safe CSV export."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.core.errors import RuleViolation
from marketplace.core.money import line_total_minor
from rfq.evaluation import (
    Comparison,
    abnormally_low,
    build_comparison,
    evaluate,
    score,
    sort_comparison,
)
from rfq.export import CSV_HEADER, comparison_csv, decimal_amount, safe_cell
from rfq.models import PROCEDURES, Bid, BidContent, BidLine, BidStatus, Criterion, Kind, Line, OpenedBid, Rfq, Status
from rfq.models import Visibility as Vis

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
PRICE_LEAD_QUALITY = [
    Criterion(code="price", label="Price", weight=60),
    Criterion(code="lead_time", label="Lead time", weight=20),
    Criterion(code="quality", label="Quality", weight=20),
]


def make_rfq(*, kind: Kind = Kind.TENDER, criteria: Sequence[Criterion] = (), currency: str = "EUR") -> Rfq:
    return Rfq(
        id=7, buyer_id=1, created_by=1, kind=kind, title="Fasteners 2027", description="", currency=currency,
        visibility=Vis.INVITED, category_ids=[], status=Status.CLOSED, rules=PROCEDURES[kind], criteria=list(criteria),
        revision=2, closes_at=NOW - timedelta(days=1), questions_close_at=NOW - timedelta(days=3),
        buyer_time_zone="Europe/Berlin", bafo_closes_at=None, standstill_until=None, next_check=None,
        proceed_below_minimum=False, status_reason=None, published_at=NOW - timedelta(days=10),
        closed_at=NOW - timedelta(days=1), version=3, created_at=NOW - timedelta(days=11), updated_at=NOW,
    )  # fmt: skip


def make_line(line_id: int, quantity: int, *, position: int | None = None, removed_in: int | None = None) -> Line:
    return Line(
        id=line_id, rfq_id=7, lot_id=None, position=line_id if position is None else position, product_id=None,
        variant_id=None, description=f"Line {line_id}", quantity=quantity, unit="pcs", required_by=None,
        delivery_address_id=None, target_price_minor=None, target_price_basis=1, removed_in=removed_in,
    )  # fmt: skip


def offer(
    line_id: int, price: int, *, basis: int = 1, lead: int = 5, moq: int = 1, pack: int = 1, **notes: str
) -> BidLine:
    return BidLine(line_id=line_id, unit_price_minor=price, price_basis=basis, lead_time_days=lead, moq=moq,
                   pack_size=pack, deviation=notes.get("deviation"), alternative=notes.get("alternative"))  # fmt: skip


def make_bid(
    bid_id: int,
    vendor: str,
    lines: list[BidLine],
    *,
    valid_until: date = TODAY,
    delivery: int = 0,
    status: BidStatus = BidStatus.SUBMITTED,
    current: bool = True,
    submitted_at: datetime = NOW - timedelta(days=2),
) -> OpenedBid:
    bid = Bid(
        id=bid_id, rfq_id=7, vendor_id=100 + bid_id, status=status, rfq_revision=2 if current else 1,
        current_version=1, turn="vendor", round=0, respond_by=None, shortlisted=False, created_at=submitted_at,
    )  # fmt: skip
    content = BidContent(lines=lines, valid_until=valid_until, delivery_cost_minor=delivery)
    return OpenedBid(bid=bid, vendor_name=vendor, version=1, submitted_at=submitted_at, content=content,
                     valid_for_revision=current)  # fmt: skip


# --- the table -------------------------------------------------------------------------------------------


def test_a_cell_is_priced_on_the_landed_quantity_after_moq_and_pack_rounding() -> None:
    lines = [make_line(1, 10), make_line(2, 1000)]
    bids = [make_bid(1, "Acme", [offer(1, 234, basis=100, moq=25, pack=10), offer(2, 1999, basis=1000, pack=1)])]
    comparison = build_comparison(make_rfq(), lines, bids, today=TODAY)
    first, second = (row.cells[0] for row in comparison.rows)
    assert first is not None
    assert second is not None
    assert (first.landed_quantity, first.line_total_minor, first.rounded_up) == (30, 70, True)  # 30 × 2.34 / 100
    assert (second.landed_quantity, second.line_total_minor, second.rounded_up) == (1000, 1999, False)
    vendor = comparison.vendors[0]
    assert (vendor.total_minor, vendor.landed_total_minor, vendor.max_lead_time_days) == (2069, 2069, 5)


def test_best_value_per_line_is_the_lowest_valid_line_total_and_ties_are_all_flagged() -> None:
    lines = [make_line(1, 10), make_line(2, 10)]
    bids = [
        make_bid(1, "Acme", [offer(1, 100), offer(2, 300)]),
        make_bid(2, "Bolt", [offer(1, 100), offer(2, 200)]),
        make_bid(3, "Cheap but expired", [offer(1, 50), offer(2, 50)], valid_until=TODAY - timedelta(days=1)),
        make_bid(4, "Old revision", [offer(1, 10), offer(2, 10)], current=False),
        make_bid(5, "Tied on line 2, MOQ", [offer(1, 100, moq=20), offer(2, 200)]),
    ]
    comparison = build_comparison(make_rfq(), lines, bids, today=TODAY)
    flagged = {
        row.line.id: sorted(c.bid_id for c in row.cells if c is not None and c.best_value) for row in comparison.rows
    }
    assert flagged == {1: [1, 2], 2: [2, 5]}  # bid 5's MOQ doubles line 1
    assert [row.best_total_minor for row in comparison.rows] == [1000, 2000]
    by_id = {v.bid_id: v for v in comparison.vendors}
    assert by_id[3].expired
    assert not by_id[3].eligible
    assert not by_id[3].needs_reconfirmation
    assert by_id[4].needs_reconfirmation
    assert not by_id[4].eligible
    assert not by_id[4].expired
    assert by_id[2].best_value_lines == 2


def test_a_quote_is_valid_through_its_last_day() -> None:
    bids = [make_bid(1, "Acme", [offer(1, 100)], valid_until=TODAY)]
    comparison = build_comparison(make_rfq(), [make_line(1, 1)], bids, today=TODAY)
    assert not comparison.vendors[0].expired
    later = build_comparison(make_rfq(), [make_line(1, 1)], bids, today=TODAY + timedelta(days=1))
    assert later.vendors[0].expired


def test_removed_lines_and_withdrawn_bids_are_left_out_and_missing_lines_are_listed() -> None:
    lines = [make_line(1, 5), make_line(2, 5, removed_in=2), make_line(3, 5)]
    bids = [
        make_bid(1, "Acme", [offer(1, 100), offer(2, 1), offer(3, 100)]),
        make_bid(2, "Partial", [offer(1, 90), offer(2, 1)]),
        make_bid(3, "Gone", [offer(1, 1), offer(3, 1)], status=BidStatus.WITHDRAWN),
    ]
    comparison = build_comparison(make_rfq(), lines, bids, today=TODAY)
    assert [row.line.id for row in comparison.rows] == [1, 3]
    assert [v.bid_id for v in comparison.vendors] == [1, 2]  # the complete bid first, though dearer
    acme, partial = comparison.vendors
    assert (acme.total_minor, acme.complete, acme.missing_line_ids) == (1000, True, [])
    assert (partial.total_minor, partial.lines_covered, partial.missing_line_ids) == (450, 1, [3])
    assert comparison.rows[1].cells == [comparison.rows[1].cells[0], None]
    assert comparison.rows[1].offers == 1


def test_default_order_is_total_landed_cost_then_vendor_name_then_bid_id_and_each_sort_reorders_the_cells() -> None:
    lines = [make_line(1, 1)]
    bids = [
        make_bid(4, "beta", [offer(1, 500, lead=3)]),
        make_bid(2, "Beta", [offer(1, 400, lead=9)], delivery=100),
        make_bid(3, "Alpha", [offer(1, 500, lead=1)]),
        make_bid(1, "Zed", [offer(1, 100, lead=20)]),
    ]
    comparison = build_comparison(make_rfq(), lines, bids, today=TODAY)
    assert [v.bid_id for v in comparison.vendors] == [1, 3, 2, 4]  # 100, 500 Alpha, 500 Beta (400 + 100), 500 beta
    by_vendor = sort_comparison(comparison, "vendor")
    assert [v.vendor_name for v in by_vendor.vendors] == ["Alpha", "Beta", "beta", "Zed"]
    assert [c.bid_id for c in by_vendor.rows[0].cells if c is not None] == [v.bid_id for v in by_vendor.vendors]
    by_lead = sort_comparison(comparison, "lead_time", descending=True)
    assert [v.max_lead_time_days for v in by_lead.vendors] == [20, 9, 3, 1]
    assert (by_lead.sort, by_lead.descending) == ("lead_time", True)
    cheapest_last = sort_comparison(comparison, "total", descending=True)
    assert [v.bid_id for v in cheapest_last.vendors] == [3, 2, 4, 1]  # ties keep name order
    with pytest.raises(ValueError, match="unknown sort key"):
        sort_comparison(comparison, "price")  # type: ignore[arg-type]


# --- scores ----------------------------------------------------------------------------------------------


def test_weighted_scores_follow_the_published_formulas_with_their_inputs() -> None:
    lines = [make_line(1, 10), make_line(2, 10)]
    bids = [
        make_bid(1, "Acme", [offer(1, 100, lead=10), offer(2, 100, lead=4)]),  # 2000, longest 10 days
        make_bid(2, "Bolt", [offer(1, 120, lead=5), offer(2, 120, lead=5)], delivery=600),  # 3000, 5 days
    ]
    comparison = build_comparison(make_rfq(criteria=PRICE_LEAD_QUALITY), lines, bids, today=TODAY)
    scores = score(PRICE_LEAD_QUALITY, comparison, {1: {"quality": 50}, 2: {"quality": 90}})
    acme, bolt = scores
    assert [(p.code, p.score_hundredths, p.weighted_hundredths, p.best, p.own) for p in acme.breakdown] == [
        ("price", 10000, 6000, 2000, 2000),
        ("lead_time", 5000, 1000, 5, 10),
        ("quality", 5000, 1000, None, None),
    ]
    assert [(p.code, p.score_hundredths, p.weighted_hundredths) for p in bolt.breakdown] == [
        ("price", 6667, 4000),  # 100 × 2000 / 3000 = 66.67; 60 × 2/3 = 40.00
        ("lead_time", 10000, 2000),
        ("quality", 9000, 1800),
    ]
    assert (acme.rank, acme.total_hundredths, bolt.rank, bolt.total_hundredths) == (1, 8000, 2, 7800)


def test_a_tie_goes_to_the_earlier_submission_then_the_lower_bid_id() -> None:
    lines = [make_line(1, 1)]
    bids = [
        make_bid(5, "Later", [offer(1, 100)], submitted_at=NOW - timedelta(hours=1)),
        make_bid(9, "Earlier", [offer(1, 100)], submitted_at=NOW - timedelta(hours=2)),
        make_bid(8, "Same instant, higher id", [offer(1, 100)], submitted_at=NOW - timedelta(hours=2)),
    ]
    scores = score([], build_comparison(make_rfq(), lines, bids, today=TODAY), {})
    assert [(s.bid_id, s.rank, s.total_hundredths) for s in scores] == [(8, 1, 10000), (9, 2, 10000), (5, 3, 10000)]


def test_partial_expired_and_stale_bids_are_shown_unranked_with_the_reason() -> None:
    lines = [make_line(1, 1), make_line(2, 1)]
    bids = [
        make_bid(1, "Full", [offer(1, 100), offer(2, 100)]),
        make_bid(2, "Partial", [offer(1, 10)]),
        make_bid(3, "Expired", [offer(1, 10), offer(2, 10)], valid_until=TODAY - timedelta(days=3)),
        make_bid(4, "Stale", [offer(1, 10), offer(2, 10)], current=False),
    ]
    comparison = build_comparison(make_rfq(criteria=PRICE_LEAD_QUALITY), lines, bids, today=TODAY)
    scores = score(PRICE_LEAD_QUALITY, comparison, {2: {"quality": 100}})
    assert next((s.bid_id, s.rank) for s in scores) == (1, 1)
    reasons = {s.bid_id: s.excluded_reason for s in scores[1:]}
    assert reasons == {
        2: "The bid covers 1 of 2 lines; only complete bids are ranked.",
        3: "The quote expired on 2026-11-28.",
        4: "The bid answers an earlier revision of the request and needs re-confirmation.",
    }
    partial = next(s for s in scores if s.bid_id == 2)
    assert partial.total_hundredths is None
    assert [p.score_hundredths for p in partial.breakdown] == [None, None, 10000]
    assert scores[0].unscored == ["quality"]
    assert scores[0].total_hundredths == 6000 + 2000  # quality unscored counts 0


def test_manual_scores_must_be_whole_numbers_from_0_to_100_for_manual_criteria() -> None:
    comparison = build_comparison(make_rfq(), [make_line(1, 1)], [make_bid(1, "Acme", [offer(1, 1)])], today=TODAY)
    for bad in ({"quality": 101}, {"quality": -1}, {"quality": True}, {"price": 50}, {"colour": 10}):
        with pytest.raises(RuleViolation) as caught:
            score(PRICE_LEAD_QUALITY, comparison, {1: bad})
        assert caught.value.code in ("rfq.score_out_of_range", "rfq.score_unknown_criterion")
    with pytest.raises(RuleViolation, match="add up to 90"):
        score([Criterion(code="price", label="Price", weight=90)], comparison, {})


def test_zero_prices_and_same_day_delivery_do_not_divide_by_zero() -> None:
    lines = [make_line(1, 1)]
    bids = [make_bid(1, "Free", [offer(1, 0, lead=0)]), make_bid(2, "Paid", [offer(1, 100, lead=2)])]
    scores = score([*PRICE_LEAD_QUALITY[:2], Criterion(code="quality", label="Q", weight=20)],
                   build_comparison(make_rfq(), lines, bids, today=TODAY), {})  # fmt: skip
    free, paid = scores
    assert [p.score_hundredths for p in free.breakdown[:2]] == [10000, 10000]
    assert [p.score_hundredths for p in paid.breakdown[:2]] == [100, 5000]  # 1 point: 1 / 100 minor units; 1 / 2 days


# --- abnormally low --------------------------------------------------------------------------------------


def _totals_comparison(*totals: int) -> Comparison:
    bids = [make_bid(i, f"V{i}", [offer(1, t)]) for i, t in enumerate(totals, start=1)]
    return build_comparison(make_rfq(), [make_line(1, 1)], bids, today=TODAY)


def test_a_bid_40_percent_or_more_below_the_mean_of_the_others_is_flagged() -> None:
    flags = abnormally_low(_totals_comparison(60, 90, 110), percent=40)
    assert [(f.bid_id, f.others_mean_minor, f.percent_below_hundredths, f.others) for f in flags] == [(1, 100, 4000, 2)]
    assert abnormally_low(_totals_comparison(61, 90, 110), percent=40) == []  # 39 % below


def test_abnormally_low_needs_two_other_competing_bids() -> None:
    assert abnormally_low(_totals_comparison(1, 1000), percent=40) == []
    lines = [make_line(1, 1)]
    bids = [
        make_bid(1, "Low", [offer(1, 10)]),
        make_bid(2, "A", [offer(1, 1000)]),
        make_bid(3, "Expired", [offer(1, 1000)], valid_until=TODAY - timedelta(days=1)),
    ]
    assert abnormally_low(build_comparison(make_rfq(), lines, bids, today=TODAY), percent=40) == []


def test_evaluate_returns_the_sorted_table_with_scores_and_flags() -> None:
    rfq = make_rfq(criteria=PRICE_LEAD_QUALITY)
    lines = [make_line(1, 1)]
    bids = [make_bid(1, "Low", [offer(1, 10, lead=9)]), make_bid(2, "A", [offer(1, 100, lead=1)]),
            make_bid(3, "B", [offer(1, 100, lead=1)])]  # fmt: skip
    result = evaluate(rfq, lines, bids, today=TODAY, manual_scores={1: {"quality": 0}, 2: {"quality": 100}},
                      sort="score")  # fmt: skip
    assert [v.bid_id for v in result.comparison.vendors] == [s.bid_id for s in result.scores]
    assert result.comparison.sort == "score"
    low = result.flag_for(1)
    assert low is not None
    assert low.percent_below_hundredths == 9000
    assert result.flag_for(2) is None
    best = result.score_for(result.scores[0].bid_id)
    assert best is not None
    assert best.rank == 1


# --- CSV -------------------------------------------------------------------------------------------------


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_csv_has_a_row_per_line_and_vendor_plus_totals_and_defuses_formulas() -> None:
    lines = [make_line(1, 3), make_line(2, 1)]
    lines[0] = msgspec.structs.replace(lines[0], description='=HYPERLINK("http://evil","x")')
    bids = [
        make_bid(1, "@Acme", [offer(1, 1999, deviation="-5 % tolerance"), offer(2, 5)], delivery=1000),
        make_bid(2, "Bolt, Inc.\nSecond line", [offer(1, 2000, alternative="+ stainless")]),
    ]
    rows = _read(comparison_csv(build_comparison(make_rfq(), lines, bids, today=TODAY)))
    assert len(rows) == 1 + 2 * 2 + 2
    assert rows[0] == list(CSV_HEADER)
    assert all(len(r) == len(CSV_HEADER) for r in rows)
    col = {name: i for i, name in enumerate(CSV_HEADER)}
    acme_line_1 = rows[1]
    assert acme_line_1[col["Description"]] == """'=HYPERLINK("http://evil","x")"""
    assert acme_line_1[col["Vendor"]] == "'@Acme"
    assert acme_line_1[col["Deviation"]] == "'-5 % tolerance"
    assert (acme_line_1[col["Unit price"]], acme_line_1[col["Line total"]], acme_line_1[col["Best value"]]) == (
        "19.99", "59.97", "yes",
    )  # fmt: skip
    bolt_line_2 = rows[4]
    assert bolt_line_2[col["Vendor"]] == "Bolt, Inc.\nSecond line"
    assert bolt_line_2[col["Status"]] == "not offered"
    acme_total = rows[5]
    assert acme_total[col["Line"]] == "Total"
    assert (acme_total[col["Line total"]], acme_total[col["Delivery cost"]], acme_total[col["Total landed cost"]]) == (
        "60.02", "10.00", "70.02",
    )  # fmt: skip


def test_decimal_amounts_use_the_currency_precision() -> None:
    assert [decimal_amount(m, "EUR") for m in (0, 5, 123456, -250)] == ["0.00", "0.05", "1234.56", "-2.50"]
    assert decimal_amount(1500, "JPY") == "1500"
    assert decimal_amount(1234, "KWD") == "1.234"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "  =1"])
def test_cells_that_a_spreadsheet_would_evaluate_are_prefixed(text: str) -> None:
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["Acme", "1-2", "", "a=b", "'quoted"])
def test_ordinary_cells_are_kept(text: str) -> None:
    assert safe_cell(text) == text


# --- properties ------------------------------------------------------------------------------------------

names = st.text(alphabet=st.sampled_from("AbZ =+-@\t\r\n,\"'é"), min_size=1, max_size=8)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Rfq, list[Line], list[OpenedBid], dict[int, dict[str, int]]]:
    n_lines = draw(st.integers(1, 5))
    lines = [
        msgspec.structs.replace(
            make_line(i, draw(st.integers(1, 500)), removed_in=draw(st.sampled_from([None, None, None, 2]))),
            description=draw(names),
        )
        for i in range(1, n_lines + 1)
    ]
    bids: list[OpenedBid] = []
    for bid_id in range(1, draw(st.integers(0, 6)) + 1):
        offered = draw(st.lists(st.sampled_from([line.id for line in lines]), unique=True, max_size=n_lines))
        bid_lines = [
            offer(
                line_id,
                draw(st.integers(0, 10**6)),
                basis=draw(st.sampled_from([1, 10, 100, 1000])),
                lead=draw(st.integers(0, 90)),
                moq=draw(st.integers(1, 50)),
                pack=draw(st.integers(1, 12)),
                deviation=draw(names),
            )
            for line_id in offered
        ]
        bids.append(
            make_bid(
                bid_id,
                draw(names),
                bid_lines,
                valid_until=TODAY + timedelta(days=draw(st.integers(-2, 2))),
                delivery=draw(st.integers(0, 10**5)),
                status=draw(st.sampled_from([BidStatus.SUBMITTED] * 4 + list(BidStatus))),
                current=draw(st.booleans()) or draw(st.booleans()),
                submitted_at=NOW - timedelta(minutes=draw(st.integers(0, 3))),
            )
        )
    price = draw(st.integers(1, 98))
    lead = draw(st.integers(1, 99 - price))
    criteria = [
        Criterion(code="price", label="Price", weight=price),
        Criterion(code="lead_time", label="Lead time", weight=lead),
        Criterion(code="quality", label="Quality", weight=100 - price - lead),
    ]
    manual = {b.bid.id: {"quality": draw(st.integers(0, 100))} for b in bids if draw(st.booleans())}
    return make_rfq(criteria=criteria), lines, bids, manual


@settings(max_examples=300)
@given(scenarios(), st.sampled_from(["total", "vendor", "lead_time", "score"]), st.booleans())
def test_properties_of_the_comparison_and_the_scores(
    scenario: tuple[Rfq, list[Line], list[OpenedBid], dict[int, dict[str, int]]], sort: str, descending: bool
) -> None:
    rfq, lines, bids, manual = scenario
    result = evaluate(rfq, lines, bids, today=TODAY, manual_scores=manual, sort=sort, descending=descending)  # type: ignore[arg-type]
    comparison = result.comparison
    current = [line for line in lines if line.removed_in is None]
    assert [row.line.id for row in comparison.rows] == [line.id for line in current]
    assert sorted(v.bid_id for v in comparison.vendors) == sorted(
        b.bid.id for b in bids if b.bid.status != BidStatus.WITHDRAWN
    )

    for i, vendor in enumerate(comparison.vendors):
        cells = [row.cells[i] for row in comparison.rows]
        assert all(c is None or c.bid_id == vendor.bid_id for c in cells)
        offered = [c for c in cells if c is not None]
        # Totals equal the sum of the line totals, each rounded once by the one money function.
        assert vendor.total_minor == sum(c.line_total_minor for c in offered)
        assert vendor.landed_total_minor == vendor.total_minor + vendor.delivery_cost_minor
        assert vendor.lines_covered == len(offered) == len(current) - len(vendor.missing_line_ids)
        for c in offered:
            assert c.landed_quantity >= max(c.requested_quantity, c.moq)
            assert c.landed_quantity % c.pack_size == 0
            assert c.landed_quantity - c.pack_size < max(c.requested_quantity, c.moq)
            assert c.line_total_minor == line_total_minor(c.landed_quantity, c.unit_price_minor, c.price_basis)
            assert c.eligible == vendor.eligible

    for row in comparison.rows:
        eligible = [c for c in row.cells if c is not None and c.eligible]
        lowest = min((c.line_total_minor for c in eligible), default=None)
        assert row.best_total_minor == lowest
        for cell in row.cells:
            if cell is not None:  # best value is minimal among valid offers, ties all flagged
                assert cell.best_value == (cell.eligible and cell.line_total_minor == lowest)

    weights = sum(c.weight for c in rfq.criteria)
    assert weights == 100
    ranked = [s for s in result.scores if s.rank is not None]
    competing = {v.bid_id for v in comparison.vendors if v.competes}
    assert {s.bid_id for s in ranked} == competing
    assert [s.rank for s in ranked] == list(range(1, len(ranked) + 1))
    keys = [(-(s.total_hundredths or 0), s.submitted_at, s.bid_id) for s in ranked]
    assert all(a < b for a, b in itertools.pairwise(keys))  # a strict total order
    for s in result.scores:
        assert sum(p.weight for p in s.breakdown) == 100
        for p in s.breakdown:
            assert p.score_hundredths is None or 0 <= p.score_hundredths <= 10000
            assert 0 <= p.weighted_hundredths <= 100 * p.weight
        if s.rank is not None:
            assert s.total_hundredths == sum(p.weighted_hundredths for p in s.breakdown)
            assert s.total_hundredths is not None
            assert 0 <= s.total_hundredths <= 10000
            assert s.excluded_reason is None
        else:
            assert s.total_hundredths is None
            assert s.excluded_reason
    if ranked:
        cheapest = min(v.landed_total_minor for v in comparison.vendors if v.competes)
        for s in ranked:
            v = next(v for v in comparison.vendors if v.bid_id == s.bid_id)
            assert (s.breakdown[0].score_hundredths == 10000) == (max(v.landed_total_minor, 1) == max(cheapest, 1))

    totals = {v.bid_id: v.landed_total_minor for v in comparison.vendors if v.competes}
    flagged = {f.bid_id for f in result.flags}
    for bid_id, total in totals.items():
        others = [t for b, t in totals.items() if b != bid_id]
        expected = (
            len(others) >= 2 and sum(others) > 0 and total <= Fraction(sum(others), len(others)) * Fraction(60, 100)
        )
        assert (bid_id in flagged) == expected

    rows = _read(comparison_csv(comparison))
    assert len(rows) == 1 + len(comparison.rows) * len(comparison.vendors) + len(comparison.vendors)
    assert all(len(r) == len(CSV_HEADER) for r in rows)
    for r in rows:
        for text in r:  # injection-safe: nothing a spreadsheet evaluates
            assert not text.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))
    descriptions = [r[1] for r in rows[1 : 1 + len(comparison.rows) * len(comparison.vendors)]]
    expected_descriptions = [safe_cell(row.line.description) for row in comparison.rows for _ in comparison.vendors]
    assert descriptions == expected_descriptions
