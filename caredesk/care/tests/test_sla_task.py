"""The periodic SLA check, with time travel: the exact events and e-mails, and each only once
however often the task runs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.core import mail

from caredesk.care import services
from caredesk.care.models import NoticeState, SlaNotice
from caredesk.care.selectors import sla_views
from caredesk.care.tasks import sla_check
from caredesk.care.tests.factories import make_sla
from caredesk.conversations import queue
from caredesk.conversations.models import Conversation, EventKind, Severity
from caredesk.conversations.services import (
    conversation_assign,
    customer_message_add,
    reply_send,
)
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db

SLA_KINDS = (EventKind.SLA_WARNED, EventKind.SLA_BREACHED, EventKind.RETURNED)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# Friday 27 March 2026, 16:30 in Berlin (CET); summer time starts that Sunday.
FRIDAY = utc(2026, 3, 27, 15, 30)


def sla_events(conversation: Conversation) -> list[tuple[str, dict[str, Any]]]:
    return [
        (e.kind, e.data)
        for e in conversation.events.filter(
            kind__in=(*SLA_KINDS, EventKind.SEVERITY_CHANGED)
        ).order_by("pk")
    ]


def sla_mails() -> list[tuple[str, list[str]]]:
    return [(str(m.subject), list(m.to)) for m in mail.outbox if "SLA" in m.subject]


def run_twice() -> None:
    sla_check()
    sla_check()


def test_warning_then_breach_across_a_weekend_and_dst_each_once(
    team: Team, agent: Agent, lead: Agent
) -> None:
    with time_machine.travel(FRIDAY, tick=False) as clock:
        make_sla(team=team, lead=lead)
        conversation = make_conversation(team=team)
        conversation_assign(conversation=conversation, agent=agent, actor=lead.user)
        # First response due after 60 business minutes: 30 on Friday, 30 on Monday from 09:00
        # summer time, i.e. Monday 07:30 UTC.
        clock.move_to(utc(2026, 3, 28, 12))  # Saturday: closed, nothing moves
        run_twice()
        assert sla_events(conversation) == []

        clock.move_to(utc(2026, 3, 30, 7, 20))  # Monday 09:20 CEST: 10 minutes left
        run_twice()
        assert sla_events(conversation) == [
            (
                EventKind.SLA_WARNED,
                {
                    "target": "first_response",
                    "cycle": FRIDAY.isoformat(),
                    "due": utc(2026, 3, 30, 7, 30).isoformat(),
                },
            )
        ]
        subject = f"[Caredesk] SLA near: #{conversation.pk} {conversation.subject}"
        assert sla_mails() == [(subject, [agent.user.email])]
        assert "due 2026-03-30 07:30 UTC" in mail.outbox[-1].body

        clock.move_to(utc(2026, 3, 30, 7, 35))  # five minutes past the target
        run_twice()
    conversation.refresh_from_db()
    assert conversation.severity == Severity.HIGH
    assert sla_events(conversation)[1:] == [
        (
            EventKind.SLA_BREACHED,
            {
                "target": "first_response",
                "cycle": FRIDAY.isoformat(),
                "over_minutes": 5,
                "raised": True,
                # Resolution (480 business minutes) had 415 left: the high targets never give more.
                "left": {f"resolution {FRIDAY.isoformat()}": 415 * 60},
            },
        ),
        (
            EventKind.SEVERITY_CHANGED,
            {
                "old": Severity.NORMAL,
                "new": Severity.HIGH,
                "reason": "SLA breached: first response target missed by 5 min",
            },
        ),
    ]
    breach = f"[Caredesk] SLA breached: #{conversation.pk} {conversation.subject}"
    assert sla_mails() == [(subject, [agent.user.email]), (breach, [lead.user.email])]
    assert "missed by 5 min. Its severity is now high." in mail.outbox[-1].body


def test_the_clock_pauses_while_waiting_on_the_customer(
    team: Team, agent: Agent, lead: Agent
) -> None:
    with time_machine.travel(utc(2026, 4, 6, 9), tick=False) as clock:
        make_sla(team=team, lead=lead, time_zone="UTC", week=[["00:00", "24:00"]] * 7)
        conversation = make_conversation(team=team)
        clock.move_to(utc(2026, 4, 6, 9, 20))
        reply_send(conversation=conversation, agent=agent, text="Thanks, we are on it.")
        clock.move_to(utc(2026, 4, 6, 15))  # six hours on the customer's side: paused
        customer_message_add(conversation=conversation, text="Any news?", author=None)
        clock.move_to(utc(2026, 4, 6, 16))
        conversation.refresh_from_db()
        views = sla_views([conversation], at=utc(2026, 4, 6, 16))
        run_twice()
    by_target = {(c.target, c.cycle): c for c in views[conversation.pk].clocks}
    first = by_target[("first_response", utc(2026, 4, 6, 9).isoformat())]
    assert first.met and first.elapsed.total_seconds() == 20 * 60
    following = by_target[("next_response", utc(2026, 4, 6, 15).isoformat())]
    assert following.running and following.left.total_seconds() == 60 * 60  # 2 h target, 1 h gone
    resolution = by_target[("resolution", utc(2026, 4, 6, 9).isoformat())]
    # 20 minutes before the reply and one hour since the customer wrote; not the six between.
    assert resolution.elapsed.total_seconds() == 80 * 60
    assert views[conversation.pk].text == "Next response: 1h 00m left"
    assert sla_events(conversation) == []  # nothing near a breach


def test_a_silent_owner_gives_the_conversation_back_to_the_queue_once(
    team: Team, agent: Agent, lead: Agent
) -> None:
    monday = utc(2026, 3, 30, 7)  # 09:00 in Berlin
    with time_machine.travel(monday, tick=False) as clock:
        make_sla(team=team, lead=lead, owner_answer_minutes=30, normal=(600, 600, 6000))
        conversation = make_conversation(team=team)
        conversation_assign(conversation=conversation, agent=agent, actor=lead.user)
        clock.move_to(utc(2026, 3, 30, 7, 29))
        run_twice()
        assert sla_events(conversation) == []
        clock.move_to(utc(2026, 3, 30, 7, 31))
        run_twice()
        conversation.refresh_from_db()
        assert conversation.owner_id is None
        assert sla_events(conversation) == [
            (
                EventKind.RETURNED,
                {
                    "from_agent": agent.pk,
                    "from_agent_name": agent.name,
                    "reason": f"{agent.name} did not answer within the team's limit "
                    "(over by 1 min)",
                },
            )
        ]
        assert conversation.pk in [
            e.conversation.pk for e in queue.queue_entries(queue.queue_for_agent(agent), limit=50)
        ]
    assert sla_mails() == []


def test_a_run_that_died_after_recording_sends_the_mail_once_on_the_next_run(
    team: Team, agent: Agent, lead: Agent
) -> None:
    with time_machine.travel(utc(2026, 4, 6, 9), tick=False) as clock:
        make_sla(team=team, lead=lead, time_zone="UTC", week=[["00:00", "24:00"]] * 7)
        conversation = make_conversation(team=team)
        clock.move_to(utc(2026, 4, 6, 10, 1))
        # The first half of a run: the breach is recorded, then the worker dies before mailing.
        services.sla_apply(conversation_id=conversation.pk, at=utc(2026, 4, 6, 10, 1))
        assert sla_mails() == []
        assert SlaNotice.objects.get().state == NoticeState.QUEUED
        run_twice()
    assert [kind for kind, _ in sla_events(conversation)] == [
        EventKind.SLA_BREACHED,
        EventKind.SEVERITY_CHANGED,
    ]
    assert sla_mails() == [
        (f"[Caredesk] SLA breached: #{conversation.pk} {conversation.subject}", [lead.user.email])
    ]
    assert SlaNotice.objects.get().state == NoticeState.SENT


def test_a_notice_whose_sender_died_is_sent_again_only_after_a_while(
    team: Team, agent: Agent, lead: Agent
) -> None:
    with time_machine.travel(utc(2026, 4, 6, 9), tick=False) as clock:
        make_sla(team=team, lead=lead, time_zone="UTC", week=[["00:00", "24:00"]] * 7)
        conversation = make_conversation(team=team)
        clock.move_to(utc(2026, 4, 6, 10, 1))
        services.sla_apply(conversation_id=conversation.pk, at=utc(2026, 4, 6, 10, 1))
        # A sender claimed it and died before it could say the mail went out.
        SlaNotice.objects.update(state=NoticeState.SENDING, claimed_at=utc(2026, 4, 6, 10, 1))
        clock.move_to(utc(2026, 4, 6, 10, 5))
        run_twice()
        assert sla_mails() == []  # it may still be on its way
        clock.move_to(utc(2026, 4, 6, 10, 12))
        run_twice()
    assert len(sla_mails()) == 1
    notice = SlaNotice.objects.get()
    assert (notice.state, notice.attempts) == (NoticeState.SENT, 1)
