"""The server-drawn progress chart and the series it plots: one query, practice-local days."""

import datetime
import zoneinfo

from accounts.audit import AuditContext
from treatment.charts import bar_chart_svg, progress_chart_svg
from treatment.selectors import progress_series
from treatment.services import progress_record

START, END = datetime.date(2026, 10, 1), datetime.date(2026, 10, 31)


def test_chart_plots_each_point_and_describes_itself():
    svg = progress_chart_svg(
        [(datetime.date(2026, 10, 20), 70), (datetime.date(2026, 10, 5), 30)], start=START, end=END, label="Sleep"
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<circle") == 2
    assert "<polyline" in svg
    # Sorted by date in the description: from the first rating to the last.
    assert 'aria-label="Sleep: 2 ratings, from 30% on 5 Oct 2026 to 70% on 20 Oct 2026."' in svg
    assert "5 Oct 2026: 30%" in svg and "20 Oct 2026: 70%" in svg
    # Self-contained: nothing for a browser or WeasyPrint to fetch.
    assert "href" not in svg and "url(" not in svg


def test_chart_leaves_out_points_outside_the_period_and_says_when_empty():
    svg = progress_chart_svg([(datetime.date(2026, 9, 30), 50)], start=START, end=END, label="Sleep")
    assert "<circle" not in svg
    assert "No progress recorded in this period" in svg
    assert "no progress recorded between 1 Oct 2026 and 31 Oct 2026" in svg


def test_chart_escapes_the_label():
    svg = progress_chart_svg([], start=START, end=END, label='<script>"x"</script>')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg


def test_chart_clamps_values_and_survives_a_one_day_period():
    svg = progress_chart_svg([(START, 140)], start=START, end=START, label="Mood")
    assert "100%</title>" in svg


def test_series_is_one_query_in_practice_days_latest_of_a_day(tree, owner, django_assert_num_queries):
    by = AuditContext.system("tests", user=owner)
    zone = zoneinfo.ZoneInfo("America/New_York")
    objective, short_term = tree["objective"], tree["short_term"]
    # 23:30 in New York on 10 Oct is 11 Oct in UTC: the practice's day is what the chart shows.
    late = datetime.datetime(2026, 10, 10, 23, 30, tzinfo=zone)
    progress_record(by=by, goal=objective, progress_note="a", rating=3, recorded_at=late - datetime.timedelta(hours=2))
    progress_record(by=by, goal=objective, progress_note="b", rating=5, recorded_at=late)
    progress_record(by=by, goal=objective, progress_note="c", rating=8, recorded_at=late + datetime.timedelta(days=5))
    progress_record(by=by, goal=short_term, progress_note="no rating", recorded_at=late)
    plan = objective.plan
    assert plan.patient.practice.time_zone == "America/New_York"  # loaded before counting, as callers do
    with django_assert_num_queries(1):
        series = progress_series(plan)
    assert series == {objective.pk: [(datetime.date(2026, 10, 10), 50), (datetime.date(2026, 10, 15), 80)]}
    assert progress_series(plan, start=datetime.date(2026, 10, 11), end=datetime.date(2026, 10, 31)) == {
        objective.pk: [(datetime.date(2026, 10, 15), 80)]
    }
    assert progress_series(plan, start=datetime.date(2026, 10, 1), end=datetime.date(2026, 10, 10)) == {
        objective.pk: [(datetime.date(2026, 10, 10), 50)]
    }


def test_one_rating_is_a_point_with_its_date_not_an_axis_from_a_day_to_itself():
    day = datetime.date(2026, 12, 1)

    svg = progress_chart_svg([(day, 40)], start=day, end=day, label="Sleep")

    assert svg.count("<circle") == 1 and "<polyline" not in svg
    # The point in the middle of the chart, its date under it (once) and its figure beside it.
    assert '<circle cx="274.0" cy="85.6" r="5"' in svg
    assert svg.count(">1 Dec 2026</text>") == 1
    assert '<text x="274.0" y="154" text-anchor="middle" fill="#3e4c59">1 Dec 2026</text>' in svg
    assert '<text x="283.0" y="89.6" text-anchor="start" fill="#3e4c59">40%</text>' in svg
    assert 'aria-label="Sleep: 40% on 1 Dec 2026."' in svg


def test_one_rating_in_a_longer_period_keeps_its_date_inside_the_chart():
    # Rated on the plan's first day, drawn today: the point sits at the left edge, its labels grow inwards.
    svg = progress_chart_svg([(START, 70)], start=START, end=END, label="Sleep")

    assert svg.count(">1 Oct 2026</text>") == 1 and ">31 Oct 2026</text>" not in svg
    assert '<text x="40.0" y="154" text-anchor="start"' in svg


# --- the bar chart of the outcomes by intervention ------------------------------------------------------


def test_bar_chart_draws_a_bar_per_figure_from_the_zero_line():

    svg = bar_chart_svg([("Deep Breathing", 30.0), ("Cognitive Defusion", -10.0)], label="Change", unit="points")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<rect") == 2
    assert 'aria-label="Change: Deep Breathing +30 points; Cognitive Defusion -10 points."' in svg
    # Scaled to the span from -10 to +30: the negative bar is a third of the positive one's length, left of zero.
    widths = [float(part.split('"')[0]) for part in svg.split('width="')[2:]]
    assert widths[0] == 3 * widths[1]
    zero = float(svg.split('<line x1="')[1].split('"')[0])
    assert float(svg.split('<rect x="')[1].split('"')[0]) == zero
    assert float(svg.split('<rect x="')[2].split('"')[0]) == round(zero - widths[1], 1)
    assert "href" not in svg and "url(" not in svg


def test_bar_chart_says_when_empty_and_escapes_names():

    assert "No figures to show" in bar_chart_svg([], label="Change", unit="points")
    svg = bar_chart_svg([('<b>"x"</b>', 1.0)], label="Change", unit="points")
    assert "<b>" not in svg and "&lt;b&gt;" in svg
