#!/usr/bin/env bash
# The whole test run: lint, types, the suite on SQLite and again on a real PostgreSQL server, then
# scaled mode (two web servers and two workers on PostgreSQL and Redis, scripts/scaled.sh).
# Run it through `bin/caredesk test`, which prepares the virtual environment first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=.venv/bin/python
scripts/system-packages.sh postgresql redis-server chromium fonts-dejavu-core dovecot-imapd

echo "== ruff"; .venv/bin/ruff check caredesk bench && .venv/bin/ruff format --check caredesk bench
echo "== mypy"; .venv/bin/mypy caredesk

export CAREDESK_DATA_DIR="${CAREDESK_DATA_DIR:-$(mktemp -d /tmp/caredesk-test.XXXXXX)}"
export CAREDESK_ARTIFACTS="${CAREDESK_ARTIFACTS:-$ROOT/test-artifacts}"
mkdir -p "$CAREDESK_ARTIFACTS/postgresql"

# The two passes run side by side, one per core, each with its own data folder and artifacts; the
# PostgreSQL pass's output is shown when both are done. Either failing fails the run.
if [ -n "${DATABASE_URL:-}" ]; then
  pg_url="$DATABASE_URL"
else
  pgdir="$(mktemp -d /tmp/caredesk-pg.XXXXXX)"
  trap 'scripts/postgres.sh stop "$pgdir"' EXIT
  port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  scripts/postgres.sh start "$pgdir" "$port"
  pg_url="postgres://postgres@127.0.0.1:$port/caredesk"
fi
pg_log="$(mktemp /tmp/caredesk-pg-pass.XXXXXX.log)"
echo "== pytest on PostgreSQL (in the background, output below when done)"
DATABASE_URL="$pg_url" CAREDESK_DATA_DIR="$(mktemp -d /tmp/caredesk-test-pg.XXXXXX)" \
  CAREDESK_ARTIFACTS="$CAREDESK_ARTIFACTS/postgresql" "$PY" -m pytest -q "$@" >"$pg_log" 2>&1 &
pg_pid=$!
echo "== pytest on SQLite"
sqlite_rc=0
env -u DATABASE_URL "$PY" -m pytest -q "$@" || sqlite_rc=$?
pg_rc=0
wait "$pg_pid" || pg_rc=$?
echo "== pytest on PostgreSQL: output"
cat "$pg_log"
if [ "$sqlite_rc" -ne 0 ] || [ "$pg_rc" -ne 0 ]; then
  echo "== FAILED: SQLite pass exit $sqlite_rc, PostgreSQL pass exit $pg_rc" >&2
  exit 1
fi
echo "== scaled mode: 2 web servers, 2 workers, PostgreSQL and Redis"
scripts/scaled.sh
echo "== all green"
