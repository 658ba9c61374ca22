"""An agent who chose it gets their desk notifications by e-mail too, once each, through the
desk's outbound path (a real SMTP server on 127.0.0.1); the others only in the desk."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from caredesk.channels.email.models import NotificationKind, OutboundNotification
from caredesk.channels.email.tasks import agent_notification_task
from caredesk.conftest import login
from caredesk.conversations.models import Delivery, Notification
from caredesk.conversations.services import conversation_transfer
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory
from caredesk.tests.smtp import Capture

pytestmark = pytest.mark.django_db


def test_a_transfer_is_mailed_to_an_agent_who_chose_it_once(
    smtp_server: Capture,
    team: Team,
    agent: Agent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    bea = AgentFactory.create(teams=[team], user__email="bea@desk.example")
    client = login(Client(), bea.user.email)
    response = client.post(reverse("desk:notification_email"), {"notify_by_email": "on"})
    assert response.status_code == 302
    bea.refresh_from_db()
    assert bea.notify_by_email

    conversation = make_conversation(team=team, subject="Invoice in the wrong currency")
    with django_capture_on_commit_callbacks(execute=True):
        conversation_transfer(
            conversation=conversation, actor=agent.user, note="Finance approved.", to_agent=bea
        )
    to_bea = [
        m
        for m, rcpt in zip(smtp_server.mails, smtp_server.envelopes, strict=True)
        if rcpt == [bea.user.email]
    ]
    assert len(to_bea) == 1
    assert "Transferred to you" in str(to_bea[0]["Subject"])
    assert "Finance approved." in to_bea[0].get_content()

    notification = Notification.objects.get(agent=bea)
    agent_notification_task.call_local(notification.pk)  # a second publish sends nothing
    assert len([r for r in smtp_server.envelopes if r == [bea.user.email]]) == 1
    row = OutboundNotification.objects.get(kind=NotificationKind.AGENT_NOTIFICATION)
    assert row.status == Delivery.SENT


def test_agents_who_did_not_choose_it_get_no_mail(
    smtp_server: Capture,
    team: Team,
    agent: Agent,
    django_capture_on_commit_callbacks: Any,
) -> None:
    bea = AgentFactory.create(teams=[team], user__email="bea@desk.example")
    conversation = make_conversation(team=team, subject="Invoice in the wrong currency")
    with django_capture_on_commit_callbacks(execute=True):
        conversation_transfer(
            conversation=conversation, actor=agent.user, note="Finance approved.", to_agent=bea
        )
    assert Notification.objects.filter(agent=bea).count() == 1
    assert [bea.user.email] not in smtp_server.envelopes
    assert not OutboundNotification.objects.filter(kind=NotificationKind.AGENT_NOTIFICATION)
