#!/usr/bin/env bash
# `make fuzz`: schemathesis against a live Trellis, every check on, bounded in examples and time.
#
# 1. A throwaway database: `<name>_fuzz` beside DATABASE_URL's database on PostgreSQL (dropped and created
#    afresh), else a SQLite file under var/fuzz/. Migrated and seeded with the demo (`manage.py seed_demo`).
# 2. gunicorn on a free port with DEBUG off, as in production (static files collected, no debug pages, no
#    browsable API); the broker in memory (no worker renders the reports asked for: the API's answer is what
#    is tested).
# 3. A token for the demo practice admin from POST /api/v1/auth/token.
# 4. schemathesis on every operation of /api/schema/, `--checks all`, FUZZ_MAX_EXAMPLES examples per operation
#    and phase, a fixed seed, in two passes of FUZZ_MAX_TIME/2 seconds each:
#    - "records" (tests/fuzz/records.toml): path parameters pinned to demo records the user may change
#      (tests/fuzz/targets.py), valid-shaped queries and bodies (`--mode positive`) carried to the
#      serializers, the services and the database;
#    - "schema" (tests/fuzz/schema.toml): everything generated, valid and invalid (`--mode all`).
#
# Left out, and why (README.md, "make fuzz"):
# - `DELETE /api/v1/auth/token` (the API's only DELETE: nothing clinical is deleted) revokes the token the
#   run authenticates with: every later request would be a 401, and the rest of the run would test nothing.
# - Check `positive_data_acceptance`: it fails any 400 to a body the schema allows, and the API refuses
#   schema-valid bodies on purpose: an ICD-10-CM code that does not exist, a date outside 1900-2200 or in the
#   future, a goal under the wrong parent, a closed plan, a stale If-Match. OpenAPI cannot say those rules.
#   (`negative_data_rejection`, its mirror, stays on: schema-invalid input must be refused.)
# - Invalid data in the "records" pass: schemathesis reports the path parameter it mutated although the
#   request carried the pinned id, so `negative_data_rejection` would fail requests that were valid. The
#   "schema" pass sends invalid data everywhere, path parameters included.
#
# Exit status: non-zero when either pass fails or any request was answered 5xx. In var/fuzz/: the server's
# log (server.log, tracebacks), its access log (access.log), schemathesis' JUnit reports (records.xml,
# schema.xml).
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=.venv/bin
FUZZ_DIR=var/fuzz
FUZZ_USER=admin@riverside.example
FUZZ_MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-25}
FUZZ_MAX_TIME=${FUZZ_MAX_TIME:-300}
pass_time=$((FUZZ_MAX_TIME / 2))
FUZZ_SEED=${FUZZ_SEED:-20261}

rm -rf "$FUZZ_DIR"
mkdir -p "$FUZZ_DIR"

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  base="${DATABASE_URL%%\?*}"
  server="${base%/*}"
  fuzz_db="${base##*/}_fuzz"
  psql "$server/postgres" -q -c "DROP DATABASE IF EXISTS \"$fuzz_db\" WITH (FORCE)" -c "CREATE DATABASE \"$fuzz_db\""
  export DATABASE_URL="$server/$fuzz_db"
  server_workers=(--workers 2 --threads 2)
else
  export DATABASE_URL="sqlite:///$PWD/$FUZZ_DIR/trellis.sqlite3"
  # SQLite takes one writer at a time: one request at a time, or the fuzzer meets "database is locked".
  server_workers=(--workers 1 --threads 1)
fi
export DEBUG=false
export SECRET_KEY="fuzz-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export AUDIT_HMAC_KEY="fuzz-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export CELERY_BROKER_URL=memory://
export MEDIA_ROOT="$PWD/$FUZZ_DIR/media"
export STATIC_ROOT="$PWD/$FUZZ_DIR/static"
export LOG_LEVEL=WARNING
unset REDIS_URL CELERY_TASK_ALWAYS_EAGER
# The fuzzer tests the answers, not the rate limits (tests/accounts/test_throttling.py does): a run makes
# thousands of calls a minute with one token.
export THROTTLE_API_USER_RATE=1000000/minute THROTTLE_API_ANON_RATE=1000000/minute

echo "make fuzz: database ${DATABASE_URL##*/}"
$BIN/python manage.py migrate --noinput -v 0
$BIN/python manage.py createcachetable
$BIN/python manage.py seed_demo >/dev/null
$BIN/python manage.py collectstatic --noinput -v 0

port=$($BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
origin="http://127.0.0.1:$port"
$BIN/gunicorn config.wsgi:application --bind "127.0.0.1:$port" "${server_workers[@]}" --timeout 60 \
  --access-logfile "$FUZZ_DIR/access.log" --access-logformat '%(s)s %(m)s %(U)s' \
  --error-logfile "$FUZZ_DIR/server.log" --capture-output >/dev/null 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do
  curl -s -o /dev/null "$origin/healthz" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$FUZZ_DIR/server.log"; exit 1; }
  sleep 0.5
done

eval "$($BIN/python -m tests.fuzz.targets "$FUZZ_USER")"
FUZZ_TOKEN=$(curl -sf -X POST "$origin/api/v1/auth/token" -H "Content-Type: application/json" \
  -d "{\"email\": \"$FUZZ_USER\", \"password\": \"$FUZZ_PASSWORD\"}" \
  | $BIN/python -c 'import json, sys; print(json.load(sys.stdin)["token"])')
export FUZZ_TOKEN

# One schemathesis worker: its generators describe themselves by parsing source, and CPython 3.11 fails
# ("AST constructor recursion depth mismatch") when two threads do that at once.
fuzz() {  # fuzz PASS CONFIG MODE: one schemathesis pass; its exit status
  echo
  echo "make fuzz: the $1 pass (--mode $3, ${pass_time}s)"
  $BIN/schemathesis --config-file "tests/fuzz/$2" run "$origin/api/schema/" \
    -H "Authorization: Token $FUZZ_TOKEN" \
    --mode "$3" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --exclude-method DELETE \
    --max-examples "$FUZZ_MAX_EXAMPLES" \
    --max-time "$pass_time" \
    --seed "$FUZZ_SEED" \
    --workers 1 \
    --report junit --report-junit-path "$FUZZ_DIR/$1.xml" \
    --no-color
}

status=0
fuzz records records.toml positive || status=1
fuzz schema schema.toml all || status=1
# Every request counts, schemathesis' own probes too.
server_errors=$(grep -c '^5' "$FUZZ_DIR/access.log" || true)
echo
echo "make fuzz: $(wc -l <"$FUZZ_DIR/access.log") requests, $server_errors answered 5xx"
if [ "$server_errors" -gt 0 ]; then
  grep '^5' "$FUZZ_DIR/access.log" | sort | uniq -c | head -20
  echo "(tracebacks in var/fuzz/server.log)"
  status=1
fi
exit $status
