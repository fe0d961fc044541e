"""Load benchmark: the practice-scale cases of issue 16 under 20 concurrent connections, against gunicorn as in
production.

`make loadtest` runs it. It builds (or reuses) a large practice on DATABASE_URL (100 clinicians, 5,000 patients,
a plan each with 10 goals and 10 progress entries per goal: 50,000 goals, 500,000 entries, plus one plan of
60 goals and ~600 entries) and a small one (2 clinicians, 110 patients of the same shape), starts the web
process of the `Procfile` (gunicorn, DEBUG off) on a spare port, signs in as a therapist and a practice admin
through the real sign-in page and the token endpoint, and drives each case with wrk (Debian's `wrk`), the cases
interleaved round by round so that the machine's noise falls on all of them alike. It prints, per case, req/s,
p50, p99 and the errors (non-2xx answers and socket errors), each as the median over the rounds, and the ratio of
its throughput to the floor's, with the load average. It asserts nothing: figures go in the README and the
closing notes, with the machine they were measured on.

The API rate limits are raised for the run (it measures the application, not the limiter), and the practices
sign in without a second factor.

Knobs (environment): LOADTEST_PATIENTS (5000) and LOADTEST_CLINICIANS (100) for the large practice,
LOADTEST_ROUNDS (3), LOADTEST_SECONDS (8 per case per round), LOADTEST_CONNECTIONS (20),
LOADTEST_THREADS (2, wrk's), LOADTEST_PORT (8790), LOADTEST_REBUILD=1 (drop and build the practices again).
"""

from __future__ import annotations

import datetime
import http.client
import http.cookiejar
import json
import os
import random
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from tests.benchmarks.database import analyze  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = int(os.environ.get("LOADTEST_ROUNDS", 3))
SECONDS = int(os.environ.get("LOADTEST_SECONDS", 8))
CONNECTIONS = int(os.environ.get("LOADTEST_CONNECTIONS", 20))
THREADS = int(os.environ.get("LOADTEST_THREADS", 2))
PORT = int(os.environ.get("LOADTEST_PORT", 8790))
PASSWORD = "Loadtest-2026-pass"  # a throwaway practice on a benchmark database

LARGE = "Loadtest: large practice"
SMALL = "Loadtest: small practice"


@dataclass(frozen=True)
class Shape:
    name: str
    clinicians: int
    patients: int
    goals_per_plan: int = 10
    entries_per_goal: int = 10


SHAPES = [
    Shape(
        LARGE,
        clinicians=int(os.environ.get("LOADTEST_CLINICIANS", 100)),
        patients=int(os.environ.get("LOADTEST_PATIENTS", 5000)),
    ),
    # 1 supervisor and 2 therapists of 55 patients each: the dashboard cases compare two caseloads of one size
    # (55 and 56 plans) in practices of 110 and 5,000 patients.
    Shape(SMALL, clinicians=3, patients=110),
]


def _therapists(shape: Shape) -> int:
    return max(1, shape.clinicians - max(1, shape.clinicians // 10))


# --- the practices -------------------------------------------------------------------------------


def _build(shape: Shape) -> None:
    from accounts.models import CareTeamMembership, Patient, Practice, Role, User
    from accounts.permissions import sync_patient_access
    from interventions.models import Intervention
    from treatment.models import GoalIntervention, GoalProgress, TreatmentGoal, TreatmentPlan

    t0 = time.perf_counter()
    practice = Practice.objects.create(name=shape.name, mfa_required=False)
    slug = "large" if shape.name == LARGE else "small"
    supervisors = [
        User.objects.create_user(f"sup{i}@{slug}.loadtest", PASSWORD, practice=practice, role=Role.SUPERVISOR)
        for i in range(max(1, shape.clinicians // 10))
    ]
    therapists = [
        User.objects.create_user(
            f"t{i}@{slug}.loadtest",
            PASSWORD,
            practice=practice,
            role=Role.THERAPIST,
            supervisor=supervisors[i % len(supervisors)],
            full_name=f"Therapist {i}",
        )
        for i in range(_therapists(shape))
    ]
    User.objects.create_user(f"admin@{slug}.loadtest", PASSWORD, practice=practice, role=Role.PRACTICE_ADMIN)
    rng = random.Random(16)
    patients = Patient.objects.bulk_create(
        [
            Patient(
                practice=practice,
                first_name=f"First{i}",
                last_name=f"Last{i:05d}",
                date_of_birth=datetime.date(1960 + i % 40, 1 + i % 12, 1 + i % 28),
                primary_therapist=therapists[i % len(therapists)],
                external_id=f"L{slug[0]}{i:05d}",
            )
            for i in range(shape.patients)
        ]
    )
    memberships = [CareTeamMembership(patient=p, user_id=p.primary_therapist_id) for p in patients]
    memberships += [CareTeamMembership(patient=p, user=rng.choice(therapists)) for p in patients[::5]]
    CareTeamMembership.objects.bulk_create(memberships, ignore_conflicts=True)
    for p in patients:
        sync_patient_access(p)
    print(f"  {shape.name}: staff, patients and grants in {time.perf_counter() - t0:.0f} s", flush=True)

    today = practice.today()
    start = today - datetime.timedelta(days=120)
    plans = TreatmentPlan.objects.bulk_create(
        [
            TreatmentPlan(
                patient=p,
                therapist_id=p.primary_therapist_id,
                title=f"Plan for {p.last_name}",
                diagnosis_codes=[{"code": "F41.1", "description": "Generalized anxiety disorder"}],
                presenting_problems=["worry", "poor sleep"],
                start_date=start,
                next_review_date=today + datetime.timedelta(days=(i % 120) - 10),
            )
            for i, p in enumerate(patients)
        ]
    )
    library = list(Intervention.objects.filter(is_system=True).order_by("name")[:20])
    now = timezone.now()
    # One plan of 60 goals (20 chains of long-term > short-term > objective) with ~600 entries: the plan the
    # detail, the plan page and the progress cases read; the rest carry `goals_per_plan` goals each.
    goals_of: dict[object, list[TreatmentGoal]] = {}
    for index, plan in enumerate(plans):
        chains = 20 if index == 0 else max(1, shape.goals_per_plan // 3)
        goals: list[TreatmentGoal] = []
        for c in range(chains):
            lt = TreatmentGoal(plan=plan, goal_type="long_term", description=f"Long-term goal {c}", priority=1 + c % 3)
            st = TreatmentGoal(plan=plan, goal_type="short_term", parent_goal=lt, description=f"Short-term goal {c}")
            ob = TreatmentGoal(
                plan=plan,
                goal_type="objective",
                parent_goal=st,
                description=f"Objective {c}",
                measurable_criteria="Worry episodes per week, self-monitoring log",
                baseline_value="14",
                target_value="3",
                target_date=today + datetime.timedelta(days=60),
            )
            goals += [lt, st, ob]
        if index != 0:
            goals.append(TreatmentGoal(plan=plan, goal_type="long_term", description="Sleep through the night"))
            goals = goals[: shape.goals_per_plan]
        goals_of[plan.pk] = goals
    all_goals = [g for plan in plans for g in goals_of[plan.pk]]
    # Parents before children: bulk_create keeps the order, and the tree is three levels deep.
    TreatmentGoal.objects.bulk_create(all_goals, batch_size=5000)
    GoalIntervention.objects.bulk_create(
        [
            GoalIntervention(goal=g, intervention=library[i % len(library)], frequency="weekly")
            for i, g in enumerate(all_goals)
        ],
        batch_size=5000,
    )
    per_goal = {g.pk: (shape.entries_per_goal if g.plan_id != plans[0].pk else 10) for g in all_goals}
    batch: list[GoalProgress] = []
    for i, goal in enumerate(all_goals):
        for k in range(per_goal[goal.pk]):
            batch.append(
                GoalProgress(
                    goal=goal,
                    progress_note="Practised the skill between sessions.",
                    progress_value=str(14 - k),
                    rating=1 + (i + k) % 10,
                    recorded_by_id=goal.plan.therapist_id,
                    recorded_at=now - datetime.timedelta(days=7 * (per_goal[goal.pk] - k)),
                )
            )
        if len(batch) >= 20000:
            GoalProgress.objects.bulk_create(batch, batch_size=5000)
            batch = []
    GoalProgress.objects.bulk_create(batch, batch_size=5000)
    print(
        f"  {shape.name}: {len(plans)} plans, {len(all_goals)} goals, "
        f"{GoalProgress.objects.filter(goal__plan__patient__practice=practice).count()} entries "
        f"in {time.perf_counter() - t0:.0f} s",
        flush=True,
    )


def _rollups(practice_name: str) -> None:
    """Every plan's figures as the services keep them (progress percentages, overall progress)."""
    from treatment.models import TreatmentPlan
    from treatment.services import plan_recalculate

    for plan in TreatmentPlan.objects.filter(patient__practice__name=practice_name).iterator(chunk_size=500):
        with transaction.atomic():
            plan_recalculate(plan)


def ensure_practices() -> None:
    from accounts.models import Patient, Practice, Role, User

    for shape in SHAPES:
        existing = Practice.objects.filter(name=shape.name).first()
        complete = (
            existing is not None
            and Patient.objects.filter(practice=existing).count() == shape.patients
            and User.objects.filter(practice=existing, role=Role.THERAPIST).count() == _therapists(shape)
        )
        if complete and not os.environ.get("LOADTEST_REBUILD"):
            print(f"  {shape.name}: reused", flush=True)
            continue
        if existing is not None:
            sys.exit(
                f"{shape.name!r} exists on this database but is not complete (or LOADTEST_REBUILD is set): "
                "point DATABASE_URL at a fresh database (make loadtest creates trellis_loadtest)."
            )
        _build(shape)
        t0 = time.perf_counter()
        _rollups(shape.name)
        print(f"  {shape.name}: rollups in {time.perf_counter() - t0:.0f} s", flush=True)


# --- the server ----------------------------------------------------------------------------------


def _web_command() -> list[str]:
    """The `web:` line of the Procfile, as production runs it (gunicorn.conf.py binds HOST:WEB_PORT, `server_env`)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return shlex.split(os.path.expandvars(line.removeprefix("web:").strip()))
    sys.exit("The Procfile has no web: line.")


def server_env() -> dict[str, str]:
    """Production settings (DEBUG off) over plain HTTP, with the API rate limits out of the way."""
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "WEB_PORT": str(PORT),
        "DEBUG": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_SSL_REDIRECT": "false",
        "LOG_LEVEL": "WARNING",
        "THROTTLE_API_USER_RATE": "1000000/minute",
        "THROTTLE_API_ANON_RATE": "1000000/minute",
        "THROTTLE_SIGN_IN_IP_RATE": "1000/minute",
        "THROTTLE_SIGN_IN_ACCOUNT_RATE": "1000/minute",
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
    }
    env.setdefault("SECRET_KEY", "loadtest-" + "x" * 50)
    env.setdefault("AUDIT_HMAC_KEY", "loadtest-" + "y" * 50)
    return env


def start_server() -> subprocess.Popen:
    env = server_env()
    log = open(Path(tempfile.gettempdir()) / "trellis-loadtest-web.log", "w")  # noqa: SIM115 - lives with the server
    server = subprocess.Popen(_web_command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    sys.exit(f"gunicorn did not answer /healthz on port {PORT} within 60 s (see {log.name}).")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


# --- signing in ----------------------------------------------------------------------------------

BASE = f"http://127.0.0.1:{PORT}"


def api_token(email: str) -> str:
    request = urllib.request.Request(
        f"{BASE}/api/v1/auth/token",
        data=json.dumps({"email": email, "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["token"]


def session_cookie(email: str) -> str:
    """Sign in through the sign-in page, as a browser does; returns the Cookie header of the signed-in session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{BASE}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        sys.exit("The sign-in page has no CSRF token.")
    form = urllib.parse.urlencode({"username": email, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)})
    request = urllib.request.Request(
        f"{BASE}/accounts/login/", data=form.encode(), headers={"Referer": f"{BASE}/accounts/login/"}
    )
    opener.open(request).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies and not any(name.endswith("sessionid") for name in cookies):
        sys.exit(f"Signing in as {email} did not start a session.")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


# --- the cases -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    headers: dict[str, str]
    method: str = "GET"
    body: str = ""
    #: Paths the requests take in turn (after `path`, which the preflight asks), when the case is many records.
    more_paths: tuple[str, ...] = ()


@dataclass
class Figures:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def preflight(case: Case) -> None:
    """One request of the case before it is measured: a case that answers an error would measure the error page."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    conn.request(case.method, case.path, body=case.body or None, headers=case.headers)
    response = conn.getresponse()
    response.read()
    if response.status >= 300:
        sys.exit(f"{case.label}: {case.method} {case.path} answered {response.status}, not a success.")


def run_wrk(case: Case, seconds: int) -> Figures:
    lines = [f'wrk.method = "{case.method}"']
    for name, value in case.headers.items():
        lines.append(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}")
    if case.body:
        lines.append(f"wrk.body = {json.dumps(case.body)}")
    if case.more_paths:
        paths = ", ".join(json.dumps(path) for path in (case.path, *case.more_paths))
        lines += [
            f"local paths = {{{paths}}}",
            "local turn = 0",
            "request = function()",
            "  turn = turn % #paths + 1",
            "  return wrk.format(nil, paths[turn])",
            "end",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{THREADS}",
                f"-c{CONNECTIONS}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "--latency",
                "-s",
                script.name,
                BASE + case.path,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket is not None:
        errors += sum(int(n) for n in socket.groups())
    return Figures(rps, p50, p99, errors)


def cases() -> list[Case]:
    from accounts.models import Patient, User
    from treatment.models import TreatmentGoal, TreatmentPlan

    large_therapist = User.objects.get(email="t0@large.loadtest")
    small_therapist = User.objects.get(email="t0@small.loadtest")
    big_plan = (
        TreatmentPlan.objects.filter(patient__practice__name=LARGE, therapist=large_therapist)
        .order_by("created_at", "id")
        .first()
    )
    # Progress goes to the therapist's other plans, so the measured plan keeps its size through the run: 20
    # objectives of 20 patients in turn (20 clinicians recording at once), and one objective 20 clients at once
    # (its plan's lock queues them: `treatment.services.common.lock_plan`).
    objectives = list(
        TreatmentGoal.objects.filter(plan__therapist=large_therapist, goal_type="objective")
        .exclude(plan=big_plan)
        .order_by("plan_id", "id")
        .distinct("plan_id")[:CONNECTIONS]
    )
    assert big_plan is not None and objectives
    assert Patient.objects.filter(practice__name=LARGE).exists()
    therapist_api = {"Authorization": f"Token {api_token(large_therapist.email)}", "Accept": "application/json"}
    admin_api = {"Authorization": f"Token {api_token('admin@large.loadtest')}", "Accept": "application/json"}
    therapist_web = {"Cookie": session_cookie(large_therapist.email)}
    small_web = {"Cookie": session_cookie(small_therapist.email)}
    progress = json.dumps({"progress_note": "Used the worry postponement twice.", "progress_value": "9", "rating": 6})
    detail = f"GET /api/v1/treatment-plans/{{id}} ({big_plan.goals.count()} goals)"
    return [
        Case("floor: GET /api/v1/staff/me", "/api/v1/staff/me", therapist_api),
        Case(
            detail,
            f"/api/v1/treatment-plans/{big_plan.pk}",
            therapist_api,
        ),
        Case("GET /api/v1/patients (therapist)", "/api/v1/patients", therapist_api),
        Case("GET /api/v1/patients (practice admin)", "/api/v1/patients", admin_api),
        Case("plan page (HTML)", f"/plans/{big_plan.pk}/", therapist_web),
        Case("dashboard, therapist, large practice", "/dashboard/", therapist_web),
        Case("dashboard, therapist, small practice", "/dashboard/", small_web),
        Case(
            f"POST /api/v1/goals/{{id}}/progress ({len(objectives)} plans)",
            f"/api/v1/goals/{objectives[0].pk}/progress",
            {**therapist_api, "Content-Type": "application/json"},
            method="POST",
            body=progress,
            more_paths=tuple(f"/api/v1/goals/{goal.pk}/progress" for goal in objectives[1:]),
        ),
        Case(
            "POST /api/v1/goals/{id}/progress (one goal)",
            f"/api/v1/goals/{objectives[0].pk}/progress",
            {**therapist_api, "Content-Type": "application/json"},
            method="POST",
            body=progress,
        ),
    ]


def prepare() -> None:
    """Create DATABASE_URL's database when it does not exist yet, migrate it, and collect the static files."""
    import psycopg
    from django.core.management import call_command

    db = settings.DATABASES["default"]
    params = {k: v for k, v in {"host": db["HOST"], "port": db["PORT"], "user": db["USER"]}.items() if v}
    if db.get("PASSWORD"):
        params["password"] = db["PASSWORD"]
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone() is None:
            admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    # DEBUG off serves the collected, hashed static files (WhiteNoise), as `make run` and production do.
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=server_env(),
        check=True,
    )


def main() -> int:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (Debian's package), then run make loadtest again.")
    if connection.vendor != "postgresql":
        sys.exit("make loadtest needs PostgreSQL: set DATABASE_URL (make loadtest defaults to trellis_loadtest).")
    print(f"Database {settings.DATABASES['default']['NAME']} on {connection.vendor}.", flush=True)
    prepare()
    ensure_practices()
    print(f"  VACUUM ANALYZE in {analyze():.0f} s", flush=True)
    connection.close()
    server = start_server()
    try:
        chosen = cases()
        for case in chosen:  # warm every worker's caches and connections before measuring
            preflight(case)
            run_wrk(case, 2)
        results: dict[str, list[Figures]] = {case.label: [] for case in chosen}
        loads = []
        for _ in range(ROUNDS):
            for case in chosen:
                results[case.label].append(run_wrk(case, SECONDS))
            loads.append(os.getloadavg()[0])
    finally:
        stop_server(server)
    print(
        f"\n{ROUNDS} rounds x {SECONDS} s per case, {CONNECTIONS} connections, wrk -t{THREADS}; "
        f"{os.cpu_count()} cores; load average over the rounds {min(loads):.1f}-{max(loads):.1f}; "
        f"web: {' '.join(_web_command())}\n"
    )
    floor = statistics.median(f.rps for f in results[chosen[0].label])
    print(f"{'case':<48}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs floor':>10}")
    for label, runs in results.items():
        rps = statistics.median(f.rps for f in runs)
        print(
            f"{label[:47]:<48}{rps:>8.1f}{statistics.median(f.p50_ms for f in runs):>9.0f}"
            f"{statistics.median(f.p99_ms for f in runs):>9.0f}{sum(f.errors for f in runs):>8}"
            f"{(f'{rps / floor:.2f}' if floor else 'n/a'):>10}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
