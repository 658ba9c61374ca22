"""What the benchmarks that start a real desk share: ports, a throwaway PostgreSQL, stopping the
server's process group, percentiles. Imported by the bench scripts run as `python bench/X.py`."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def throwaway_postgres(prefix: str) -> Iterator[str]:
    """A PostgreSQL server of its own on a free port (scripts/postgres.sh) with an empty
    `caredesk` database; yields its DATABASE_URL, and stops and removes the server after."""
    # Its own folder directly under /tmp: the postgres user must be able to reach it.
    pgdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        port = free_port()
        subprocess.run(
            ["scripts/postgres.sh", "start", str(pgdir), str(port)], cwd=ROOT, check=True
        )
        url = f"postgres://postgres@127.0.0.1:{port}"
        subprocess.run(
            ["psql", "-q", f"{url}/postgres", "-c", "CREATE DATABASE caredesk"], check=True
        )
        yield f"{url}/caredesk"
    finally:
        subprocess.run(["scripts/postgres.sh", "stop", str(pgdir)], cwd=ROOT, check=False)
        shutil.rmtree(pgdir, ignore_errors=True)


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (started with `start_new_session=True`), SIGKILL
    after a minute."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")
