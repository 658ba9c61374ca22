"""Playing stories with bulk inserts, for desks of a hundred thousand conversations and more.

Each step calls the same lifecycle function the matching service calls
(`conversations/lifecycle/`) on an in-memory conversation, keeps the plan's field changes and
the rows it implies, and `flush` inserts a batch at once. Nothing here decides what a step does.
Readings are computed once per distinct text (the storyteller draws texts from a bounded pool in
this mode) and, where the engine reads in batches, a batch at a time (`prime`); the coach's
findings once per distinct draft and context as far as the coach can tell them apart
(`context_key`). Rows are inserted from plain values with the
driver's `executemany` (`rows.Table`), with ids given here, so events point at their messages
before either is written; a message is its values (`message_values`, from which the services
build their row), never a model instance.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Model

from caredesk.conversations import coaching, lifecycle, reading
from caredesk.conversations.models import (
    Conversation,
    Direction,
    Event,
    Message,
    Rating,
)
from caredesk.conversations.services.messages import message_values
from caredesk.customers.models import Customer
from caredesk.demo import steps as s
from caredesk.demo.writer import Writer
from caredesk.empathy.coaching import RuleSet
from caredesk.empathy.coaching.context import CoachContext, Cuts, context_key, customer_heard
from caredesk.empathy.coaching.learned import LONG_CUSTOMER_WORDS
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Team
from caredesk.rows import Serialised, Table, sequences_reset
from caredesk.text import clean_body, clean_line, clean_subject, clean_text

_UNREAD = object()
# Distinct (draft, coach context as the coach tells them apart) pairs whose findings are kept; past
# this the memo starts again, so memory stays flat however many conversations are made. An entry
# is a short key and the findings' JSON, shared by the keys that find the same (about 300 bytes:
# 60 MB at most); the pools hold about 11,000 drafts, each met in a few dozen contexts.
COACH_MEMO = 200_000


class _Row:
    """One message waiting to be inserted: its id and `message_values` (a merge moves it)."""

    __slots__ = ("pk", "values")

    def __init__(self, pk: int, values: dict[str, Any]) -> None:
        self.pk = pk
        self.values = values


@dataclass
class _Held:
    """What the services would query about one conversation, kept in memory."""

    inbound: list[tuple[datetime, int, _Row]] = field(default_factory=list)  # (at, order, row)
    messages: list[_Row] = field(default_factory=list)
    transfers: int = 0


class FastWriter(Writer):
    """Collects rows in memory; `flush` writes them."""

    def __init__(
        self,
        *,
        agents: list[Agent],
        teams: dict[str, Team],
        customers: list[Customer],
        rules: RuleSet | None = None,
        agent_teams: dict[int, list[Team]] | None = None,
        first_ids: dict[type[Model], int] | None = None,
    ) -> None:
        """`rules`, `agent_teams` and `first_ids` (each table's first free id) are what the
        writer would read from the database; a maker process (`maker.py`) is handed them and
        never reads it: its ids then run on from `first_ids` batch after batch."""
        super().__init__(agents=agents, teams=teams, customers=customers)
        self._ids = dict(first_ids) if first_ids is not None else None
        self._readings: dict[str, Reading | None] = {}
        self._stored: dict[str, dict[str, Any] | None] = {}  # the same, as the JSON column holds
        self._stored_json: dict[str, Serialised | None] = {}  # ...and as its text
        self._coached: dict[tuple[str, Hashable], Serialised | None] = {}
        self._json: dict[str, Serialised] = {}  # one copy of each distinct findings' JSON
        self._heard: dict[str, tuple[bool, ...] | None] = {}  # by the customer's message
        self._agent_teams = agent_teams if agent_teams is not None else agent_teams_of(agents)
        self._rules = rules if rules is not None else coaching.desk_rules()  # once, not per reply
        self._cuts = coach_cuts(self._rules)
        self._order = 0
        self._reset()
        self.counts = {"conversations": 0, "messages": 0, "events": 0, "ratings": 0}
        self.insert_seconds = 0.0  # time spent inserting rows, beside the time making them
        self.tables: dict[type[Model], Table] = {
            model: Table(model) for model in (Conversation, Message, Event, Rating)
        }

    def _reset(self) -> None:
        self.conversations: list[Conversation] = []
        self.messages: list[_Row] = []
        self.message_json: list[tuple[Serialised | None, Serialised | None]] = []
        self.events: list[tuple[Conversation, lifecycle.EventSpec]] = []
        self.ratings: list[Rating] = []
        self.held: dict[int, _Held] = {}  # by id() of the in-memory conversation
        self.written = {}
        self._next_ids: dict[type[Model], int] = {}

    # -- rows ------------------------------------------------------------------------------

    def _new_id(self, model: type[Model]) -> int:
        """Conversations and messages get their ids as they are made, as the services' rows
        do when saved (a merge's reason names the duplicate's id): from the table's highest at
        the batch's first row. Only one seed may write at a time."""
        ids = self._ids if self._ids is not None else self._next_ids
        found = ids.get(model)
        if found is None:
            found = self.tables[model].next_id()
        ids[model] = found + 1
        return found

    def ids_from(self, first_ids: dict[type[Model], int]) -> None:
        """The next batch's ids start here (a maker that plays every other batch)."""
        self._ids = dict(first_ids)

    def _first_ids(self, model: type[Model], count: int) -> int:
        """The first of `count` consecutive ids for a batch's rows of `model`."""
        if self._ids is None:
            return self.tables[model].next_id() if count else 0
        first = self._ids.get(model) or self.tables[model].next_id()
        self._ids[model] = first + count
        return first

    def _keep(self, plan: lifecycle.Plan) -> None:
        plan.apply()
        conversation = plan.conversation
        self.events.extend((conversation, e) for e in plan.events)

    def _message(
        self,
        c: Conversation,
        *,
        stored: tuple[Serialised | None, Serialised | None] = (None, None),
        **fields: Any,
    ) -> _Row:
        """A new message's row as values; `stored`: its reading and findings as the columns
        hold them."""
        message = _Row(self._new_id(Message), message_values(conversation=c, **fields))
        self.message_json.append(stored)
        self._order += 1
        held = self.held[id(c)]
        held.messages.append(message)
        if fields["direction"] == Direction.INBOUND:
            held.inbound.append((fields["at"], self._order, message))
        self.messages.append(message)
        return message

    def read(self, text: str) -> Reading | None:
        """`reading.text_read`, once per distinct text."""
        found = self._readings.get(text, _UNREAD)
        if found is _UNREAD:
            found = self._readings[text] = reading.text_read(text)
            stored = self._stored[text] = found.to_dict() if found is not None else None
            self._stored_json[text] = self.tables[Message].json("reading", stored)
        return found  # type: ignore[return-value]

    def prime(self, texts: list[str]) -> None:
        """Read many texts at once where the engine reads in batches (see `demo_seed`)."""
        cleaned = (clean_body(t) for t in texts)
        todo = list(dict.fromkeys(t for t in cleaned if t not in self._readings))
        engine = reading.engine()
        if len(todo) > 1 and hasattr(engine, "prime"):
            engine.prime(todo)
        for text in todo:
            self.read(text)

    def _newest_inbound(self, c: Conversation) -> datetime | None:
        inbound = self.held[id(c)].inbound
        return max(at for at, _, _ in inbound) if inbound else None

    # -- steps -----------------------------------------------------------------------------

    def on_create(self, step: s.Create, customer: Customer) -> Conversation:
        text, author = clean_body(step.text), self.author(customer, step.channel)
        found = self.read(text)
        c = lifecycle.conversation_new(
            customer=customer,
            subject=clean_subject(step.subject),
            channel=step.channel,
            team=self.team(step.team),
            severity=step.severity,
            at=step.at,
        )
        c.pk = self._new_id(Conversation)
        self.conversations.append(c)
        self.held[id(c)] = _Held()
        self._keep(lifecycle.conversation_opened(c, actor=author, at=step.at, reading=found))
        self._message(
            c,
            direction=Direction.INBOUND,
            text=text,
            author=author,
            channel=step.channel,
            at=step.at,
            external_id=step.external_id,
            reading=self._stored[text],
            stored=(self._stored_json[text], None),
        )
        return c

    def on_customer_writes(
        self, step: s.CustomerWrites, customer: Customer, c: Conversation
    ) -> Conversation:
        into = c.merged_into if c.merged_into is not None else c
        text, author = clean_body(step.text), self.author(customer, step.channel)
        found = self.read(text)
        newest = self._newest_inbound(into)
        message = self._message(
            into,
            direction=Direction.INBOUND,
            text=text,
            author=author,
            channel=step.channel,
            at=step.at,
            external_id=step.external_id,
            reading=self._stored[text],
            stored=(self._stored_json[text], None),
        )
        self._keep(
            lifecycle.customer_wrote(
                into,
                actor=author,
                at=step.at,
                message=message,
                reading=found,
                newest_other_inbound_at=newest,
            )
        )
        return c

    def on_reply(self, step: s.Reply, customer: Customer, c: Conversation) -> Conversation:
        agent, text = self.agents[step.agent], clean_body(step.text)
        held = self.held[id(c)]
        newest_first = sorted(held.inbound, key=lambda m: (m[0], m[1]), reverse=True)
        context = lifecycle.coach_context(
            c,
            inbound=[
                (m.values["text"], m.values["reading"])
                for _, _, m in newest_first[: lifecycle.COACH_INBOUND]
            ],
            transfers=held.transfers,
            at=step.at,
        )
        stored = self._coach(text, context)
        message = self._message(
            c,
            direction=Direction.OUTBOUND,
            text=text,
            author=agent.user,
            channel=c.channel,
            at=step.at,
            stored=(None, stored),  # its findings, as the column holds them
        )
        self._keep(
            lifecycle.agent_replied(
                c, agent=agent, at=step.at, message=message, resolve=step.resolve
            )
        )
        return c

    def _coach(self, text: str, context: dict[str, Any]) -> Serialised | None:
        """The coach's findings (as the column stores them) for a draft in a context, once per
        draft and context as the coach tells contexts apart (`context_key`: the wait only as before
        or after the rules' thresholds, the customer's message as what the rules hear in it)."""
        ctx = CoachContext.coerce(context)
        said, heard = ctx.customer, None
        if said is not None:
            if said not in self._heard:
                self._heard[said] = customer_heard(said, self._cuts)
            heard = self._heard[said]
        key = (text, context_key(ctx, self._cuts, heard=heard))
        if key in self._coached:
            return self._coached[key]
        if len(self._coached) >= COACH_MEMO:
            self._coached, self._heard, self._json = {}, {}, {}
        findings = [f.to_dict() for f in coaching.findings_with(text, context, rules=self._rules)]
        stored = self.tables[Message].json("findings", findings)
        if stored is not None:
            stored = self._json.setdefault(stored, stored)
        self._coached[key] = stored
        return stored

    def on_note(self, step: s.Note, customer: Customer, c: Conversation) -> Conversation:
        agent = self.agents[step.agent]
        message = self._message(
            c,
            direction=Direction.NOTE,
            text=clean_body(step.text),
            author=agent.user,
            channel=c.channel,
            at=step.at,
        )
        self._keep(lifecycle.noted(c, agent=agent, at=step.at, message=message))
        return c

    def on_assign(self, step: s.Assign, customer: Customer, c: Conversation) -> Conversation:
        agent = self.agents[step.agent]
        self._keep(lifecycle.assigned(c, agent=agent, actor=agent.user, at=step.at, how="assigned"))
        return c

    def on_transfer(self, step: s.Transfer, customer: Customer, c: Conversation) -> Conversation:
        to_agent, to_team = self.agent(step.to_agent), self.team(step.to_team)
        plan = lifecycle.transferred(
            c,
            actor=self.agents[step.actor].user,
            note=clean_text(step.note, field="note"),
            to_agent=to_agent,
            to_team=to_team,
            agent_teams=self._agent_teams[to_agent.pk] if to_agent and to_team is None else [],
            at=step.at,
        )
        self._keep(plan)
        self.held[id(c)].transfers += 1
        return c

    def on_resolve(self, step: s.Resolve, customer: Customer, c: Conversation) -> Conversation:
        self._keep(lifecycle.resolved(c, agent=self.agents[step.agent], at=step.at))
        return c

    def on_close(self, step: s.Close, customer: Customer, c: Conversation) -> Conversation:
        self._keep(lifecycle.closed(c, at=step.at))
        return c

    def on_rate(self, step: s.Rate, customer: Customer, c: Conversation) -> Conversation:
        assert customer.user is not None
        plan = lifecycle.rated(
            c,
            actor=customer.user,
            satisfaction=step.satisfaction,
            effort=step.effort,
            at=step.at,
        )
        self.ratings.append(
            Rating(
                conversation=c,
                satisfaction=step.satisfaction,
                effort=step.effort,
                comment=clean_text(step.comment, field="comment"),
                created_at=step.at,
            )
        )
        self._keep(plan)
        return c

    def on_severity_change(
        self, step: s.SeverityChange, customer: Customer, c: Conversation
    ) -> Conversation:
        plan = lifecycle.severity_changed(
            c,
            actor=self.agents[step.actor].user,
            severity=step.severity,
            reason=clean_line(step.reason, field="reason", max_chars=500),
            at=step.at,
        )
        self._keep(plan)
        return c

    def on_merge(self, step: s.Merge, customer: Customer, c: Conversation) -> Conversation:
        target, agent = self.written[step.into], self.agents[step.agent]
        source_held, target_held = self.held[id(c)], self.held[id(target)]
        away, into = lifecycle.merged(
            c, target, actor=agent.user, at=step.at, moved=len(source_held.messages)
        )
        for message in source_held.messages:
            message.values["conversation"] = target
        target_held.messages += source_held.messages
        target_held.inbound += source_held.inbound
        self.held[id(c)] = _Held()
        self._keep(away)
        self._keep(into)
        return c

    # -- writing ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Insert the batch in one transaction: ids first (from the table's highest), so every
        row can point at the rows it refers to, then each table with one statement."""
        started = time.perf_counter()
        with transaction.atomic():
            self._insert()
        self.insert_seconds += time.perf_counter() - started
        self._reset()

    def take(self) -> dict[type[Model], list[tuple[Any, ...]]]:
        """The batch's rows as each table inserts them, for another process to insert
        (`maker.py`); the writer starts the next batch."""
        self._stage()
        rows = {}
        for model, table in self.tables.items():
            rows[model], table.rows = table.rows, []
        self._reset()
        return rows

    def _insert(self) -> None:
        self._stage()
        for model, name in (
            (Conversation, "conversations"),
            (Message, "messages"),
            (Event, "events"),
            (Rating, "ratings"),
        ):
            self.counts[name] += self.tables[model].insert()
        sequences_reset(self.tables.values())

    def _stage(self) -> None:
        """Every row of the batch, as values ready for its table's statement."""
        t = self.tables
        first = self._first_ids(Rating, len(self.ratings))
        for pk, rating in enumerate(self.ratings, start=first):
            rating.pk = pk
        for c in self.conversations:
            t[Conversation].add_instance(c)
        defaults = t[Message].defaults
        for message, (reading_json, findings_json) in zip(
            self.messages, self.message_json, strict=True
        ):
            values, author = message.values, message.values["author"]
            t[Message].add(
                {
                    **defaults,
                    **values,
                    "id": message.pk,
                    "conversation_id": values["conversation"].pk,
                    "author_id": author.pk if author is not None else None,
                    "reading": reading_json,
                    "findings": findings_json,
                }
            )
        first = self._first_ids(Event, len(self.events))
        for pk, (c, e) in enumerate(self.events, start=first):
            t[Event].add(
                {
                    "id": pk,
                    "conversation_id": c.pk,
                    "kind": e.kind,
                    "actor_id": e.actor.pk if e.actor is not None else None,
                    "created_at": e.at,
                    "data": {
                        key: value.pk if isinstance(value, _Row | Conversation) else value
                        for key, value in e.data.items()
                    },
                }
            )
        for rating in self.ratings:
            t[Rating].add_instance(rating)


def coach_cuts(rules: RuleSet) -> Cuts:
    """Every threshold the coach with `rules` compares a context's numbers with (the rules'
    settings, each rule's `min_customer_words`, the learned part's defaults) and every
    pattern it searches the customer's message with."""
    settings = rules.settings
    every = (*rules.curt, *rules.missing)
    return Cuts(
        intensity=(*Cuts().intensity, settings.upset_intensity, settings.negative_intensity),
        waited_hours=(settings.protracted_hours,),
        customer_words=(
            LONG_CUSTOMER_WORDS,
            *(rule.min_customer_words for rule in every),
        ),
        customer=tuple(
            pattern
            for rule in every
            for pattern in (
                rule.customer_says,
                rule.unless_customer,
                *rule.situations_from_customer.values(),
            )
            if pattern is not None
        ),
    )


def agent_teams_of(agents: list[Agent]) -> dict[int, list[Team]]:
    """Each agent's teams in the order the transfer rule picks from, in one query."""
    teams: dict[int, list[Team]] = {agent.pk: [] for agent in agents}
    through = Agent.teams.through.objects.filter(agent__in=agents).select_related("team")
    for row in through:
        teams[row.agent_id].append(row.team)
    return {pk: sorted(found, key=lambda t: t.name) for pk, found in teams.items()}
