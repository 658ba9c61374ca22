#!/usr/bin/env bash
# Scaled mode, proven: throwaway PostgreSQL and Redis servers on free ports of 127.0.0.1, then two
# web servers and two workers on them under concurrent traffic (caredesk/tests/scaled.py), checking
# that every message and every background task (readings, refines, e-mails) happened exactly once.
# Usage: scripts/scaled.sh [driver options, e.g. --conversations 40]; both servers stop at the end.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=.venv/bin/python
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

pgdir="$(mktemp -d /tmp/caredesk-scaled-pg.XXXXXX)"
redisdir="$(mktemp -d /tmp/caredesk-scaled-redis.XXXXXX)"
cleanup() {
  scripts/postgres.sh stop "$pgdir"
  scripts/redis.sh stop "$redisdir"
  rm -rf "$pgdir" "$redisdir"
}
trap cleanup EXIT

pgport="$(free_port)"
scripts/postgres.sh start "$pgdir" "$pgport"
psql -q "postgres://postgres@127.0.0.1:$pgport/postgres" -c "CREATE DATABASE caredesk" >/dev/null
redisport="$(free_port)"
scripts/redis.sh start "$redisdir" "$redisport"

"$PY" -m caredesk.tests.scaled \
  --database-url "postgres://postgres@127.0.0.1:$pgport/caredesk" \
  --redis-url "redis://127.0.0.1:$redisport/0" "$@"
