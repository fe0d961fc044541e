"""Progress charts as SVG drawn on the server, so the plan page and the PDF report show the same chart.

The SVG is self-contained (no CSS classes, fonts or external references): browsers and WeasyPrint
render it alike, and it carries a text alternative for screen readers.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

Point = tuple[datetime.date, int]

LINE = "#1d4e89"
GRID = "#d2d6dc"
TEXT = "#3e4c59"  # 9.6:1 on white


def describe(points: Sequence[Point], label: str, start: datetime.date, end: datetime.date) -> str:
    """The chart in words: its text alternative, and the caption a screen reader announces."""
    if not points:
        return f"{label}: no progress recorded between {date_format(start)} and {date_format(end)}."
    first, last = points[0], points[-1]
    if len(points) == 1:
        return f"{label}: {first[1]}% on {date_format(first[0])}."
    return (
        f"{label}: {len(points)} ratings, from {first[1]}% on {date_format(first[0])} "
        f"to {last[1]}% on {date_format(last[0])}."
    )


def progress_chart_svg(
    points: Sequence[Point],
    *,
    start: datetime.date,
    end: datetime.date,
    label: str,
    width: int = 520,
    height: int = 160,
) -> SafeString:
    """A line chart of progress (0-100 %) over `start`..`end`; points outside the period are left out."""
    points = sorted((day, max(0, min(100, int(pct)))) for day, pct in points if start <= day <= end)
    left, right, top, bottom = 40, 12, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max((end - start).days, 1)

    def x(day: datetime.date) -> float:
        if start == end:  # a one-day period: its day in the middle, not at one edge
            return round(left + plot_w / 2, 1)
        return round(left + plot_w * (day - start).days / span, 1)

    def y(pct: int) -> float:
        return round(top + plot_h * (100 - pct) / 100, 1)

    alt = describe(points, label, start, end)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(alt)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
        f"<title>{escape(alt)}</title>",
    ]
    for pct in (0, 50, 100):
        parts.append(
            f'<line x1="{left}" y1="{y(pct)}" x2="{width - right}" y2="{y(pct)}" stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(pct) + 4}" text-anchor="end" fill="{TEXT}">{pct}%</text>'
        )
    base = height - 6
    if len(points) == 1:
        # One rating is a point with its date under it and its figure beside it: a period axis from a
        # day to the same day (or to today, with nothing in between) reads as a broken chart.
        day, pct = points[0]
        at = x(day)
        # Near an edge the labels grow inwards, so they stay inside the chart.
        anchor = "start" if at < left + 40 else "end" if at > width - right - 40 else "middle"
        beside, side = (at - 9, "end") if anchor == "end" else (at + 9, "start")
        parts.append(
            f'<text x="{at}" y="{base}" text-anchor="{anchor}" fill="{TEXT}">{date_format(day)}</text>'
            f'<text x="{beside}" y="{y(pct) + 4}" text-anchor="{side}" fill="{TEXT}">{pct}%</text>'
        )
    else:
        parts.append(f'<text x="{left}" y="{base}" fill="{TEXT}">{date_format(start)}</text>')
        parts.append(f'<text x="{width - right}" y="{base}" text-anchor="end" fill="{TEXT}">{date_format(end)}</text>')
    if not points:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" fill="{TEXT}">'
            "No progress recorded in this period</text>"
        )
    else:
        coords = " ".join(f"{x(day)},{y(pct)}" for day, pct in points)
        if len(points) > 1:
            parts.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2"/>')
        for day, pct in points:
            parts.append(
                f'<circle cx="{x(day)}" cy="{y(pct)}" r="{3.5 if len(points) > 1 else 5}" fill="{LINE}">'
                f"<title>{date_format(day)}: {pct}%</title></circle>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every interpolated text is escaped above)


Bar = tuple[str, float]


def describe_bars(bars: Sequence[Bar], label: str, unit: str) -> str:
    """A bar chart in words: its text alternative, naming every bar and its figure."""
    if not bars:
        return f"{label}: no figures to show."
    return f"{label}: " + "; ".join(f"{name} {value:+g} {unit}" for name, value in bars) + "."


def bar_chart_svg(bars: Sequence[Bar], *, label: str, unit: str, width: int = 640, bar_height: int = 22) -> SafeString:
    """A horizontal bar chart, one named bar per figure from a zero line (negative figures to its left), scaled
    to the largest magnitude; the outcomes page's chart of mean progress change by intervention."""
    alt = describe_bars(bars, label, unit)
    name_w, right, top, gap = 200, 56, 8, 6
    height = top * 2 + max(len(bars), 1) * (bar_height + gap)
    lowest = min((value for _, value in bars), default=0.0)
    highest = max((value for _, value in bars), default=0.0)
    # A negative bar's figure is written left of it: room for it between the names and the plot.
    origin = name_w + (right if lowest < 0 else 0)
    plot_w = width - origin - right
    span = max(highest, 0.0) - min(lowest, 0.0) or 1.0
    zero = origin + plot_w * (0 - min(lowest, 0.0)) / span

    def x(value: float) -> float:
        return round(zero + plot_w * value / span, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(alt)}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
        f"<title>{escape(alt)}</title>",
    ]
    if not bars:
        parts.append(
            f'<text x="{width / 2}" y="{height / 2 + 4}" text-anchor="middle" fill="{TEXT}">No figures to show</text>'
        )
    for i, (name, value) in enumerate(bars):
        y = top + i * (bar_height + gap)
        left, right_end = sorted((x(0), x(value)))
        shown = name if len(name) <= 30 else name[:29] + "…"
        middle = y + bar_height / 2 + 4
        parts.append(
            f'<text x="{name_w - 8}" y="{middle}" text-anchor="end" fill="{TEXT}">{escape(shown)}</text>'
            f'<rect x="{left}" y="{y}" width="{max(round(right_end - left, 1), 1)}" height="{bar_height}" '
            f'fill="{LINE}"><title>{escape(name)}: {value:+g} {escape(unit)}</title></rect>'
            f'<text x="{right_end + 4 if value >= 0 else left - 4}" y="{middle}" '
            f'text-anchor="{"start" if value >= 0 else "end"}" fill="{TEXT}">{value:+g}</text>'
        )
    if bars:
        parts.append(
            f'<line x1="{round(zero, 1)}" y1="{top / 2}" x2="{round(zero, 1)}" y2="{height - top / 2}" '
            f'stroke="{TEXT}" stroke-width="1"/>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every interpolated text is escaped above)
