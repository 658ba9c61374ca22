"""One conversation's steps, laid out in time: who answers when, transfers, resolutions, ratings.

The storyteller (`story.py`) chooses what the conversation is about and writes its texts; a plan
turns that into timed steps with offsets in seconds, and `timed` places them in the past.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING

from caredesk.conversations.models import Channel, Severity, Status
from caredesk.demo import texts
from caredesk.demo.steps import (
    Assign,
    Close,
    Create,
    CustomerWrites,
    Note,
    Rate,
    Reply,
    Resolve,
    SeverityChange,
    Step,
    Transfer,
)
from caredesk.demo.texts import Topic

if TYPE_CHECKING:
    from caredesk.demo.story import Storyteller

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
WINDOW_DAYS = 90
FIRST_TOUCH = {  # severity -> (min, max) seconds until an agent first touches it
    Severity.URGENT: (5 * MINUTE, 1 * HOUR),
    Severity.HIGH: (15 * MINUTE, 4 * HOUR),
    Severity.NORMAL: (30 * MINUTE, 12 * HOUR),
    Severity.LOW: (1 * HOUR, 30 * HOUR),
}


def between(rng: random.Random, low: float, high: float) -> float:
    """Log-uniform: most waits are short, a few are long, as on a real desk."""
    return math.exp(rng.uniform(math.log(low), math.log(high)))


class Plan:
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
        """Script the conversation up to the status it should end in (`final`)."""
        r = self.r
        if final == Status.NEW:
            if self._late_signal or r.random() < 0.3:
                self.customer_writes(between(r, 2 * HOUR, 30 * HOUR), signal=self._late_signal)
            return
        agent, wait = self._first_touch(final)
        if final == Status.OPEN:
            if self.transfer_planned:
                self._transfer(agent, between(r, 10 * MINUTE, 3 * HOUR))
            return
        agent = self._answer(agent, wait)
        if final == Status.WAITING_ON_CUSTOMER:
            return
        if final == Status.WAITING_ON_US:
            self.customer_writes(between(r, 10 * MINUTE, 2 * DAY))
            return
        self._finish(final, agent, rated=rated)

    def _first_touch(self, final: str) -> tuple[int, float]:
        """The first agent picks it up (perhaps after the customer chased): who, and how long
        until their first answer."""
        r = self.r
        low, high = FIRST_TOUCH[Severity(self.severity)]
        wait = between(r, low, high)
        if self._late_signal:
            # The customer chases before anyone answered: that is where these signals come from.
            self.customer_writes(between(r, 20 * HOUR, 3 * DAY), signal=self._late_signal)
            self.bumps += 1
            wait = between(r, 10 * MINUTE, 2 * HOUR)
        agent = self._first_agent()
        if final == Status.OPEN or r.random() < 0.35:
            self._add(wait, partial(Assign, agent=agent))
            self.owner, self.first_agent = agent, agent
            wait = between(r, 5 * MINUTE, 2 * HOUR)
        if self.escalated or self.signal in ("safety", "legal_threat", "public_escalation"):
            self.note(between(r, 1 * MINUTE, 20 * MINUTE), agent, texts.ESCALATION_NOTES)
        elif r.random() < 0.15:
            self.note(between(r, 1 * MINUTE, 1 * HOUR), agent, self.topic.notes)
        return agent, wait

    def _answer(self, agent: int, wait: float) -> int:
        """Replies (around a planned transfer), a severity change, the back-and-forth; answers the
        agent who has it at the end."""
        r, t = self.r, self.t
        if self.transfer_planned and r.random() < 0.3:
            agent = self._transfer(agent, wait)
            wait = between(r, 10 * MINUTE, 4 * HOUR)
            self.reply(wait, agent, after_transfer_from=self.first_agent)
        else:
            self.reply(wait, agent)
            if self.transfer_planned:
                new = self._transfer(agent, between(r, 10 * MINUTE, 6 * HOUR))
                self.reply(between(r, 10 * MINUTE, 5 * HOUR), new, after_transfer_from=agent)
                agent = new
        if r.random() < 0.07 and self.owner is not None:
            new = r.choice([s for s in Severity.values if s != self.severity])
            lead_or_agent = t.cast.lead if r.random() < 0.4 else agent
            reason = r.choice(texts.LEAD_SEVERITY_REASONS)
            self._add(
                between(r, 5 * MINUTE, 3 * HOUR),
                partial(SeverityChange, actor=lead_or_agent, severity=new, reason=reason),
            )
        if self.escalated and r.random() < 0.4:
            self.note(between(r, 5 * MINUTE, 2 * HOUR), t.cast.lead, texts.ESCALATION_NOTES)
        for _ in range(r.choices([0, 1, 2, 3], weights=[40, 35, 18, 7])[0]):
            self.customer_writes(between(r, 10 * MINUTE, 2 * DAY))
            self.reply(between(r, 10 * MINUTE, 20 * HOUR), agent)
        return agent

    def _finish(self, final: str, agent: int, *, rated: bool) -> None:
        """Resolved (sometimes reopened and resolved again), perhaps rated, perhaps closed."""
        r = self.r
        self._resolve(agent)
        if r.random() < 0.1:
            self.bumps += 1
            self.customer_writes(between(r, 1 * DAY, 5 * DAY), reopen=True)
            self._resolve(agent)
        rating_delay = 0.0
        if rated and r.random() < 0.78:
            rating_delay = between(r, 10 * MINUTE, 2 * DAY)
            self._rate(rating_delay, agent)
        if final == Status.CLOSED:
            self._add(between(r, 3 * DAY, 7 * DAY) - rating_delay, lambda at: Close(at=at))

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
            self.reply(between(r, 10 * MINUTE, 1 * DAY), agent, resolve=True)
        else:
            self.reply(between(r, 10 * MINUTE, 1 * DAY), agent)
            self._add(between(r, 1 * HOUR, 2 * DAY), lambda at: Resolve(at=at, agent=agent))

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
            Status.NEW: between(r, 5 * MINUTE, 40 * HOUR)
            if r.random() < 0.85
            else between(r, 1 * DAY, 4 * DAY),
            Status.OPEN: between(r, 5 * MINUTE, 3 * DAY),
            Status.WAITING_ON_CUSTOMER: between(r, 10 * MINUTE, 6 * DAY),
            Status.WAITING_ON_US: between(r, 5 * MINUTE, 3 * DAY),
            Status.RESOLVED: between(r, 10 * MINUTE, 3 * DAY),
        }
        slack = slacks.get(final, r.uniform(MINUTE, max(MINUTE * 2, window - span)))
        age = min(span + slack, window)
        start = self.t.now - timedelta(seconds=age)
        return [make(start + timedelta(seconds=offset)) for offset, make in self.steps]
