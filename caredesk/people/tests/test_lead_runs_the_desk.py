"""A lead runs the desk from its own pages and the admin, without being made a superuser;
agents and customers are refused, and the admin never changes a conversation."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from caredesk.conftest import login
from caredesk.conversations.models import Conversation, Severity
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.empathy.types import SIGNALS
from caredesk.people.models import Agent, Role, Team
from caredesk.people.tests.factories import AgentFactory, UserFactory
from caredesk.replies.models import CoachRule, SavedReply

pytestmark = pytest.mark.django_db

REPEATED = "This is the THIRD time I'm writing about this. Where is my refund?!"
RULE = {
    "category": "jargon",
    "reason": "Customers don't know our internal queue names; say what happens next.",
    "keywords": ["queue"],
    "patterns": ["(?:the )?L[123] queue"],
    "rewrites": ["the specialist team, who will reply within a day"],
    "examples": {"fire": ["Your ticket sits in the L2 queue now."], "pass": ["You are third."]},
}


def team_form(team: Team, members: list[Agent], **risk: int) -> dict[str, object]:
    return {
        "auto_assign": "on",
        "update_interval_hours": 12,
        "members": [m.pk for m in members],
        **{f"risk_{signal}": risk.get(signal, "") for signal in SIGNALS},
    }


def test_a_lead_adds_a_coach_rule_in_the_admin_and_the_coach_uses_it(
    lead: Agent, team: Team, agent: Agent
) -> None:
    assert not lead.user.is_staff and not lead.user.is_superuser
    client = login(Client(), lead.user.email)
    index = client.get("/admin/")
    assert index.status_code == 200
    page = index.content.decode()
    for managed in ("replies/coachrule", "replies/savedreply", "people/team", "people/agent"):
        assert f'href="/admin/{managed}/"' in page, managed
    assert 'href="/admin/conversations/conversation/"' in page
    assert "/admin/people/user/" not in page and "/admin/people/apitoken/" not in page

    wrong = {**RULE, "examples": {"fire": ["All good here."], "pass": []}}
    form = {"rule_id": "jargon.queues", "definition": json.dumps(wrong), "enabled": "on"}
    refused = client.post("/admin/replies/coachrule/add/", form)
    assert refused.status_code == 200 and "Its examples disagree" in refused.content.decode()
    assert not CoachRule.objects.exists()

    form["definition"] = json.dumps(RULE)
    assert client.post("/admin/replies/coachrule/add/", form).status_code == 302
    assert CoachRule.objects.get().rule_id == "jargon.queues"

    conversation = make_conversation(team=team)
    coached = login(Client(), agent.user.email).post(
        f"/replies/coach/{conversation.pk}/", {"text": "I moved it to the L3 queue."}
    )
    assert "internal queue names" in coached.content.decode()


def test_a_lead_adds_a_saved_reply_in_the_admin_coached_like_on_the_desk(
    lead: Agent, team: Team
) -> None:
    client = login(Client(), lead.user.email)
    bad = {"title": "Refund", "team": team.pk, "body": "Hi {nmae}, refunded."}
    refused = client.post("/admin/replies/savedreply/add/", bad)
    assert refused.status_code == 200 and "Unknown placeholder" in refused.content.decode()
    assert "nmae" in refused.content.decode()
    good = {"title": "Refund  done", "team": team.pk, "body": "That's not my job. Refunded."}
    assert client.post("/admin/replies/savedreply/add/", good).status_code == 302
    reply = SavedReply.objects.get()
    assert (reply.title, reply.created_by) == ("Refund done", lead.user)
    assert {f["category"] for f in reply.findings} >= {"indifference"}
    assert "Refund done" in client.get("/replies/").content.decode()


def test_a_lead_sets_the_risk_policy_and_members_and_they_take_effect(
    lead: Agent, team: Team
) -> None:
    ana = AgentFactory.create(teams=[team], user__first_name="Ana", user__last_name="Silva")
    ben = AgentFactory.create(user__first_name="Ben", user__last_name="Okafor")
    before = make_conversation(team=team, text=REPEATED)
    assert before.severity == Severity.HIGH  # the default policy
    ben_client = login(Client(), ben.user.email)
    assert ben_client.get(f"/desk/c/{before.pk}/").status_code == 404

    client = login(Client(), lead.user.email)
    page = client.get(f"/people/teams/{team.pk}/").content.decode()
    for signal in SIGNALS:
        assert f'name="risk_{signal}"' in page
    assert "No change (default: high)" in page and "No change (default: urgent)" in page

    form = team_form(team, [ben], repeated_contact=Severity.URGENT, safety=Severity.HIGH)
    saved = client.post(f"/people/teams/{team.pk}/", form, follow=True)
    assert "Ben Okafor joined. Ana Silva left." in saved.content.decode()
    assert "repeated contact → urgent, safety → high" in saved.content.decode()
    team.refresh_from_db()
    assert team.signal_policy == {"repeated_contact": Severity.URGENT, "safety": Severity.HIGH}
    assert (team.auto_assign, team.update_interval_hours) == (True, 12)
    assert list(team.agents.all()) == [ben]

    assert make_conversation(team=team, text=REPEATED).severity == Severity.URGENT
    assert ben_client.get(f"/desk/c/{before.pk}/").status_code == 200
    ana_client = login(Client(), ana.user.email)
    assert ana_client.get(f"/desk/c/{before.pk}/").status_code == 404

    # "No change" everywhere gives the desk's defaults back.
    client.post(f"/people/teams/{team.pk}/", team_form(team, [ben]))
    team.refresh_from_db()
    assert team.signal_policy == {}
    assert make_conversation(team=team, text=REPEATED).severity == Severity.HIGH


def test_a_bad_form_is_explained_and_changes_nothing(lead: Agent, team: Team, agent: Agent) -> None:
    client = login(Client(), lead.user.email)
    form = {**team_form(team, []), "risk_safety": "9", "update_interval_hours": 0}
    r = client.post(f"/people/teams/{team.pk}/", form)
    assert r.status_code == 400 and "Select a valid choice" in r.content.decode()
    r = client.post(
        f"/people/teams/{team.pk}/", {**team_form(team, []), "update_interval_hours": 0}
    )
    assert r.status_code == 400 and "at least every hour" in r.content.decode()
    team.refresh_from_db()
    assert team.update_interval_hours == 48 and list(team.agents.all()) == [agent]


def test_a_lead_changes_an_agents_teams_and_capacity_but_not_their_role(
    lead: Agent, team: Team, other_team: Team, agent: Agent
) -> None:
    client = login(Client(), lead.user.email)
    url = f"/admin/people/agent/{agent.pk}/change/"
    form = {"teams": [other_team.pk], "capacity": 3, "role": Role.ADMIN}
    assert client.post(url, form).status_code == 302
    agent.refresh_from_db()
    assert (list(agent.teams.all()), agent.capacity, agent.role) == ([other_team], 3, Role.AGENT)

    admin = AgentFactory.create(role=Role.ADMIN)
    login(Client(), admin.user.email).post(url, {**form, "role": Role.LEAD})
    agent.refresh_from_db()
    assert agent.role == Role.LEAD


def test_conversations_are_read_only_in_the_admin_even_for_superusers(
    lead: Agent, team: Team
) -> None:
    conversation = make_conversation(team=team)
    root = UserFactory(is_staff=True, is_superuser=True)
    for user in (lead.user, root):
        client = login(Client(), user.email)
        url = f"/admin/conversations/conversation/{conversation.pk}/"
        page = client.get(f"{url}change/")
        assert page.status_code == 200 and "My order has not arrived" in page.content.decode()
        assert (
            client.post(f"{url}change/", {"subject": "Changed", "status": "closed"}).status_code
            == 403
        )
        assert client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
        event = conversation.events.first()
        assert (
            client.post(
                f"/admin/conversations/event/{event.pk}/delete/", {"post": "yes"}
            ).status_code
            == 403
        )
    conversation.refresh_from_db()
    assert conversation.subject == "My order has not arrived"
    assert Conversation.objects.count() == 1 and conversation.events.exists()


def test_agents_and_customers_get_the_admin_login_and_never_data(
    agent: Agent, customer: Customer, team: Team
) -> None:
    make_conversation(team=team, subject="Secret subject")
    for email in (agent.user.email, customer.user.email):
        client = login(Client(), email)
        for url in ("/admin/", "/admin/conversations/conversation/", "/admin/replies/coachrule/"):
            r = client.get(url, follow=True)
            assert r.redirect_chain[0][0].startswith("/admin/login/"), url
            assert "not authorized" in r.content.decode()
            assert "Secret subject" not in r.content.decode()
        form = {"rule_id": "x.sneaky", "definition": json.dumps(RULE), "enabled": "on"}
        assert client.post("/admin/replies/coachrule/add/", form).status_code == 302
        assert client.get(f"/people/teams/{team.pk}/").status_code == 403
    assert not CoachRule.objects.exists()


def test_a_switched_off_lead_is_not_let_in(lead: Agent) -> None:
    client = login(Client(), lead.user.email)
    lead.user.is_active = False
    lead.user.save(update_fields=["is_active"])
    assert client.get("/admin/").status_code == 302


def test_the_navigation_shows_leads_teams_and_coach_rules(
    lead: Agent, agent_client: Client
) -> None:
    page = login(Client(), lead.user.email).get("/desk/").content.decode()
    assert 'href="/people/teams/"' in page and 'href="/admin/replies/coachrule/"' in page
    agent_page = agent_client.get("/desk/").content.decode()
    assert "/people/teams/" not in agent_page and "/admin/" not in agent_page


def test_a_lead_adds_a_team_in_the_admin_and_is_sent_to_the_desk_for_the_rest(lead: Agent) -> None:
    client = login(Client(), lead.user.email)
    form = {"name": "Returns", "auto_assign": "on", "update_interval_hours": 0}
    assert client.post("/admin/people/team/add/", form).status_code == 302
    team = Team.objects.get(name="Returns")
    assert (team.auto_assign, team.update_interval_hours) == (False, 48)  # set on the desk only
    page = client.get(f"/admin/people/team/{team.pk}/change/").content.decode()
    assert f'href="/people/teams/{team.pk}/"' in page


def test_a_new_coach_rule_starts_from_an_example_that_passes_its_own_checks(lead: Agent) -> None:
    from caredesk.replies.admin import EXAMPLE_RULE
    from caredesk.replies.models import CoachRule

    client = login(Client(), lead.user.email)
    page = client.get("/admin/replies/coachrule/add/").content.decode()
    assert "L3 queue" in page and ">null<" not in page
    CoachRule(rule_id="example-jargon", definition=EXAMPLE_RULE).full_clean()
