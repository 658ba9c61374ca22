"""The script of one demo conversation, independent of how it is written to the database.

A `Story` is a list of timed steps (the customer writes, an agent replies, transfers, resolves...).
Both writers play the same stories: `slow` through the desk's real services, `fast` with bulk
inserts. Keeping the script separate is what makes the two paths produce the same shapes.
Agents are referred to by their index in the cast, teams by name, so a story needs no database.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from caredesk.conversations.models import Channel, Severity, Status
from caredesk.demo import texts
from caredesk.demo.steps import (
    Assign,
    Close,
    Create,
    CustomerWrites,
    Merge,
    Note,
    Rate,
    Reply,
    Resolve,
    SeverityChange,
    Step,
    Story,
    Transfer,
)
from caredesk.demo.texts import Topic

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
WINDOW_DAYS = 90
T = TypeVar("T")


@dataclass(frozen=True)
class CustomerSpec:
    first: str
    last: str
    has_login: bool


@dataclass(frozen=True)
class Cast:
    """Who works the desk: agents by index, which teams they are in, and the lead."""

    first_names: tuple[str, ...]
    teams: dict[str, tuple[int, ...]]
    lead: int
    favourite: int  # the demo agent, who gets a little more of the work

    def team_of(self, agent: int) -> str | None:
        return next(
            (name for name, members in sorted(self.teams.items()) if agent in members), None
        )


STATUS_WEIGHTS: dict[str, int] = {
    Status.NEW: 7,
    Status.OPEN: 6,
    Status.WAITING_ON_CUSTOMER: 12,
    Status.WAITING_ON_US: 7,
    Status.RESOLVED: 18,
    Status.CLOSED: 50,
}
MOOD_WEIGHTS: dict[str, int] = {
    "anger": 12,
    "frustration": 22,
    "worry": 16,
    "sadness": 9,
    "confusion": 14,
    "gratitude": 9,
    "neutral": 18,
}
SIGNAL_WEIGHTS: dict[str | None, int] = {
    None: 70,
    "churn_intent": 6,
    "repeated_contact": 5,
    "long_wait": 5,
    "urgency": 5,
    "public_escalation": 3,
    "legal_threat": 3,
    "safety": 3,
}
SEVERITY_WEIGHTS: dict[int, int] = {
    Severity.LOW: 22,
    Severity.NORMAL: 50,
    Severity.HIGH: 20,
    Severity.URGENT: 8,
}
CHANNEL_WEIGHTS: dict[str, int] = {Channel.PORTAL: 45, Channel.EMAIL: 40, Channel.API: 15}
FIRST_TOUCH = {  # severity -> (min, max) seconds until an agent first touches it
    Severity.URGENT: (5 * MINUTE, 1 * HOUR),
    Severity.HIGH: (15 * MINUTE, 4 * HOUR),
    Severity.NORMAL: (30 * MINUTE, 12 * HOUR),
    Severity.LOW: (1 * HOUR, 30 * HOUR),
}


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _between(rng: random.Random, low: float, high: float) -> float:
    """Log-uniform: most waits are short, a few are long, as on a real desk."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


class Storyteller:
    """Writes stories. With `pool` set, texts are drawn from a bounded pool of variants per kind,
    so the fast writer reads each distinct text once instead of once per message."""

    def __init__(
        self, *, rng: random.Random, cast: Cast, now: datetime, pool: int | None = None
    ) -> None:
        self.rng = rng
        self.cast = cast
        self.now = now
        self.pool = pool
        self._texts: dict[tuple[object, ...], list[str]] = {}

    # -- texts -----------------------------------------------------------------------------

    def _text(self, key: tuple[object, ...], build: Callable[[], str]) -> str:
        if self.pool is None:
            return build()
        texts_ = self._texts.setdefault(key, [])
        if len(texts_) < self.pool:
            texts_.append(build())
            return texts_[-1]
        return self.rng.choice(texts_)

    def _slots(self, customer: CustomerSpec) -> dict[str, object]:
        r = self.rng
        return {
            "first": customer.first,
            "last": customer.last,
            "product": r.choice(texts.PRODUCTS),
            "plan": r.choice(texts.SUB_PLANS),
            "order": f"CD-{r.randint(10000, 99999)}",
            "amount": f"€{r.choice([9, 12, 19, 29, 49, 79, 99, 149, 249, 480])}."
            f"{r.choice(['00', '50', '99'])}",
            "days": r.randint(3, 14),
            "hours": r.randint(2, 9),
            "count": r.randint(3, 40),
            "date": f"{r.randint(1, 28)} {r.choice(texts.MONTHS)}",
            "feature": r.choice(texts.FEATURES),
            "error": r.choice(texts.ERRORS),
            "courier": r.choice(texts.COURIERS),
            "device": r.choice(texts.DEVICES),
            "city": r.choice(texts.CITIES),
            "weekday": r.choice(texts.WEEKDAYS),
            "invoice": f"INV-{r.randint(2023, 2025)}-{r.randint(1, 99999):05d}",
            "agent": "",
            "prev_agent": "",
            "team": "",
        }

    def _inbound(
        self,
        key: tuple[object, ...],
        slots: dict[str, object],
        mood: str,
        signal: str | None,
        middle: tuple[str, ...],
        *,
        greet: bool = True,
    ) -> str:
        def build() -> str:
            r = self.rng
            sentences = [r.choice(middle)]
            opener = r.choice(texts.OPENERS[mood])
            if opener:
                sentences.insert(0 if r.random() < 0.7 else 1, opener)
            if signal:
                sentences.append(r.choice(texts.SIGNAL_LINES[signal]))
            sentences.append(r.choice(texts.CLOSERS[mood]))
            parts = [r.choice(texts.GREETINGS)] if greet else []
            parts += [" ".join(sentences), r.choice(texts.SIGNOFFS[mood])]
            return "\n\n".join(p for p in parts if p).format_map(slots)

        return self._text((*key, mood, signal), build)

    def _outbound(
        self, key: tuple[object, ...], slots: dict[str, object], lines: list[tuple[str, ...]]
    ) -> str:
        def build() -> str:
            r = self.rng
            body = " ".join(r.choice(options) for options in lines if options)
            parts = [r.choice(texts.REPLY_GREETINGS), body, r.choice(texts.REPLY_SIGNOFFS)]
            return "\n\n".join(parts).format_map(slots)

        return self._text(key, build)

    def _with_agent(
        self, slots: dict[str, object], agent: int, prev: int | None = None
    ) -> dict[str, object]:
        return {
            **slots,
            "agent": self.cast.first_names[agent],
            "prev_agent": self.cast.first_names[prev] if prev is not None else "",
            "team": self.cast.team_of(agent) or "the support team",
        }

    # -- people ----------------------------------------------------------------------------

    def _agent_for(self, team: str | None, *, exclude: int | None = None) -> int:
        members = (
            self.cast.teams[team]
            if team
            else tuple(sorted({a for m in self.cast.teams.values() for a in m}))
        )
        choices = [a for a in members if a != exclude] or list(members)
        weights = [1.5 if a == self.cast.favourite else 1.0 for a in choices]
        return self.rng.choices(choices, weights=weights)[0]

    # -- the story -------------------------------------------------------------------------

    def tell(
        self, *, customer: int, spec: CustomerSpec, final: str, duplicate: bool = False
    ) -> list[Story]:
        """One conversation (and, with `duplicate`, a second one merged into it)."""
        r = self.rng
        topic = r.choice(texts.TOPICS)
        mood = _pick(r, MOOD_WEIGHTS)
        signal = _pick(r, SIGNAL_WEIGHTS)
        severity = _pick(r, SEVERITY_WEIGHTS)
        channel = _pick(r, CHANNEL_WEIGHTS) if spec.has_login else Channel.EMAIL
        slots = self._slots(spec)
        plan = _Plan(self, topic=topic, mood=mood, signal=signal, slots=slots, channel=channel)
        plan.create(severity=severity, transfer=final not in (Status.NEW,) and r.random() < 0.14)
        plan.play(final, rated=spec.has_login)
        stories = [Story(customer=customer, steps=plan.timed(final))]
        if duplicate and final not in (Status.NEW, Status.OPEN):
            twin = self._duplicate(stories[0], customer=customer, plan=plan)
            if twin is not None:
                stories.append(twin)
        return stories

    def _duplicate(self, target: Story, *, customer: int, plan: _Plan) -> Story | None:
        """The same problem sent again by email, which an agent folds into the first one."""
        r = self.rng
        first = target.steps[0]
        assert isinstance(first, Create)
        at = first.at + timedelta(seconds=_between(r, 5 * MINUTE, 2 * HOUR))
        merge_at = at + timedelta(seconds=_between(r, 10 * MINUTE, 90 * MINUTE))
        if merge_at >= self.now:
            return None
        text = self._inbound(
            ("dup", plan.topic.key),
            plan.slots,
            plan.mood,
            None,
            tuple(f"{d} {b}" for d in texts.DUPLICATES for b in plan.topic.bodies),
        )
        agent = (
            plan.first_agent if plan.first_agent is not None else self._agent_for(plan.topic.team)
        )
        return Story(
            customer=customer,
            steps=[
                Create(
                    at=at,
                    subject=first.subject,
                    text=text,
                    channel=Channel.EMAIL,
                    team=first.team,
                    severity=first.severity,
                    external_id=f"<{r.getrandbits(64):x}@mail.example>",
                ),
                Merge(at=merge_at, agent=agent, into=target),
            ],
        )


class _Plan:
    """Builds one conversation's steps with offsets in seconds; `timed` places them in time."""

    def __init__(
        self,
        teller: Storyteller,
        *,
        topic: Topic,
        mood: str,
        signal: str | None,
        slots: dict[str, object],
        channel: str,
    ) -> None:
        self.t = teller
        self.r = teller.rng
        self.topic, self.mood, self.signal, self.slots = topic, mood, signal, slots
        self.channel = channel
        self.clock = 0.0
        self.steps: list[tuple[float, Callable[[datetime], Step]]] = []
        self.team: str | None = topic.team
        self.owner: int | None = None
        self.first_agent: int | None = None
        self.transfer_planned = False
        self.replies = 0
        self.bumps = 0  # transfers, reopens and long waits: they cost satisfaction

    def _add(self, delay: float, make: Callable[[datetime], Step]) -> None:
        self.clock += delay
        self.steps.append((self.clock, make))

    def _msg_id(self) -> str:
        return f"<{self.r.getrandbits(64):x}@mail.example>" if self.channel == Channel.EMAIL else ""

    def create(self, *, severity: int, transfer: bool) -> None:
        r, t = self.r, self.t
        if transfer and self.topic.team:
            # Mis-routed at first: it lands with the other team and is handed over warmly.
            self.team = next(name for name in t.cast.teams if name != self.topic.team)
            self.transfer_planned = True
        early = self.signal if self.signal not in ("long_wait", "repeated_contact") else None
        if early and r.random() < 0.35:
            early = None
        self._late_signal = None if early else self.signal
        if early:
            self.bumps += 1
        subject = r.choice(self.topic.subjects).format_map(self.slots)
        text = t._inbound(("open", self.topic.key), self.slots, self.mood, early, self.topic.bodies)
        msg_id, channel, team = self._msg_id(), self.channel, self.team
        self._add(
            0.0,
            lambda at: Create(
                at=at,
                subject=subject,
                text=text,
                channel=channel,
                team=team,
                severity=severity,
                external_id=msg_id,
            ),
        )
        self.severity = severity
        self.escalated = early in ("public_escalation", "legal_threat", "safety")

    def customer_writes(
        self, delay: float, *, signal: str | None = None, reopen: bool = False
    ) -> None:
        t = self.t
        middle = texts.REOPENS if reopen else self.topic.followups
        text = t._inbound(
            ("reopen" if reopen else "follow", self.topic.key),
            self.slots,
            self.mood,
            signal,
            middle,
            greet=reopen,
        )
        msg_id, channel = self._msg_id(), self.channel
        self._add(
            delay, lambda at: CustomerWrites(at=at, text=text, channel=channel, external_id=msg_id)
        )

    def reply(
        self,
        delay: float,
        agent: int,
        *,
        resolve: bool = False,
        after_transfer_from: int | None = None,
    ) -> None:
        t, topic = self.t, self.topic
        slots = t._with_agent(self.slots, agent, after_transfer_from)
        lines: list[tuple[str, ...]]
        if resolve:
            lines = [
                texts.ACKS[self.mood] if self.replies == 0 else (),
                topic.fixes,
                texts.RESOLVED_CLOSINGS,
            ]
            key: tuple[object, ...] = ("fix", topic.key, self.mood, self.replies == 0)
        elif after_transfer_from is not None:
            lines = [texts.TRANSFER_APOLOGIES, topic.probes, texts.NEXT_STEPS]
            key = ("handover", topic.key, agent, after_transfer_from)
        elif self.replies == 0:
            waited = texts.WAIT_APOLOGIES if delay > 8 * HOUR else ()
            lines = [texts.ACKS[self.mood], waited, topic.probes, texts.NEXT_STEPS]
            key = ("first", topic.key, self.mood, bool(waited))
        else:
            lines = [texts.FOLLOWUP_REPLIES, topic.probes, texts.NEXT_STEPS]
            key = ("update", topic.key)
        text = t._outbound((*key, agent), slots, lines)
        self.replies += 1
        if self.first_agent is None:
            self.first_agent = agent
        if self.owner is None:
            self.owner = agent
        self._add(delay, lambda at: Reply(at=at, agent=agent, text=text, resolve=resolve))

    def note(self, delay: float, agent: int, options: tuple[str, ...]) -> None:
        slots = {
            **self.t._with_agent(self.slots, agent),
            "signal": (self.signal or "risk").replace("_", " "),
        }
        text = self.t._text(
            ("note", self.topic.key, options[0][:12]),
            lambda: self.r.choice(options).format_map(slots),
        )
        self._add(delay, lambda at: Note(at=at, agent=agent, text=text))

    def play(self, final: str, *, rated: bool) -> None:
        r, t = self.r, self.t
        if final == Status.NEW:
            if self._late_signal or r.random() < 0.3:
                self.customer_writes(_between(r, 2 * HOUR, 30 * HOUR), signal=self._late_signal)
            return
        low, high = FIRST_TOUCH[Severity(self.severity)]
        wait = _between(r, low, high)
        if self._late_signal:
            # The customer chases before anyone answered: that is where these signals come from.
            self.customer_writes(_between(r, 20 * HOUR, 3 * DAY), signal=self._late_signal)
            self.bumps += 1
            wait = _between(r, 10 * MINUTE, 2 * HOUR)
        agent = self._first_agent()
        if final == Status.OPEN or r.random() < 0.35:
            self._add(wait, partial(Assign, agent=agent))
            self.owner, self.first_agent = agent, agent
            wait = _between(r, 5 * MINUTE, 2 * HOUR)
        if self.escalated or self.signal in ("safety", "legal_threat", "public_escalation"):
            self.note(_between(r, 1 * MINUTE, 20 * MINUTE), agent, texts.ESCALATION_NOTES)
        elif r.random() < 0.15:
            self.note(_between(r, 1 * MINUTE, 1 * HOUR), agent, self.topic.notes)
        if final == Status.OPEN:
            if self.transfer_planned:
                self._transfer(agent, _between(r, 10 * MINUTE, 3 * HOUR))
            return
        if self.transfer_planned and r.random() < 0.3:
            agent = self._transfer(agent, wait)
            wait = _between(r, 10 * MINUTE, 4 * HOUR)
            self.reply(wait, agent, after_transfer_from=self.first_agent)
        else:
            self.reply(wait, agent)
            if self.transfer_planned:
                new = self._transfer(agent, _between(r, 10 * MINUTE, 6 * HOUR))
                self.reply(_between(r, 10 * MINUTE, 5 * HOUR), new, after_transfer_from=agent)
                agent = new
        if r.random() < 0.07 and self.owner is not None:
            new = r.choice([s for s in Severity.values if s != self.severity])
            lead_or_agent = t.cast.lead if r.random() < 0.4 else agent
            reason = r.choice(texts.LEAD_SEVERITY_REASONS)
            self._add(
                _between(r, 5 * MINUTE, 3 * HOUR),
                partial(SeverityChange, actor=lead_or_agent, severity=new, reason=reason),
            )
        if self.escalated and r.random() < 0.4:
            self.note(_between(r, 5 * MINUTE, 2 * HOUR), t.cast.lead, texts.ESCALATION_NOTES)
        for _ in range(r.choices([0, 1, 2, 3], weights=[40, 35, 18, 7])[0]):
            self.customer_writes(_between(r, 10 * MINUTE, 2 * DAY))
            self.reply(_between(r, 10 * MINUTE, 20 * HOUR), agent)
        if final == Status.WAITING_ON_CUSTOMER:
            return
        if final == Status.WAITING_ON_US:
            self.customer_writes(_between(r, 10 * MINUTE, 2 * DAY))
            return
        self._resolve(agent)
        if r.random() < 0.1:
            self.bumps += 1
            self.customer_writes(_between(r, 1 * DAY, 5 * DAY), reopen=True)
            self._resolve(agent)
        rating_delay = 0.0
        if rated and r.random() < 0.78:
            rating_delay = _between(r, 10 * MINUTE, 2 * DAY)
            self._rate(rating_delay, agent)
        if final == Status.CLOSED:
            self._add(_between(r, 3 * DAY, 7 * DAY) - rating_delay, lambda at: Close(at=at))

    def _first_agent(self) -> int:
        self.first_agent = self.t._agent_for(self.team)
        return self.first_agent

    def _transfer(self, actor: int, delay: float) -> int:
        """A warm transfer to the right team: to a named agent, or back to that team's queue."""
        r, t = self.r, self.t
        target_team = self.topic.team
        assert target_team is not None
        to_agent: int | None = t._agent_for(target_team, exclude=actor)
        to_team: str | None = None
        if r.random() < 0.3:
            to_agent, to_team = None, target_team
        slots = t._with_agent(self.slots, actor)
        note = r.choice(self.topic.handoffs).format_map(slots)
        self._add(
            delay,
            lambda at: Transfer(at=at, actor=actor, note=note, to_agent=to_agent, to_team=to_team),
        )
        self.bumps += 1
        self.owner = to_agent
        self.team = target_team
        return to_agent if to_agent is not None else t._agent_for(target_team, exclude=actor)

    def _resolve(self, agent: int) -> None:
        r = self.r
        if r.random() < 0.75:
            self.reply(_between(r, 10 * MINUTE, 1 * DAY), agent, resolve=True)
        else:
            self.reply(_between(r, 10 * MINUTE, 1 * DAY), agent)
            self._add(_between(r, 1 * HOUR, 2 * DAY), lambda at: Resolve(at=at, agent=agent))

    def _rate(self, delay: float, agent: int) -> None:
        r = self.r
        # Upset customers and bumpy journeys (transfers, reopens, long waits) rate lower.
        upset = 0.6 if self.mood in ("anger", "frustration") else 0.0
        satisfaction = max(1, min(5, round(r.gauss(4.3 - 0.8 * self.bumps - upset, 1.0))))
        effort = max(1, min(5, round(r.gauss(1.6 + 0.8 * self.bumps + upset, 0.8))))
        comment = ""
        if r.random() < 0.6:
            slots = self.t._with_agent(self.slots, agent)
            comment = r.choice(texts.RATING_COMMENTS[satisfaction]).format_map(slots)
        self._add(
            delay, lambda at: Rate(at=at, satisfaction=satisfaction, effort=effort, comment=comment)
        )

    def timed(self, final: str) -> list[Step]:
        """Place the script in the past so the end fits before now and the start in the window."""
        r = self.r
        span = self.clock
        window = WINDOW_DAYS * DAY - HOUR
        if span > window * 0.9:
            scale = window * 0.9 / span
            self.steps = [(offset * scale, make) for offset, make in self.steps]
            span *= scale
        slacks: dict[str, float] = {
            Status.NEW: _between(r, 5 * MINUTE, 40 * HOUR)
            if r.random() < 0.85
            else _between(r, 1 * DAY, 4 * DAY),
            Status.OPEN: _between(r, 5 * MINUTE, 3 * DAY),
            Status.WAITING_ON_CUSTOMER: _between(r, 10 * MINUTE, 6 * DAY),
            Status.WAITING_ON_US: _between(r, 5 * MINUTE, 3 * DAY),
            Status.RESOLVED: _between(r, 10 * MINUTE, 3 * DAY),
        }
        slack = slacks.get(final, r.uniform(MINUTE, max(MINUTE * 2, window - span)))
        age = min(span + slack, window)
        start = self.t.now - timedelta(seconds=age)
        return [make(start + timedelta(seconds=offset)) for offset, make in self.steps]
