"""Saved-reply placeholders: a known `{name}`, never a format spec, a width or an attribute.

`str.format` once filled them, so `{customer_first_name:>5000000}` made a 5 MB reply box and
`{subject.__class__}` reached into Python objects.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Team
from caredesk.replies.models import CoachRule, SavedReply
from caredesk.replies.placeholders import placeholders_check, placeholders_fill
from caredesk.replies.services import saved_reply_render, saved_reply_save

pytestmark = pytest.mark.django_db

VALUES = {"customer_first_name": "Pat", "conversation_id": "7", "team": "Billing"}


@pytest.mark.parametrize(
    ("body", "hint"),
    [
        ("Hi {customer_first_name:>5000000}", "write just {customer_first_name}"),
        ("Hi {customer_first_name!r}", "write just {customer_first_name}"),
        ("Hi {subject.__class__}", "write just {subject}"),
        ("Hi {team[0]}", "write just {team}"),
        ("Hi {0}", "Unknown placeholder {0}"),
        ("Hi {}", "Unknown placeholder {}"),
        ("Hi { customer_name }", "write just {customer_name}"),
        ("Hi {nme}", "Unknown placeholder {nme}"),
        ("Hi {customer_first_name", "has no partner"),
        ("Hi customer_first_name}", "has no partner"),
        ("Hi {{customer_first_name}", "has no partner"),
    ],
)
def test_anything_but_a_plain_known_placeholder_is_refused(
    body: str, hint: str, team: Team, agent: Agent
) -> None:
    with pytest.raises(ValidationError) as caught:
        saved_reply_save(title="Greeting", body=body, team=team, author=agent.user)
    message = caught.value.message_dict["body"][0]
    assert hint in message
    if "partner" not in hint:
        assert "You can use {customer_name}" in message  # and says what is allowed
    assert not SavedReply.objects.exists()


def test_plain_placeholders_and_doubled_braces_are_filled() -> None:
    body = "Hi {customer_first_name}, #{conversation_id} ({team}). Braces: {{literal}} }}{{"
    assert placeholders_check(body) == {"customer_first_name", "conversation_id", "team"}
    assert placeholders_fill(body, VALUES) == "Hi Pat, #7 (Billing). Braces: {literal} }{"
    assert placeholders_fill("{agent_name}", VALUES) == ""  # known, but no value: empty


def test_a_body_saved_before_the_check_never_expands(team: Team, agent: Agent) -> None:
    """Rendering is safe on its own: an old row with a width stays text, it is not a 5 MB answer."""
    old = SavedReply.objects.create(
        title="Old", body="Hi {customer_first_name:>5000000} {nope} {subject.__class__}", team=team
    )
    filled = saved_reply_render(old, VALUES)
    assert filled == "Hi {customer_first_name:>5000000} {nope} {subject.__class__}"


def test_the_saved_reply_form_shows_the_error_and_keeps_the_text(agent_client: Client) -> None:
    r = agent_client.post(
        "/replies/new/", {"title": "Wide", "body": "Hello {customer_first_name:>5000000}"}
    )
    assert r.status_code == 400
    page = r.content.decode()
    assert "write just {customer_first_name}" in page
    assert "Hello {customer_first_name:&gt;5000000}" in page  # the agent's text is kept
    assert not SavedReply.objects.exists()


def test_inserting_a_saved_reply_into_the_reply_box_is_bounded(
    agent_client: Client, team: Team, agent: Agent
) -> None:
    c = make_conversation(team=team)
    SavedReply.objects.create(title="Old", body="Dear {customer_first_name:>5000000}", team=team)
    reply = SavedReply.objects.get()
    r = agent_client.post(f"/replies/coach/{c.pk}/insert/", {"text": "", "saved_reply": reply.pk})
    assert r.status_code == 200 and len(r.content) < 100_000
    assert "{customer_first_name:&gt;5000000}" in r.content.decode()


def test_a_coach_rule_with_a_broken_character_is_refused() -> None:
    rule = CoachRule(
        rule_id="lead.broken",
        definition={"category": "jargon", "reason": "Bad \ud800", "patterns": ["ticket"]},
    )
    with pytest.raises(ValidationError, match="broken character"):
        rule.full_clean()


def test_saved_reply_title_and_body_are_cleaned(team: Team, agent: Agent) -> None:
    reply = saved_reply_save(
        title="  Refund\x1b  sent ",
        body="Hi {customer_first_name},\r\nDone.\x00",
        team=team,
        author=agent.user,
    )
    assert (reply.title, reply.body) == ("Refund sent", "Hi {customer_first_name},\nDone.")
    with pytest.raises(ValidationError, match="broken character"):
        saved_reply_save(title="T", body="Hi \udc80", team=team, author=agent.user)
