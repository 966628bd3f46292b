"""Charts drawn on the server as inline SVG: geometry here, markup in a template, no chart library.

``daily_chart`` lays out counts per day as bars (left axis) and a share per day as a line (right
axis, 0 to 100 %). ``bar_chart`` lays out one horizontal bar per labelled value (vendors' totals or
scores on the RFQ comparison). The templates give each a title, a description and a data table for
people who cannot see it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 672, 16, 220
"""The plot area inside the view box; the margins hold the axes' labels."""


@dataclass(frozen=True)
class DayPoint:
    day: date
    count: int
    share: float | None
    """Between 0 and 1; None on a day without anything to share (no line point)."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    point: DayPoint


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass(frozen=True)
class DailyChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: list[Bar]
    share_path: str
    """SVG path data; a gap (a day without searches) starts a new segment."""
    share_dots: list[tuple[float, float]]
    count_ticks: list[Tick]
    share_ticks: list[Tick]
    day_labels: list[Tick]


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 × 10ⁿ at or above ``value`` (at least 1), so axis steps read well."""
    if value <= 1:
        return 1
    magnitude = int(10 ** math.floor(math.log10(value)))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def _divisions(top: int) -> int:
    """How many equal axis steps ``top`` (a ``nice_ceiling``) splits into: whole numbers at each tick."""
    return top if top <= 5 else 4 if str(top)[0] == "2" else 5


def _day_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def daily_chart(points: Sequence[DayPoint]) -> DailyChart:
    """Bars for the counts and a line for the shares, one slot per day, in the order given."""
    slots = max(len(points), 1)
    slot = (RIGHT - LEFT) / slots
    plot_height = BOTTOM - TOP
    top_count = nice_ceiling(max((p.count for p in points), default=0))
    bars: list[Bar] = []
    path: list[str] = []
    dots: list[tuple[float, float]] = []
    pen_down = False
    for i, p in enumerate(points):
        height = plot_height * p.count / top_count
        x = LEFT + i * slot
        bars.append(Bar(x=round(x + slot * 0.15, 2), y=round(BOTTOM - height, 2), width=round(slot * 0.7, 2),
                        height=round(height, 2), point=p))  # fmt: skip
        if p.share is None:
            pen_down = False
            continue
        cx, cy = round(x + slot / 2, 2), round(BOTTOM - plot_height * p.share, 2)
        path.append(f"{'L' if pen_down else 'M'}{cx},{cy}")
        dots.append((cx, cy))
        pen_down = True
    every = max(1, math.ceil(len(points) / 8))
    divisions = _divisions(top_count)
    return DailyChart(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        right=RIGHT,
        top=TOP,
        bottom=BOTTOM,
        bars=bars,
        share_path=" ".join(path),
        share_dots=dots,
        count_ticks=[
            Tick(at=round(BOTTOM - plot_height * k / divisions, 2), label=f"{top_count * k // divisions:,}")
            for k in range(divisions + 1)
        ],
        share_ticks=[Tick(at=BOTTOM - plot_height * k / 4, label=f"{25 * k}%") for k in range(5)],
        day_labels=[
            Tick(at=round(LEFT + i * slot + slot / 2, 2), label=_day_label(p.day))
            for i, p in enumerate(points)
            if i % every == 0
        ],
    )


# ------------------------------------------------------------------ labelled horizontal bars

BAR_LEFT, BAR_RIGHT, BAR_ROW, BAR_TOP, BAR_AXIS = 200, 600, 28, 8, 24
"""Room for the labels on the left and the values on the right; one row per bar; the axis below."""


@dataclass(frozen=True)
class LabelledValue:
    label: str
    value: int
    """Non-negative, in the chart's unit (minor units, hundredths of a point)."""
    text: str
    """The value as people read it (an amount, a score)."""
    highlight: bool = False


@dataclass(frozen=True)
class HBar:
    y: float
    width: float
    height: float
    label_y: float
    item: LabelledValue


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: list[HBar]
    ticks: list[Tick]
    """Positions along the value axis (x) with their labels."""


def bar_chart(items: Sequence[LabelledValue], *, tick_label: Callable[[int], str] = "{:,}".format) -> BarChart:
    """One horizontal bar per item, in the order given, on an axis from 0 to a round number."""
    bottom = BAR_TOP + BAR_ROW * max(len(items), 1)
    top_value = nice_ceiling(max((i.value for i in items), default=0))
    span = BAR_RIGHT - BAR_LEFT
    bars = [
        HBar(
            y=BAR_TOP + k * BAR_ROW + 4,
            width=round(span * max(i.value, 0) / top_value, 2),
            height=BAR_ROW - 8,
            label_y=BAR_TOP + k * BAR_ROW + BAR_ROW / 2 + 4,
            item=i,
        )
        for k, i in enumerate(items)
    ]
    divisions = _divisions(top_value)
    ticks = [
        Tick(at=round(BAR_LEFT + span * k / divisions, 2), label=tick_label(top_value * k // divisions))
        for k in range(divisions + 1)
    ]
    return BarChart(width=WIDTH, height=bottom + BAR_AXIS, left=BAR_LEFT, right=BAR_RIGHT, top=BAR_TOP,
                    bottom=bottom, bars=bars, ticks=ticks)  # fmt: skip
