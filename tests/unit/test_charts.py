"""The server-drawn daily chart: axis steps that read well, bars to scale, a share line with gaps."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from web.charts import (
    BAR_LEFT,
    BAR_RIGHT,
    BOTTOM,
    LEFT,
    RIGHT,
    TOP,
    DayPoint,
    LabelledValue,
    bar_chart,
    daily_chart,
    nice_ceiling,
)


def test_nice_ceiling_rounds_up_to_one_two_or_five_times_a_power_of_ten() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 2, 3, 6, 10, 11, 49, 51, 101, 2500)] == [
        1, 1, 2, 5, 10, 10, 20, 50, 100, 200, 5000,
    ]  # fmt: skip


@given(st.integers(min_value=0, max_value=10**9))
def test_nice_ceiling_is_the_smallest_nice_number_at_or_above(value: int) -> None:
    top = nice_ceiling(value)
    assert top >= max(value, 1)
    assert int(str(top)[0]) in (1, 2, 5)
    assert set(str(top)[1:]) <= {"0"}
    assert top < 2.5 * max(value, 1)


def _days(counts: list[int], shares: list[float | None]) -> list[DayPoint]:
    start = date(2026, 11, 1)
    return [
        DayPoint(day=start + timedelta(days=i), count=c, share=s)
        for i, (c, s) in enumerate(zip(counts, shares, strict=True))
    ]


def test_bars_scale_to_the_axis_and_the_share_line_breaks_on_days_without_searches() -> None:
    chart = daily_chart(_days([4, 0, 2, 3], [0.5, None, 0.0, 1.0]))
    plot = BOTTOM - TOP
    assert [b.height for b in chart.bars] == [plot * 4 / 5, 0, plot * 2 / 5, plot * 3 / 5]  # axis up to 5
    assert all(b.y + b.height == BOTTOM for b in chart.bars)
    assert chart.bars[0].x > LEFT
    assert chart.bars[-1].x + chart.bars[-1].width < RIGHT
    assert [t.label for t in chart.count_ticks] == ["0", "1", "2", "3", "4", "5"]
    assert [t.label for t in chart.share_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    segments = chart.share_path.split(" ")
    assert [s[0] for s in segments] == ["M", "M", "L"]  # a new segment after the empty day
    assert [y for _, y in chart.share_dots] == [BOTTOM - plot / 2, BOTTOM, TOP]
    assert [t.label for t in chart.day_labels] == ["Nov 1", "Nov 2", "Nov 3", "Nov 4"]


def test_ninety_days_keep_a_readable_number_of_day_labels_and_nothing_is_drawn_without_data() -> None:
    chart = daily_chart(_days([0] * 90, [None] * 90))
    assert len(chart.bars) == 90
    assert chart.share_path == ""
    assert chart.share_dots == []
    assert 6 <= len(chart.day_labels) <= 9
    assert [t.label for t in chart.count_ticks] == ["0", "1"]
    big = daily_chart(_days([1234, 20], [0.1, 0.2]))
    assert [t.label for t in big.count_ticks] == ["0", "500", "1,000", "1,500", "2,000"]


def test_labelled_bars_scale_to_a_round_axis_one_row_each_in_the_order_given() -> None:
    items = [LabelledValue(label=name, value=v, text=str(v)) for name, v in (("A", 30500), ("B", 300500), ("C", 0))]
    chart = bar_chart(items, tick_label=lambda m: f"€{m // 100:,}")
    span = BAR_RIGHT - BAR_LEFT
    assert [b.item.label for b in chart.bars] == ["A", "B", "C"]
    assert [b.width for b in chart.bars] == [round(span * 30500 / 500000, 2), round(span * 300500 / 500000, 2), 0]
    assert [b.y for b in chart.bars] == sorted(b.y for b in chart.bars)
    assert chart.bars[-1].y + chart.bars[-1].height < chart.bottom < chart.height
    assert [t.label for t in chart.ticks] == ["€0", "€1,000", "€2,000", "€3,000", "€4,000", "€5,000"]
    assert (chart.ticks[0].at, chart.ticks[-1].at) == (BAR_LEFT, BAR_RIGHT)
    empty = bar_chart([])
    assert empty.bars == []
    assert [t.label for t in empty.ticks] == ["0", "1"]
