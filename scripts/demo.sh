#!/usr/bin/env bash
# Starts the demo on the embedded defaults: Django's development server on http://127.0.0.1:8000 and one
# Celery process running the worker and the beat (filesystem transport, SQLite). Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"

# Each child in its own process group, so that stopping it also stops what it started (runserver's
# autoreloader runs the server in a child process).
set -m
pids=()
stop() {
    trap - INT TERM EXIT
    for pid in "${pids[@]}"; do
        kill -TERM -- "-$pid" 2>/dev/null || true
    done
    for pid in "${pids[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    echo "Parcours arrêté."
}
trap stop INT TERM EXIT

"$VENV/bin/celery" -A config worker -B --pool=solo -l info &
pids+=("$!")
"$VENV/bin/python" manage.py runserver 127.0.0.1:8000 &
pids+=("$!")

echo "Parcours : http://127.0.0.1:8000 (comptes de démonstration dans le README). Ctrl-C pour arrêter."
# Stop everything as soon as one of the two stops (or on Ctrl-C).
wait -n "${pids[@]}" || true
