"""The instrument registry: scoring and severity bands at every cut point, the item-9 rule, answer validation.

Each table gives a total and the band the instrument's authors publish for it (see `treatment.instruments` for
the sources): 0, the maximum, and both sides of every boundary. The answers are built to reach the total, so
the scoring (a plain sum, every item required) is tested with the bands.
"""

import pytest
from django.core.exceptions import ValidationError

from treatment.instruments import GAD7, INSTRUMENTS, PCL5, PHQ9, Instrument, instrument_for


def answers_for(instrument: Instrument, total: int) -> list[int]:
    """Answers summing to `total`, filled item by item with the highest value (item 9 of the PHQ-9 last)."""
    top = max(instrument.values)
    answers = []
    for _ in instrument.items:
        value = min(top, total)
        answers.append(value)
        total -= value
    assert total == 0
    return answers


PHQ9_BANDS = [
    (0, "Minimal"),
    (4, "Minimal"),
    (5, "Mild"),
    (9, "Mild"),
    (10, "Moderate"),
    (14, "Moderate"),
    (15, "Moderately severe"),
    (19, "Moderately severe"),
    (20, "Severe"),
    (27, "Severe"),
]
GAD7_BANDS = [
    (0, "Minimal"),
    (4, "Minimal"),
    (5, "Mild"),
    (9, "Mild"),
    (10, "Moderate"),
    (14, "Moderate"),
    (15, "Severe"),
    (21, "Severe"),
]
# The PCL-5 has no published severity bands: every total reads "" (no band), 0 to 80.
PCL5_TOTALS = [(0, ""), (1, ""), (32, ""), (33, ""), (79, ""), (80, "")]


@pytest.mark.parametrize(
    ("instrument", "total", "band"),
    [(PHQ9, t, b) for t, b in PHQ9_BANDS]
    + [(GAD7, t, b) for t, b in GAD7_BANDS]
    + [(PCL5, t, b) for t, b in PCL5_TOTALS],
)
def test_score_and_band_at_every_cut_point(instrument, total, band):
    answers = instrument.validate(answers_for(instrument, total))
    assert instrument.score(answers) == total
    assert instrument.severity(total) == band


@pytest.mark.parametrize(
    ("instrument", "items", "low", "high", "values"),
    [(PHQ9, 9, 0, 27, (0, 1, 2, 3)), (GAD7, 7, 0, 21, (0, 1, 2, 3)), (PCL5, 20, 0, 80, (0, 1, 2, 3, 4))],
)
def test_ranges(instrument, items, low, high, values):
    assert (len(instrument.items), instrument.min_score, instrument.max_score, instrument.values) == (
        items,
        low,
        high,
        values,
    )


def test_bands_cover_the_range_without_gaps():
    for instrument in (PHQ9, GAD7):
        covered = [score for band in instrument.bands for score in range(band.low, band.high + 1)]
        assert covered == list(range(instrument.min_score, instrument.max_score + 1))


def test_loinc_codes():
    assert (PHQ9.loinc_panel, PHQ9.loinc_total, GAD7.loinc_panel, GAD7.loinc_total) == (
        "44249-1",
        "44261-6",
        "69737-5",
        "70274-6",
    )
    assert [o.loinc for o in PHQ9.options] == ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    assert [o.loinc for o in GAD7.options] == ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
    assert PHQ9.items[8].loinc == "44260-8"
    # No PCL-5 code is claimed without checking it against LOINC.
    assert (PCL5.loinc_panel, PCL5.loinc_total, {o.loinc for o in PCL5.options}) == ("", "", {""})


@pytest.mark.parametrize(
    ("item9", "flag"),
    [(0, False), (1, True), (2, True), (3, True)],
)
def test_phq9_item_9_above_zero_raises_the_safety_flag(item9, flag):
    assert PHQ9.safety_flag([3] * 8 + [item9]) is flag


def test_only_item_9_raises_it():
    assert PHQ9.safety_flag([3] * 8 + [0]) is False
    assert GAD7.safety_flag([3] * 7) is False
    assert PCL5.safety_flag([4] * 20) is False


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ([0] * 8, {"answers": ["The PHQ-9 has 9 items; 8 answers were sent."]}),
        ([0] * 10, {"answers": ["The PHQ-9 has 9 items; 10 answers were sent."]}),
        ("000000000", {"answers": ["Send a list of 9 answers, one per item."]}),
        (None, {"answers": ["Send a list of 9 answers, one per item."]}),
        ([0, 0, 4, 0, 0, 0, 0, 0, 0], {"answers[2]": ["Item 3: answer with one of 0, 1, 2, 3."]}),
        (
            [-1, 0, 0, 0, 0, 0, 0, 0, "2"],
            {
                "answers[0]": ["Item 1: answer with one of 0, 1, 2, 3."],
                "answers[8]": ["Item 9: answer with one of 0, 1, 2, 3."],
            },
        ),
        (
            [True, 0, 0, 0, 0, 0, 0, 0, 1.5],
            {
                "answers[0]": ["Item 1: answer with one of 0, 1, 2, 3."],
                "answers[8]": ["Item 9: answer with one of 0, 1, 2, 3."],
            },
        ),
    ],
)
def test_bad_answers_are_named(answers, errors):
    with pytest.raises(ValidationError) as refused:
        PHQ9.validate(answers)
    assert refused.value.message_dict == errors


def test_pcl5_answer_4_is_allowed_and_5_is_not():
    assert PCL5.validate([4] * 20) == [4] * 20
    with pytest.raises(ValidationError) as refused:
        PCL5.validate([4] * 19 + [5])
    assert refused.value.message_dict == {"answers[19]": ["Item 20: answer with one of 0, 1, 2, 3, 4."]}


def test_unknown_instrument():
    with pytest.raises(ValidationError) as refused:
        instrument_for("bdi2")
    assert refused.value.message_dict == {"instrument": ["Unknown instrument; use one of phq9, gad7, pcl5."]}
    assert list(INSTRUMENTS) == ["phq9", "gad7", "pcl5"]


def test_flag_rules_and_copyright():
    assert (PHQ9.reliable_change, GAD7.reliable_change, PCL5.reliable_change) == (6, 4, None)
    assert (PHQ9.remission_below, GAD7.remission_below, PCL5.remission_below) == (5, 5, None)
    assert PHQ9.copyright.startswith("Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke")
    assert "not a suicide-risk screen" in PHQ9.caveats[0]
