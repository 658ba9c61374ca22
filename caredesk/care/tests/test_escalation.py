"""Escalation at once: risk signals make a conversation urgent on the first reading, any agent
can take it (whatever their team), and the refine engine's second reading escalates once only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import timezone

from caredesk.conftest import login
from caredesk.conversations import lifecycle, queue, reading, services
from caredesk.conversations.events import plan_record
from caredesk.conversations.models import Conversation, EventKind, Severity
from caredesk.conversations.tests.factories import make_conversation
from caredesk.empathy.types import Reading
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db(transaction=True)  # the leads' alert runs after the commit

RISKS = {
    "safety": "The heater sparked and started a fire, my kid could have been hurt.",
    "legal_threat": "I have been waiting three weeks for my refund. My lawyer will be in touch!",
    "public_escalation": "Fix it today or I will post this on twitter for everyone to see.",
    "churn_intent": "I am cancelling my subscription and switching to your competitor.",
}


def escalations(c: Conversation) -> int:
    return c.events.filter(kind=EventKind.ESCALATED).count()


def alerts(lead: Agent, c: Conversation) -> int:
    return sum(1 for m in mail.outbox if lead.user.email in m.to and f"#{c.pk}" in m.subject)


@pytest.mark.parametrize("signal", sorted(RISKS))
def test_each_risk_signal_escalates_on_the_first_reading(
    signal: str, team: Team, lead: Agent
) -> None:
    # Churn intent is High by default; a team that counts it as urgent escalates it the same way.
    team.signal_policy = {"churn_intent": int(Severity.URGENT)}
    team.save(update_fields=["signal_policy"])
    c = make_conversation(team=team, text=RISKS[signal])
    c.refresh_from_db()
    assert signal in c.signals and c.severity == Severity.URGENT
    assert escalations(c) == 1 and alerts(lead, c) == 1
    [event] = c.events.filter(kind=EventKind.ESCALATED)
    assert signal in event.data["signals"] and signal.replace("_", " ") in event.data["reason"]


def test_churn_intent_escalates_at_once_at_high_under_the_default_policy(
    team: Team, lead: Agent
) -> None:
    """Churn intent keeps its High severity but escalates like the Urgent signals, once: the
    customer saying it again while it is open tells the leads nothing new."""
    c = make_conversation(team=team, text=RISKS["churn_intent"])
    c.refresh_from_db()
    assert c.severity == Severity.HIGH
    assert c.events.filter(kind=EventKind.SEVERITY_CHANGED).count() == 1
    assert escalations(c) == 1 and alerts(lead, c) == 1
    [event] = c.events.filter(kind=EventKind.ESCALATED)
    assert event.data["signals"] == ["churn_intent"] and "churn intent" in event.data["reason"]
    [alert] = [m for m in mail.outbox if lead.user.email in m.to]
    assert "escalated (churn intent)" in alert.body
    services.customer_message_add(
        conversation=c, text="As I said, I am cancelling my subscription.", author=c.customer.user
    )
    c.refresh_from_db()
    assert c.severity == Severity.HIGH and escalations(c) == 1 and alerts(lead, c) == 1


def test_churn_intent_escalates_where_severity_is_high_already(team: Team, lead: Agent) -> None:
    c = make_conversation(team=team, text="This is urgent, I need it sorted today.")
    c.refresh_from_db()
    assert c.severity == Severity.HIGH and escalations(c) == 0
    services.customer_message_add(
        conversation=c, text=RISKS["churn_intent"], author=c.customer.user
    )
    c.refresh_from_db()
    assert c.severity == Severity.HIGH and escalations(c) == 1 and alerts(lead, c) == 1


def test_any_agent_of_any_team_can_see_and_take_an_urgent_conversation(
    team: Team, other_team: Team
) -> None:
    stranger = AgentFactory(teams=[other_team])
    urgent = make_conversation(team=team, text=RISKS["legal_threat"])
    calm = make_conversation(team=team, text="Could you change my delivery address, please?")
    assert login(Client(), stranger.user.email).get(f"/desk/c/{calm.pk}/").status_code == 404
    client = login(Client(), stranger.user.email)
    assert client.get(f"/desk/c/{urgent.pk}/").status_code == 200
    assert list(queue.queue_for_agent(stranger).values_list("pk", flat=True)) == [urgent.pk]
    taken = queue.take_next(agent=stranger)
    assert taken is not None and taken.pk == urgent.pk and taken.owner == stranger
    assert client.get(f"/desk/c/{urgent.pk}/").status_code == 200  # theirs now
    assert queue.take_next(agent=stranger) is None  # the calm one stays with its team


def test_the_refine_reading_escalates_once_never_twice(
    settings: Any, team: Team, lead: Agent
) -> None:
    settings.CAREDESK_EMOTION_REFINE_ENGINE = "minilm"
    c = make_conversation(team=team, text=RISKS["legal_threat"])  # read, then refined
    message = c.messages.get()
    message.refresh_from_db()
    assert message.reading is not None and message.reading["engine"] == "minilm"
    assert escalations(c) == 1 and alerts(lead, c) == 1
    # The refine task runs again (a retry, the sweep, a second worker): nothing more.
    assert reading.message_refine_by_id(message.pk) is None
    reading.messages_refine([message.pk])
    assert escalations(c) == 1 and alerts(lead, c) == 1


def test_a_refine_that_finds_a_new_risk_escalates_once(team: Team, lead: Agent) -> None:
    """The quick reading missed the risk; the refine engine's reading finds it and escalates;
    keeping that reading again (a second worker) does nothing more."""
    c = make_conversation(team=team, text="Please sort out my refund.")
    message = c.messages.get()
    assert escalations(c) == 0
    refined = Reading(
        emotion="anger",
        scores={"anger": 0.9},
        polarity="negative",
        intensity=0.9,
        signals=("legal_threat",),
        engine="minilm",
    )
    for _ in range(2):
        with transaction.atomic():
            message.refresh_from_db()
            reading.reading_keep(message=message, reading=refined)
    c.refresh_from_db()
    assert c.severity == Severity.URGENT and escalations(c) == 1 and alerts(lead, c) == 1


def test_churn_intent_is_any_agents_in_its_fair_place_until_taken(
    team: Team, other_team: Team
) -> None:
    """Churn intent stays High but is escalated: an agent of another team sees it in their queue
    and may open and take it; it keeps its place by arrival among their own High work."""
    stranger = AgentFactory(teams=[other_team])
    t0 = timezone.now() - timedelta(hours=3)
    own_before = make_conversation(team=other_team, text="This is urgent, I need it today.", at=t0)
    churn = make_conversation(team=team, text=RISKS["churn_intent"], at=t0 + timedelta(minutes=10))
    own_after = make_conversation(
        team=other_team, text="This is urgent, I need it today.", at=t0 + timedelta(minutes=20)
    )
    calm = make_conversation(team=team, text="Could you change my delivery address, please?")
    churn.refresh_from_db()
    assert churn.severity == Severity.HIGH and churn.risk_signal == "churn_intent"
    order = list(queue.queue_for_agent(stranger).values_list("pk", flat=True))
    assert order == [own_before.pk, churn.pk, own_after.pk]  # first come, first served
    client = login(Client(), stranger.user.email)
    page = client.get("/desk/").content.decode()
    assert f"/desk/c/{churn.pk}/" in page and f"/desk/c/{calm.pk}/" not in page
    assert "escalated (churn intent): any agent of any team may take it" in page
    assert client.get(f"/desk/c/{churn.pk}/").status_code == 200
    assert client.get(f"/desk/c/{calm.pk}/").status_code == 404
    assert [queue.take_next(agent=stranger) for _ in range(2)] == [own_before, churn]
    churn.refresh_from_db()
    assert churn.owner == stranger
    # Owned now: no longer everyone's; another stranger neither sees nor takes it.
    third = AgentFactory(teams=[other_team])
    assert churn.pk not in queue.queue_for_agent(third).values_list("pk", flat=True)
    assert login(Client(), third.user.email).get(f"/desk/c/{churn.pk}/").status_code == 404


def test_a_resolved_churn_risk_goes_back_to_its_team(team: Team, other_team: Team) -> None:
    """The risk stays open until the conversation is resolved; reopened without a new risk, it
    is its team's work again, not every agent's."""
    stranger = AgentFactory(teams=[other_team])
    owner = AgentFactory(teams=[team])
    churn = make_conversation(team=team, text=RISKS["churn_intent"])
    services.conversation_assign(conversation=churn, agent=owner, actor=owner.user)
    services.conversation_resolve(conversation=churn, agent=owner)
    churn.refresh_from_db()
    assert churn.risk_signal == ""
    services.customer_message_add(
        conversation=churn, text="One more question about my invoice.", author=churn.customer.user
    )
    churn.refresh_from_db()  # reopened; its owner does not answer in time: back to the queue
    plan_record(lifecycle.returned(churn, at=timezone.now(), reason="no answer"))
    churn.refresh_from_db()
    assert churn.owner is None and churn.status != "resolved" and not queue.escalated(churn)
    assert churn.pk not in queue.queue_for_agent(stranger).values_list("pk", flat=True)
    assert churn.pk in queue.queue_for_agent(owner).values_list("pk", flat=True)
