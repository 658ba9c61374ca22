"""`manage.py demo_seed`: fill the database with the demo desk and say what was made."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from caredesk.demo.generator import DemoExistsError, demo_seed


class Command(BaseCommand):
    help = "Create a believable demo desk: customers, agents, teams and 90 days of conversations."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--size", type=int, default=300, help="conversations to create")
        parser.add_argument(
            "--seed", type=int, default=42, help="random seed (same seed, same desk)"
        )
        parser.add_argument(
            "--fast",
            action="store_true",
            help="bulk inserts instead of the services; for large sizes",
        )
        parser.add_argument(
            "--makers",
            type=int,
            default=2,
            help="with --fast on SQLite: processes that make the rows while this one inserts "
            "them (the same rows whatever the number); 0: all in this one",
        )
        parser.add_argument(
            "--reset", action="store_true", help="remove an existing demo desk first"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            summary = demo_seed(
                size=options["size"],
                seed=options["seed"],
                fast=options["fast"],
                reset=options["reset"],
                progress=self._progress,
                makers=options["makers"],
            )
        except (DemoExistsError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        self.stderr.write("")
        self.stdout.write("\n".join(summary.lines()))

    def _progress(self, done: int, size: int) -> None:
        """A progress bar on stderr for the bulk path (which writes in batches)."""
        width = 40
        filled = width * done // max(size, 1)
        bar = "#" * filled + "-" * (width - filled)
        self.stderr.write(f"\r  [{bar}] {done:,}/{size:,} conversations", ending="")
        self.stderr.flush()
