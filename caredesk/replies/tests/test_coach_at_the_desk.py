"""The coach in the reply box, on sent replies, on saved replies, and with a lead's own rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from caredesk.conversations.coaching import coach_context
from caredesk.conversations.models import Conversation
from caredesk.conversations.services import conversation_transfer, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory
from caredesk.replies.models import CoachRule
from caredesk.replies.services import draft_coach, saved_reply_save

pytestmark = pytest.mark.django_db


def transferred_twice(team: Team, agent: Agent) -> Conversation:
    c = make_conversation(team=team, text="My app keeps crashing when I pay. Please help.")
    other = AgentFactory(teams=[team])
    conversation_transfer(conversation=c, actor=other.user, to_agent=other, note="Payments bug.")
    conversation_transfer(conversation=c, actor=other.user, to_agent=agent, note="Needs a refund.")
    return c


def test_context_knows_transfers_waits_and_tech_trouble(team: Team, agent: Agent) -> None:
    c = transferred_twice(team, agent)
    context = coach_context(c)
    assert context["transfers"] == 2 and context["tech_problem"] is True
    assert context["reading"] is not None and context["waited_hours"] >= 0


def test_reply_box_findings_and_one_click_rewrite(
    agent_client: Client, team: Team, agent: Agent
) -> None:
    c = transferred_twice(team, agent)
    r = agent_client.post(f"/replies/coach/{c.pk}/", {"text": "That's not my job."})
    page = r.content.decode()
    assert 'data-category="indifference"' in page and 'data-category="no_apology"' in page
    assert '<mark class="coach coach-indifference"' in page
    r = agent_client.post(
        f"/replies/coach/{c.pk}/apply/", {"text": "That's not my job.", "finding": 0, "rewrite": 0}
    )
    assert r.status_code == 200
    assert "That's not my job." not in r.content.decode().split("</textarea>")[0]


def test_sent_replies_keep_their_findings_and_are_never_blocked(team: Team, agent: Agent) -> None:
    c = transferred_twice(team, agent)
    message = reply_send(conversation=c, agent=agent, text="That's not my job.")
    categories = {f["category"] for f in message.findings}
    assert {"indifference", "no_apology"} <= categories
    caring = reply_send(
        conversation=c,
        agent=agent,
        text="I'm sorry you were passed around, and thank you for bearing with us. I've refunded "
        "the payment and will email you the reference by 5pm today.",
    )
    assert caring.findings == []


def test_saved_replies_are_coached_and_filled(
    agent_client: Client, team: Team, agent: Agent
) -> None:
    with pytest.raises(ValidationError, match="Unknown placeholder"):
        saved_reply_save(title="Hi", body="Hello {nme}", team=team, author=agent.user)
    reply = saved_reply_save(
        title="Policy", body="Calm down, our policy says no refunds.", team=team, author=agent.user
    )
    assert {f["category"] for f in reply.findings} >= {"indifference"}
    page = agent_client.get(f"/replies/{reply.pk}/").content.decode()
    assert "coach-indifference" in page
    good = saved_reply_save(
        title="Refund sent",
        team=team,
        author=agent.user,
        body="Hi {customer_first_name}, thank you for your patience. I've sent the refund for "
        "#{conversation_id}; it reaches your card within 3 days. — {agent_first_name}",
    )
    c = make_conversation(team=team)
    r = agent_client.post(f"/replies/coach/{c.pk}/insert/", {"text": "", "saved_reply": good.pk})
    filled = r.content.decode()
    assert f"#{c.pk}" in filled and c.customer.name.split()[0] in filled


def test_a_lead_extends_the_coach_with_a_checked_rule(team: Team, agent: Agent) -> None:
    rule = CoachRule(
        rule_id="jargon.internal_queues",
        definition={
            "category": "jargon",
            "reason": "Customers don't know our internal queue names; say what happens next.",
            "keywords": ["queue"],
            "patterns": ["(?:the )?L[123] queue"],
            "rewrites": ["the specialist team, who will reply within a day"],
            "examples": {
                "fire": ["Your ticket sits in the L2 queue now."],
                "pass": ["You are number 3 in the queue."],
            },
        },
    )
    rule.full_clean()
    rule.save()
    found = draft_coach("I moved it to the L3 queue.")
    assert [f.category for f in found if f.rule == rule.rule_id] == ["jargon"]
    broken = CoachRule(
        rule_id="x.broken", definition={**rule.definition, "patterns": ["(unclosed"]}
    )
    with pytest.raises(ValidationError, match="does not compile"):
        broken.full_clean()
    wrong = CoachRule(
        rule_id="x.wrong",
        definition={**rule.definition, "examples": {"fire": ["All good here."], "pass": []}},
    )
    with pytest.raises(ValidationError, match="should fire on"):
        wrong.full_clean()


def test_a_team_rules_file_extends_the_coach(settings: Any, tmp_path: Path) -> None:
    path = tmp_path / "our-rules.json"
    path.write_text(
        '{"rules": [{"id": "jargon.ticket", "category": "jargon", "keywords": ["ticket"],'
        ' "reason": "Say conversation, not ticket.", "patterns": ["ticket number"],'
        ' "rewrites": ["conversation number"]}]}'
    )
    settings.CAREDESK_COACH_RULES_FILE = path
    assert [f.rule for f in draft_coach("Your ticket number is 12.")] == ["jargon.ticket"]
