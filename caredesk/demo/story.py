"""The script of one demo conversation, independent of how it is written to the database.

A `Story` is a list of timed steps (the customer writes, an agent replies, transfers, resolves...).
Both writers play the same stories: `slow` through the desk's real services, `fast` with bulk
inserts. Keeping the script separate is what makes the two paths produce the same shapes.
The storyteller (here) picks the customer, topic, mood and texts; the plan (`plan.py`) lays out
one conversation's steps in time.
Agents are referred to by their index in the cast, teams by name, so a story needs no database.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from caredesk.conversations.models import Channel, Severity, Status
from caredesk.demo import texts
from caredesk.demo.plan import HOUR, MINUTE, Plan, between
from caredesk.demo.steps import Create, Merge, Story

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


def _pick(rng: random.Random, weights: dict[T, int]) -> T:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


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
        plan = Plan(self, topic=topic, mood=mood, signal=signal, slots=slots, channel=channel)
        plan.create(severity=severity, transfer=final not in (Status.NEW,) and r.random() < 0.14)
        plan.play(final, rated=spec.has_login)
        stories = [Story(customer=customer, steps=plan.timed(final))]
        if duplicate and final not in (Status.NEW, Status.OPEN):
            twin = self._duplicate(stories[0], customer=customer, plan=plan)
            if twin is not None:
                stories.append(twin)
        return stories

    def _duplicate(self, target: Story, *, customer: int, plan: Plan) -> Story | None:
        """The same problem sent again by email, which an agent folds into the first one."""
        r = self.rng
        first = target.steps[0]
        assert isinstance(first, Create)
        at = first.at + timedelta(seconds=between(r, 5 * MINUTE, 2 * HOUR))
        merge_at = at + timedelta(seconds=between(r, 10 * MINUTE, 90 * MINUTE))
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
