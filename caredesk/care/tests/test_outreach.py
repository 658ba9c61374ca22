"""Finding the silent unhappy, with time travel: for each rule, the exact outreach task and
AT_RISK event it produces, none a moment early, and each once however often the task runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from caredesk.care import outreach
from caredesk.care.models import OutreachOutcome, OutreachReason, OutreachTask
from caredesk.care.outreach_selectors import outreach_summary
from caredesk.care.outreach_services import outreach_close, outreach_mark, outreach_sweep
from caredesk.care.outreach_tasks import outreach_check
from caredesk.conversations.models import Conversation, Event, EventKind
from caredesk.conversations.services import (
    conversation_assign,
    customer_message_add,
    rating_submit,
    reply_send,
)
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Presence, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
ANGRY = "This is ridiculous. I am furious, the refund still has not arrived and nobody answers!"


def run_twice() -> None:
    outreach_check()
    outreach_check()


def at_risk_events() -> list[tuple[int, dict[str, Any]]]:
    return [
        (e.conversation_id, e.data)
        for e in Event.objects.filter(kind=EventKind.AT_RISK).order_by("pk")
    ]


def tasks() -> list[tuple[int, int | None, list[str]]]:
    """Each task: its customer, its agent and its reasons' rules."""
    return [
        (t.customer_id, t.agent_id, [r.rule for r in t.reasons.order_by("pk")])
        for t in OutreachTask.objects.order_by("pk")
    ]


def only_task() -> OutreachTask:
    (task,) = OutreachTask.objects.all()
    return task


def test_a_negative_reading_left_unresolved_for_a_day(team: Team, agent: Agent) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team, text=ANGRY)
        conversation_assign(conversation=conversation, agent=agent, actor=agent.user)
        reading = conversation.messages.get().reading
        assert reading is not None and reading["polarity"] == "negative"
        clock.move_to(T0 + timedelta(hours=23, minutes=59))
        run_twice()
        assert at_risk_events() == []
        clock.move_to(T0 + timedelta(hours=24))
        run_twice()
    task = only_task()
    emotion = reading["emotion"]
    reason = f"Wrote in {emotion} on #{conversation.pk}, still unresolved 24 hours later."
    assert tasks() == [(conversation.customer_id, agent.pk, ["negative_unresolved"])]
    assert at_risk_events() == [
        (conversation.pk, {"rule": "negative_unresolved", "reason": reason, "task": task.pk})
    ]
    assert task.opened_at == T0 + timedelta(hours=24)
    assert task.conversation == conversation


def test_a_long_wait_goes_to_the_least_loaded_agent_of_the_team(team: Team) -> None:
    busy = AgentFactory(teams=[team], presence=Presence.ONLINE)
    free = AgentFactory(teams=[team], presence=Presence.ONLINE)
    away = AgentFactory(teams=[team], presence=Presence.OFFLINE)  # lighter still, but offline
    with time_machine.travel(T0, tick=False) as clock:
        owned = make_conversation(team=team)
        conversation_assign(conversation=owned, agent=busy, actor=busy.user)
        waiting = make_conversation(team=team)
        clock.move_to(T0 + timedelta(hours=47, minutes=59))
        run_twice()
        assert at_risk_events() == []
        clock.move_to(T0 + timedelta(hours=48))
        run_twice()
    # Both waited 48 hours: the owner reaches out to their own customer; the other customer goes
    # to the lightest online agent (the offline one has no load, but is not there).
    assert away.pk and tasks() == [
        (owned.customer_id, busy.pk, ["long_wait"]),
        (waiting.customer_id, free.pk, ["long_wait"]),
    ]
    task = OutreachTask.objects.get(customer=waiting.customer)
    reason = f"Has waited 48 hours on #{waiting.pk} without an answer."
    assert at_risk_events()[1] == (
        waiting.pk,
        {"rule": "long_wait", "reason": reason, "task": task.pk},
    )


def test_a_reply_ends_the_wait_and_a_status_update_does_not(team: Team, agent: Agent) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        answered = make_conversation(team=team)
        clock.move_to(T0 + timedelta(hours=40))
        reply_send(conversation=answered, agent=agent, text="Thanks, we are on it.")
        customer_message_add(conversation=answered, text="Thanks, one more thing.", author=None)
        clock.move_to(T0 + timedelta(hours=48))
        run_twice()
    assert at_risk_events() == []  # it waits eight hours since the answer, not 48


def test_a_reopen_and_a_low_rating_join_one_task_per_customer(agent: Agent, team: Team) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team)
        reply_send(conversation=conversation, agent=agent, text="Done, changed.", resolve=True)
        clock.move_to(T0 + timedelta(hours=1))
        customer_message_add(
            conversation=conversation, text="It still shows the old one.", author=None
        )
        run_twice()
        first = only_task()
        clock.move_to(T0 + timedelta(hours=2))
        reply_send(conversation=conversation, agent=agent, text="Fixed now.", resolve=True)
        rating_submit(
            conversation=conversation,
            user=conversation.customer.user,
            satisfaction=2,
            effort=5,
        )
        clock.move_to(T0 + timedelta(hours=3))
        run_twice()
    task = only_task()
    assert task.pk == first.pk and task.agent == agent
    assert tasks() == [(conversation.customer_id, agent.pk, ["reopened", "low_rating"])]
    assert at_risk_events() == [
        (
            conversation.pk,
            {
                "rule": "reopened",
                "reason": f"#{conversation.pk} was reopened (customer wrote again).",
                "task": task.pk,
            },
        ),
        (
            conversation.pk,
            {
                "rule": "low_rating",
                "reason": f"Rated #{conversation.pk} 2/5 for satisfaction.",
                "task": task.pk,
            },
        ),
    ]


def test_an_abandoned_portal_conversation(team: Team, agent: Agent) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team)
        reply_send(conversation=conversation, agent=agent, text="Which order number is it?")
        clock.move_to(T0 + timedelta(hours=71))
        run_twice()
        assert at_risk_events() == []
        clock.move_to(T0 + timedelta(hours=72))
        run_twice()
    reason = f"Left #{conversation.pk} in the portal without answering us for 3 days."
    assert tasks() == [(conversation.customer_id, agent.pk, ["abandoned_portal"])]
    assert [d["reason"] for _, d in at_risk_events()] == [reason]


def test_silence_after_a_bad_experience(team: Team, agent: Agent) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team, text=ANGRY)
        reply_send(conversation=conversation, agent=agent, text="Refunded, sorry.", resolve=True)
        calm = make_conversation(team=team)  # another customer, calm: never at risk
        reply_send(conversation=calm, agent=agent, text="Done.", resolve=True)
        clock.move_to(T0 + timedelta(days=13, hours=23))
        run_twice()
        assert at_risk_events() == []
        clock.move_to(T0 + timedelta(days=14))
        run_twice()
    reading = conversation.messages.filter(direction="inbound").get().reading
    emotion = reading["emotion"] if reading else None
    reason = f"No word for 14 days since #{conversation.pk} ended badly (last read as {emotion})."
    assert tasks() == [(conversation.customer_id, agent.pk, ["silent_after_bad"])]
    assert [d["reason"] for _, d in at_risk_events()] == [reason]


def test_a_customer_who_wrote_again_is_not_silent(team: Team, agent: Agent) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team, text=ANGRY)
        reply_send(conversation=conversation, agent=agent, text="Refunded, sorry.", resolve=True)
        clock.move_to(T0 + timedelta(days=3))
        make_conversation(customer=conversation.customer, text="A new question about my order.")
        clock.move_to(T0 + timedelta(days=14))
        assert [f.rule for f in outreach.findings(at=T0 + timedelta(days=14))] == []


def test_several_people_per_problem(team: Team, lead: Agent) -> None:
    first, second, third = (AgentFactory(teams=[team]) for _ in range(3))
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team)
        conversation_assign(conversation=conversation, agent=first, actor=lead.user)
        conversation_assign(conversation=conversation, agent=second, actor=lead.user)
        run_twice()
        assert at_risk_events() == []
        clock.move_to(T0 + timedelta(hours=1))
        conversation_assign(conversation=conversation, agent=third, actor=lead.user)
        run_twice()
    reason = f"Explained #{conversation.pk} to 3 people."
    assert tasks() == [(conversation.customer_id, third.pk, ["people_per_problem"])]
    assert [d["reason"] for _, d in at_risk_events()] == [reason]


def test_killed_half_way_the_next_run_records_only_the_rest(team: Team, agent: Agent) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversations = [make_conversation(team=team) for _ in range(3)]
        clock.move_to(T0 + timedelta(hours=48))
        found = outreach.findings(at=T0 + timedelta(hours=48))
        assert len(found) == 3
        outreach_mark(finding=found[0], at=T0 + timedelta(hours=48))  # then the worker died
        assert outreach_sweep() == 2
        assert outreach_sweep() == 0
    assert sorted(c for c, _ in at_risk_events()) == sorted(c.pk for c in conversations)
    assert OutreachReason.objects.count() == 3 == OutreachTask.objects.count()


def test_the_outcome_closes_the_task_and_feeds_the_summary(team: Team, agent: Agent) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team)
        conversation_assign(conversation=conversation, agent=agent, actor=agent.user)
        clock.move_to(T0 + timedelta(hours=48))
        run_twice()
        task = only_task()
        outreach_close(task=task, actor=agent, outcome="recovered", note="Called; all good now.")
        with pytest.raises(Exception, match="already recorded as Recovered"):
            outreach_close(task=task, actor=agent, outcome="lost")
    task.refresh_from_db()
    assert (task.outcome, task.closed_at) == (OutreachOutcome.RECOVERED, T0 + timedelta(hours=48))
    done = Event.objects.get(kind=EventKind.OUTREACH_DONE)
    assert (done.conversation_id, done.actor_id, done.data) == (
        conversation.pk,
        agent.user_id,
        {"task": task.pk, "outcome": "recovered", "note": "Called; all good now."},
    )
    summary = outreach_summary(start=T0, end=T0 + timedelta(days=3))
    assert (summary.customers, summary.reached, summary.recovered, summary.lost, summary.open) == (
        1,
        1,
        1,
        0,
        0,
    )
    assert summary.share_reached == 1.0 == summary.share_recovered


def test_a_new_finding_after_the_outcome_opens_a_new_task(team: Team, agent: Agent) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation(team=team)
        reply_send(conversation=conversation, agent=agent, text="Done.", resolve=True)
        clock.move_to(T0 + timedelta(hours=1))
        customer_message_add(conversation=conversation, text="Still wrong.", author=None)
        run_twice()
        outreach_close(task=only_task(), actor=agent, outcome="reached")
        reply_send(conversation=conversation, agent=agent, text="Fixed.", resolve=True)
        rating_submit(
            conversation=conversation, user=conversation.customer.user, satisfaction=1, effort=5
        )
        run_twice()
    assert [t[2] for t in tasks()] == [["reopened"], ["low_rating"]]
    assert OutreachTask.objects.filter(outcome="").count() == 1


def test_outcome_must_be_one_of_the_three(team: Team, agent: Agent) -> None:
    other = AgentFactory(teams=[team])
    with time_machine.travel(T0, tick=False) as clock:
        conversation_assign(
            conversation=make_conversation(team=team), agent=agent, actor=agent.user
        )
        clock.move_to(T0 + timedelta(hours=48))
        run_twice()
    task = only_task()
    with pytest.raises(Exception, match="reached, recovered or lost"):
        outreach_close(task=task, actor=agent, outcome="maybe")
    with pytest.raises(Exception, match="Only the agent reaching out"):
        outreach_close(task=task, actor=other, outcome="lost")
    task.refresh_from_db()
    assert task.is_open and not Event.objects.filter(kind=EventKind.OUTREACH_DONE).exists()


def test_no_team_no_owner_leaves_the_task_for_the_leads() -> None:
    with time_machine.travel(T0, tick=False) as clock:
        conversation = make_conversation()
        clock.move_to(T0 + timedelta(hours=48))
        run_twice()
    assert tasks() == [(conversation.customer_id, None, ["long_wait"])]
    assert Conversation.objects.get(pk=conversation.pk).owner is None


def _swept_state() -> tuple[list[tuple[int, int | None, list[str]]], list[dict[str, Any]]]:
    return tasks(), [d for _, d in at_risk_events()]


@pytest.mark.parametrize("batch", [1, 2, 500])
def test_a_batch_records_what_one_at_a_time_would(team: Team, agent: Agent, batch: int) -> None:
    """Findings recorded together (the demo seed's batches) or one per transaction give the same
    tasks, agents and events; two findings of one customer in one batch share one task."""
    with time_machine.travel(T0, tick=False) as clock:
        twice = make_conversation(team=team)  # reopened and rated low: two findings, one task
        reply_send(conversation=twice, agent=agent, text="Done, changed.", resolve=True)
        clock.move_to(T0 + timedelta(hours=1))
        customer_message_add(conversation=twice, text="It still shows the old one.", author=None)
        reply_send(conversation=twice, agent=agent, text="Fixed now.", resolve=True)
        rating_submit(conversation=twice, user=twice.customer.user, satisfaction=2, effort=5)
        waiting = [make_conversation(team=team) for _ in range(3)]  # to the least loaded
        clock.move_to(T0 + timedelta(hours=50))
        found = outreach.findings(at=T0 + timedelta(hours=50))
        assert len({f.customer_id for f in found}) < len(found) == 5
        assert outreach_sweep(batch=batch) == 5
        assert outreach_sweep(batch=batch) == 0
    state = _swept_state()
    assert len(state[0]) == 4 and len(state[1]) == 5
    assert {c for c, _ in at_risk_events()} == {twice.pk, *(c.pk for c in waiting)}
    assert [rules for customer, _, rules in state[0] if customer == twice.customer_id] == [
        ["reopened", "low_rating"]
    ]
    assert {d["task"] for d in state[1]} == set(OutreachTask.objects.values_list("pk", flat=True))
