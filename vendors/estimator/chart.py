"""Geometry of the server-rendered SVG chart: yearly in-house and outsourced cost as bars, cumulative savings
as a line. No Flask; templates/estimator/_chart.html draws it. Pixel positions are floats (they are only
drawing); the amounts shown in labels come from the exact figures.
"""

import math
from dataclasses import dataclass

from vendors.estimator.model import YearRow
from vendors.estimator.present import usd, usd_short

TICKS = 5
TICK_LABEL_GAP = 8  # between a y-axis label's end and the plot area
# The most an axis label's characters take on average, in ems ("-$12.5M" is about 4.1 in the fonts the site
# asks for): the left margin grows to fit the longest label at this width.
LABEL_EM_PER_CHARACTER = 0.62


@dataclass(frozen=True)
class Layout:
    """A drawing's size, the margins around its plot area (axis labels and titles), and its labels' size,
    all in the drawing's own units."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    font_size: int


# Shown 640 px wide or wider (its labels 12 px or more); in a narrower place it would shrink them.
WIDE = Layout(width=640, height=320, left=84, right=16, top=32, bottom=52, font_size=12)
# Shown where there is less room (a phone, scenarios side by side): 15-unit labels are 12 px at 288 px wide.
NARROW = Layout(width=360, height=260, left=66, right=8, top=36, bottom=46, font_size=15)


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Bar:
    kind: str  # "in-house" or "outsourced"
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str


@dataclass(frozen=True)
class YearLabel:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: float
    right: float
    top: int
    bottom: float
    font_size: int
    zero_y: float
    ticks: list[Tick]
    bars: list[Bar]
    points: list[Point]
    years: list[YearLabel]

    @property
    def tick_label_x(self) -> float:
        return self.left - TICK_LABEL_GAP

    @property
    def polyline(self) -> str:
        return " ".join(f"{point.x:.1f},{point.y:.1f}" for point in self.points)


def build(rows: list[YearRow], layout: Layout = WIDE) -> Chart:
    values = [0.0]
    for row in rows:
        values += [float(row.in_house), float(row.outsourced), float(row.cumulative_savings)]
    step = nice_step((max(values) - min(values)) / TICKS)
    low = math.floor(min(values) / step) * step
    high = math.ceil(max(values) / step) * step
    if high == low:
        high = low + step
    plot_bottom = layout.height - layout.bottom
    plot_right = layout.width - layout.right

    def y_of(value: float) -> float:
        return layout.top + (high - value) / (high - low) * (plot_bottom - layout.top)

    ticks = [
        Tick(y_of(low + i * step), usd_short(low + i * step)) for i in range(round((high - low) / step) + 1)
    ]
    longest = max(len(tick.label) for tick in ticks)
    left = max(
        layout.left, math.ceil(longest * LABEL_EM_PER_CHARACTER * layout.font_size) + TICK_LABEL_GAP + 2
    )
    slot = (plot_right - left) / len(rows)
    bar_width = slot * 0.3
    zero_y = y_of(0.0)
    bars, points, years = [], [], []
    for index, row in enumerate(rows):
        centre = left + slot * (index + 0.5)
        for kind, amount, x in (
            ("in-house", row.in_house, centre - bar_width),
            ("outsourced", row.outsourced, centre),
        ):
            top = y_of(float(amount))
            title = f"Year {row.year}, {kind} cost: {usd(amount)}"
            bars.append(Bar(kind, x, min(top, zero_y), bar_width, abs(zero_y - top), title))
        cumulative = row.cumulative_savings
        points.append(
            Point(centre, y_of(float(cumulative)), f"Savings to end of year {row.year}: {usd(cumulative)}")
        )
        years.append(YearLabel(centre, str(row.year)))
    return Chart(
        layout.width,
        layout.height,
        left,
        plot_right,
        layout.top,
        plot_bottom,
        layout.font_size,
        zero_y,
        ticks,
        bars,
        points,
        years,
    )


def nice_step(rough: float) -> float:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least `rough` (and above zero)."""
    if rough <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 2.5, 5, 10):
        if multiple * power >= rough:
            return multiple * power
    return 10 * power
