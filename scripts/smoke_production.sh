#!/usr/bin/env bash
# Production smoke run, without Docker: the processes of docker-compose.yml started on this machine.
#
#   DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... scripts/smoke_production.sh
#
# With PARCOURS_ENV=production and throwaway secrets: migrate, collectstatic, gunicorn (2 workers), a Celery
# worker and ONE Celery beat, then
#   0. before any heartbeat, /healthz answers 503;
#   1. /healthz answers 200 once the first heartbeat is recorded (database, broker and beat ok), the login
#      page and a static file are served;
#   2. a web process whose broker is unreachable answers 503 (broker not ok);
#   3. with the worker and the beat stopped and the last heartbeat ten minutes old, /healthz answers 503.
# Everything listens on 127.0.0.1 only; every wait is bounded; everything started is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
HEALTHY_TIMEOUT="${SMOKE_HEALTHY_TIMEOUT:-90}"

: "${DATABASE_URL:?set DATABASE_URL to a PostgreSQL database}"
: "${CELERY_BROKER_URL:?set CELERY_BROKER_URL to a Redis broker}"
case "$DATABASE_URL" in postgres://* | postgresql://*) ;; *) echo "DATABASE_URL must be PostgreSQL" >&2; exit 2 ;; esac
case "$CELERY_BROKER_URL" in redis://*) ;; *) echo "CELERY_BROKER_URL must be Redis" >&2; exit 2 ;; esac

tmp="$(mktemp -d -t parcours-smoke.XXXXXX)"
eval "$(PY="$PY" scripts/throwaway_secrets.sh)"
export PARCOURS_ENV=production
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export SECURE_SSL_REDIRECT=false
export PRIVATE_STORAGE_ROOT="$tmp/private"
export CELERY_DATA_DIR="$tmp/celery"

pids=()
names=()
results=()
step() { echo; echo "== $*"; }
ok() { results+=("ok   $*"); echo "ok: $*"; }

show_logs() {
    for log in "$tmp"/*.log; do
        [ -f "$log" ] || continue
        echo "---- $(basename "$log") (last 40 lines)"
        tail -n 40 "$log"
    done
}

stop_pid() {  # stop_pid PID: TERM, then KILL after 15 s
    local pid="$1" i
    kill -TERM "$pid" 2>/dev/null || return 0
    for i in $(seq 1 30); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.5
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

finish() {
    local status=$?
    trap - EXIT INT TERM
    for i in "${!pids[@]}"; do
        stop_pid "${pids[$i]}"
    done
    echo
    echo "==== Production smoke run: summary"
    for line in "${results[@]}"; do
        echo "  $line"
    done
    if [ "$status" -eq 0 ]; then
        echo "  PASSED"
    else
        echo "  FAILED (exit $status)"
        show_logs
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap finish EXIT
trap 'exit 130' INT TERM

start() {  # start NAME COMMAND...: runs in the background, output in $tmp/NAME.log
    local name="$1"
    shift
    "$@" >"$tmp/$name.log" 2>&1 &
    pids+=("$!")
    names+=("$name")
    echo "started $name (pid $!)"
}

stop_named() {
    local name="$1" i
    for i in "${!names[@]}"; do
        if [ "${names[$i]}" = "$name" ]; then
            stop_pid "${pids[$i]}"
        fi
    done
}

free_port() {
    "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# healthz PORT: prints the HTTP status on the first line and the JSON body on the second.
healthz() {
    local body code
    body="$tmp/healthz.json"
    code="$(curl --silent --max-time 10 --output "$body" --write-out '%{http_code}' "http://127.0.0.1:$1/healthz" || true)"
    echo "$code"
    cat "$body" 2>/dev/null || true
    echo
}

# expect_json JSON PYTHON_EXPRESSION: the expression, on the parsed JSON `h`, must be true.
expect_json() {
    "$PY" -c 'import json, sys; h = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2" \
        || { echo "unexpected /healthz body: $1 (expected $2)" >&2; return 1; }
}

wait_for_http() {  # wait_for_http URL SECONDS
    local i
    for i in $(seq 1 $(($2 * 2))); do
        curl --silent --max-time 2 --output /dev/null "$1" && return 0
        sleep 0.5
    done
    echo "nothing answers at $1 after $2 s" >&2
    return 1
}

step "migrate and collectstatic (production settings)"
"$PY" manage.py migrate --noinput >"$tmp/migrate.log" 2>&1 || { cat "$tmp/migrate.log"; exit 1; }
"$PY" manage.py collectstatic --noinput >"$tmp/collectstatic.log" 2>&1 || { cat "$tmp/collectstatic.log"; exit 1; }
ok "migrate + collectstatic"

step "start gunicorn (2 workers): no heartbeat yet, /healthz answers 503"
"$PY" manage.py shell -c "from partners.models import Heartbeat; Heartbeat.objects.all().delete()" \
    >"$tmp/clear-heartbeat.log" 2>&1 || { cat "$tmp/clear-heartbeat.log"; exit 1; }
port="$(free_port)"
start gunicorn "$VENV/bin/gunicorn" config.wsgi --workers 2 --bind "127.0.0.1:$port" --timeout 30 \
    --no-control-socket --access-logfile -
wait_for_http "http://127.0.0.1:$port/healthz" 30
for _ in $(seq 1 20); do
    workers=$(pgrep -P "${pids[0]}" | wc -l)
    [ "$workers" -eq 2 ] && break
    sleep 0.5
done
[ "$workers" -eq 2 ] || { echo "gunicorn runs $workers workers, expected 2" >&2; exit 1; }
ok "gunicorn answers on 127.0.0.1:$port with 2 workers"
{ read -r code; read -r body; } < <(healthz "$port")
echo "$code $body"
[ "$code" = 503 ] || { echo "expected 503 before any heartbeat, got $code" >&2; exit 1; }
expect_json "$body" 'h["status"] == "error" and not h["beat"]["ok"] and h["beat"]["last_run_at"] is None and h["database"]["ok"] and h["broker"]["ok"]'
ok "/healthz 503 while no heartbeat was ever recorded"

step "start a Celery worker and one Celery beat"
start worker "$VENV/bin/celery" -A config worker --concurrency=2 -l info -n "smoke-$$@%h"
start beat "$VENV/bin/celery" -A config beat -l info -s "$tmp/beat-schedule" --pidfile="$tmp/beat.pid"
beat_started=$(date +%s)

step "wait for /healthz to answer 200 (first heartbeat; at most $HEALTHY_TIMEOUT s)"
deadline=$(($(date +%s) + HEALTHY_TIMEOUT))
while :; do
    { read -r code; read -r body; } < <(healthz "$port")
    [ "$code" = 200 ] && break
    if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "/healthz still answers $code after $HEALTHY_TIMEOUT s: $body" >&2
        exit 1
    fi
    sleep 1
done
echo "$body"
expect_json "$body" 'h["status"] == "ok" and h["database"]["ok"] and h["broker"]["ok"] and h["broker"]["transport"] == "redis" and h["beat"]["ok"] and h["beat"]["last_run_at"]'
ok "/healthz 200 after $(($(date +%s) - beat_started)) s: database, broker (redis) and beat ok"

for path in /connexion/ /static/vendor/bootstrap/css/bootstrap.min.css; do
    code="$(curl --silent --max-time 10 --output /dev/null --write-out '%{http_code}' "http://127.0.0.1:$port$path")"
    [ "$code" = 200 ] || { echo "GET $path answered $code" >&2; exit 1; }
done
curl --silent --max-time 10 --dump-header - --output /dev/null "http://127.0.0.1:$port/connexion/" \
    | grep -qi '^content-security-policy:' || { echo "no Content-Security-Policy header on the login page" >&2; exit 1; }
ok "login page (with CSP) and static files served by gunicorn + WhiteNoise"

step "a web process whose broker is unreachable answers 503"
port_down="$(free_port)"
start gunicorn-no-broker env CELERY_BROKER_URL=redis://127.0.0.1:1/0 \
    "$VENV/bin/gunicorn" config.wsgi --workers 1 --bind "127.0.0.1:$port_down" --timeout 30 \
    --no-control-socket
wait_for_http "http://127.0.0.1:$port_down/healthz" 30
{ read -r code; read -r body; } < <(healthz "$port_down")
echo "$code $body"
[ "$code" = 503 ] || { echo "expected 503 with the broker down, got $code" >&2; exit 1; }
expect_json "$body" 'h["status"] == "error" and not h["broker"]["ok"] and h["database"]["ok"]'
stop_named gunicorn-no-broker
ok "/healthz 503 when the broker is unreachable"

step "stop the worker and the beat, age the heartbeat by ten minutes: 503"
stop_named beat
stop_named worker
"$PY" manage.py shell -c "
from datetime import timedelta
from django.utils import timezone
from partners.models import Heartbeat
assert Heartbeat.objects.update(last_run_at=timezone.now() - timedelta(minutes=10)) == 1
" >"$tmp/age-heartbeat.log" 2>&1 || { cat "$tmp/age-heartbeat.log"; exit 1; }
{ read -r code; read -r body; } < <(healthz "$port")
echo "$code $body"
[ "$code" = 503 ] || { echo "expected 503 with a stale heartbeat, got $code" >&2; exit 1; }
expect_json "$body" 'h["status"] == "error" and not h["beat"]["ok"] and h["beat"]["age_seconds"] >= 600 and h["database"]["ok"] and h["broker"]["ok"]'
ok "/healthz 503 when the last heartbeat is ten minutes old"
