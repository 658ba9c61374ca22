"""The services and the demo's bulk path write exactly the same rows for the same stories.

Both call the one lifecycle (`conversations/lifecycle/`); this plays random stories (the
demo's storyteller from a drawn seed, then a few drawn extra steps) through each and compares
every conversation's fields, every message and every event (kind, actor, time, data) in order,
and every rating — exactly. Row ids differ between the two runs, so references to other rows
(a message in an event's data, a merge target) are compared by their place in the run.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import models, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caredesk.conversations.models import Conversation, Event, Message, Rating, Severity, Status
from caredesk.customers.models import Customer
from caredesk.demo import steps as s
from caredesk.demo.fast import FastWriter
from caredesk.demo.generator import _cast_desk, _customers
from caredesk.demo.slow import SlowWriter
from caredesk.demo.story import STATUS_WEIGHTS, Cast, CustomerSpec, Storyteller
from caredesk.demo.writer import Writer
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)
# Extra customer texts: risk signals (that raise severity, some to urgent), tech trouble (the
# coach's apology rule) and plain ones.
EXTRA_TEXTS = (
    "This is the third time I'm writing about this. I will contact my lawyer.",
    "I'm cancelling my subscription if this isn't fixed today.",
    "The app keeps crashing when I open the invoice page.",
    "Thanks, that worked!",
    "I am going to post about this on Twitter.",
    "Still waiting for an answer, this is urgent.",
)
REPLY_TEXTS = ("Sorry about that, I'm on it.", "Could you send me a screenshot?")


class Desk:
    def __init__(self) -> None:
        agents, teams, cast = _cast_desk("!")
        customers, specs = _customers(random.Random(1), 50, "!")
        self.agents: list[Agent] = agents
        self.teams: dict[str, Team] = teams
        self.cast: Cast = cast
        self.customers: list[Customer] = customers
        self.specs: list[CustomerSpec] = specs


@pytest.fixture
def desk(db: None) -> Desk:
    return Desk()


KINDS = ("writes", "reply", "note", "assign", "severity", "transfer")


@st.composite
def extra_steps(draw: st.DrawFn) -> list[tuple[int, str, int, int]]:
    """A few more steps after the story's end: the customer writes again (reopening a resolved
    or closed conversation), agents reply, note, assign, transfer, change severity. Each is
    (minutes later, kind, agent, a choice among that kind's options)."""
    return draw(
        st.lists(
            st.tuples(
                st.integers(1, 72 * 60),
                st.sampled_from(KINDS),
                st.integers(0, 5),
                st.integers(0, 11),
            ),
            max_size=4,
        )
    )


def _extra(kind: str, at: datetime, agent: int, choice: int, teams: tuple[str, ...]) -> s.Step:
    if kind == "writes":
        channel = ("email", "portal")[choice % 2]
        return s.CustomerWrites(at=at, text=EXTRA_TEXTS[choice % len(EXTRA_TEXTS)], channel=channel)
    if kind == "reply":
        text = REPLY_TEXTS[choice % len(REPLY_TEXTS)]
        return s.Reply(at=at, agent=agent, text=text, resolve=choice % 3 == 0)
    if kind == "note":
        return s.Note(at=at, agent=agent, text="Checked the logs.")
    if kind == "assign":
        return s.Assign(at=at, agent=agent)
    if kind == "severity":
        severity = Severity.values[choice % len(Severity.values)]
        return s.SeverityChange(at=at, actor=agent, severity=severity, reason="lead's call")
    to_team = teams[choice % len(teams)]
    return s.Transfer(at=at, actor=agent, note="Over to you.", to_agent=None, to_team=to_team)


def _stories(
    desk: Desk, seed: int, finals: list[str], extras: list[tuple[int, str, int, int]]
) -> list[s.Story]:
    rng = random.Random(seed)
    teller = Storyteller(rng=rng, cast=desk.cast, now=NOW)
    stories: list[s.Story] = []
    for final in finals:
        customer = rng.randrange(len(desk.specs))
        stories += teller.tell(
            customer=customer, spec=desk.specs[customer], final=final, duplicate=rng.random() < 0.3
        )
    last = stories[0]
    teams = tuple(desk.teams)
    at = max(step.at for step in last.steps)
    for minutes, kind, agent, choice in extras:
        at += timedelta(minutes=minutes)
        last.steps.append(_extra(kind, at, agent, choice, teams))
    return stories


def _rows(model: type[models.Model], refs: dict[str, dict[int, int]]) -> list[dict[str, Any]]:
    """Every row of `model` in id order, each field's value; ids of other rows by their place."""
    rows = []
    for row in model.objects.order_by("pk"):
        values: dict[str, Any] = {}
        for f in model._meta.concrete_fields:
            if f.primary_key:
                continue
            value = getattr(row, f.attname)
            if f.is_relation and f.related_model in (Conversation, Message):
                value = refs[f.related_model.__name__].get(value, value)
            values[f.name] = value
        if model is Event:
            values["data"] = {
                key: refs["Message" if key == "message" else "Conversation"].get(v, v)
                if key in ("message", "into", "merged_from")
                else v
                for key, v in row.data.items()  # type: ignore[attr-defined]
            }
        rows.append(values)
    return rows


def _played(writer: Writer, stories: list[s.Story]) -> dict[str, list[dict[str, Any]]]:
    with transaction.atomic():
        for story in stories:
            writer.write(story)
        if isinstance(writer, FastWriter):
            writer.flush()
        refs = {
            model.__name__: {
                pk: place
                for place, pk in enumerate(
                    model.objects.order_by("pk").values_list("pk", flat=True)
                )
            }
            for model in (Conversation, Message)
        }
        played = {
            model.__name__: _rows(model, refs) for model in (Conversation, Message, Event, Rating)
        }
        transaction.set_rollback(True)
    return played


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    finals=st.lists(st.sampled_from(list(STATUS_WEIGHTS)), min_size=1, max_size=3),
    extras=extra_steps(),
)
def test_services_and_bulk_path_write_the_same_rows(
    desk: Desk, seed: int, finals: list[str], extras: list[tuple[int, str, int, int]]
) -> None:
    stories = _stories(desk, seed, finals, extras)
    cast = {"agents": desk.agents, "teams": desk.teams, "customers": desk.customers}
    slow = _played(SlowWriter(**cast), stories)
    fast = _played(FastWriter(**cast), stories)
    for table in slow:
        assert len(fast[table]) == len(slow[table]), table
        for place, (by_services, by_bulk) in enumerate(zip(slow[table], fast[table], strict=True)):
            assert by_bulk == by_services, (table, place)
    assert slow["Event"], "every story records events"


def test_the_parity_check_sees_a_difference(desk: Desk) -> None:
    """The comparison is not blind: a conversation played differently does not compare equal."""
    stories = _stories(desk, 3, [Status.CLOSED], [])
    cast = {"agents": desk.agents, "teams": desk.teams, "customers": desk.customers}
    slow = _played(SlowWriter(**cast), stories)
    stories[0].steps.append(
        s.SeverityChange(at=NOW, actor=0, severity=Severity.URGENT, reason="changed")
    )
    fast = _played(FastWriter(**cast), stories)
    assert slow["Event"] != fast["Event"]
