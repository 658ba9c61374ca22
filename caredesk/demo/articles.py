"""The demo desk's help centre: a handful of articles, written through the knowledge service."""

from __future__ import annotations

from caredesk.knowledge.models import Article, ArticleStatus
from caredesk.knowledge.services import article_save
from caredesk.people.models import Agent, Team

# (team name, title, Markdown body, published?). The team names are texts.BILLING / TECHNICAL.
ARTICLES: tuple[tuple[str, str, str, bool], ...] = (
    (
        "Billing",
        "I was charged twice",
        "Seeing two charges for one order is almost always a **card hold**: your bank reserves "
        "the amount when you pay, then replaces the hold with the real charge.\n\n"
        "- Holds disappear by themselves within **3 working days**.\n"
        "- If both charges are still there after that, write to us with the order number and "
        "we will refund the second one the same day.",
        True,
    ),
    (
        "Billing",
        "When will I get my refund?",
        "We send refunds the day your return reaches our warehouse. After that:\n\n"
        "| Paid with | Back on your account |\n|---|---|\n"
        "| Card | 3–5 working days |\n| PayPal | 1 working day |\n| Gift card | at once |\n\n"
        "You get an e-mail when we send it. No e-mail a week after you posted the parcel? "
        "Ask us, and include the tracking number if you have one.",
        True,
    ),
    (
        "Billing",
        "Changing the card on your subscription",
        "Open **Account → Billing → Payment method**, add the new card and make it the default. "
        "The next payment uses it; nothing is charged when you change it.",
        True,
    ),
    (
        "Technical",
        "Resetting your password",
        "1. Open the login page and choose **Forgot your password?**\n"
        "2. Enter the address you signed up with.\n"
        "3. Follow the link in the e-mail within an hour.\n\n"
        "No e-mail after a few minutes? Look in your spam folder, then ask us.",
        True,
    ),
    (
        "Technical",
        "The app will not sync",
        "Most sync problems go away after you **sign out and in again**. If they do not, "
        "update the app and check that the device's date and time are set automatically.",
        True,
    ),
    (
        "Technical",
        "Router firmware update (draft)",
        "Steps for the March firmware, to check with the network team before publishing.",
        False,
    ),
)


def demo_articles_seed(*, lead: Agent, teams: dict[str, Team]) -> list[Article]:
    """Write the demo's articles as its lead would, so they render and index like any other."""
    return [
        article_save(
            actor=lead,
            title=title,
            body=body,
            team=teams.get(team),
            status=ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT,
        )
        for team, title, body, published in ARTICLES
    ]
