"""Progress charts as SVG drawn on the server, so the plan page and the PDF report show the same chart.

The SVG is self-contained (no CSS classes, fonts or external references): browsers and WeasyPrint
render it alike, and it carries a text alternative for screen readers.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from treatment.instruments import Band

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


# --- scores of a standardized instrument -----------------------------------------------------------

#: The severity bands' fills, mildest first: light tints, each band also named in words beside the plot,
#: so the shading is never the only cue. `TEXT` on the darkest is 7.9:1.
BAND_FILLS = ("#eef5ee", "#f5f5e4", "#fbf0df", "#fbe6dc", "#f7dcdc", "#f2d4d4")
TARGET = "#1e6b35"  # 6.6:1 on white
SAFETY = "#9b1c1c"  # 8:1 on white

#: Each flag a score can carry: (the letters marked over its point, the words a reader and the legend use).
SCORE_FLAGS: dict[str, tuple[str, str]] = {
    "response": ("R", "response (50% below baseline)"),
    "remission": ("Rm", "remission"),
    "reliable_improvement": ("RI", "reliable improvement"),
    "reliable_deterioration": ("RD", "reliable deterioration"),
    "safety": ("!", "safety flag (item 9 above 0)"),
}


@dataclass(frozen=True)
class PlottedScore:
    """One administration on the chart: its day, total score and the flags (keys of `SCORE_FLAGS`) it raised."""

    day: datetime.date
    score: int
    flags: tuple[str, ...] = ()


def band_of(score: int, bands: Sequence[Band]) -> Band | None:
    return next((band for band in bands if band.low <= score <= band.high), None)


def describe_scores(
    points: Sequence[PlottedScore], label: str, bands: Sequence[Band], target: int | None = None
) -> str:
    """The score chart in words: its title, and what a screen reader announces for it."""
    goal = f" Target {target}." if target is not None else ""
    if not points:
        return f"{label}: no scores recorded.{goal}"

    def reading(point: PlottedScore) -> str:
        band = band_of(point.score, bands)
        return f"{point.score}{f' ({band.label.lower()})' if band else ''} on {date_format(point.day)}"

    first, last = points[0], points[-1]
    if len(points) == 1:
        text = f"{label}: one score, {reading(first)}."
    else:
        text = f"{label}: {len(points)} scores, from {reading(first)} to {reading(last)}."
    flagged = [
        f"{SCORE_FLAGS[flag][1]} on {date_format(point.day)}"
        for point in points
        for flag in point.flags
        if flag in SCORE_FLAGS
    ]
    if flagged:
        text += " Flags: " + "; ".join(flagged) + "."
    return text + goal


def _legend_rows(entries: Sequence[tuple[str, str]], width: int) -> list[list[tuple[str, str]]]:
    """The legend's (sample, words) entries wrapped into rows that fit `width` (about 6 px a character)."""
    rows: list[list[tuple[str, str]]] = [[]]
    used = 0.0
    for entry in entries:
        needed = 30 + 6.1 * len(entry[1])
        if rows[-1] and used + needed > width:
            rows.append([])
            used = 0.0
        rows[-1].append(entry)
        used += needed
    return rows if rows[0] else []


def score_chart_svg(
    points: Sequence[PlottedScore],
    *,
    label: str,
    minimum: int,
    maximum: int,
    bands: Sequence[Band],
    target: int | None = None,
    baseline: int | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    width: int = 560,
    height: int = 190,
) -> SafeString:
    """An instrument's total scores over time: its severity bands shaded and named, the objective's target
    (and baseline) as lines, and each flag marked by letters over the score that raised it, with a legend.

    `start`..`end` default to the first and last score's days; scores outside them are left out. `height` is
    the plot's with its axes: the legend's rows add to it. A lower score is the better one on the instruments
    this draws (PHQ-9, GAD-7), so the worst band is at the top, as their scales are printed.
    """
    points = sorted(
        (p for p in points if (start is None or p.day >= start) and (end is None or p.day <= end)),
        key=lambda p: p.day,
    )
    days = [p.day for p in points]
    first_day = start or (days[0] if days else None)
    last_day = end or (days[-1] if days else None)
    left, right, top, bottom = 34, 150, 18, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    span = max((last_day - first_day).days, 1) if first_day and last_day else 1
    scale = max(maximum - minimum, 1)

    def x(day: datetime.date) -> float:
        if first_day is None or first_day == last_day:
            return round(left + plot_w / 2, 1)
        return round(left + plot_w * (day - first_day).days / span, 1)

    def y(score: float) -> float:
        return round(top + plot_h * (maximum - max(minimum, min(maximum, score))) / scale, 1)

    lines = [
        (value, name, colour, dash)
        for value, name, colour, dash in ((target, "Target", TARGET, "6 4"), (baseline, "Baseline", TEXT, "2 3"))
        if value is not None
    ]
    legend = [(f"line:{name}", f"{name} {value}") for value, name, _colour, _dash in lines]
    legend += [
        (f"flag:{flag}", f"{letters} {words}")
        for flag, (letters, words) in SCORE_FLAGS.items()
        if any(flag in p.flags for p in points)
    ]
    rows = _legend_rows(legend, width - left)
    total = height + 16 * len(rows)

    alt = describe_scores(points, label, bands, target)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(alt)}" '
        f'width="{width}" height="{total}" viewBox="0 0 {width} {total}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
        f"<title>{escape(label)}</title><desc>{escape(alt)}</desc>",
    ]
    # A band covers its scores' half-steps, so 0-4 and 5-9 meet at 4.5 and every score sits inside one.
    for index, band in enumerate(bands):
        upper, lower = y(min(band.high + 0.5, maximum)), y(max(band.low - 0.5, minimum))
        fill = BAND_FILLS[min(index, len(BAND_FILLS) - 1)]
        parts.append(
            f'<rect x="{left}" y="{upper}" width="{plot_w}" height="{round(lower - upper, 1)}" fill="{fill}"/>'
            f'<text x="{width - right + 6}" y="{round((upper + lower) / 2 + 4, 1)}" fill="{TEXT}">'
            f"{escape(band.label)} {band.low}–{band.high}</text>"  # noqa: RUF001 (the en dash of a range)
        )
    for tick in sorted({minimum, maximum, *(band.low for band in bands if band.low > minimum)}):
        parts.append(
            f'<line x1="{left}" y1="{y(tick)}" x2="{width - right}" y2="{y(tick)}" stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4}" text-anchor="end" fill="{TEXT}">{tick}</text>'
        )
    for value, _name, colour, dash in lines:
        parts.append(
            f'<line x1="{left}" y1="{y(value)}" x2="{width - right}" y2="{y(value)}" stroke="{colour}" '
            f'stroke-width="2" stroke-dasharray="{dash}"/>'
        )
    base = height - 6
    if first_day is None:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" fill="{TEXT}">'
            "No scores recorded yet</text>"
        )
    elif len(points) == 1:
        # One score: its date under it, as the progress chart does (an axis from a day to itself reads as broken).
        at = x(points[0].day)
        anchor = "start" if at < left + 40 else "end" if at > width - right - 40 else "middle"
        parts.append(
            f'<text x="{at}" y="{base}" text-anchor="{anchor}" fill="{TEXT}">{date_format(points[0].day)}</text>'
        )
    elif last_day is not None:
        parts.append(f'<text x="{left}" y="{base}" fill="{TEXT}">{date_format(first_day)}</text>')
        parts.append(
            f'<text x="{width - right}" y="{base}" text-anchor="end" fill="{TEXT}">{date_format(last_day)}</text>'
        )
    if len(points) > 1:
        coords = " ".join(f"{x(p.day)},{y(p.score)}" for p in points)
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for point in points:
        px, py = x(point.day), y(point.score)
        named = band_of(point.score, bands)
        raised = [SCORE_FLAGS[flag][1] for flag in point.flags if flag in SCORE_FLAGS]
        what = f"{date_format(point.day)}: {point.score}{f', {named.label.lower()}' if named else ''}"
        what += f" ({'; '.join(raised)})" if raised else ""
        parts.append(
            f'<circle cx="{px}" cy="{py}" r="{3.5 if len(points) > 1 else 5}" fill="{LINE}">'
            f"<title>{escape(what)}</title></circle>"
        )
        letters = " ".join(SCORE_FLAGS[flag][0] for flag in point.flags if flag in SCORE_FLAGS)
        if letters:
            # Over the point, or under it at the top of the scale; a safety flag in its own colour.
            at = py - 8 if py - 8 > top else py + 16
            colour = SAFETY if "safety" in point.flags else LINE
            parts.append(
                f'<text x="{px}" y="{round(at, 1)}" text-anchor="middle" fill="{colour}" font-weight="bold">'
                f"{letters}</text>"
            )
    styles = {name: (colour, dash) for _value, name, colour, dash in lines}
    for row_index, row in enumerate(rows):
        row_y, at = height + 12 + 16 * row_index, float(left)
        for sample, words in row:
            kind, key = sample.split(":", 1)
            if kind == "line":
                colour, dash = styles[key]
                parts.append(
                    f'<line x1="{at}" y1="{row_y - 4}" x2="{at + 22}" y2="{row_y - 4}" stroke="{colour}" '
                    f'stroke-width="2" stroke-dasharray="{dash}"/>'
                    f'<text x="{at + 26}" y="{row_y}" fill="{TEXT}">{escape(words)}</text>'
                )
            else:
                letters, rest = words.split(" ", 1)
                colour = SAFETY if key == "safety" else LINE
                parts.append(
                    f'<text x="{at}" y="{row_y}" fill="{TEXT}"><tspan fill="{colour}" font-weight="bold">'
                    f"{escape(letters)}</tspan> {escape(rest)}</text>"
                )
            at += 30 + 6.1 * len(words)
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
