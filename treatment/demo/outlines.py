"""The demo plans, as outlines, and the parser that reads them.

Each plan is a small outline: header lines `key: value | key: value` (title, dx, sessions = how many,
last = days since the last one, review = next review in days from today (negative: overdue), problems,
notes, and hold / completed with the note that closes it), then one goal per line, sub-goals after their parent:

    L / S / O   a long-term goal, a short-term goal (under the last L), an objective (under the last S);
                priority = order among siblings; "+" after the letter: achieved, "x": discontinued
    = ...       criteria | baseline -> target unit | Intervention (frequency) *effectiveness; ... | progress
                (progress: how far along the objective is by the last session, 0-1)
    ? ...       SMART answers: part.question=answer | ...
"""

from __future__ import annotations

import re

from treatment.models import GoalStatus, GoalType

PLANS = {
    "RCC-1001": """
title: Generalized anxiety: worry, tension and sleep | dx: F41.1, Z56.6 | sessions: 16 | last: 3 | review: 0
problems: Excessive worry about work and health; Muscle tension and restlessness
problems: Takes 45-60 minutes to fall asleep; Seeks reassurance from partner and manager
notes: CBT for GAD; GAD-7 every four sessions.
L Reduce worry so that it no longer disrupts work or sleep
  = GAD-7 total score | 15 -> 5 GAD-7 | Cognitive Restructuring (weekly) *4
  ? relevant.importance=A promotion review in spring; worry costs her evenings | achievable.resources=Worry log app
S Identify and challenge worry-driven thoughts = Worry episodes examined with a thought record
O+ Complete a thought record for each worry episode rated 6/10 or higher
  = Thought records per week | 0 -> 4 records/week | Thought Records (daily between sessions) *4
O Postpone worries to a daily 20-minute worry period = Days per week the worry period is used | 0 -> 6 days/week
  | Cognitive Defusion (weekly) *3 | 0.7
S Tolerate uncertainty without seeking reassurance = Reassurance requests logged daily
O Cut reassurance-seeking messages to partner and manager = Reassurance requests per day | 8 -> 2 per day
  | Behavioral Experiments (weekly) | 0.55
L Lower physical tension and restore restful sleep
  = Sleep onset latency from the sleep diary | 55 -> 20 min | Psychoeducation (first sessions)
S Use a relaxation skill every day = Days per week with a logged relaxation practice
O+ Practice progressive muscle relaxation for 15 minutes a day = Practice days per week | 0 -> 6 days/week
  | Progressive Muscle Relaxation (daily) *5
O Use diaphragmatic breathing at the first sign of tension = Uses per day | 0 -> 3 times/day
  | Deep Breathing (as needed) *4 | 0.8
S Keep a consistent wind-down routine = Nights per week the routine is kept
O Stop work email by 9 pm and wind down for 30 minutes = Nights per week | 1 -> 6 nights/week
  | Sleep Hygiene (weekly) *3 | 0.6
""",
    "RCC-1002": """
title: Recurrent depression: activation and reconnection | dx: F33.1, Z56.0 | sessions: 18 | last: 6 | review: -9
problems: Low mood and loss of interest most days; Withdrawn from friends since losing his job in May
problems: Early waking and daytime fatigue; Harsh self-criticism
notes: Behavioral activation first, then cognitive work; PHQ-9 every four sessions.
notes: The basketball objective was discontinued after a knee injury; walking replaced it.
L Reduce depressive symptoms to the mild range or below
  = PHQ-9 total score | 17 -> 7 PHQ-9 | Behavioral Activation (weekly) *4
  ? relevant.importance=Wants to get back to work and to coaching his son's team | achievable.barriers=Low energy
S Re-engage in rewarding and routine activities = Planned activities completed each week
O+ Schedule and complete three pleasant or mastery activities a week = Activities completed per week
  | 0 -> 3 activities/week | Activity Scheduling (weekly review) *5
Ox Join a weekly pickup basketball game = Games attended per month | 0 -> 4 games/month
  | Committed Action (weekly) | 0.3
O Walk for 30 minutes at least four days a week = Walking days per week | 0 -> 4 days/week
  | Behavioral Activation (weekly) *4 | 0.65
S Answer self-critical thoughts with balanced ones = Self-critical thoughts caught and reframed
O Reframe self-critical thoughts with a thought record = Thought records per week | 0 -> 4 records/week
  | Thought Records (weekly) *3; Socratic Questioning (in session) | 0.5
L Rebuild social connection and a daily structure
  = Days per week with contact outside the household | 1 -> 5 days/week | Interpersonal Inventory (monthly)
S Reconnect with two supportive people = Contacts initiated each week
O Contact a friend or relative at least three times a week = Contacts per week | 0 -> 3 contacts/week
  | Interpersonal Effectiveness (every other week) *3 | 0.6
S Keep a regular sleep-wake schedule = Weekday rise time
O Get up by 7:30 am on weekdays however he slept = Weekdays up by 7:30 | 1 -> 5 days/week
  | Sleep Hygiene (weekly) | 0.7
L Return to work through a structured job search
  = Job applications per week | 0 -> 2 applications/week | Problem-Solving Therapy (weekly) *4
S Plan the job search in small steps = Weekly search plan written
O Submit two job applications a week = Applications per week | 0 -> 2 applications/week
  | Decisional Balance (as needed) | 0.5
""",
    "RCC-1003": """
title: Social anxiety: speaking up at school and work | dx: F40.10 | sessions: 10 | last: 2 | review: 5
problems: Intense fear of speaking in seminars and meetings; Avoids eating in front of others
problems: Leaves social events early; Replays conversations for hours afterwards
notes: CBT with graded exposure; LSAS monthly.
L Reduce social anxiety so it no longer limits school and work
  = Liebowitz Social Anxiety Scale total | 82 -> 50 LSAS | Psychoeducation (first sessions) *4
  ? specific.what=Join seminars and meetings without avoiding | time_bound.milestones=A 10-minute talk by week 12
S Work up a graded exposure hierarchy = Steps completed with peak anxiety under 4/10
O Ask at least one question in each seminar = Questions asked per week | 0 -> 3 questions/week
  | Exposure Therapy (weekly) *4 | 0.6
O Eat lunch with classmates twice a week = Shared lunches per week | 0 -> 2 lunches/week
  | Exposure Therapy (weekly) | 0.5
S Test predictions of being judged = Feared predictions tested
O Run one behavioral experiment on a feared prediction each week = Experiments per week | 0 -> 2 experiments/week
  | Behavioral Experiments (weekly) *4; Cognitive Restructuring (weekly) | 0.55
L Cut post-event rumination = Minutes a day spent replaying social events | 60 -> 15 min/day
  | Cognitive Defusion (weekly)
S Let go of replaying conversations = Replays interrupted
O Use a 5-minute mindfulness exercise when replay starts = Days per week it is used | 0 -> 5 days/week
  | Mindfulness (daily) *3 | 0.45
""",
    "RCC-1004": """
title: PTSD after a highway crash: processing, driving and sleep | dx: F43.12 | sessions: 14 | last: 4 | review: 38
problems: Intrusive memories and nightmares of a 2023 highway crash; Avoids highway driving
problems: Hypervigilance and irritability at home; Sleep broken by nightmares
notes: Cognitive Processing Therapy (12 sessions), then in-vivo driving exposure; PCL-5 every four sessions.
L Reduce PTSD symptoms below the clinical threshold
  = PCL-5 total score | 52 -> 28 PCL-5 | Cognitive Processing Therapy (weekly) *5
  ? achievable.resources=CPT workbook; his wife supports practice | relevant.importance=Symptoms strain his marriage
S Process the crash and revise stuck points = Stuck points log reviewed weekly
O+ Write and revise the impact statement = Revisions completed | 0 -> 2 revisions | Trauma Narrative (in session) *4
O Complete challenging-beliefs worksheets on stuck points = Worksheets per week | 0 -> 3 worksheets/week
  | Socratic Questioning (in session) *4 | 0.75
S Manage intrusive memories when they come = Intrusions logged with the response used
O Use grounding within five minutes of an intrusive memory = Intrusions met with grounding | 10 -> 80 %
  | Grounding Techniques (as needed) *4 | 0.8
L Drive on highways again without avoiding = Highway trips per week | 0 -> 5 trips/week
  | Exposure Therapy (weekly) *3
S Work through an in-vivo driving hierarchy = Hierarchy steps completed
O Drive the current hierarchy step twice a week and log SUDS = Peak SUDS on the current step | 85 -> 30 SUDS
  | Prolonged Exposure (twice weekly) *3 | 0.55
L Reduce nightmares and restore sleep = Nights per week with a nightmare | 5 -> 1 nights/week
  | Sleep Hygiene (weekly)
S Rescript the recurring nightmare = Rehearsal log
O Rehearse the rescripted dream for 10 minutes each evening = Evenings per week | 0 -> 6 evenings/week
  | Guided Imagery (daily) *3 | 0.6
""",
    "RCC-1005": """
title: OCD, contamination: exposure and response prevention | dx: F42.2 | sessions: 9 | last: 35 | review: 40
problems: Contamination obsessions; Hand washing two to three hours a day; Avoids public restrooms and transit
problems: Asks family for reassurance many times a day
notes: ERP; Y-BOCS every four sessions.
hold: On hold for a six-week work assignment abroad; ERP resumes on her return. Relapse-prevention plan given.
L Reduce OCD symptoms to the mild range = Y-BOCS total score | 27 -> 14 Y-BOCS
  | Exposure and Response Prevention (twice weekly) *4
  ? achievable.barriers=Fear that exposures will make her ill | relevant.importance=Washing costs her hours a day
S Reduce compulsive washing = Minutes of washing logged daily
O Keep hand washing under 30 minutes a day = Minutes of washing per day | 150 -> 30 min/day
  | Exposure and Response Prevention (daily homework) *4 | 0.5
O Complete daily ERP homework from the contamination hierarchy = Practices per week | 0 -> 6 practices/week
  | Acceptance and Willingness (weekly) *3 | 0.55
S Drop reassurance seeking = Requests logged by family
O Family answers reassurance requests with the agreed script = Reassurance requests per day | 20 -> 3 per day
  | Family Psychoeducation (monthly) *2 | 0.4
L Return to avoided places and routines = Avoided places visited per week | 0 -> 4 places/week
  | Committed Action (weekly)
S Use public transit and restrooms again = Transit days per week
O Ride the bus to work three days a week = Transit days per week | 0 -> 3 days/week
  | Exposure and Response Prevention (weekly) | 0.35
""",
    "RCC-1006": """
title: Adjustment to retirement: structure, mood and connection | dx: F43.23, Z60.0 | sessions: 12 | last: 20
problems: Loss of structure and purpose since retiring in June; Low mood and worry about money
problems: Has drifted away from friends; Irregular sleep
review: 30 | notes: Brief values-based CBT; PHQ-9 every four sessions.
completed: Goals met; booster session offered in three months.
L+ Adjust to retirement with a satisfying weekly structure
  = Weekdays with a planned activity | 1 -> 5 days/week | Values Clarification (weekly) *5
  ? specific.what=A week with purpose: volunteering, grandchildren, exercise | time_bound.deadline=Within 12 weeks
S+ Find values-based roles for retirement = Roles started
O+ Name valued directions and start two new roles = Roles started | 0 -> 2 roles | Committed Action (weekly) *4
S+ Build a weekly routine = Days the written schedule is followed
O+ Follow a written weekly schedule = Days per week followed | 1 -> 5 days/week | Activity Scheduling (weekly) *5
L Lift low mood and worry = PHQ-9 total score | 13 -> 4 PHQ-9 | Problem-Solving Therapy (weekly) *4
S+ Replace money worry with a concrete plan = Budget steps completed
O+ See a financial planner and draft a retirement budget = Steps completed | 0 -> 3 steps
  | Decisional Balance (in session) *3
S Reconnect socially = Social activities per week
O Meet a friend or attend a group twice a week = Activities per week | 0 -> 2 activities/week
  | Behavioral Activation (weekly) *4 | 0.85
""",
    "HFT-2001": """
title: Panic disorder: panic, avoidance and the couple | dx: F41.0, Z63.0 | sessions: 8 | last: 1 | review: 52
problems: Weekly panic attacks since March; Avoids bridges and crowded stores; Fears he is having a heart attack
problems: Arguments with his partner about avoidance
notes: CBT for panic with interoceptive exposure; his partner joins every other session.
L Be free of panic attacks and of the fear of them = Panic attacks per week from the diary | 3 -> 0 attacks/week
  | Psychoeducation (first sessions) *4
  ? specific.what=No panic attacks for four weeks in a row | relevant.alignment=Panic drives the avoidance
S Reinterpret bodily sensations = Sensations met without escape
O Do interoceptive exposure exercises five days a week = Practice days per week | 0 -> 5 days/week
  | Exposure Therapy (daily) *4 | 0.55
O Answer catastrophic thoughts with a thought record = Belief in "I'm having a heart attack" | 80 -> 20 %
  | Cognitive Restructuring (weekly) *3 | 0.6
L Return to avoided places and shared routines = Avoided situations entered per week | 0 -> 4 situations/week
  | Behavioral Experiments (weekly)
S Work through the avoidance hierarchy = Hierarchy steps completed
O Cross the bay bridge with his partner, then alone = Crossings per week | 0 -> 3 crossings/week
  | Exposure Therapy (weekly) | 0.3
S Talk about anxiety as a couple without arguing = Weekly check-ins held
O Hold a 20-minute weekly check-in with speaker-listener skills = Check-ins per week | 0 -> 1 check-ins/week
  | Family Communication Skills Training (every other week) *4 | 0.7
""",
}

KINDS = {"L": GoalType.LONG_TERM, "S": GoalType.SHORT_TERM, "O": GoalType.OBJECTIVE}
ENDS = {"+": GoalStatus.ACHIEVED, "x": GoalStatus.DISCONTINUED}
HEADER = re.compile(r"^([a-z]+): (.*)$")
RANGE = re.compile(r"^(-?[\d.]+) -> (-?[\d.]+) ?(.*)$")
USE = re.compile(r"^(.+?) \((.+)\)(?: \*(\d))?$")


def _parts(pattern: re.Pattern[str], text: str) -> tuple[str, ...]:
    """The groups of an outline line's part; a part that does not fit the outline's grammar is a mistake."""
    match = pattern.match(text)
    if match is None:
        raise ValueError(f"Not a demo outline part: {text!r}")
    return match.groups()


def parse_plan(outline: str) -> tuple[dict, list[dict]]:
    """The outline as (plan fields, goals in tree order, each with its `parent` index or None)."""
    plan: dict = {"problems": [], "notes": []}
    goals: list[dict] = []
    last: dict[str, int] = {}
    for raw in outline.strip().splitlines():
        line = raw.strip()
        if HEADER.match(line):
            for key, value in (_parts(HEADER, part) for part in line.split(" | ")):
                if key in ("problems", "notes"):
                    plan[key] += value.split("; ") if key == "problems" else [value]
                else:
                    plan[key] = int(value) if value.lstrip("-").isdigit() else value
        elif line[0] == "?":
            goals[-1]["smart"] = line[1:]
        elif line[0] in "=|":
            goals[-1]["more"] = f"{goals[-1]['more']} {line.lstrip('=')}".strip()
        else:
            head, text = line.split(" ", 1)
            parent = {"L": None, "S": last.get("L"), "O": last.get("S")}[head[0]]
            last[head[0]] = len(goals)
            description, _, more = text.partition(" = ")
            goals.append({"type": KINDS[head[0]], "end": ENDS.get(head[1:]), "parent": parent, "text": description})
            goals[-1]["more"] = more
    plan["notes"] = " ".join(plan["notes"])
    plan["dx"] = plan["dx"].split(", ")
    for goal in goals:
        criteria, span, uses, progress = ([f.strip() for f in goal.pop("more").split("|")] + [""] * 4)[:4]
        match = RANGE.match(span)
        goal["criteria"] = criteria
        goal["range"] = (float(match[1]), float(match[2]), match[3]) if match else None
        goal["uses"] = [_parts(USE, u.strip()) for u in uses.split(";") if u.strip()]
        fixed = {GoalStatus.ACHIEVED: 1.0, GoalStatus.DISCONTINUED: 0.25}
        goal["progress"] = fixed.get(goal["end"], float(progress or 0.6))
        smart: dict[str, dict[str, str]] = {}
        for answer in filter(None, goal.get("smart", "").split("|")):
            path, text = answer.split("=", 1)
            part, question = path.strip().split(".")
            smart.setdefault(part, {})[question] = text.strip()
        goal["smart"] = smart
    return plan, goals
