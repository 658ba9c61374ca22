"""Playing stories with bulk inserts, for desks of a hundred thousand conversations.

Each step changes an in-memory `Conversation` and appends the messages and events the matching
service would write — same event kinds, same data keys, same field changes (`services.py`,
`reading.py`) — and `flush` inserts a batch at once. Readings are computed once per distinct text:
the storyteller draws texts from a bounded pool in this mode, so that is a few thousand readings
instead of hundreds of thousands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from caredesk.conversations import coaching
from caredesk.conversations import reading as desk_reading
from caredesk.conversations.models import (
    DONE_STATUSES,
    Conversation,
    Direction,
    Event,
    EventKind,
    Message,
    Rating,
    Severity,
    Status,
)
from caredesk.conversations.services import transfer_move
from caredesk.conversations.text import text_to_html
from caredesk.customers.models import Customer
from caredesk.demo import steps as s
from caredesk.demo.slow import SlowWriter
from caredesk.people.models import Agent, Team, User


class FastWriter(SlowWriter):
    """Collects rows in memory; `flush` writes them. Shares the cast lookups with `SlowWriter`."""

    def __init__(
        self, *, agents: list[Agent], teams: dict[str, Team], customers: list[Customer]
    ) -> None:
        super().__init__(agents=agents, teams=teams, customers=customers)
        self._readings: dict[str, tuple[dict[str, Any], Any]] = {}
        self._html: dict[str, str] = {}
        self._reset()
        self.counts = {"conversations": 0, "messages": 0, "events": 0, "ratings": 0}

    def _reset(self) -> None:
        self.conversations: list[Conversation] = []
        self.messages: list[Message] = []
        self.events: list[Event] = []
        self.ratings: list[Rating] = []
        self.merges: list[tuple[Conversation, Conversation]] = []
        self.transfers: dict[int, int] = {}  # transfers so far per conversation (by id())
        self.on: dict[int, list[Message]] = {}  # messages currently on a conversation (by id())
        self.written = {}

    # -- rows ------------------------------------------------------------------------------

    def _event(
        self,
        conversation: Conversation,
        kind: EventKind,
        actor: User | None,
        at: datetime,
        **data: Any,
    ) -> None:
        self.events.append(
            Event(conversation=conversation, kind=kind, actor=actor, created_at=at, data=data)
        )

    def _message(
        self,
        conversation: Conversation,
        direction: Direction,
        text: str,
        author: User | None,
        channel: str,
        at: datetime,
        external_id: str = "",
        findings: list[dict[str, Any]] | None = None,
    ) -> Message:
        html = self._html.get(text)
        if html is None:
            html = self._html[text] = text_to_html(text)
        message = Message(
            conversation=conversation,
            direction=direction,
            text=text,
            html=html,
            author=author,
            channel=channel,
            external_id=external_id[:255],
            created_at=at,
            findings=findings,
        )
        self.messages.append(message)
        self.on[id(conversation)].append(message)
        return message

    def _coach(self, conversation: Conversation, text: str, at: datetime) -> list[dict[str, Any]]:
        """The findings `reply_send` keeps: the coach on the draft, with `coach_context`'s facts.

        Not cached: the context (hours waited, transfers so far) differs for nearly every reply.
        """
        inbound = sorted(
            (m for m in self.on[id(conversation)] if m.direction == Direction.INBOUND),
            key=lambda m: m.created_at,
            reverse=True,
        )[:10]
        end = conversation.resolved_at if conversation.status in DONE_STATUSES else at
        waited = ((end or at) - conversation.created_at).total_seconds() / 3600
        context = {
            "reading": next((m.reading for m in inbound if m.reading), None),
            "transfers": self.transfers.get(id(conversation), 0),
            "waited_hours": round(waited, 1),
            "tech_problem": any(coaching.TECH_PROBLEM.search(m.text) for m in inbound),
        }
        return [f.to_dict() for f in coaching.draft_coach(text, context)]

    def _read(self, conversation: Conversation, message: Message, at: datetime) -> None:
        """What `reading.reading_keep` does, with one engine call per distinct text."""
        cached = self._readings.get(message.text)
        if cached is None:
            result = desk_reading.analyze(message.text)
            cached = self._readings[message.text] = (result.to_dict(), result)
        message.reading, result = cached
        conversation.emotion = result.emotion
        conversation.intensity = round(result.intensity, 3)
        conversation.signals = list(result.signals)
        raise_to = desk_reading.risk_raise(conversation, result.signals)
        if raise_to is None:
            return
        target, reason = raise_to
        self._event(
            conversation,
            EventKind.SEVERITY_CHANGED,
            None,
            at,
            old=conversation.severity,
            new=target,
            reason=reason[:500],
        )
        conversation.severity = target
        if target >= Severity.URGENT:
            self._event(
                conversation,
                EventKind.ESCALATED,
                None,
                at,
                signals=sorted(result.signals),
                reason=reason,
            )

    def _status(
        self, conversation: Conversation, status: Status, actor: User | None, at: datetime
    ) -> None:
        old = conversation.status
        if old == status:
            return
        conversation.status = status
        self._event(conversation, EventKind.STATUS_CHANGED, actor, at, old=old, new=status)

    def _resolve(self, conversation: Conversation, agent: Agent, at: datetime) -> None:
        conversation.status = Status.RESOLVED
        conversation.resolved_at = at
        if conversation.owner is None:
            conversation.owner = agent
        self._event(conversation, EventKind.RESOLVED, agent.user, at, agent=agent.pk)

    # -- steps -----------------------------------------------------------------------------

    def write(self, story: s.Story) -> Conversation:
        customer = self.customers[story.customer]
        conversation: Conversation | None = None
        for step in story.steps:
            conversation = self._play(step, customer, conversation)
        assert conversation is not None
        self.written[story] = conversation
        return conversation

    def _play(self, step: s.Step, customer: Customer, c: Conversation | None) -> Conversation:
        at = step.at
        if isinstance(step, s.Create):
            return self._create(step, customer)
        assert c is not None
        if isinstance(step, s.CustomerWrites):
            author = self._author(customer, step.channel)
            if c.status in DONE_STATUSES:
                c.status = Status.OPEN if c.owner is not None else Status.NEW
                c.resolved_at = c.closed_at = None
                c.queued_at = at
                self._event(c, EventKind.REOPENED, author, at, reason="customer wrote again")
            elif c.status == Status.WAITING_ON_CUSTOMER:
                self._status(c, Status.WAITING_ON_US, author, at)
            message = self._message(
                c, Direction.INBOUND, step.text, author, step.channel, at, step.external_id
            )
            self._event(c, EventKind.CUSTOMER_REPLIED, author, at, message=message)
            c.last_message_at = at
            self._read(c, message, at)
        elif isinstance(step, s.Reply):
            agent = self.agents[step.agent]
            findings = self._coach(c, step.text, at)
            if c.owner is None:
                c.owner = agent
                self._event(
                    c,
                    EventKind.ASSIGNED,
                    agent.user,
                    at,
                    agent=agent.pk,
                    agent_name=agent.name,
                    how="replied",
                )
            message = self._message(
                c, Direction.OUTBOUND, step.text, agent.user, c.channel, at, findings=findings
            )
            c.last_message_at = at
            if c.first_response_at is None:
                c.first_response_at = at
            self._event(c, EventKind.REPLIED, agent.user, at, message=message, agent=agent.pk)
            if step.resolve:
                self._resolve(c, agent, at)
            elif c.status not in DONE_STATUSES:
                self._status(c, Status.WAITING_ON_CUSTOMER, agent.user, at)
        elif isinstance(step, s.Note):
            agent = self.agents[step.agent]
            message = self._message(c, Direction.NOTE, step.text, agent.user, c.channel, at)
            self._event(c, EventKind.NOTED, agent.user, at, message=message)
        elif isinstance(step, s.Assign):
            agent = self.agents[step.agent]
            c.owner = agent
            if c.status == Status.NEW:
                c.status = Status.OPEN
            self._event(
                c,
                EventKind.ASSIGNED,
                agent.user,
                at,
                agent=agent.pk,
                agent_name=agent.name,
                how="assigned",
            )
        elif isinstance(step, s.Transfer):
            self._transfer(c, step)
        elif isinstance(step, s.Resolve):
            self._resolve(c, self.agents[step.agent], at)
        elif isinstance(step, s.Close):
            c.closed_at = at
            self._status(c, Status.CLOSED, None, at)
        elif isinstance(step, s.Rate):
            self.ratings.append(
                Rating(
                    conversation=c,
                    satisfaction=step.satisfaction,
                    effort=step.effort,
                    comment=step.comment.strip(),
                    created_at=at,
                )
            )
            self._event(
                c,
                EventKind.RATED,
                customer.user,
                at,
                satisfaction=step.satisfaction,
                effort=step.effort,
            )
        elif isinstance(step, s.SeverityChange):
            if step.severity != c.severity:
                self._event(
                    c,
                    EventKind.SEVERITY_CHANGED,
                    self.agents[step.actor].user,
                    at,
                    old=c.severity,
                    new=step.severity,
                    reason=step.reason[:500],
                )
                c.severity = step.severity
        elif isinstance(step, s.Merge):
            self._merge(c, self.written[step.into], self.agents[step.agent], at)
        return c

    def _create(self, step: s.Create, customer: Customer) -> Conversation:
        at = step.at
        c = Conversation(
            customer=customer,
            subject=step.subject,
            channel=step.channel,
            team=self.teams[step.team] if step.team else None,
            severity=step.severity,
            status=Status.NEW,
            created_at=at,
            queued_at=at,
            last_message_at=at,
        )
        self.conversations.append(c)
        self.on[id(c)] = []
        author = self._author(customer, step.channel)
        self._event(c, EventKind.CREATED, author, at, channel=step.channel)
        message = self._message(
            c, Direction.INBOUND, step.text, author, step.channel, at, step.external_id
        )
        self._read(c, message, at)
        return c

    def _transfer(self, c: Conversation, step: s.Transfer) -> None:
        """`services.conversation_transfer`, step for step (team rule included)."""
        self.transfers[id(c)] = self.transfers.get(id(c), 0) + 1
        actor = self.agents[step.actor]
        to_agent = self.agents[step.to_agent] if step.to_agent is not None else None
        to_team = self.teams[step.to_team] if step.to_team else None
        agent_teams = (
            sorted(
                (t for t in self.teams.values() if t.pk in self._team_ids(to_agent)),
                key=lambda t: t.name,
            )
            if to_agent is not None and to_team is None
            else []
        )
        moved = transfer_move(c, to_agent=to_agent, to_team=to_team, agent_teams=agent_teams)
        self._event(c, EventKind.TRANSFERRED, actor.user, step.at, note=step.note.strip(), **moved)

    def _team_ids(self, agent: Agent) -> set[int]:
        cache: dict[int, set[int]] = self.__dict__.setdefault("_agent_teams", {})
        if agent.pk not in cache:
            cache[agent.pk] = set(agent.teams.values_list("pk", flat=True))
        return cache[agent.pk]

    def _merge(
        self, source: Conversation, target: Conversation, agent: Agent, at: datetime
    ) -> None:
        moved = self.on.pop(id(source))
        self.on[id(source)] = []
        for message in moved:
            message.conversation = target
        self.on[id(target)].extend(moved)
        self.merges.append((source, target))
        source.status = Status.CLOSED
        source.closed_at = at
        self._event(source, EventKind.MERGED, agent.user, at, into=target, messages=len(moved))
        self._event(
            target,
            EventKind.MERGED,
            agent.user,
            at,
            merged_from=source,
            messages=len(moved),
            subject=source.subject,
        )
        target.last_message_at = max(target.last_message_at, source.last_message_at)

    # -- writing ---------------------------------------------------------------------------

    @transaction.atomic
    def flush(self) -> None:
        """Insert the batch: conversations first, so messages, events and merges can point at
        them; rows referred to in event data become their ids."""
        Conversation.objects.bulk_create(self.conversations)
        for source, target in self.merges:
            source.merged_into = target
        Conversation.objects.bulk_update([src for src, _ in self.merges], ["merged_into"])
        Message.objects.bulk_create(self.messages)
        for event in self.events:
            for key, value in event.data.items():
                if isinstance(value, Message | Conversation):
                    event.data[key] = value.pk
        Event.objects.bulk_create(self.events)
        Rating.objects.bulk_create(self.ratings)
        self.counts["conversations"] += len(self.conversations)
        self.counts["messages"] += len(self.messages)
        self.counts["events"] += len(self.events)
        self.counts["ratings"] += len(self.ratings)
        self._reset()
