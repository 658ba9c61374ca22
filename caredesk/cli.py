"""The `caredesk` command: everything an operator runs, in one place.

caredesk demo [ADDR]       check, migrate, load the demo desk, serve it on http://127.0.0.1:8000
caredesk serve [ADDR]      check, migrate, serve: the web server and one worker, kept running
caredesk web [ADDR] [--workers N]  the web server alone (gunicorn; no migration, no worker)
caredesk test [ARGS]       the whole test suite (lint, types, SQLite and PostgreSQL)
caredesk worker            run the background worker (one Huey consumer)
caredesk smtpd [ADDR]      the SMTP listener for inbound mail (CAREDESK_SMTPD, 127.0.0.1:2525)
caredesk imap-poll         fetch new mail once from CAREDESK_IMAP_URL
caredesk token EMAIL NAME [--scope read|write]  make an API token for a user (write: default)
caredesk import conversations FILE.csv  import conversations from CSV, one message a row
caredesk insights rebuild  recompute the metrics' daily rollups from the events
caredesk analyze TEXT      read a message's emotion and risk signals
caredesk coach TEXT        coach a reply draft
caredesk eval emotion|coach [--train]  measure the emotion reading or the coach (train its model)
caredesk manage ARGS       any Django management command
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "caredesk-demo"
TOKEN_SCOPES = {"read": ["read"], "write": ["read", "write"]}
DEMO_LOGINS = ("customer@demo.caredesk.test", "agent@demo.caredesk.test", "lead@demo.caredesk.test")


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caredesk.settings")
    import django

    django.setup()


def cmd_demo(argv: list[str]) -> int:
    from caredesk import config, server

    addr = argv[0] if argv else server.DEFAULT_ADDR
    # The demo's webhooks may call a receiver on this machine (production refuses private and
    # local addresses unless CAREDESK_WEBHOOK_ALLOW_NETWORKS names them: docs/webhooks.md).
    os.environ.setdefault("CAREDESK_WEBHOOK_ALLOW_NETWORKS", "127.0.0.0/8,::1/128")
    cfg = config.load()
    if cfg.demo_mailbox is None and not os.environ.get("CAREDESK_EMAIL_HOST"):
        # No mail server on a demo machine: the mail the desk sends (replies, sign-up links,
        # password resets, lead alerts) lands in a local mailbox the desk shows at /demo/mailbox/,
        # from the address its own mail listener takes, so answering a mail closes the loop.
        os.environ["CAREDESK_DEMO_MAILBOX"] = str(cfg.data_dir / "mailbox")
        if cfg.desk_addresses:
            os.environ.setdefault("CAREDESK_FROM_EMAIL", cfg.desk_addresses[0])
        cfg = config.load()
    server.limit_model_threads(cfg)  # the seed reads the demo's history with the model
    if not server.prepare(cfg):
        return 1
    from caredesk.demo.generator import demo_exists, demo_seed

    if not demo_exists():
        print("Loading the demo desk (a minute or two the first time)…", flush=True)
        summary = demo_seed()
        print(summary)
    print(f"\nCaredesk demo: http://{addr}/")
    if cfg.demo_mailbox is not None:
        print(f"  mail the desk sends: http://{addr}/demo/mailbox/")
    for login in DEMO_LOGINS:
        print(f"  {login:32} password: {DEMO_PASSWORD}   (demo data only)")
    print(flush=True)
    return server.supervise(cfg, addr)


def cmd_serve(argv: list[str]) -> int:
    from caredesk import server

    return server.serve(argv[0] if argv else server.DEFAULT_ADDR)


def cmd_web(argv: list[str]) -> int:
    from caredesk import server

    return server.run_web(argv)


def cmd_test(argv: list[str]) -> int:
    script = ROOT / "scripts" / "test.sh"
    os.execv("/bin/bash", ["/bin/bash", str(script), *argv])  # noqa: S606 - fixed script path
    return 1  # not reached


def cmd_worker(argv: list[str]) -> int:
    from caredesk import server

    return server.run_worker(argv)


def cmd_smtpd(argv: list[str]) -> int:
    _django()
    from caredesk.channels.email import smtpd

    return smtpd.main(argv)


def cmd_imap_poll(argv: list[str]) -> int:
    _django()
    from caredesk.channels.email import imap

    return imap.main(argv)


def cmd_token(argv: list[str]) -> int:
    """`caredesk token EMAIL NAME [--scope read|write]`: a read token only reads; a write token
    (and, as before the option came, one made without it) also changes things."""
    parser = argparse.ArgumentParser(prog="caredesk token", description="Make an API token.")
    parser.add_argument("email")
    parser.add_argument("name")
    parser.add_argument(
        "--scope",
        choices=TOKEN_SCOPES,
        help="read: the token may only read; write: it may also change things "
        "(unset: the desk's default scopes, read and write)",
    )
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the reason
        return 0 if exc.code == 0 else 2
    _django()
    from django.core.exceptions import ValidationError

    from caredesk.people.services import api_token_create

    try:
        token = api_token_create(
            email=args.email, name=args.name, scopes=TOKEN_SCOPES.get(args.scope)
        )
    except ValueError as exc:
        print(f"caredesk: {exc}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        print(f"caredesk: {' '.join(exc.messages)}", file=sys.stderr)
        return 1
    print(token)
    return 0


def cmd_import(argv: list[str]) -> int:
    _django()
    from caredesk.channels import csv_cli

    return csv_cli.main(argv)


def cmd_insights(argv: list[str]) -> int:
    _django()
    from caredesk.insights import cli as insights_cli

    return insights_cli.main(argv)


def cmd_manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caredesk.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["caredesk manage", *argv])
    return 0


def cmd_analyze(argv: list[str]) -> int:
    from caredesk import config
    from caredesk.empathy.emotion.cli import main

    return main(argv, model_dir=config.load().minilm_dir)


def cmd_coach(argv: list[str]) -> int:
    from caredesk.empathy.coaching.cli import main

    return main(argv)


def cmd_eval(argv: list[str]) -> int:
    if not argv or argv[0] not in ("emotion", "coach"):
        print("usage: caredesk eval emotion|coach", file=sys.stderr)
        return 2
    if argv[0] == "emotion":
        from caredesk import config
        from caredesk.empathy.emotion.evaluate import main as emotion_main

        cfg = config.load()
        return emotion_main(argv[1:], data_dir=cfg.shared_data, model_dir=cfg.minilm_dir)
    if "--train" in argv[1:]:  # fits the coach's learned part (needs scikit-learn)
        from caredesk.empathy.coaching.train import main as train_main

        return train_main(argv[1:])
    from caredesk.empathy.coaching.evaluate import main as coach_main

    return coach_main(argv[1:])


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "demo": cmd_demo,
    "serve": cmd_serve,
    "web": cmd_web,
    "test": cmd_test,
    "worker": cmd_worker,
    "smtpd": cmd_smtpd,
    "imap-poll": cmd_imap_poll,
    "token": cmd_token,
    "import": cmd_import,
    "insights": cmd_insights,
    "manage": cmd_manage,
    "analyze": cmd_analyze,
    "coach": cmd_coach,
    "eval": cmd_eval,
}


# Commands that print text for a pipe. Only they may die of SIGPIPE: a server that did would be
# killed by any client hanging up mid-answer.
TEXT_COMMANDS = frozenset({"analyze", "coach", "eval"})


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if argv is None and args and args[0] in TEXT_COMMANDS and hasattr(signal, "SIGPIPE"):
        # `caredesk analyze … | head` ends quietly, like any Unix tool.
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    if not args or args[0] in ("-h", "--help", "help") or args[0] not in COMMANDS:
        print(__doc__)
        return 0 if not args or args[0] in ("-h", "--help", "help") else 2
    return COMMANDS[args[0]](args[1:])


if __name__ == "__main__":
    raise SystemExit(main())
