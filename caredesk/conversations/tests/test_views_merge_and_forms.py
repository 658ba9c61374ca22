"""Issue 12, point 5: merge asks first and leaves a read-only page; a refused action keeps what
the agent typed beside its form and never leaves the browser on a POST address."""

from __future__ import annotations

import pytest
from django.test import Client

from caredesk.conversations.models import Conversation, EventKind, Status
from caredesk.conversations.services import conversation_resolve, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Agent, Team
from caredesk.people.tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def test_the_merge_form_preselects_nothing_and_asks_first(agent_client: Client, team: Team) -> None:
    customer = CustomerFactory()
    stays = make_conversation(customer=customer, team=team, subject="Router broken")
    dup = make_conversation(customer=customer, team=team, subject="Router still broken")
    page = agent_client.get(f"/desk/c/{dup.pk}/").content.decode()
    assert '<option value="" selected>Choose a conversation</option>' in page
    assert f'<option value="{stays.pk}" selected' not in page

    confirm = agent_client.get(f"/desk/c/{dup.pk}/merge/", {"target": stays.pk})
    assert confirm.status_code == 200
    body = confirm.content.decode()
    assert 'id="merge-sides"' in body and "Router broken" in body and "Router still broken" in body
    assert Conversation.objects.get(pk=dup.pk).merged_into_id is None  # looking changes nothing


def test_choosing_nothing_is_refused_on_the_merge_page(agent_client: Client, team: Team) -> None:
    customer = CustomerFactory()
    make_conversation(customer=customer, team=team)
    dup = make_conversation(customer=customer, team=team)
    r = agent_client.post(
        f"/desk/c/{dup.pk}/merge/", {"target": ""}, headers={"HX-Request": "true"}
    )
    assert r.status_code == 400 and b"Choose a conversation to merge into." in r.content
    assert r["HX-Replace-Url"] == f"/desk/c/{dup.pk}/merge/"


def test_merging_an_open_one_into_a_resolved_one_reopens_it(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    customer = CustomerFactory()
    old = make_conversation(customer=customer, team=team, subject="Refund")
    reply_send(conversation=old, agent=agent, text="Refunded today.", resolve=True)
    new = make_conversation(customer=customer, team=team, subject="Refund missing")
    page = agent_client.get(f"/desk/c/{new.pk}/merge/", {"target": old.pk}).content
    assert b'id="merge-reopens"' in page

    r = agent_client.post(f"/desk/c/{new.pk}/merge/", {"target": old.pk})
    assert r.status_code == 302 and r["Location"] == f"/desk/c/{old.pk}/"
    old.refresh_from_db()
    assert old.status == Status.OPEN and old.resolved_at is None
    assert old.events.filter(kind=EventKind.REOPENED).exists()
    assert old.queued_at <= new.queued_at  # the customer keeps the place they waited for


def test_the_merged_conversation_is_read_only_with_a_link(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    customer = CustomerFactory()
    stays = make_conversation(customer=customer, team=team)
    gone = make_conversation(customer=customer, team=team)
    agent_client.post(f"/desk/c/{gone.pk}/merge/", {"target": stays.pk})
    page = agent_client.get(f"/desk/c/{gone.pk}/").content.decode()
    assert 'id="merged-notice"' in page and f'href="/desk/c/{stays.pk}/"' in page
    for form in ('id="reply-form"', 'id="transfer-form"', 'id="merge-form"', "/note/"):
        assert form not in page
    # The services refuse too, whatever a stale tab posts.
    r = agent_client.post(f"/desk/c/{gone.pk}/reply/", {"text": "Hello?"})
    assert r.status_code == 400 and b"was merged into" in r.content
    r = agent_client.post(
        f"/desk/c/{gone.pk}/transfer/", {"to_agent": AgentFactory(teams=[team]).pk, "note": "x"}
    )
    assert r.status_code == 400
    assert not gone.messages.exists()


def test_a_refused_transfer_keeps_the_chosen_agent_beside_its_form(
    agent_client: Client, team: Team
) -> None:
    c = make_conversation(team=team)
    other = AgentFactory(teams=[team])
    r = agent_client.post(
        f"/desk/c/{c.pk}/transfer/",
        {"to_agent": other.pk, "note": "  "},
        headers={"HX-Request": "true"},
    )
    assert r.status_code == 400
    page = r.content.decode()
    form = page[
        page.index('id="transfer-form"') : page.index("</form>", page.index('id="transfer-form"'))
    ]
    assert 'id="transfer-error"' in form and "handoff note" in form
    assert f'<option value="{other.pk}" selected>' in form
    assert r["HX-Replace-Url"] == f"/desk/c/{c.pk}/"  # a reload asks for the page, not a 405


def test_a_refused_reply_keeps_its_text_and_error_in_the_reply_form(
    agent_client: Client, agent: Agent, team: Team
) -> None:
    c = make_conversation(team=team)
    conversation_resolve(conversation=c, agent=agent)
    r = agent_client.post(f"/desk/c/{c.pk}/resolve/")
    assert r.status_code == 400 and b'id="action-error"' in r.content
    r = agent_client.post(f"/desk/c/{c.pk}/reply/", {"text": "", "resolve": "on"})
    assert r.status_code == 400 and b'id="reply-error"' in r.content
    assert b'name="resolve" checked' in r.content


@pytest.mark.parametrize("action", ["reply", "note", "transfer", "severity", "resolve", "reopen"])
def test_a_get_of_an_action_address_goes_back_to_the_page(
    agent_client: Client, team: Team, action: str
) -> None:
    c = make_conversation(team=team)
    r = agent_client.get(f"/desk/c/{c.pk}/{action}/")
    assert r.status_code == 302 and r["Location"] == f"/desk/c/{c.pk}/"
    assert agent_client.put(f"/desk/c/{c.pk}/{action}/").status_code == 405
