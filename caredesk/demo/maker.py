"""Making the bulk path's rows, with no database: the stories told and played, batch by batch.

`made` is everything the bulk path computes before a row is inserted, from a `Job` that holds
what it would otherwise read from the database (the cast, the coach rules, each table's first
free id). The same `Job` gives the same rows wherever `made` runs: in the seeding process, or
in other processes (`process.py`) while the first inserts. The random generator is handed over
in its state after the people were made, so the stories are the ones the services would be
given. Split in `parts`, each part tells every story (telling is cheap and keeps the random
generator's sequence) but plays only its share of the batches, every `parts`-th; a batch's
conversation, message and rating ids follow from the stories before it (one message per
message step, one rating per rating step), so they are the ids one process would give. Event
ids are given by the inserting process (`renumbered`): how many events a step records is the
lifecycle's to decide.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Model

from caredesk.conversations.models import Conversation, Message, Rating, Status
from caredesk.customers.models import Customer
from caredesk.demo.fast import FastWriter
from caredesk.demo.steps import Create, CustomerWrites, Note, Rate, Reply, Story
from caredesk.demo.story import STATUS_WEIGHTS, Cast, CustomerSpec, Storyteller
from caredesk.empathy.coaching import RuleSet
from caredesk.people.models import Agent, Team

FAST_BATCH = 2_000
# The demo customer's own conversations, so the portal shows every stage of a problem.
DEMO_CUSTOMER_STORIES = (
    Status.WAITING_ON_CUSTOMER,
    Status.RESOLVED,
    Status.CLOSED,
    Status.WAITING_ON_US,
    Status.NEW,
    Status.CLOSED,
)

Rows = dict[type[Model], list[tuple[Any, ...]]]


@dataclass
class Job:
    """Everything `made` needs, picklable, so another process can make the same rows. The
    last three are read from the database by the seeding process (the services' path plays
    the same desk without them)."""

    size: int
    rng_state: tuple[Any, ...]
    now: datetime
    pool: int | None
    cast: Cast
    specs: list[CustomerSpec]
    agents: list[Agent]
    teams: dict[str, Team]
    customers: list[Customer]
    rules: RuleSet | None = None
    agent_teams: dict[int, list[Team]] | None = None
    first_ids: dict[type[Model], int] = field(default_factory=dict)
    batch: int = FAST_BATCH  # stories a batch has at least


def made(job: Job, *, part: int = 0, parts: int = 1) -> Iterator[Rows]:
    """Each batch's rows, ready for their tables' statements (`rows.Table.insert`); with
    `parts`, batch `part`, `part + parts`, ... only. Events' ids are placeholders."""
    rng = random.Random()
    rng.setstate(job.rng_state)
    teller = Storyteller(rng=rng, cast=job.cast, now=job.now, pool=job.pool)
    writer = FastWriter(
        agents=job.agents,
        teams=job.teams,
        customers=job.customers,
        rules=job.rules,
        agent_teams=job.agent_teams,
        first_ids=job.first_ids,
    )
    ids = dict(job.first_ids)
    told = stories(rng, teller, job.specs, job.size)
    for index, batch in enumerate(batches(told, size=job.batch)):
        counted = _counts(batch)
        if index % parts == part:
            writer.ids_from(ids)
            batch_play(writer, batch)
            rows = writer.take()
            for model, count in counted.items():
                if len(rows[model]) != count:  # a new step that makes rows must be counted
                    raise RuntimeError(f"{model.__name__}: made {len(rows[model])}, not {count}")
            yield rows
        for model, count in counted.items():
            ids[model] += count


def renumbered(rows: list[tuple[Any, ...]], first: int) -> list[tuple[Any, ...]]:
    """Rows whose id (their first value) runs on from `first`, in their order."""
    return [(pk, *row[1:]) for pk, row in enumerate(rows, start=first)]


def _counts(batch: list[Story]) -> dict[type[Model], int]:
    """The conversations, messages and ratings a batch's stories make (one per step)."""
    steps = [type(step) for story in batch for step in story.steps]
    return {
        Conversation: len(batch),
        Message: sum(kind in (Create, CustomerWrites, Reply, Note) for kind in steps),
        Rating: steps.count(Rate),
    }


def stories(
    rng: random.Random, teller: Storyteller, specs: list[CustomerSpec], size: int
) -> Iterator[list[Story]]:
    """Yield groups of stories (a conversation and its merged duplicate stay together)."""
    made = 0
    weights = [1.0 + 4.0 * (rng.random() < 0.12) for _ in specs]  # a few frequent writers
    weights[0] = 0.0  # the demo customer gets exactly their own stories
    for own in DEMO_CUSTOMER_STORIES[: max(0, min(size, len(DEMO_CUSTOMER_STORIES)))]:
        made += 1
        yield teller.tell(customer=0, spec=specs[0], final=own)
    statuses: list[str] = list(STATUS_WEIGHTS)
    status_weights = list(itertools.accumulate(STATUS_WEIGHTS.values()))
    # Summed once: `choices(weights=...)` sums them on every call, which at 200,000 customers
    # was most of a maker's time. The same draws either way (`choices` sums them just so).
    customers, weights = range(len(specs)), list(itertools.accumulate(weights))
    while made < size:
        customer = rng.choices(customers, cum_weights=weights)[0]
        final = rng.choices(statuses, cum_weights=status_weights)[0]
        group = teller.tell(
            customer=customer,
            spec=specs[customer],
            final=final,
            duplicate=made + 2 <= size and rng.random() < 0.03,
        )
        made += len(group)
        yield group


def batches(groups: Iterator[list[Story]], *, size: int = FAST_BATCH) -> Iterator[list[Story]]:
    """About `size` stories at a time; a conversation and its merged duplicate stay in one
    batch."""
    batch: list[Story] = []
    for group in groups:
        batch += group
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch


def batch_play(writer: FastWriter, stories: list[Story]) -> None:
    """Read the batch's new texts at once (an engine that batches reads them together), then
    play the stories in memory."""
    writer.prime(
        [
            step.text
            for story in stories
            for step in story.steps
            if isinstance(step, Create | CustomerWrites)
        ]
    )
    for story in stories:
        writer.write(story)
