"""Issue 9, point 7, at the desk: a lead merges two customers from the customer's page — pick the
other by name or e-mail, compare both, confirm which remains — and every conversation and
identity moves, with one event on each conversation. Other agents never see it."""

from __future__ import annotations

import pytest
from django.test import Client

from caredesk.conftest import login
from caredesk.conversations.models import Conversation, Event, EventKind
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer, Identity, IdentityKind
from caredesk.customers.tests.factories import CustomerFactory, IdentityFactory
from caredesk.people.models import Agent, Team

pytestmark = pytest.mark.django_db


def _pick(pk: int) -> str:
    return f"/desk/customers/{pk}/merge/"


def _confirm(pk: int) -> str:
    return f"/desk/customers/{pk}/merge/confirm/"


@pytest.fixture
def lead_client(lead: Agent) -> Client:
    return login(Client(), lead.user.email)


@pytest.fixture
def pair(team: Team) -> tuple[Customer, Customer]:
    """One person as two customers: a portal customer, and the same person by a work address
    (no login), each with conversations; the second also has an external id."""
    ann = CustomerFactory(name="Ann Lee")
    work = CustomerFactory(user=None, name="A. Lee", email="ann.lee@work.test")
    IdentityFactory(customer=work, value="crm-77")
    make_conversation(customer=ann, team=team, subject="Refund")
    make_conversation(customer=ann, team=team, subject="Invoice")
    make_conversation(customer=work, team=team, subject="Delivery")
    return ann, work


def test_only_leads_see_the_control_and_reach_the_routes(
    lead_client: Client, agent_client: Client, pair: tuple[Customer, Customer]
) -> None:
    ann, work = pair
    assert 'id="customer-merge"' in lead_client.get(f"/desk/customers/{ann.pk}/").content.decode()
    page = agent_client.get(f"/desk/customers/{ann.pk}/")
    assert page.status_code == 200 and 'id="customer-merge"' not in page.content.decode()
    assert agent_client.get(_pick(ann.pk), {"q": "Lee"}).status_code == 403
    assert agent_client.get(_confirm(ann.pk), {"other": work.pk}).status_code == 403
    posted = agent_client.post(_confirm(ann.pk), {"other": work.pk, "keep": ann.pk})
    assert posted.status_code == 403
    assert Customer.objects.filter(pk=work.pk).exists()
    assert not Event.objects.filter(kind=EventKind.CUSTOMER_MERGED).exists()


def test_the_search_lists_matches_by_name_or_email_and_preselects_nothing(
    lead_client: Client, pair: tuple[Customer, Customer]
) -> None:
    ann, work = pair
    CustomerFactory(name="Bob Stone")
    by_name = lead_client.get(_pick(ann.pk), {"q": "lee"}).content.decode()
    assert f'data-customer="{work.pk}"' in by_name
    assert f'data-customer="{ann.pk}"' not in by_name  # never the customer themselves
    assert "Bob Stone" not in by_name
    assert f"{_confirm(ann.pk)}?other={work.pk}" in by_name  # to the comparison, not a merge
    # Nothing to post from here: no form leads to the merge, no customer is chosen for the lead.
    assert f'action="{_confirm(ann.pk)}"' not in by_name and 'name="keep"' not in by_name
    by_email = lead_client.get(_pick(ann.pk), {"q": "WORK.test"}).content.decode()
    assert f'data-customer="{work.pk}"' in by_email
    nothing = lead_client.get(_pick(ann.pk), {"q": "zzz"}).content.decode()
    assert 'id="customer-merge-none"' in nothing
    empty = lead_client.get(_pick(ann.pk)).content.decode()
    assert 'id="customer-merge-results"' not in empty


def test_the_comparison_shows_both_and_changes_nothing_until_confirmed(
    lead_client: Client, pair: tuple[Customer, Customer]
) -> None:
    ann, work = pair
    page = lead_client.get(_confirm(ann.pk), {"other": work.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "ann.lee@work.test" in html and "crm-77" in html and ann.email in html
    assert html.count('class="conversation-count"') == 2
    assert '<dd class="conversation-count">2</dd>' in html
    assert '<dd class="conversation-count">1</dd>' in html
    assert f"Ann Lee (#{ann.pk}) remains" in html
    assert f'name="keep" value="{ann.pk}"' in html
    # A POST that does not say which one remains is not a confirmation.
    unconfirmed = lead_client.post(_confirm(ann.pk), {"other": work.pk})
    assert unconfirmed.status_code == 400
    assert "Choose which customer remains" in unconfirmed.content.decode()
    assert Customer.objects.filter(pk=work.pk).exists()
    assert Conversation.objects.filter(customer=work).count() == 1
    assert not Event.objects.filter(kind=EventKind.CUSTOMER_MERGED).exists()


def test_the_merge_moves_everything_with_one_event_per_conversation(
    lead_client: Client, lead: Agent, pair: tuple[Customer, Customer]
) -> None:
    ann, work = pair
    conversations = set(Conversation.objects.values_list("pk", flat=True))
    identities = set(Identity.objects.values_list("pk", flat=True))
    response = lead_client.post(_confirm(ann.pk), {"other": work.pk, "keep": ann.pk})
    assert response.status_code == 302 and response["Location"] == f"/desk/customers/{ann.pk}/"
    assert not Customer.objects.filter(pk=work.pk).exists()
    assert set(Conversation.objects.filter(customer=ann).values_list("pk", flat=True)) == (
        conversations
    )
    assert set(Identity.objects.filter(customer=ann).values_list("pk", flat=True)) == identities
    events = Event.objects.filter(kind=EventKind.CUSTOMER_MERGED)
    assert sorted(events.values_list("conversation_id", flat=True)) == sorted(conversations)
    assert {(e.actor_id, e.data["merged_from"], e.data["into"]) for e in events} == {
        (lead.user.pk, work.pk, ann.pk)
    }
    page = lead_client.get(response["Location"]).content.decode()
    assert "Merged A. Lee" in page and "1 conversation and 2 identities moved" in page
    assert '<dd id="conversation-count">3</dd>' in page
    # The merged customer's old address leads to the one that remains.
    old = lead_client.get(f"/desk/customers/{work.pk}/")
    assert old.status_code == 302 and old["Location"] == f"/desk/customers/{ann.pk}/"


def test_the_lead_may_keep_the_other_customer_instead(
    lead_client: Client, pair: tuple[Customer, Customer]
) -> None:
    ann, work = pair
    swapped = lead_client.get(_confirm(ann.pk), {"other": work.pk, "keep": work.pk})
    assert f"A. Lee (#{work.pk}) remains" in swapped.content.decode()
    response = lead_client.post(_confirm(ann.pk), {"other": work.pk, "keep": work.pk})
    assert response["Location"] == f"/desk/customers/{work.pk}/"
    work.refresh_from_db()
    assert work.user_id is not None  # Ann's portal login moved with her record
    assert Conversation.objects.filter(customer=work).count() == 3
    chained = lead_client.get(f"/desk/customers/{ann.pk}/")
    assert chained["Location"] == f"/desk/customers/{work.pk}/"


@pytest.mark.parametrize(
    ("other", "keep", "says"),
    [
        ("self", "self", "cannot be merged with themselves"),
        ("999999", "self", "There is no customer #999999"),
        ("abc", "self", "is not a customer number"),
        ("", "", "Choose the other customer first"),
        ("other", "999999", "Choose which customer remains"),
    ],
)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    lead_client: Client, pair: tuple[Customer, Customer], other: str, keep: str, says: str
) -> None:
    ann, work = pair
    ids = {"self": str(ann.pk), "other": str(work.pk)}
    data = {"other": ids.get(other, other), "keep": ids.get(keep, keep)}
    for response in (
        lead_client.get(_confirm(ann.pk), data),
        lead_client.post(_confirm(ann.pk), data),
    ):
        assert response.status_code == 400
        assert says in response.content.decode()
    assert Customer.objects.filter(pk__in=[ann.pk, work.pk]).count() == 2
    assert not Event.objects.filter(kind=EventKind.CUSTOMER_MERGED).exists()


def test_two_portal_logins_are_refused_on_the_page(
    lead_client: Client, pair: tuple[Customer, Customer], team: Team
) -> None:
    ann, _ = pair
    bob = CustomerFactory.create(name="Bob Stone")
    make_conversation(customer=bob, team=team)
    response = lead_client.post(_confirm(ann.pk), {"other": bob.pk, "keep": ann.pk})
    assert response.status_code == 400
    assert "Both customers have a portal login" in response.content.decode()
    # The error page keeps the comparison's address (not the POST's) for a reload.
    assert response["HX-Replace-Url"] == f"{_confirm(ann.pk)}?other={bob.pk}"
    assert Conversation.objects.filter(customer=bob).count() == 1
    assert Identity.objects.filter(customer=bob, kind=IdentityKind.EMAIL).count() == 1


def test_an_unknown_customer_that_was_never_merged_is_not_found(lead_client: Client) -> None:
    assert lead_client.get("/desk/customers/999999/").status_code == 404
    assert lead_client.get(_pick(999999)).status_code == 404
