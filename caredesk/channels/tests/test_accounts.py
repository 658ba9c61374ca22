"""Accounts belong to their owner: verified sign-up, reset, throttled logins, idle sessions."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.utils import timezone

from caredesk import config
from caredesk.channels.middleware import REFRESHED_KEY
from caredesk.conftest import login
from caredesk.conversations.models import Conversation
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer, Identity, IdentityKind
from caredesk.customers.selectors import email_verified
from caredesk.customers.services import customer_get_or_create_by_email
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import User
from caredesk.people.tests.factories import PASSWORD, UserFactory

if TYPE_CHECKING:
    # The stubs' name for what the test client returns: an HttpResponse with .json(), .context.
    from django.test.client import _MonkeyPatchedWSGIResponse

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-orchard-lantern"
ROSA = "rosa.marquez@example.test"


@pytest.fixture(autouse=True)
def _fresh_mail_limits() -> None:
    cache.clear()  # the one-mail-per-minute limit must not carry over from another test


def _signup(
    client: Client, email: str, password: str = NEW_PASSWORD, name: str = "Rosa Marquez"
) -> _MonkeyPatchedWSGIResponse:
    return client.post("/signup/", {"name": name, "email": email, "password": password})


def _link(message: mail.EmailMessage, kind: str) -> str:
    found = re.search(rf"https?://[^/\s]+(/{kind}/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def _log_in(client: Client, email: str, password: str, **extra: str) -> _MonkeyPatchedWSGIResponse:
    return client.post("/login/", {"username": email, "password": password}, **extra)


def _wrote_by_email_before() -> Conversation:
    """A customer who wrote to us by mail and never had a login."""
    customer = customer_get_or_create_by_email(email=ROSA, name="Rosa M.")
    return make_conversation(customer=customer, subject="Refund for order 7781")


# --- Sign-up: the address must be proven before any history shows ----------------------------


def test_signup_with_a_known_address_shows_no_history_until_the_link_is_followed() -> None:
    earlier = _wrote_by_email_before()
    client = Client()
    r = _signup(client, ROSA)
    assert r.status_code == 200 and b"Check your mail" in r.content
    assert "_auth_user_id" not in client.session  # not logged in by signing up
    user = User.objects.get(email=ROSA)
    assert Customer.objects.get(pk=earlier.customer_id).user is None
    assert not email_verified(user)

    # Logged in but unverified: a fresh, empty record. It can write at once, sees nothing older.
    assert _log_in(client, ROSA, NEW_PASSWORD).status_code == 302
    page = client.get("/portal/").content.decode()
    assert "Refund for order 7781" not in page
    assert client.get(f"/portal/c/{earlier.pk}/").status_code == 404
    r = client.post("/portal/new/", {"subject": "Where is my parcel?", "text": "Hello!"})
    assert r.status_code == 302
    written_first = Conversation.objects.get(subject="Where is my parcel?")
    assert written_first.customer_id != earlier.customer_id

    # The mail holds the link; following it (and confirming) joins the two records.
    (message,) = mail.outbox
    assert message.to == [ROSA] and "Confirm your email" in message.subject
    link = _link(message, "signup/verify")
    confirm = client.get(link)
    assert confirm.status_code == 200 and b"Confirm my address" in confirm.content
    assert "Refund for order 7781" not in client.get("/portal/").content.decode()  # GET: nothing
    r = client.post(link)
    assert r.status_code == 302 and r["Location"] == "/portal/"
    page = client.get("/portal/").content.decode()
    assert "Refund for order 7781" in page and "Where is my parcel?" in page
    assert client.get(f"/portal/c/{earlier.pk}/").status_code == 200
    customer = Customer.objects.get(user=user)
    assert customer.pk == earlier.customer_id and customer.name == "Rosa Marquez"
    assert Identity.objects.get(value=ROSA).verified
    assert Customer.objects.filter(pk=written_first.customer_id).exists() is False

    # Spent: the same link does not confirm again.
    again = client.post(link, follow=True)
    assert b"already confirmed" in again.content


def test_signup_and_reset_answer_at_once_while_the_mail_server_is_down(settings: Any) -> None:
    """Mail goes out from the worker: a dead mail server neither fails nor slows the page, and
    nothing the person typed is lost (the task is retried later)."""
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once the socket is closed
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    r = _signup(Client(), ROSA)
    assert r.status_code == 200 and b"Check your mail" in r.content
    assert User.objects.filter(email=ROSA).exists()
    cache.clear()
    r = Client().post("/password-reset/", {"email": ROSA})
    assert r.status_code == 302


def test_a_brand_new_address_is_recorded_as_verified_on_its_own_record() -> None:
    client = Client()
    _signup(client, "new.person@example.test", name="New Person")
    _log_in(client, "new.person@example.test", NEW_PASSWORD)
    customer = Customer.objects.get(user__email="new.person@example.test")
    assert not customer.identities.exists()  # unproven: mail from the address does not land here
    assert client.post(_link(mail.outbox[0], "signup/verify")).status_code == 302
    identity = Identity.objects.get(customer=customer)
    assert (identity.kind, identity.value, identity.verified) == (
        IdentityKind.EMAIL,
        "new.person@example.test",
        True,
    )


def test_the_link_needs_the_login_of_the_account_it_was_sent_to() -> None:
    _wrote_by_email_before()
    _signup(Client(), ROSA)
    link = _link(mail.outbox[0], "signup/verify")
    # The owner of the mailbox clicks a link a stranger caused: without the password, nothing.
    anonymous = Client()
    r = anonymous.get(link)
    assert r.status_code == 302 and r["Location"].startswith("/login/?next=/signup/verify/")
    assert anonymous.post(link).status_code == 302
    someone_else = login(Client(), CustomerFactory.create().user.email)
    r = someone_else.post(link)
    assert r.status_code == 400 and b"for another account" in r.content
    owner = Client()
    _log_in(owner, ROSA, NEW_PASSWORD)
    forged = link.rstrip("/").rsplit("/", 1)[0] + "/abc-123/"
    r = owner.post(forged)
    assert r.status_code == 400 and b"expired or was already used" in r.content
    assert not Identity.objects.get(value=ROSA).verified
    assert Customer.objects.get(identities__value=ROSA).user is None


def _normalised(content: bytes, email: str) -> str:
    text = content.decode().replace(email, "EMAIL")
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
    return re.sub(r'"X-CSRFToken": "[^"]+"', "", text)  # a fresh CSRF token on every page


def test_signup_answers_the_same_whether_or_not_the_address_has_a_login() -> None:
    existing = CustomerFactory.create()
    taken, new = existing.user.email, "never.seen@example.test"
    answers = {email: _signup(Client(), email) for email in (taken, new)}
    assert answers[taken].status_code == answers[new].status_code == 200
    assert _normalised(answers[taken].content, taken) == _normalised(answers[new].content, new)
    assert set(answers[taken].cookies) == set(answers[new].cookies)
    # Only the mail differs, and only the address's owner reads it.
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "tried to sign up" in by_address[taken].subject
    assert "/password-reset/" in by_address[taken].body
    assert "Confirm" in by_address[new].subject
    # Nothing was created or changed for the taken address.
    assert User.objects.filter(email=taken).count() == 1
    existing.user.refresh_from_db()
    assert existing.user.check_password(PASSWORD)


def test_resend_answers_the_same_and_mails_only_a_login_awaiting_its_link() -> None:
    _signup(Client(), ROSA)
    verified = CustomerFactory.create()
    Identity.objects.filter(customer=verified).update(verified=True)
    mail.outbox.clear()
    cache.clear()
    answers = {
        email: Client().post("/signup/resend/", {"email": email})
        for email in (ROSA, verified.user.email, "nobody@example.test")
    }
    pages = {_normalised(r.content, email) for email, r in answers.items()}
    assert len(pages) == 1 and {r.status_code for r in answers.values()} == {200}
    assert [m.to for m in mail.outbox] == [[ROSA]]
    # A second request within the minute sends nothing more: the form cannot flood a mailbox.
    Client().post("/signup/resend/", {"email": ROSA})
    assert len(mail.outbox) == 1


def test_weak_passwords_are_refused_with_the_reason() -> None:
    client = Client()
    cases = {
        "short1": b"too short",
        "73917365020": b"entirely numeric",
        "rosa.marquez": b"too similar to the email address",
        "password123": b"too common",
    }
    for password, reason in cases.items():
        r = _signup(client, ROSA, password=password, name="Ann Lee")
        assert r.status_code == 400 and reason in r.content, password
    assert not User.objects.filter(email=ROSA).exists() and not mail.outbox


# --- Password reset --------------------------------------------------------------------------


def test_password_reset_answers_the_same_and_works_end_to_end() -> None:
    user = CustomerFactory.create().user
    answers = [
        Client().post("/password-reset/", {"email": email})
        for email in (user.email, "nobody@example.test")
    ]
    assert [r.status_code for r in answers] == [302, 302]
    assert answers[0]["Location"] == answers[1]["Location"] == "/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == [user.email]

    client = Client()
    r = client.get(_link(message, "password-reset"))
    assert r.status_code == 302  # Django moves the token out of the URL into the session
    form_url = r["Location"]
    r = client.post(form_url, {"new_password1": "12345678", "new_password2": "12345678"})
    assert r.status_code == 200 and b"entirely numeric" in r.content
    r = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/password-reset/done/"
    assert _log_in(Client(), user.email, PASSWORD).status_code == 200  # the old one is refused
    assert _log_in(Client(), user.email, NEW_PASSWORD).status_code == 302
    assert client.get(_link(message, "password-reset"), follow=True).context["validlink"] is False


def test_a_password_reset_also_proves_the_address() -> None:
    earlier = _wrote_by_email_before()
    _signup(Client(), ROSA)
    cache.clear()
    Client().post("/password-reset/", {"email": ROSA})
    client = Client()
    form_url = client.get(_link(mail.outbox[-1], "password-reset"))["Location"]
    client.post(
        form_url, {"new_password1": "quiet-harbour-42", "new_password2": "quiet-harbour-42"}
    )
    assert Customer.objects.get(pk=earlier.customer_id).user == User.objects.get(email=ROSA)
    assert Identity.objects.get(value=ROSA).verified


# --- Login throttling ------------------------------------------------------------------------


@pytest.fixture
def limit(settings: Any) -> int:
    settings.AXES_FAILURE_LIMIT = 3
    return 3


def test_failed_logins_lock_the_account_and_then_refuse_the_right_password(limit: int) -> None:
    user = CustomerFactory.create().user
    for _ in range(limit - 1):
        r = _log_in(Client(), user.email, "wrong-guess")
        assert r.status_code == 200 and b"correct email address and password" in r.content
    assert _log_in(Client(), user.email, "wrong-guess").status_code == 429  # the limit-th
    r = _log_in(Client(), user.email, PASSWORD)
    assert r.status_code == 429 and b"Too many failed logins" in r.content
    assert b"Try again in 15 minutes" in r.content
    # Per account: from another address too, and whatever the case of the address typed.
    other = {"REMOTE_ADDR": "203.0.113.9"}
    assert _log_in(Client(), user.email.upper(), PASSWORD, **other).status_code == 429
    assert "_auth_user_id" not in Client().session


def test_the_admin_login_is_throttled_too(limit: int) -> None:
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    for attempt in range(1, limit + 1):
        r = Client().post("/admin/login/", {"username": staff.email, "password": "wrong-guess"})
        assert r.status_code == (429 if attempt == limit else 200)
    r = Client().post("/admin/login/", {"username": staff.email, "password": PASSWORD})
    assert r.status_code == 429 and b"Too many failed logins" in r.content


def test_one_address_guessing_many_accounts_is_locked_out(limit: int) -> None:
    users = [CustomerFactory.create().user for _ in range(limit + 1)]
    for user in users[: limit - 1]:  # one wrong guess each: no account reaches the limit
        assert _log_in(Client(), user.email, "wrong-guess").status_code == 200
    assert _log_in(Client(), users[limit - 1].email, "wrong-guess").status_code == 429
    assert _log_in(Client(), users[limit].email, PASSWORD).status_code == 429
    # The same account from another address logs in: it was the address that was locked.
    elsewhere = {"REMOTE_ADDR": "198.51.100.7"}
    assert _log_in(Client(), users[limit].email, PASSWORD, **elsewhere).status_code == 302


def test_behind_a_proxy_clients_are_told_apart_by_the_address_the_proxy_saw(
    limit: int, settings: Any
) -> None:
    """Every request comes from the proxy: without CAREDESK_PROXY_COUNT one guesser would lock
    everyone out; with it, the address our proxy appended counts, and a forged one does not."""
    settings.CAREDESK_PROXY_COUNT = 1
    users = [CustomerFactory.create().user for _ in range(limit + 1)]
    proxy = "10.0.0.2"
    for i, user in enumerate(users[:limit]):  # the guesser forges a new left-hand address each time
        forged = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": f"192.0.2.{i}, 203.0.113.66"}
        assert _log_in(Client(), user.email, "wrong-guess", **forged).status_code in (200, 429)
    guesser = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    assert _log_in(Client(), users[limit].email, PASSWORD, **guesser).status_code == 429
    someone_else = {"REMOTE_ADDR": proxy, "HTTP_X_FORWARDED_FOR": "198.51.100.20"}
    assert _log_in(Client(), users[limit].email, PASSWORD, **someone_else).status_code == 302


# --- Idle sessions ---------------------------------------------------------------------------


def _session(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_sessions_end_after_the_idle_time_without_a_write_per_request(settings: Any) -> None:
    customer = CustomerFactory.create()
    client = Client()
    assert _log_in(client, customer.user.email, PASSWORD).status_code == 302
    first = _session(client)
    assert settings.SESSION_COOKIE_AGE == 12 * 3600
    assert first.expire_date > timezone.now() + timedelta(hours=11)

    # Reading pages within the refresh interval leaves the session row alone.
    for _ in range(3):
        assert client.get("/portal/").status_code == 200
    assert _session(client).expire_date == first.expire_date
    assert _session(client).session_data == first.session_data

    # Once the interval has passed, a request pushes the expiry on (idle, not absolute).
    store = client.session
    store[REFRESHED_KEY] = int(time.time()) - settings.CAREDESK_SESSION_REFRESH_SECONDS - 1
    store.save()
    Session.objects.filter(pk=first.pk).update(expire_date=timezone.now() + timedelta(hours=1))
    assert client.get("/portal/").status_code == 200
    assert _session(client).expire_date > timezone.now() + timedelta(hours=11)

    # After the idle time with no request, the session is gone: back to the login page.
    Session.objects.filter(pk=first.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    r = client.get("/portal/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")


def test_the_idle_time_is_configurable(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("CAREDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CAREDESK_SESSION_IDLE_HOURS", "2")
    assert config.load().session_idle_hours == 2
    monkeypatch.setenv("CAREDESK_SESSION_IDLE_HOURS", "0")
    with pytest.raises(ImproperlyConfigured, match="CAREDESK_SESSION_IDLE_HOURS"):
        config.load()
