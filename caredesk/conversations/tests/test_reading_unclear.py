"""Issue 14, point 4: a low-confidence reading says "mood unclear" on the desk instead of showing
its guess as the customer's mood; the guess and the confidence stay in the tooltip."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from caredesk.conversations.models import Conversation
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Team

pytestmark = pytest.mark.django_db

# The polar engine reads these few words as faint praise at under 50% confidence.
UNSURE = "Fine I suppose."
ANGRY = "This is the third time I write and I am absolutely furious about the billing error."
BADGE = re.compile(r'<span class="reading mood-unclear" title="Mood unclear: ([^"]*)">mood unclear')


def _unclear(team: Team) -> Conversation:
    c = make_conversation(team=team, subject="Unsure one", text=UNSURE)
    c.refresh_from_db()
    reading = c.messages.get().reading
    assert reading is not None
    assert reading["low_confidence"] and c.low_confidence  # copied for the inbox row
    assert c.confidence is not None and c.confidence < 0.5
    assert c.confidence == pytest.approx(reading["confidence"], abs=1e-3)
    return c


def test_inbox_row_says_mood_unclear_not_the_guess(agent_client: Client, team: Team) -> None:
    c = _unclear(team)
    sure = make_conversation(team=team, subject="Sure one", text=ANGRY)
    page = agent_client.get("/desk/").content.decode()
    row = next(r for r in page.split("<tr") if "Unsure one" in r)
    (title,) = BADGE.findall(row)
    assert f"{round(100 * (c.confidence or 0))}% sure" in title and c.emotion in title
    assert f'class="reading emo-{c.emotion}"' not in row
    other = next(r for r in page.split("<tr") if "Sure one" in r)
    assert "mood unclear" not in other and f'class="reading emo-{sure.emotion}"' in other


def test_conversation_and_customer_pages_say_mood_unclear(agent_client: Client, team: Team) -> None:
    c = _unclear(team)
    page = agent_client.get(f"/desk/c/{c.pk}/").content.decode()
    latest = page.split('id="latest-reading"')[1].split("</dd>")[0]
    assert BADGE.search(latest)
    timeline = page.split('id="timeline"')[1]
    assert BADGE.search(timeline) and f'class="reading emo-{c.emotion}"' not in timeline
    mood = agent_client.get(f"/desk/customers/{c.customer.pk}/").content.decode()
    assert BADGE.search(mood.split('id="mood"')[1].split("</dd>")[0])


def test_a_confident_reading_shows_its_mood(agent_client: Client, team: Team) -> None:
    c = make_conversation(team=team, text=ANGRY)
    c.refresh_from_db()
    assert not c.low_confidence and c.confidence is not None and c.confidence >= 0.5
    page = agent_client.get(f"/desk/c/{c.pk}/").content.decode()
    assert "mood unclear" not in page and f'class="reading emo-{c.emotion}"' in page


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_mood_unclear_in_the_browser(open_browser: Any, team: Team, agent: Any) -> None:
    c = _unclear(team)
    desk = open_browser("agent-unclear")
    desk.login(agent.user.email)
    desk.page.goto("/desk/")
    badge = desk.page.locator("table.inbox tbody tr", has_text="Unsure one").locator(".reading")
    assert badge.inner_text() == "mood unclear"
    assert "% sure" in (badge.get_attribute("title") or "")
    desk.shot("reading-unclear-1-inbox")
    desk.page.goto(f"/desk/c/{c.pk}/")
    assert desk.page.locator("#latest-reading .mood-unclear").count() == 1
    desk.shot("reading-unclear-2-conversation")
