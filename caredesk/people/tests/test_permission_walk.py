"""Walk every URL and API route as every role and check the answer.

Every named route must have a rule here, so a new route without one fails the suite.
"""

# size: one table (RULES) of every route in the project, kept whole so a missing rule is seen

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.timezone import now

from caredesk.care.models import OutreachRule, OutreachTask
from caredesk.care.outreach import Finding
from caredesk.care.outreach_services import outreach_mark
from caredesk.channels.csv_models import CsvImport
from caredesk.channels.email.inbound import inbound_mail_receive
from caredesk.channels.email.models import InboundMail, NotificationKind, OutboundNotification
from caredesk.channels.webhooks.models import DeliveryStatus, WebhookDelivery
from caredesk.channels.webhooks.services import subscription_create, subscription_pause
from caredesk.conftest import login
from caredesk.conversations.inbox import saved_view_save
from caredesk.conversations.models import Conversation
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.insights.goals import goal_create
from caredesk.insights.review import review_schedule_create
from caredesk.knowledge.services import article_save
from caredesk.people.models import Agent, Role
from caredesk.people.services import api_token_issue
from caredesk.people.tests.factories import AgentFactory, TeamFactory
from caredesk.replies.models import SavedReply

ROLES = ("anonymous", "customer", "other_customer", "agent", "other_agent", "lead")


def _walk(patterns: list[Any], ns: str = "") -> Iterator[str]:
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, ns + (f"{p.namespace}:" if p.namespace else ""))
        elif isinstance(p, URLPattern):
            yield ns + (p.name or f"<unnamed {p.pattern}>")


def all_route_names() -> set[str]:
    return {n for n in _walk(get_resolver().url_patterns) if not n.startswith("admin:")}


@dataclass
class Rule:
    method: str
    expect: dict[str, int]
    target: str | None = None  # "conversation", "customer" or "team": which id goes in the URL
    data: dict[str, Any] = field(default_factory=dict)
    json: bool = False
    upload: bool = False  # multipart, with a fresh file as "files"


PAGE = {
    "anonymous": 302,
    "customer": 200,
    "other_customer": 200,
    "agent": 200,
    "other_agent": 200,
    "lead": 200,
}
AUTH_ONLY = {
    "anonymous": 302,
    "customer": 302,
    "other_customer": 302,
    "agent": 302,
    "other_agent": 302,
    "lead": 302,
}
PORTAL = {
    "anonymous": 302,
    "customer": 200,
    "other_customer": 200,
    "agent": 403,
    "other_agent": 403,
    "lead": 403,
}
DESK = {
    "anonymous": 302,
    "customer": 403,
    "other_customer": 403,
    "agent": 200,
    "other_agent": 200,
    "lead": 200,
}


def desk_action(ok: int) -> dict[str, int]:
    return {
        "anonymous": 302,
        "customer": 403,
        "other_customer": 403,
        "agent": ok,
        "other_agent": 404,
        "lead": ok,
    }


def api(
    ok: int,
    *,
    anonymous: int = 401,
    customer: int | None = None,
    other_customer: int = 404,
    other_agent: int = 404,
) -> dict[str, int]:
    return {
        "anonymous": anonymous,
        "customer": ok if customer is None else customer,
        "other_customer": other_customer,
        "agent": ok,
        "other_agent": other_agent,
        "lead": ok,
    }


LEADS_ONLY = {**DESK, "agent": 403, "other_agent": 403, "lead": 200}
API_LEADS_ONLY = {**dict.fromkeys(ROLES, 403), "anonymous": 401, "lead": 200}


def _webhook_delivery(conversation: Conversation) -> WebhookDelivery:
    """A paused webhook with one delivery of the conversation's first event."""
    subscription = subscription_create(
        actor=None, url="https://hooks.example.com/", kinds=["created"]
    )
    subscription_pause(subscription=subscription, reason="Walking the routes.")
    return WebhookDelivery.objects.create(
        subscription=subscription,
        event=conversation.events.earliest("pk"),
        kind="created",
        payload={"conversation": {"id": conversation.pk}},
        status=DeliveryStatus.SUCCEEDED,
        created_at=conversation.created_at,
    )


RULES: dict[str, Rule] = {
    "home": Rule("get", AUTH_ONLY),
    "healthz": Rule("get", dict.fromkeys(ROLES, 200)),
    "login": Rule("get", {**AUTH_ONLY, "anonymous": 200}),
    "logout": Rule("post", AUTH_ONLY),
    "signup": Rule("get", PAGE | {"anonymous": 200}),
    "signup_resend": Rule("get", PAGE | {"anonymous": 200}),
    # A link for no one's account: logged-in people are told so (400), the rest asked to log in.
    "signup_verify": Rule("get", {**dict.fromkeys(ROLES, 400), "anonymous": 302}, "link"),
    "password_reset": Rule("get", dict.fromkeys(ROLES, 200)),
    "password_reset_done": Rule("get", dict.fromkeys(ROLES, 200)),
    "password_reset_confirm": Rule("get", dict.fromkeys(ROLES, 200), "link"),  # "link expired"
    "password_reset_complete": Rule("get", dict.fromkeys(ROLES, 200)),
    "attachment": Rule(
        "get", {**desk_action(200), "customer": 200, "other_customer": 404}, "attachment"
    ),
    "portal:list": Rule("get", PORTAL),
    "portal:new": Rule("get", PORTAL),
    "portal:conversation": Rule("get", {**PORTAL, "other_customer": 404}, "conversation"),
    "portal:rate": Rule(
        "post",
        {**PORTAL, "customer": 400, "other_customer": 404},
        "conversation",
        {"satisfaction": 5, "effort": 1},
    ),
    "desk:queue": Rule("get", DESK),
    "desk:mine": Rule("get", DESK),
    "desk:team": Rule("get", DESK),
    "desk:waiting": Rule("get", DESK),
    "desk:take_next": Rule("post", {**DESK, "agent": 302, "other_agent": 302, "lead": 302}),
    "desk:conversation": Rule("get", desk_action(200), "conversation"),
    "desk:reply": Rule("post", desk_action(400), "conversation", {"text": ""}),
    "desk:note": Rule("post", desk_action(400), "conversation", {"text": ""}),
    "desk:transfer": Rule("post", desk_action(400), "conversation", {"note": ""}),
    "desk:severity": Rule("post", desk_action(302), "conversation", {"severity": 3}),
    "desk:resolve": Rule("post", desk_action(302), "conversation"),
    "desk:reopen": Rule("post", desk_action(400), "conversation"),
    "desk:merge": Rule("post", desk_action(400), "conversation", {"target": ""}),
    "desk:customer": Rule("get", desk_action(200), "customer"),
    # Leads merge customers from the desk; other agents get 403. Merging one into themselves is
    # refused on the page (400).
    "desk:customer_merge_pick": Rule("get", LEADS_ONLY, "customer"),
    "desk:customer_merge": Rule(
        "post",
        {**LEADS_ONLY, "lead": 400},
        "customer",
        {"other": "<customer>", "keep": "<customer>"},
    ),
    # Collision detection's heartbeat: only agents who may see the conversation.
    "desk:presence": Rule("post", desk_action(200), "conversation", {"last_seen": 0}),
    "desk:notifications": Rule("get", DESK),
    "desk:notification_count": Rule("get", DESK),
    "desk:notification_email": Rule(
        "post",
        {**DESK, "agent": 302, "other_agent": 302, "lead": 302},
        data={"notify_by_email": "on"},
    ),
    "desk:search": Rule("get", DESK),
    # Ticked ids the agent may not open are refused one by one; the answer is a redirect.
    "desk:bulk": Rule(
        "post",
        {**DESK, "agent": 302, "other_agent": 302, "lead": 302},
        data={"ids": "<conversation>", "action": "resolve"},
    ),
    "desk:saved_view_create": Rule(
        "post",
        {**DESK, "agent": 302, "other_agent": 302, "lead": 302},
        data={"name": "Mine, urgent", "view": "mine", "query": "severity=4"},
    ),
    # A saved view is its agent's own: anyone else's is not found.
    "desk:saved_view_delete": Rule(
        "post", {**DESK, "agent": 302, "other_agent": 404, "lead": 404}, "saved_view"
    ),
    # The mail quarantine is for leads; the mail here is a quarantined one with no conversation.
    "mail:quarantine": Rule("get", {**DESK, "agent": 403, "other_agent": 403}),
    "mail:detail": Rule("get", {**DESK, "agent": 403, "other_agent": 403}, "inbound_mail"),
    "mail:reprocess": Rule(
        "post", {**DESK, "agent": 403, "other_agent": 403, "lead": 302}, "inbound_mail"
    ),
    "mail:discard": Rule(
        "post", {**DESK, "agent": 403, "other_agent": 403, "lead": 302}, "inbound_mail"
    ),
    # Only a reply's author or a lead may send its e-mail again (403 for other agents); the
    # customer's own message is no e-mail, so a lead is sent back with a notice (302).
    "outbound:delivery_retry": Rule("post", {**desk_action(302), "agent": 403}, "message"),
    "outbound:notifications": Rule("get", LEADS_ONLY),
    # A failed notification: a lead queues it again (then back to the list).
    "outbound:notification_retry": Rule("post", {**LEADS_ONLY, "lead": 302}, "notification"),
    # The demo mailbox exists only where CAREDESK_DEMO_MAILBOX is set (`caredesk demo`).
    "outbound:mailbox": Rule("get", dict.fromkeys(ROLES, 404)),
    "outbound:mailbox_message": Rule("get", dict.fromkeys(ROLES, 404), "mail"),
    "outbound:mailbox_answer": Rule("post", dict.fromkeys(ROLES, 404), "mail", {"text": "x"}),
    "people:presence": Rule(
        "post", {**DESK, "agent": 302, "other_agent": 302, "lead": 302}, data={"presence": "away"}
    ),
    "people:teams": Rule("get", {**DESK, "agent": 403, "other_agent": 403}),
    "people:tokens": Rule("get", DESK),
    # An agent's own token; nobody else's, whatever their role.
    "people:token_revoke": Rule(
        "post", {**desk_action(302), "other_agent": 404, "lead": 404}, "token"
    ),
    "people:team_edit": Rule("get", {**DESK, "agent": 403, "other_agent": 403}, "team"),
    # A team's SLA and the compliance report are the leads'.
    "care_sla:edit": Rule("get", LEADS_ONLY, "team"),
    "care_sla:report": Rule("get", LEADS_ONLY),
    # A team's status update is the leads'; a rating link needs no login, and a forged one is
    # refused alike for everyone (410, a page saying why).
    "care_loop:update_template": Rule("get", {**DESK, "agent": 403, "other_agent": 403}, "team"),
    "care_loop:rate": Rule("get", dict.fromkeys(ROLES, 410), "rating_token"),
    # The at-risk list is the leads'; each agent sees their own outreach; an outcome is recorded
    # by the task's agent or a lead (nothing chosen: 400), and other agents never find it (404).
    "care_outreach:list": Rule("get", LEADS_ONLY),
    "care_outreach:mine": Rule("get", DESK),
    "care_outreach:outcome": Rule("post", desk_action(400), "outreach_task"),
    # Insights: every agent sees the dashboard (their own figures) and the goals, tracked in the
    # open; leads set goals, see correlations and the review, and schedule it by e-mail.
    "reports": Rule("get", dict.fromkeys(ROLES, 302)),  # to the dashboard
    "insights:dashboard": Rule("get", DESK),
    "insights:csv": Rule("get", DESK),
    "insights:correlations": Rule("get", LEADS_ONLY),
    "insights:goals": Rule("get", DESK),
    "insights:goal": Rule("get", DESK, "goal"),
    "insights:goal_retire": Rule("post", {**LEADS_ONLY, "lead": 302}, "goal"),
    "insights:checkpoint": Rule("post", {**LEADS_ONLY, "lead": 302}, "checkpoint", {"target": 0.9}),
    "insights:review": Rule("get", LEADS_ONLY),
    "insights:review_csv": Rule("get", LEADS_ONLY),
    "insights:schedules": Rule("get", LEADS_ONLY),
    "insights:schedule_stop": Rule("post", {**LEADS_ONLY, "lead": 302}, "review_schedule"),
    # The help centre is public; "This solved it" is a customer's (nothing sent: 400).
    "help:index": Rule("get", dict.fromkeys(ROLES, 200)),
    "help:suggest": Rule("get", dict.fromkeys(ROLES, 200)),
    "help:article": Rule("get", dict.fromkeys(ROLES, 200), "article"),
    "help:solved": Rule("post", {**PORTAL, "customer": 400, "other_customer": 400}),
    # Articles at the desk: the owning team's agents and the leads edit them.
    "knowledge:list": Rule("get", DESK),
    "knowledge:new": Rule("get", DESK),
    "knowledge:edit": Rule("get", desk_action(200), "article_pk"),
    "knowledge:links": Rule("get", desk_action(200), "conversation"),
    "knowledge:insert": Rule("post", desk_action(400), "conversation", {"text": "x"}),
    "replies:list": Rule("get", DESK),
    "replies:new": Rule("get", DESK),
    "replies:coaching": Rule("get", DESK),
    "replies:edit": Rule("get", desk_action(200), "saved_reply"),
    "replies:coach": Rule("post", desk_action(200), "conversation", {"text": "Not my job."}),
    "replies:apply": Rule("post", desk_action(400), "conversation", {"text": "x"}),
    "replies:insert": Rule("post", desk_action(400), "conversation", {"text": "x"}),
    # Webhooks are the leads' (the subscription is paused, so a replay is refused: no network).
    "webhooks:list": Rule("get", LEADS_ONLY),
    "webhooks:new": Rule("get", LEADS_ONLY),
    "webhooks:detail": Rule("get", LEADS_ONLY, "webhook"),
    "webhooks:pause": Rule("post", {**LEADS_ONLY, "lead": 302}, "webhook"),
    "webhooks:resume": Rule("post", {**LEADS_ONLY, "lead": 302}, "webhook"),
    "webhooks:delete": Rule("post", {**LEADS_ONLY, "lead": 302}, "webhook"),
    "webhooks:replay": Rule("post", {**LEADS_ONLY, "lead": 302}, "webhook_delivery"),
    "csv:import": Rule("get", LEADS_ONLY),
    "csv:import_detail": Rule("get", LEADS_ONLY, "csv_import"),
    "csv:import_progress": Rule("get", LEADS_ONLY, "csv_import"),
    "csv:export": Rule("get", DESK, "inbox_view"),
    "api:webhook_list": Rule("get", API_LEADS_ONLY),
    "api:webhook_create": Rule(
        "post",
        {**API_LEADS_ONLY, "lead": 201},
        data={"url": "https://hooks.example.com/new", "kinds": ["resolved"]},
        json=True,
    ),
    "api:webhook_get": Rule("get", API_LEADS_ONLY, "webhook"),
    "api:webhook_update": Rule(
        "patch", API_LEADS_ONLY, "webhook", {"description": "Our CRM"}, json=True
    ),
    "api:webhook_delete": Rule("delete", {**API_LEADS_ONLY, "lead": 204}, "webhook", json=True),
    "api:webhook_deliveries": Rule("get", API_LEADS_ONLY, "webhook"),
    "api:webhook_delivery_replay": Rule(
        "post", {**API_LEADS_ONLY, "lead": 400}, "webhook_delivery", json=True
    ),
    "api:openapi-json": Rule("get", PAGE | {"anonymous": 200}),
    "api:openapi-view": Rule("get", PAGE | {"anonymous": 200}),
    "api:api-root": Rule("get", {r: 404 for r in ROLES}),
    "api:conversation_list": Rule("get", api(200, other_customer=200, other_agent=200)),
    "api:conversation_create": Rule(
        "post", api(422, other_customer=422, other_agent=422), json=True
    ),
    "api:conversation_get": Rule("get", api(200), "conversation"),
    "api:message_create": Rule("post", api(400), "conversation", {"text": ""}, json=True),
    "api:conversation_transfer": Rule(
        "post", api(400, customer=403, other_customer=403), "conversation", {"note": ""}, json=True
    ),
    "api:analyze": Rule(
        "post",
        api(200, other_customer=200, other_agent=200),
        data={"text": "Still no refund."},
        json=True,
    ),
    "api:coach": Rule(
        "post",
        api(200, customer=403, other_customer=403, other_agent=200),
        data={"draft": "That's not my job."},
        json=True,
    ),
    "api:queue_list": Rule("get", api(200, customer=403, other_customer=403, other_agent=200)),
    # Conversations: agents change them (customers 403 before any lookup), on what they may see.
    "api:conversation_update": Rule(
        "patch", api(200, customer=403, other_customer=403), "conversation", {"severity": 3}
    ),
    "api:conversation_merge": Rule(
        "post",
        api(400, customer=403, other_customer=403),
        "conversation",
        {"target_id": "<conversation>"},  # its own id: merging into itself is refused
        json=True,
    ),
    "api:conversation_resolve": Rule(
        "post", api(200, customer=403, other_customer=403), "conversation", json=True
    ),
    "api:conversation_reopen": Rule(
        "post", api(400, customer=403, other_customer=403), "conversation", json=True
    ),
    "api:message_list": Rule("get", api(200), "conversation"),
    "api:note_create": Rule(
        "post", api(400, customer=403, other_customer=403), "conversation", {"text": ""}, json=True
    ),
    "api:attachment_upload": Rule("post", api(201), "conversation", {"text": "x"}, upload=True),
    "api:attachment_get": Rule("get", api(200), "api_attachment"),
    "api:conversation_events": Rule(
        "get", api(200, customer=403, other_customer=403), "conversation"
    ),
    "api:event_feed": Rule("get", api(200, customer=403, other_customer=403, other_agent=200)),
    "api:rating_list": Rule("get", api(200, other_customer=200, other_agent=200)),
    # Metrics: an agent reads their own figures, a lead all; customers none.
    "api:metrics_get": Rule("get", api(200, customer=403, other_customer=403, other_agent=200)),
    # Only the customer rates, once resolved (this one is not yet: 400).
    "api:rating_submit": Rule(
        "post",
        {**api(400), "agent": 403, "lead": 403},
        "conversation",
        {"satisfaction": 5, "effort": 1},
        json=True,
    ),
    # Customers and organisations: agents look up the customers of conversations they may see.
    "api:customer_list": Rule("get", api(200, customer=403, other_customer=403, other_agent=200)),
    "api:customer_create": Rule(
        "post",
        api(400, customer=403, other_customer=403, other_agent=400),
        data={"name": ""},
        json=True,
    ),
    "api:customer_get": Rule("get", api(200, customer=403, other_customer=403), "api_customer"),
    "api:customer_update": Rule(
        "patch", api(400, customer=403, other_customer=403), "api_customer", {"name": ""}
    ),
    "api:identity_add": Rule(
        "post",
        api(400, customer=403, other_customer=403),
        "api_customer",
        {"kind": "phone", "value": ""},
        json=True,
    ),
    # Leads merge customers; merging one into themselves is refused (400).
    "api:customer_merge_route": Rule(
        "post",
        {**dict.fromkeys(ROLES, 403), "anonymous": 401, "lead": 400},
        "api_customer",
        {"into_id": "<customer>"},
        json=True,
    ),
    "api:organisation_list": Rule(
        "get", api(200, customer=403, other_customer=403, other_agent=200)
    ),
    "api:organisation_create": Rule(
        "post",
        api(400, customer=403, other_customer=403, other_agent=400),
        data={"name": ""},
        json=True,
    ),
    # People: agents read; leads change teams. Tokens: everyone their own.
    "api:agent_list": Rule("get", api(200, customer=403, other_customer=403, other_agent=200)),
    "api:team_list": Rule("get", api(200, customer=403, other_customer=403, other_agent=200)),
    "api:team_get": Rule(
        "get", api(200, customer=403, other_customer=403, other_agent=200), "api_team"
    ),
    "api:team_update": Rule(
        "patch",
        {**api(200, customer=403, other_customer=403, other_agent=403), "agent": 403},
        "api_team",
    ),
    "api:token_list": Rule("get", api(200, other_customer=200, other_agent=200)),
    "api:token_create": Rule(
        "post", api(400, other_customer=400, other_agent=400), data={"name": ""}, json=True
    ),
    "api:token_revoke": Rule(
        "delete", {**api(404, other_customer=404, other_agent=404), "agent": 204}, "api_token"
    ),
    "api:queue_take_next": Rule(
        "post", api(200, customer=403, other_customer=403, other_agent=204)
    ),
}


def test_every_route_has_a_rule() -> None:
    names = all_route_names()
    covered = set(RULES)
    missing = names - covered
    assert not missing, f"routes without a permission rule: {sorted(missing)}"
    assert not covered - names, f"rules for routes that no longer exist: {sorted(covered - names)}"


def _client_for(role: str, world: dict[str, Any]) -> Client:
    client = Client()
    if role != "anonymous":
        login(client, world[role])
    return client


@pytest.fixture
def world(db: None) -> dict[str, Any]:
    team, other = TeamFactory.create(name="Billing"), TeamFactory.create(name="Technical")
    customer, other_customer = CustomerFactory(), CustomerFactory()
    agent = AgentFactory(teams=[team])
    other_agent = AgentFactory(teams=[other])
    lead = AgentFactory(role=Role.LEAD)
    scan = SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    conversation = make_conversation(customer=customer, team=team, attachments=[scan])
    return {
        "customer": customer.user.email,
        "other_customer": other_customer.user.email,
        "agent": agent.user.email,
        "other_agent": other_agent.user.email,
        "lead": lead.user.email,
        "conversation": conversation,
        "saved_reply": SavedReply.objects.create(team=team, title="Refund", body="Thank you!"),
        "article": article_save(
            actor=lead, title="Refunds", body="How refunds work.", team=team, status="published"
        ),
        "token": api_token_issue(email=agent.user.email, name="walk")[0],
    }


def _failed_notification(conversation: Conversation) -> OutboundNotification:
    return OutboundNotification.objects.create(
        kind=NotificationKind.LEADS_ALERT,
        conversation=conversation,
        key=f"walk-{conversation.pk}",
        recipients=["lead@example.test"],
        subject="Urgent",
        body="Take it.",
        status="failed",
        created_at=now(),
    )


def _outreach_task(conversation: Conversation) -> OutreachTask:
    """An open outreach task for the walked conversation's customer, held by its team's agent."""
    conversation.refresh_from_db()
    customer = conversation.customer_id
    finding = Finding(OutreachRule.LOW_RATING, "walk", customer, conversation.pk, "x")
    reason = outreach_mark(finding=finding, at=now())
    assert reason is not None
    return reason.task


def _insights_target(target: str, lead_email: str) -> int:
    """A live goal (and its first checkpoint), or a review schedule, set by the lead."""
    lead = Agent.objects.get(user__email=lead_email)
    if target == "review_schedule":
        return review_schedule_create(actor=lead, cadence="week", to=lead_email, at=now()).pk
    today = now().date()
    goal = goal_create(
        actor=lead,
        metric="first_contact_resolution",
        team=None,
        target=0.8,
        start=today,
        end=today + timedelta(days=60),
        cadence="month",
        at=now(),
    )
    return goal.pk if target == "goal" else goal.checkpoints.order_by("start")[0].pk


def _quarantined_mail() -> InboundMail:
    raw = (
        b"From: news@shop.example\r\nSubject: Sale\r\nPrecedence: bulk\r\n"
        b"Message-ID: <walk@shop.example>\r\n\r\nEverything half price.\r\n"
    )
    return inbound_mail_receive(raw=raw, source="smtp")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(RULES))
def test_route_answers_each_role_as_expected(name: str, role: str, world: dict[str, Any]) -> None:
    rule = RULES[name]
    conversation: Conversation = world["conversation"]
    url = reverse(name, kwargs=_url_kwargs(rule, world))
    client = _client_for(role, world)
    # "<conversation>" and "<customer>" in the data stand for the walked conversation's ids.
    ids = {"<conversation>": conversation.pk, "<customer>": conversation.customer_id}
    data = {k: ids.get(v, v) if isinstance(v, str) else v for k, v in rule.data.items()}
    response = _request(client, replace(rule, data=data), url)
    assert response.status_code == rule.expect[role], (
        f"{name} as {role}: got {response.status_code}, expected {rule.expect[role]}"
    )


# size: one branch per kind of id a route takes, read top to bottom like the RULES table
def _url_kwargs(rule: Rule, world: dict[str, Any]) -> dict[str, Any]:
    """The URL arguments a rule's target names, made in the walked world."""
    conversation: Conversation = world["conversation"]
    kwargs: dict[str, Any] = {}
    if rule.target == "conversation":
        kwargs = {"pk": conversation.pk}
    elif rule.target == "customer":
        kwargs = {"pk": conversation.customer_id}
    elif rule.target == "team":
        kwargs = {"pk": conversation.team_id}
    elif rule.target == "attachment":
        kwargs = {"pk": conversation.messages.get().attachments.get().pk}
    elif rule.target == "link":
        kwargs = {"uidb64": "OTk5OTk5", "token": "no-such-token"}  # user 999999
    elif rule.target == "rating_token":
        kwargs = {"token": "no-such-token"}
    elif rule.target == "message":
        kwargs = {"pk": conversation.messages.get().pk}
    elif rule.target == "mail":
        kwargs = {"key": "1700000000.M1P1Q1.demo"}
    elif rule.target == "article":
        kwargs = {"slug": world["article"].slug}
    elif rule.target == "article_pk":
        kwargs = {"pk": world["article"].pk}
    elif rule.target == "saved_reply":
        kwargs = {"pk": world["saved_reply"].pk}
    elif rule.target == "inbound_mail":
        kwargs = {"pk": _quarantined_mail().pk}
    elif rule.target == "inbox_view":
        kwargs = {"view": "mine"}
    elif rule.target == "webhook":
        kwargs = {"pk": _webhook_delivery(conversation).subscription_id}
    elif rule.target == "api_customer":
        kwargs = {"customer_id": conversation.customer_id}
    elif rule.target == "api_team":
        kwargs = {"team_id": conversation.team_id}
    elif rule.target == "api_attachment":
        kwargs = {"attachment_id": conversation.messages.get().attachments.get().pk}
    elif rule.target == "token":
        kwargs = {"pk": world["token"].pk}
    elif rule.target == "api_token":
        kwargs = {"token_id": world["token"].pk}
    elif rule.target == "csv_import":
        kwargs = {"pk": CsvImport.objects.create(file_name="a.csv", text="", created_at=now()).pk}
    elif rule.target == "notification":
        kwargs = {"pk": _failed_notification(conversation).pk}
    elif rule.target == "outreach_task":
        kwargs = {"pk": _outreach_task(conversation).pk}
    elif rule.target == "webhook_delivery":
        kwargs = {"pk": _webhook_delivery(conversation).pk}
    elif rule.target == "saved_view":
        owner = Agent.objects.get(user__email=world["agent"])
        kwargs = {"pk": saved_view_save(agent=owner, name="Walk", view="mine", query="").pk}
    elif rule.target in ("goal", "checkpoint", "review_schedule"):
        kwargs = {"pk": _insights_target(rule.target, world["lead"])}
    return kwargs


def _request(client: Client, rule: Rule, url: str) -> HttpResponse:
    """Send the rule's request the way the route takes it (form, JSON or an upload)."""
    if rule.method == "get":
        return client.get(url)
    if rule.method in ("patch", "delete"):
        return getattr(client, rule.method)(url, rule.data, content_type="application/json")
    if rule.upload:
        upload = SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")
        return client.post(url, {**rule.data, "files": upload})
    if rule.json:
        return client.post(url, rule.data, content_type="application/json")
    return client.post(url, rule.data)


@pytest.mark.parametrize("role", ROLES)
def test_unknown_ids_are_404_for_everyone_who_may_look(role: str, world: dict[str, Any]) -> None:
    client = _client_for(role, world)
    desk = client.get(reverse("desk:conversation", kwargs={"pk": 999999}))
    portal = client.get(reverse("portal:conversation", kwargs={"pk": 999999}))
    assert desk.status_code == {"anonymous": 302, "customer": 403, "other_customer": 403}.get(
        role, 404
    )
    assert portal.status_code == {
        "anonymous": 302,
        "agent": 403,
        "other_agent": 403,
        "lead": 403,
    }.get(role, 404)


# The admin lets in staff and the desk's leads (caredesk/admin_site.py); everyone else is sent to
# its login page. Every model registered there needs a rule: what may a lead do with it?
LEADS_MANAGE = {**AUTH_ONLY, "lead": 200}
STAFF_ONLY = {**AUTH_ONLY, "lead": 403}
ADMIN_RULES: dict[str, dict[str, int]] = {
    "admin:index": LEADS_MANAGE,
    "admin:replies_coachrule_changelist": LEADS_MANAGE,
    "admin:replies_coachrule_add": LEADS_MANAGE,
    "admin:replies_savedreply_changelist": LEADS_MANAGE,
    "admin:replies_savedreply_add": LEADS_MANAGE,
    "admin:people_team_changelist": LEADS_MANAGE,
    "admin:people_team_add": LEADS_MANAGE,
    "admin:people_agent_changelist": LEADS_MANAGE,
    "admin:people_agent_add": STAFF_ONLY,  # agents are made with a user, by `caredesk` commands
    "admin:conversations_conversation_changelist": LEADS_MANAGE,  # read-only for everyone
    "admin:conversations_conversation_add": STAFF_ONLY,
    "admin:conversations_message_changelist": LEADS_MANAGE,
    "admin:conversations_event_changelist": LEADS_MANAGE,
    "admin:conversations_rating_changelist": LEADS_MANAGE,
    "admin:people_user_changelist": STAFF_ONLY,
    "admin:people_apitoken_changelist": STAFF_ONLY,
    "admin:customers_customer_changelist": STAFF_ONLY,
    "admin:customers_organisation_changelist": STAFF_ONLY,
    "admin:auth_group_changelist": STAFF_ONLY,
}


def _admin_changelists() -> set[str]:
    from django.contrib import admin

    return {
        f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        for model in admin.site._registry
    }


def test_every_desk_model_in_the_admin_has_a_rule() -> None:
    """Third-party models (e.g. axes') keep Django's staff permissions; ours must say."""
    from django.contrib import admin

    ours = {
        f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"
        for m in admin.site._registry
        if m.__module__.startswith("caredesk.")
    }
    assert not ours - set(ADMIN_RULES), (
        f"admin pages without a rule: {sorted(ours - set(ADMIN_RULES))}"
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(set(ADMIN_RULES) | _admin_changelists()))
def test_admin_lets_in_staff_and_leads_only(name: str, role: str, world: dict[str, Any]) -> None:
    response = _client_for(role, world).get(reverse(name))
    expected = ADMIN_RULES.get(name, STAFF_ONLY)[role]
    assert response.status_code == expected, f"{name} as {role}: got {response.status_code}"
    if expected == 302:
        assert response["Location"].startswith(reverse("admin:login"))
