"""The customer portal: opening a conversation, replying, honest waits, rating."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from caredesk.conversations.models import Conversation, Status
from caredesk.conversations.services import conversation_resolve
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent

pytestmark = pytest.mark.django_db


def test_open_conversation_and_see_position(customer_client: Client) -> None:
    r = customer_client.post("/portal/new/", {"subject": "Lamp arrived broken", "text": "Help"})
    conversation = Conversation.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/portal/c/{conversation.pk}/"
    page = customer_client.get(r["Location"]).content.decode()
    assert "number 1" in page and "Not enough data yet" in page


def test_bad_input_is_refused_and_the_text_is_kept(customer_client: Client, settings: Any) -> None:
    r = customer_client.post("/portal/new/", {"subject": "", "text": "My words stay here"})
    assert r.status_code == 400
    assert b"short subject" in r.content and b"My words stay here" in r.content
    settings.CAREDESK_MAX_ATTACHMENT_BYTES = 10
    big = SimpleUploadedFile("scan.pdf", b"x" * 11, content_type="application/pdf")
    r = customer_client.post(
        "/portal/new/", {"subject": "Scan", "text": "See attached", "attachments": big}
    )
    assert r.status_code == 400 and b"at most 10 bytes" in r.content
    assert not Conversation.objects.exists()


def test_forged_form_posts_are_refused() -> None:
    forged = Client(enforce_csrf_checks=True)
    r = forged.post("/signup/", {"name": "A", "email": "a@b.test", "password": "xyzxyzxyz1"})
    assert r.status_code == 403


def test_reply_reopens_and_rating_after_resolution(
    customer_client: Client, customer: Customer, agent: Agent
) -> None:
    c = make_conversation(customer=customer)
    conversation_resolve(conversation=c, agent=agent)
    r = customer_client.post(f"/portal/c/{c.pk}/rate/", {"satisfaction": 5, "effort": 2})
    assert r.status_code == 302
    c.refresh_from_db()
    assert c.rating.satisfaction == 5
    r = customer_client.post(f"/portal/c/{c.pk}/", {"text": "It broke again, sorry!"})
    c.refresh_from_db()
    assert r.status_code == 302 and c.status in (Status.NEW, Status.OPEN)


def test_rating_out_of_range_is_a_clear_error(
    customer_client: Client, customer: Customer, agent: Agent
) -> None:
    c = make_conversation(customer=customer)
    conversation_resolve(conversation=c, agent=agent)
    r = customer_client.post(f"/portal/c/{c.pk}/rate/", {"satisfaction": 9, "effort": 2})
    assert r.status_code == 400 and b"Select a valid choice" in r.content


def test_attachments_are_kept_and_only_downloaded(
    customer_client: Client, agent_client: Client
) -> None:
    upload = SimpleUploadedFile("page.html", b"<script>alert(1)</script>", content_type="text/html")
    customer_client.post(
        "/portal/new/", {"subject": "See file", "text": "Attached", "attachments": upload}
    )
    attachment = Conversation.objects.get().messages.get().attachments.get()
    assert attachment.size == 25
    for client in (customer_client, agent_client):
        r = client.get(f"/attachments/{attachment.pk}/")
        assert r.status_code == 200 and r["Content-Type"] == "application/octet-stream"
        assert r["Content-Disposition"].startswith("attachment;")
        assert b"".join(r.streaming_content) == b"<script>alert(1)</script>"
