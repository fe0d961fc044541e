#!/usr/bin/env bash
# `make client-test`: a Python client generated from the served schema, used as a partner would use it.
#
# 1. A throwaway database: `<name>_client` beside DATABASE_URL's database on PostgreSQL (dropped and created
#    afresh), else a SQLite file under var/client/. Migrated (the intervention library comes with the
#    migrations); one practice with one therapist (a random password), no demo data.
# 2. gunicorn on a free port with DEBUG off, as in production; the broker in memory.
# 3. The schema as served (GET /api/schema/?format=json) -> openapi-python-client (the dev lock's), in a
#    temporary folder, with every generator warning an error (`--fail-on-warning`).
# 4. tests/client/flow.py imports every generated module and runs the spec's flow with the client.
#
# Exit status: non-zero, with a sentence saying what failed, when the generator warns or fails, a module does
# not import, or a step of the flow does not get what it should. The server's log is left in var/client/.
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=.venv/bin
CLIENT_DIR=var/client
rm -rf "$CLIENT_DIR"
mkdir -p "$CLIENT_DIR"
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && { kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "client test FAILED: $*"; exit 1; }

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
  base="${DATABASE_URL%%\?*}"
  server="${base%/*}"
  client_db="${base##*/}_client"
  psql "$server/postgres" -q -c "DROP DATABASE IF EXISTS \"$client_db\" WITH (FORCE)" -c "CREATE DATABASE \"$client_db\""
  export DATABASE_URL="$server/$client_db"
else
  export DATABASE_URL="sqlite:///$PWD/$CLIENT_DIR/trellis.sqlite3"
fi
export DEBUG=false
export SECRET_KEY="client-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export AUDIT_HMAC_KEY="client-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export CELERY_BROKER_URL=memory://
export MEDIA_ROOT="$work/media"
export LOG_LEVEL=WARNING
unset REDIS_URL CELERY_TASK_ALWAYS_EAGER

echo "client test: database ${DATABASE_URL##*/}"
$BIN/python manage.py migrate --noinput -v 0
$BIN/python manage.py createcachetable
email=client-test@practice.example
password="client-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
$BIN/python manage.py shell --no-imports -c "
from tests.factories import PracticeFactory, UserFactory
therapist = UserFactory(practice=PracticeFactory(name='Client test practice'), email='$email')
therapist.set_password('$password')
therapist.save()
"

port=$($BIN/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
origin="http://127.0.0.1:$port"
$BIN/gunicorn config.wsgi:application --bind "127.0.0.1:$port" --workers 1 --threads 2 --timeout 60 \
  --error-logfile "$CLIENT_DIR/server.log" --capture-output >/dev/null 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
  curl -s -o /dev/null "$origin/healthz" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$CLIENT_DIR/server.log"; fail "the server did not start"; }
  sleep 0.5
done

curl -sf "$origin/api/schema/?format=json" -o "$work/schema.json" || fail "GET /api/schema/ did not answer 200"
cat >"$work/config.yml" <<'EOF'
project_name_override: trellis-client
package_name_override: trellis_client
# The PDFs (progress reports, plan documents) are files to the client, as application/octet-stream is.
content_type_overrides:
  application/pdf: application/octet-stream
EOF
# The generator formats what it writes with ruff, which it finds on PATH.
root=$PWD
(cd "$work" && PATH="$root/$BIN:$PATH" "$root/$BIN/python" -m openapi_python_client generate \
  --path schema.json --config config.yml --meta none --output-path trellis_client --fail-on-warning \
  >generate.log 2>&1) || { cat "$work/generate.log"; fail "openapi-python-client could not generate a client"; }
echo "client test: generated $(find "$work/trellis_client" -name '*.py' | wc -l) modules from the served schema"

$BIN/python -m tests.client.flow "$work" "$origin" "$email" "$password"
