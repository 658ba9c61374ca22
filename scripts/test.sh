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
mkdir -p "$CAREDESK_ARTIFACTS"

echo "== pytest on SQLite"
env -u DATABASE_URL "$PY" -m pytest -q "$@"

echo "== pytest on PostgreSQL"
if [ -n "${DATABASE_URL:-}" ]; then
  "$PY" -m pytest -q "$@"
else
  pgdir="$(mktemp -d /tmp/caredesk-pg.XXXXXX)"
  trap 'scripts/postgres.sh stop "$pgdir"' EXIT
  port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  scripts/postgres.sh start "$pgdir" "$port"
  DATABASE_URL="postgres://postgres@127.0.0.1:$port/caredesk" "$PY" -m pytest -q "$@"
fi
echo "== scaled mode: 2 web servers, 2 workers, PostgreSQL and Redis"
scripts/scaled.sh
echo "== all green"
