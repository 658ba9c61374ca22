"""In Chromium: signing up with an address that wrote to us before shows its history only once the
link in the verification mail is followed."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.core.cache import cache

from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Identity
from caredesk.customers.services import customer_get_or_create_by_email

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "rosa.marquez@example.test"
PASSWORD = "plum-orchard-lantern"


def test_history_shows_only_after_the_emailed_link_is_followed(open_browser: Any) -> None:
    cache.clear()
    earlier = customer_get_or_create_by_email(email=EMAIL, name="Rosa M.")
    make_conversation(customer=earlier, subject="Refund for order 7781")

    # 1. Sign up with the address: the page only says to check the mail.
    rosa = open_browser("signup")
    rosa.page.goto("/signup/")
    rosa.page.fill("input[name=name]", "Rosa Marquez")
    rosa.page.fill("input[name=email]", EMAIL)
    rosa.page.fill("input[name=password]", PASSWORD)
    rosa.page.click("button[type=submit]")
    rosa.page.wait_for_selector("#check-your-mail")
    assert EMAIL in rosa.page.inner_text("#check-your-mail")
    rosa.shot("accounts-1-check-your-mail")

    # 2. Logged in before verifying: an empty portal, none of the earlier history.
    rosa.login(EMAIL, PASSWORD)
    rosa.page.wait_for_selector("text=My conversations")
    body = rosa.page.inner_text("main")
    assert "not confirmed yet" in body
    assert "Refund for order 7781" not in body
    rosa.shot("accounts-2-unverified-sees-nothing")

    # 3. The link from the mail (the live server runs in this process: Django's test mailbox).
    # (The desk also confirmed the earlier conversation to this address by mail.)
    (message,) = [m for m in mail.outbox if "/signup/verify/" in m.body]
    assert message.to == [EMAIL]
    found = re.search(r"https?://\S+/signup/verify/\S+/", message.body)
    assert found, message.body
    rosa.page.goto(urlparse(found.group(0)).path)
    rosa.page.wait_for_selector("#confirm-email")
    assert "Refund for order 7781" not in rosa.page.inner_text("main")
    rosa.shot("accounts-3-confirm-address")
    rosa.page.click("#confirm-email")
    rosa.page.wait_for_selector("text=your address is confirmed")

    # 4. Now the history is there.
    assert "Refund for order 7781" in rosa.page.inner_text("main")
    rosa.shot("accounts-4-history-after-verifying")
    assert Identity.objects.get(value=EMAIL).verified
