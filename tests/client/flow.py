"""The spec's flow, driven through a client generated from the served schema (tests/client/run.sh makes both).

`python -m tests.client.flow <package dir> <origin> <email> <password>`: imports every module of the generated
package `trellis_client`, then, as a partner system would, signs in, registers a patient, starts the spec's plan,
builds its goal tree (a long-term goal, the spec's short-term goal with an intervention, an objective), records
a session and the spec's progress entry, reads the goal's history and the plan with `progress_summary` and nested
`sub_goals`, updates the plan with If-Match, records a review, searches the library by modality and words, adds a
custom intervention, and reads a 400 and a 412 as the declared error model. Each step checks the status and the
parsed model; the first that fails ends the run with a sentence saying what was expected (exit status 1).
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
import sys
import uuid
from typing import Any

PACKAGE = "trellis_client"


class FlowFailed(Exception):
    """A step of the flow did not get what the schema and the spec promise."""


def import_every_module() -> int:
    """Import each module of the generated package; a module that does not import fails the run."""
    package = importlib.import_module(PACKAGE)
    names = [info.name for info in pkgutil.walk_packages(package.__path__, prefix=f"{PACKAGE}.")]
    for name in names:
        try:
            importlib.import_module(name)
        except Exception as error:
            raise FlowFailed(f"the generated module {name} does not import: {error!r}") from error
    return len(names)


def expect(step: str, response: Any, status: int, model: type | None = None) -> Any:
    """The parsed body of `response`, which must have `status` and parse as `model`."""
    if response.status_code != status:
        raise FlowFailed(f"{step}: expected {status}, got {int(response.status_code)}: {response.content[:300]!r}")
    parsed = response.parsed
    if model is not None and not isinstance(parsed, model):
        raise FlowFailed(f"{step}: expected the body as {model.__name__}, got {type(parsed).__name__}")
    return parsed


def check(step: str, condition: bool, what: str) -> None:
    if not condition:
        raise FlowFailed(f"{step}: {what}")


def run(origin: str, email: str, password: str) -> list[str]:
    from trellis_client import AuthenticatedClient, Client
    from trellis_client.api.auth import auth_token_create
    from trellis_client.api.goals import goals_history_list, goals_progress_create
    from trellis_client.api.interventions import interventions_create, interventions_list
    from trellis_client.api.patients import patients_create, patients_sessions_create, patients_treatment_plans_create
    from trellis_client.api.treatment_plans import (
        treatment_plans_goals_create,
        treatment_plans_retrieve,
        treatment_plans_review_create,
        treatment_plans_update,
    )
    from trellis_client.models import (
        Error,
        Goal,
        GoalCreateRequest,
        Intervention,
        InterventionRequest,
        InterventionsListModality,
        PaginatedInterventionList,
        Patient,
        PatientRequest,
        PlanDetail,
        PlanReview,
        PlanReviewWriteRequest,
        PlanWriteRequest,
        Progress,
        ProgressRequest,
        Session,
        SessionRequest,
        TokenRequestRequest,
        TokenResponse,
    )

    done: list[str] = []
    # Yesterday: a session and a review are recorded after they happen, on the practice's clock, which may still
    # be on the day before this machine's (UTC just past midnight is the evening before in the practice's zone).
    today = datetime.date.today() - datetime.timedelta(days=1)
    anonymous = Client(base_url=origin, raise_on_unexpected_status=True)
    token = expect(
        "token",
        auth_token_create.sync_detailed(client=anonymous, body=TokenRequestRequest(email=email, password=password)),
        200,
        TokenResponse,
    )
    api = AuthenticatedClient(base_url=origin, token=token.token, prefix="Token", raise_on_unexpected_status=True)
    done.append("token")

    patient = expect(
        "patient",
        patients_create.sync_detailed(
            client=api,
            body=PatientRequest(
                first_name="Client", last_name=f"Flow-{uuid.uuid4().hex[:8]}", date_of_birth=datetime.date(1990, 4, 2)
            ),
        ),
        201,
        Patient,
    )
    done.append("patient")

    spec_plan = {
        "title": "Anxiety Management Plan",
        "diagnosis_codes": [{"code": "F41.1", "description": "Generalized anxiety disorder"}],
        "presenting_problems": ["chronic worry", "sleep difficulties", "physical tension"],
        "start_date": (today - datetime.timedelta(days=30)).isoformat(),
        "target_end_date": (today + datetime.timedelta(days=150)).isoformat(),
        "review_frequency_days": 90,
    }
    created = patients_treatment_plans_create.sync_detailed(
        str(patient.id), client=api, body=PlanWriteRequest.from_dict(spec_plan)
    )
    plan = expect("plan", created, 201, PlanDetail)
    check("plan", plan.presenting_problems == spec_plan["presenting_problems"], "presenting_problems as sent")
    plan_id = str(plan.id)
    done.append("plan with the spec's body")

    long_term = expect(
        "long-term goal",
        treatment_plans_goals_create.sync_detailed(
            plan_id,
            client=api,
            body=GoalCreateRequest.from_dict(
                {"goal_type": "long_term", "description": "Reduce overall anxiety levels to manageable state"}
            ),
        ),
        201,
        Goal,
    )
    done.append("long-term goal")

    library = expect(
        "interventions by modality and search",
        interventions_list.sync_detailed(
            client=api, modality=InterventionsListModality.BEHAVIORAL, search="relaxation"
        ),
        200,
        PaginatedInterventionList,
    )
    check("interventions by modality and search", library.count >= 1, "a behavioral relaxation intervention")
    check(
        "interventions by modality and search",
        all(item.modality == "behavioral" for item in library.results),
        "every result is behavioral",
    )
    relaxation = library.results[0]
    done.append("interventions by modality and search")

    spec_goal = {
        "goal_type": "short_term",
        "parent_goal_id": str(long_term.id),
        "description": "Learn and practice 3 relaxation techniques",
        "measurable_criteria": "Patient can demonstrate techniques independently",
        "baseline_value": "No techniques known",
        "target_value": "3 techniques mastered",
        "target_date": (today + datetime.timedelta(days=45)).isoformat(),
        "interventions": [{"intervention_id": str(relaxation.id), "frequency": "every session"}],
    }
    short_term = expect(
        "short-term goal",
        treatment_plans_goals_create.sync_detailed(plan_id, client=api, body=GoalCreateRequest.from_dict(spec_goal)),
        201,
        Goal,
    )
    check("short-term goal", len(short_term.interventions) == 1, "its one intervention linked")
    check("short-term goal", short_term.interventions[0].frequency == "every session", "the spec's frequency")
    done.append("the spec's short-term goal with interventions")

    objective = expect(
        "objective",
        treatment_plans_goals_create.sync_detailed(
            plan_id,
            client=api,
            body=GoalCreateRequest.from_dict(
                {
                    "goal_type": "objective",
                    "parent_goal_id": str(short_term.id),
                    "description": "Practise deep breathing daily for two weeks",
                }
            ),
        ),
        201,
        Goal,
    )
    done.append("objective")

    session = expect(
        "session",
        patients_sessions_create.sync_detailed(
            str(patient.id),
            client=api,
            body=SessionRequest.from_dict(
                {
                    "plan_id": plan_id,
                    "session_date": today.isoformat(),
                    "duration_minutes": 50,
                    "goal_ids": [str(objective.id)],
                    "interventions": [{"intervention_id": str(relaxation.id), "goal_id": str(short_term.id)}],
                    "progress": [{"goal_id": str(objective.id), "progress_note": "Practised twice.", "rating": 5}],
                }
            ),
        ),
        201,
        Session,
    )
    done.append("session")

    spec_progress = {
        "session_id": str(session.id),
        "progress_note": "Patient successfully practiced deep breathing. Reported using it twice this week.",
        "progress_value": "1 technique learned",
        "rating": 7,
    }
    progress = expect(
        "progress",
        goals_progress_create.sync_detailed(
            str(short_term.id), client=api, body=ProgressRequest.from_dict(spec_progress)
        ),
        201,
        Progress,
    )
    check("progress", progress.rating == 7, "the spec's rating")
    done.append("the spec's progress body")

    history = expect("history", goals_history_list.sync_detailed(str(short_term.id), client=api), 200, list)
    notes = [entry.progress_note for entry in history]
    check("history", notes == [spec_progress["progress_note"]], f"the one progress entry, got {notes}")
    done.append("history")

    read = treatment_plans_retrieve.sync_detailed(plan_id, client=api)
    detail = expect("plan GET", read, 200, PlanDetail)
    summary = detail.progress_summary
    check("plan GET", summary.total_goals == 3, f"progress_summary.total_goals 3, got {summary.total_goals}")
    check("plan GET", [g.id for g in detail.goals] == [long_term.id], "one long-term goal")
    nested = detail.goals[0].sub_goals
    check("plan GET", [g.id for g in nested] == [short_term.id], "the short-term goal under it")
    check("plan GET", [g.id for g in nested[0].sub_goals] == [objective.id], "the objective under that")
    etag = read.headers["ETag"]
    done.append("plan GET with progress_summary and nested sub_goals")

    changed = {**spec_plan, "title": "Anxiety Management Plan (revised)"}
    updated = expect(
        "PUT with If-Match",
        treatment_plans_update.sync_detailed(
            plan_id, client=api, body=PlanWriteRequest.from_dict(changed), if_match=etag
        ),
        200,
        PlanDetail,
    )
    check("PUT with If-Match", updated.title == changed["title"], "the new title")
    done.append("PUT with If-Match")

    stale = expect(
        "412",
        treatment_plans_update.sync_detailed(
            plan_id, client=api, body=PlanWriteRequest.from_dict(spec_plan), if_match=etag
        ),
        412,
        Error,
    )
    check("412", isinstance(stale.detail, str) and stale.detail != "", "a detail saying why")
    done.append("a 412 parsed as Error")

    review = expect(
        "review",
        treatment_plans_review_create.sync_detailed(
            plan_id,
            client=api,
            body=PlanReviewWriteRequest.from_dict(
                {"review_date": today.isoformat(), "summary": "Progressing; keep the relaxation work."}
            ),
        ),
        201,
        PlanReview,
    )
    check("review", review.summary == "Progressing; keep the relaxation work.", "the summary")
    done.append("review")

    custom = expect(
        "custom intervention",
        interventions_create.sync_detailed(
            client=api,
            body=InterventionRequest.from_dict(
                {"name": f"Worry postponement {uuid.uuid4().hex[:6]}", "modality": "CBT", "description": "A set time."}
            ),
        ),
        201,
        Intervention,
    )
    check("custom intervention", custom.is_system is False, "a practice's own")
    done.append("custom intervention")

    refused = expect(
        "400",
        patients_treatment_plans_create.sync_detailed(
            str(patient.id), client=api, body=PlanWriteRequest.from_dict({**spec_plan, "title": ""})
        ),
        400,
        Error,
    )
    check("400", list(refused.additional_properties) == ["title"], f"the field at fault, got {refused.to_dict()}")
    done.append("a 400 parsed as Error, naming the field")
    return done


def main(argv: list[str]) -> int:
    package_dir, origin, email, password = argv
    sys.path.insert(0, package_dir)
    try:
        modules = import_every_module()
        print(f"client test: every generated module imports ({modules})")
        steps = run(origin, email, password)
    except FlowFailed as failure:
        print(f"client test FAILED: {failure}")
        return 1
    except Exception as error:
        print(f"client test FAILED: the generated client raised {error!r}")
        raise
    print(f"client test: {len(steps)} steps passed: " + "; ".join(steps))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
