#!/usr/bin/env bash
# Start (or stop) a throwaway Redis server on 127.0.0.1 for the scaled-mode check and benchmarks.
# Usage: scripts/redis.sh start DIR PORT | scripts/redis.sh stop DIR
# Nothing is persisted (no RDB snapshots, no AOF): the queue lives only as long as the test.
set -euo pipefail
action="$1"; dir="$2"; port="${3:-63790}"
server="$(command -v redis-server || true)"
[ -n "$server" ] || { echo "Redis is not installed (Debian package redis-server)" >&2; exit 1; }
case "$action" in
  start)
    rm -rf "$dir"; mkdir -p "$dir"
    "$server" --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no \
      --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/server.log" \
      --protected-mode yes
    # Ready when it answers PING (at most ten seconds).
    for _ in $(seq 1 100); do
      if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then exit 0; fi
      sleep 0.1
    done
    echo "Redis did not start on 127.0.0.1:$port; see $dir/server.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/redis.pid" ]; then
      pid="$(cat "$dir/redis.pid")"
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || exit 0; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
