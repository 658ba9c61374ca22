"""The `caredesk` command: everything an operator runs, in one place.

caredesk demo              migrate, load the demo desk, serve it on http://127.0.0.1:8000
caredesk serve             migrate and serve (no demo data)
caredesk test [ARGS]       the whole test suite (lint, types, SQLite and PostgreSQL)
caredesk worker            run the background worker (Huey)
caredesk token EMAIL NAME  make an API token for a user
caredesk analyze TEXT      read a message's emotion and risk signals
caredesk coach TEXT        coach a reply draft
caredesk eval emotion|coach  measure the emotion reading or the coach
caredesk manage ARGS       any Django management command
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "caredesk-demo"
DEMO_LOGINS = ("customer@demo.caredesk.test", "agent@demo.caredesk.test", "lead@demo.caredesk.test")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caredesk.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    _django()
    from django.core.management import call_command

    call_command(*args)


def _serve(addr: str) -> int:
    """Serve the desk, with the background worker beside it for scheduled and slow work."""
    import subprocess

    from django.core.management import call_command

    worker = subprocess.Popen(
        [sys.executable, "-m", "caredesk.cli", "worker", "--workers", "1"]
    )
    try:
        call_command("runserver", addr, "--noreload", "--skip-checks")
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    return 0


def cmd_demo(argv: list[str]) -> int:
    addr = argv[0] if argv else "127.0.0.1:8000"
    _manage("migrate", "--no-input", "-v", "0")
    from caredesk.demo.generator import demo_exists, demo_seed

    if not demo_exists():
        print("Loading the demo desk (a minute the first time)…", flush=True)
        summary = demo_seed()
        print(summary)
    print(f"\nCaredesk demo: http://{addr}/")
    for login in DEMO_LOGINS:
        print(f"  {login:32} password: {DEMO_PASSWORD}   (demo data only)")
    print(flush=True)
    return _serve(addr)


def cmd_serve(argv: list[str]) -> int:
    _manage("migrate", "--no-input", "-v", "0")
    return _serve(argv[0] if argv else "127.0.0.1:8000")


def cmd_test(argv: list[str]) -> int:
    script = ROOT / "scripts" / "test.sh"
    os.execv("/bin/bash", ["/bin/bash", str(script), *argv])  # noqa: S606 - fixed script path
    return 1  # not reached


def cmd_worker(argv: list[str]) -> int:
    _manage("run_huey", *argv)
    return 0


def cmd_token(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: caredesk token EMAIL NAME", file=sys.stderr)
        return 2
    _django()
    from caredesk.people.services import api_token_create

    try:
        token = api_token_create(email=argv[0], name=argv[1])
    except ValueError as exc:
        print(f"caredesk: {exc}", file=sys.stderr)
        return 1
    print(token)
    return 0


def cmd_manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caredesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["caredesk manage", *argv])
    return 0


def cmd_analyze(argv: list[str]) -> int:
    from caredesk.empathy.emotion.cli import main

    return main(argv)


def cmd_coach(argv: list[str]) -> int:
    from caredesk.empathy.coaching.cli import main

    return main(argv)


def cmd_eval(argv: list[str]) -> int:
    if not argv or argv[0] not in ("emotion", "coach"):
        print("usage: caredesk eval emotion|coach", file=sys.stderr)
        return 2
    if argv[0] == "emotion":
        from caredesk.empathy.emotion.evaluate import main as emotion_main

        return emotion_main(argv[1:])
    from caredesk.empathy.coaching.evaluate import main as coach_main

    return coach_main(argv[1:])


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "demo": cmd_demo,
    "serve": cmd_serve,
    "test": cmd_test,
    "worker": cmd_worker,
    "token": cmd_token,
    "manage": cmd_manage,
    "analyze": cmd_analyze,
    "coach": cmd_coach,
    "eval": cmd_eval,
}


def main(argv: list[str] | None = None) -> int:
    if argv is None and hasattr(signal, "SIGPIPE"):
        # `caredesk analyze … | head` ends quietly, like any Unix tool.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help") or args[0] not in COMMANDS:
        print(__doc__)
        return 0 if not args or args[0] in ("-h", "--help", "help") else 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
