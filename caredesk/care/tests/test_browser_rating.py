"""In Chromium: a customer rates a resolved conversation from the closing e-mail's link, without
logging in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from caredesk.conftest import BrowserSession
from caredesk.conversations import services
from caredesk.conversations.models import EventKind, Rating
from caredesk.conversations.tests.factories import make_conversation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_customer_rates_from_the_closing_email_without_logging_in(
    open_browser: Any, live_server: Any, settings: Any, team: Any, agent: Any, customer: Any
) -> None:
    settings.CAREDESK_PUBLIC_URL = live_server.url
    c = make_conversation(customer=customer, team=team, subject="Printer jam")
    services.conversation_resolve(conversation=c, agent=agent)
    [closing] = [m for m in mail.outbox if "really" in m.body and f"[#{c.pk}]" in m.subject]
    found = re.search(r"https?://\S+/care/rate/\S+/", closing.body)
    assert found and found.group().startswith(live_server.url)

    visitor: BrowserSession = open_browser("customer-rates-from-email")
    visitor.page.goto(found.group())
    assert "/login/" not in visitor.page.url
    visitor.page.wait_for_selector("text=Printer jam")
    visitor.shot("rate-1-form")
    visitor.page.check("input[name=satisfaction][value='5']")
    visitor.page.check("input[name=effort][value='1']")
    visitor.page.fill("textarea[name=comment]", "Fixed in a day, thank you.")
    visitor.page.click("#rate-btn")
    visitor.page.wait_for_selector("#rating-done")
    visitor.shot("rate-2-thanks")

    rating = Rating.objects.get(conversation=c)
    assert (rating.satisfaction, rating.effort) == (5, 1)
    assert rating.comment == "Fixed in a day, thank you."
    assert c.events.filter(kind=EventKind.RATED, actor=customer.user).count() == 1
    visitor.page.goto(found.group())  # the link works once
    visitor.page.wait_for_selector("text=rated already")
