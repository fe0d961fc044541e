"""The score chart of a standardized instrument: bands named and shaded, the target line, each flag marked."""

import datetime
import re

from treatment.charts import PlottedScore, describe_scores, score_chart_svg
from treatment.instruments import PHQ9

PHQ9_BANDS = PHQ9.bands
JUNE, JULY, AUGUST = datetime.date(2026, 6, 1), datetime.date(2026, 7, 1), datetime.date(2026, 8, 1)


def chart(points, **kwargs):
    return score_chart_svg(points, label="PHQ-9", minimum=0, maximum=27, bands=PHQ9_BANDS, **kwargs)


def test_each_band_is_shaded_and_named_with_its_scores():
    svg = chart([PlottedScore(JUNE, 18), PlottedScore(JULY, 12)], target=5)

    assert svg.count("<rect") == 5
    for words in ("Minimal 0–4", "Mild 5–9", "Moderate 10–14", "Moderately severe 15–19", "Severe 20–27"):  # noqa: RUF001
        assert f">{words}</text>" in svg
    # The bands meet at the half-steps (4.5, 9.5...), so the scale's 27 steps fill the plot without a gap.
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert round(sum(heights), 1) == 148.0


def test_the_target_and_baseline_are_lines_named_in_the_legend():
    svg = chart([PlottedScore(JUNE, 18), PlottedScore(JULY, 12)], target=5, baseline=18)

    # Target 5 on a 0-27 scale over a 148 px plot from y=18: 18 + 148 * 22 / 27.
    assert (
        '<line x1="34" y1="138.6" x2="410" y2="138.6" stroke="#1e6b35" stroke-width="2" stroke-dasharray="6 4"/>' in svg
    )
    assert ">Target 5</text>" in svg and ">Baseline 18</text>" in svg
    assert "Target 5." in describe_scores([PlottedScore(JUNE, 18)], "PHQ-9", PHQ9_BANDS, 5)


def test_flags_are_lettered_over_their_score_and_explained():
    points = [
        PlottedScore(JUNE, 18, ("safety",)),
        PlottedScore(JULY, 11, ("reliable_improvement",)),
        PlottedScore(AUGUST, 4, ("response", "remission")),
    ]
    svg = chart(points, target=5)

    assert svg.count("<circle") == 3 and "<polyline" in svg
    assert 'fill="#9b1c1c" font-weight="bold">!</text>' in svg
    assert 'font-weight="bold">RI</text>' in svg
    assert 'font-weight="bold">R Rm</text>' in svg
    # The legend explains every letter used, and only those.
    for words in ("response (50% below baseline)", "remission", "reliable improvement", "safety flag (item 9 above 0)"):
        assert words in svg
    assert "reliable deterioration" not in svg
    # Each point's tooltip names its score, band and flags.
    assert "<title>1 Aug 2026: 4, minimal (response (50% below baseline); remission)</title>" in svg
    assert (
        'aria-label="PHQ-9: 3 scores, from 18 (moderately severe) on 1 Jun 2026 to 4 (minimal) on 1 Aug 2026. '
        "Flags: safety flag (item 9 above 0) on 1 Jun 2026; reliable improvement on 1 Jul 2026; response "
        '(50% below baseline) on 1 Aug 2026; remission on 1 Aug 2026. Target 5."'
    ) in svg


def test_one_score_is_a_point_with_its_date():
    svg = chart([PlottedScore(JULY, 9)], target=5)

    assert svg.count("<circle") == 1 and "<polyline" not in svg
    assert '<circle cx="222.0" cy="116.7" r="5"' in svg
    assert svg.count(">1 Jul 2026</text>") == 1
    assert 'aria-label="PHQ-9: one score, 9 (mild) on 1 Jul 2026. Target 5."' in svg


def test_no_scores_says_so_and_still_shows_the_scale():
    svg = chart([], target=10)

    assert "<circle" not in svg and "<polyline" not in svg
    assert ">No scores recorded yet</text>" in svg
    assert svg.count("<rect") == 5
    assert 'aria-label="PHQ-9: no scores recorded. Target 10."' in svg


def test_scores_outside_the_period_are_left_out_and_labels_escaped():
    svg = score_chart_svg(
        [PlottedScore(JUNE, 18), PlottedScore(AUGUST, 6)],
        label='<script>"x"</script>',
        minimum=0,
        maximum=27,
        bands=PHQ9_BANDS,
        start=JULY,
        end=AUGUST,
    )
    assert svg.count("<circle") == 1
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    # Self-contained: nothing for a browser or WeasyPrint to fetch.
    assert "href" not in svg and "url(" not in svg
