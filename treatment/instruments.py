"""The standardized instruments Trellis administers, as data: items, answers, LOINC codes, bands, flag rules.

An instrument is code, not a row: its items and scoring are fixed by its authors, so a practice cannot
edit them, and a third instrument is one more entry in `INSTRUMENTS` (plus its tests). Scoring is the
plain sum of the items; every item is required (none of these instruments' authors publish a proration
rule Trellis implements, so a missing answer is refused, never estimated).

Sources:
- PHQ-9: Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression severity
  measure. J Gen Intern Med 2001;16:606-613 (items, 0-3 answers, the bands 5/10/15/20). LOINC panel
  44249-1, total 44261-6, items 44250-9 ... 44260-8, answer list LL358-3 (LA6568-5 ... LA6571-9).
- GAD-7: Spitzer RL, Kroenke K, Williams JBW, Löwe B. A brief measure for assessing generalized anxiety
  disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097 (items, bands 5/10/15). LOINC panel 69737-5,
  total 70274-6, items 69725-0 ... 69736-7, the same answer list.
- PCL-5: Weathers FW, Litz BT, Keane TM, Palmieri PA, Marx BP, Schnurr PP. The PTSD Checklist for DSM-5
  (PCL-5), 2013, National Center for PTSD (www.ptsd.va.gov), public domain. 20 items 0-4, total 0-80.
  The National Center publishes no severity bands (its 31-33 cut point screens for probable PTSD; it
  is not a band), and Trellis names no LOINC codes for it: a code not checked against LOINC is worse
  than none, so `loinc_panel` and `loinc_total` are empty and the API says null.
- Reliable change (`reliable_change`): the NHS Talking Therapies for anxiety and depression Manual
  (NHS England, 2023; appendix on outcome measurement): a change of 6 or more on the PHQ-9 and of 4
  or more on the GAD-7 is reliable. It gives none for the PCL-5, so none is applied.
- Remission (`remission_below`): a PHQ-9 below 5 (Kroenke & Spitzer, Psychiatric Annals 2002;32:509-515,
  where 0-4 is "none-minimal"), and by the same band a GAD-7 below 5. None for the PCL-5 (no published
  remission score). Response: a reduction of at least 50% from baseline, the convention of the PHQ-9
  treatment literature (used for every instrument here, since it needs no instrument-specific figure).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class Item:
    """One question: its number on the form (1-based), its text, and its LOINC code when it has one."""

    number: int
    text: str
    loinc: str = ""


@dataclass(frozen=True)
class Option:
    """One answer: the value it scores, its label, and its LOINC answer code when it has one."""

    value: int
    label: str
    loinc: str = ""


@dataclass(frozen=True)
class Band:
    """A severity band: scores low..high (inclusive) read as `label`."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class SafetyRule:
    """An answer that raises a safety flag: item `item` (1-based) scored above `above`."""

    item: int
    above: int
    reason: str


@dataclass(frozen=True)
class Instrument:
    """A standardized instrument: its questions, answers, scoring range, bands and the rules its scores trigger."""

    code: str
    name: str
    short_name: str
    loinc_panel: str
    loinc_total: str
    #: The stem every item completes ("Over the last 2 weeks, how often have you been bothered by...").
    prompt: str
    items: tuple[Item, ...]
    options: tuple[Option, ...]
    bands: tuple[Band, ...]
    copyright: str
    source: str
    safety_rules: tuple[SafetyRule, ...] = ()
    #: The smallest change that is reliable (not measurement noise); None when no source gives one.
    reliable_change: int | None = None
    #: A score below this is remission; None when no source gives one.
    remission_below: int | None = None
    #: What the page must say beside the instrument (the item-9 caveat).
    caveats: tuple[str, ...] = field(default=())

    @property
    def min_score(self) -> int:
        return len(self.items) * min(o.value for o in self.options)

    @property
    def max_score(self) -> int:
        return len(self.items) * max(o.value for o in self.options)

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(o.value for o in self.options)

    def severity(self, score: int) -> str:
        """The band a total falls in ("" for an instrument without bands)."""
        for band in self.bands:
            if band.low <= score <= band.high:
                return band.label
        return ""

    def validate(self, answers: object) -> list[int]:
        """The answers as a list of ints, one per item, each an allowed value; else ValidationError naming
        `answers` (not a list, wrong count) or each `answers[i]` (0-based, as the JSON list is indexed)."""
        count = len(self.items)
        if not isinstance(answers, (list, tuple)):
            raise ValidationError({"answers": f"Send a list of {count} answers, one per item."})
        if len(answers) != count:
            raise ValidationError(
                {"answers": f"The {self.short_name} has {count} items; {len(answers)} answers were sent."}
            )
        allowed = self.values
        errors = {}
        for index, answer in enumerate(answers):
            # bool is an int in Python; true is not an answer.
            if isinstance(answer, bool) or not isinstance(answer, int) or answer not in allowed:
                errors[f"answers[{index}]"] = (
                    f"Item {index + 1}: answer with one of {', '.join(str(v) for v in allowed)}."
                )
        if errors:
            raise ValidationError(errors)
        return [int(a) for a in answers]

    def score(self, answers: list[int]) -> int:
        """The total: the sum of the items (every item answered; see the module's note on proration)."""
        return sum(answers)

    def safety_flag(self, answers: list[int]) -> bool:
        """Whether these answers raise a safety flag (PHQ-9: item 9 above 0)."""
        return any(answers[rule.item - 1] > rule.above for rule in self.safety_rules)


PFIZER_COPYRIGHT = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, with an "
    "educational grant from Pfizer Inc. No permission required to reproduce, translate, display or distribute."
)

#: LOINC answer list LL358-3, shared by the PHQ-9 and the GAD-7.
FREQUENCY_OPTIONS = (
    Option(0, "Not at all", "LA6568-5"),
    Option(1, "Several days", "LA6569-3"),
    Option(2, "More than half the days", "LA6570-1"),
    Option(3, "Nearly every day", "LA6571-9"),
)

PHQ9 = Instrument(
    code="phq9",
    name="Patient Health Questionnaire (PHQ-9)",
    short_name="PHQ-9",
    loinc_panel="44249-1",
    loinc_total="44261-6",
    prompt="Over the last 2 weeks, how often have you been bothered by any of the following problems?",
    items=(
        Item(1, "Little interest or pleasure in doing things", "44250-9"),
        Item(2, "Feeling down, depressed, or hopeless", "44255-8"),
        Item(3, "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
        Item(4, "Feeling tired or having little energy", "44254-1"),
        Item(5, "Poor appetite or overeating", "44251-7"),
        Item(
            6,
            "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
            "44258-2",
        ),
        Item(7, "Trouble concentrating on things, such as reading the newspaper or watching television", "44252-5"),
        Item(
            8,
            "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so "
            "fidgety or restless that you have been moving around a lot more than usual",
            "44253-3",
        ),
        Item(9, "Thoughts that you would be better off dead or of hurting yourself in some way", "44260-8"),
    ),
    options=FREQUENCY_OPTIONS,
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 19, "Moderately severe"),
        Band(20, 27, "Severe"),
    ),
    copyright=PFIZER_COPYRIGHT,
    source="Kroenke, Spitzer & Williams, J Gen Intern Med 2001;16:606-613.",
    safety_rules=(SafetyRule(item=9, above=0, reason="PHQ-9 item 9 (thoughts of death or self-harm) above 0"),),
    reliable_change=6,
    remission_below=5,
    caveats=(
        "Item 9 alone is not a suicide-risk screen: any answer above 0 calls for the clinician's own risk "
        "assessment, recorded in Trellis.",
    ),
)

GAD7 = Instrument(
    code="gad7",
    name="Generalized Anxiety Disorder 7-item scale (GAD-7)",
    short_name="GAD-7",
    loinc_panel="69737-5",
    loinc_total="70274-6",
    prompt="Over the last 2 weeks, how often have you been bothered by the following problems?",
    items=(
        Item(1, "Feeling nervous, anxious, or on edge", "69725-0"),
        Item(2, "Not being able to stop or control worrying", "68509-9"),
        Item(3, "Worrying too much about different things", "69733-4"),
        Item(4, "Trouble relaxing", "69734-2"),
        Item(5, "Being so restless that it is hard to sit still", "69735-9"),
        Item(6, "Becoming easily annoyed or irritable", "69689-8"),
        Item(7, "Feeling afraid, as if something awful might happen", "69736-7"),
    ),
    options=FREQUENCY_OPTIONS,
    bands=(
        Band(0, 4, "Minimal"),
        Band(5, 9, "Mild"),
        Band(10, 14, "Moderate"),
        Band(15, 21, "Severe"),
    ),
    copyright=PFIZER_COPYRIGHT,
    source="Spitzer, Kroenke, Williams & Löwe, Arch Intern Med 2006;166:1092-1097.",
    reliable_change=4,
    remission_below=5,
)

PCL5 = Instrument(
    code="pcl5",
    name="PTSD Checklist for DSM-5 (PCL-5)",
    short_name="PCL-5",
    # No LOINC codes: see the module's note.
    loinc_panel="",
    loinc_total="",
    prompt="In the past month, how much were you bothered by:",
    items=(
        Item(1, "Repeated, disturbing, and unwanted memories of the stressful experience?"),
        Item(2, "Repeated, disturbing dreams of the stressful experience?"),
        Item(
            3,
            "Suddenly feeling or acting as if the stressful experience were actually happening again (as if "
            "you were actually back there reliving it)?",
        ),
        Item(4, "Feeling very upset when something reminded you of the stressful experience?"),
        Item(
            5,
            "Having strong physical reactions when something reminded you of the stressful experience (for "
            "example, heart pounding, trouble breathing, sweating)?",
        ),
        Item(6, "Avoiding memories, thoughts, or feelings related to the stressful experience?"),
        Item(
            7,
            "Avoiding external reminders of the stressful experience (for example, people, places, "
            "conversations, activities, objects, or situations)?",
        ),
        Item(8, "Trouble remembering important parts of the stressful experience?"),
        Item(
            9,
            "Having strong negative beliefs about yourself, other people, or the world (for example, having "
            "thoughts such as: I am bad, there is something seriously wrong with me, no one can be trusted, "
            "the world is completely dangerous)?",
        ),
        Item(10, "Blaming yourself or someone else for the stressful experience or what happened after it?"),
        Item(11, "Having strong negative feelings such as fear, horror, anger, guilt, or shame?"),
        Item(12, "Loss of interest in activities that you used to enjoy?"),
        Item(13, "Feeling distant or cut off from other people?"),
        Item(
            14,
            "Trouble experiencing positive feelings (for example, being unable to feel happiness or have "
            "loving feelings for people close to you)?",
        ),
        Item(15, "Irritable behavior, angry outbursts, or acting aggressively?"),
        Item(16, "Taking too many risks or doing things that could cause you harm?"),
        Item(17, 'Being "superalert" or watchful or on guard?'),
        Item(18, "Feeling jumpy or easily startled?"),
        Item(19, "Having difficulty concentrating?"),
        Item(20, "Trouble falling or staying asleep?"),
    ),
    options=(
        Option(0, "Not at all"),
        Option(1, "A little bit"),
        Option(2, "Moderately"),
        Option(3, "Quite a bit"),
        Option(4, "Extremely"),
    ),
    bands=(),
    copyright="PCL-5 (Weathers, Litz, Keane, Palmieri, Marx & Schnurr, 2013), National Center for PTSD: public domain.",
    source="National Center for PTSD, www.ptsd.va.gov (PCL-5, 2013).",
)

#: Every instrument by code, in the order lists show them.
INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ9, GAD7, PCL5)}
#: The codes, for the API's choice fields (one enum in the schema: `ENUM_NAME_OVERRIDES`).
INSTRUMENT_CODES = list(INSTRUMENTS)
#: (code, short name) for a form's choices.
INSTRUMENT_CHOICES = [(i.code, i.short_name) for i in INSTRUMENTS.values()]


def validate_instrument(code: str) -> None:
    """A model field validator: the code names a registered instrument."""
    if code not in INSTRUMENTS:
        raise ValidationError(f"Unknown instrument; use one of {', '.join(INSTRUMENTS)}.")


def get_instrument(code: str) -> Instrument | None:
    return INSTRUMENTS.get(code)


def instrument_for(code: str, field_name: str = "instrument") -> Instrument:
    """The instrument `code` names, or a ValidationError on `field_name` listing the known codes."""
    instrument = INSTRUMENTS.get(code) if isinstance(code, str) else None
    if instrument is None:
        raise ValidationError({field_name: f"Unknown instrument; use one of {', '.join(INSTRUMENTS)}."})
    return instrument
