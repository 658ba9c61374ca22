"""Writes for customers: finding the one person behind every channel, sign-up and verification."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from caredesk.conversations.text import clean_line, scrub
from caredesk.customers.models import Customer, Identity, IdentityKind
from caredesk.people.models import User


def _normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Enter a valid email address."}) from exc
    return email


@transaction.atomic
def customer_get_or_create_by_email(*, email: str, name: str = "") -> Customer:
    """The same address always lands on the same customer, whichever channel it came through."""
    email = _normalize_email(email)
    identity = (
        Identity.objects.select_related("customer")
        .filter(kind=IdentityKind.EMAIL, value=email)
        .first()
    )
    if identity:
        return identity.customer
    # Names also come from e-mail headers, where nobody can be asked to fix a broken character.
    name = " ".join(scrub(name or "").split())[:200]
    customer = Customer.objects.create(name=name or email.split("@")[0][:200])
    Identity.objects.create(customer=customer, kind=IdentityKind.EMAIL, value=email)
    return customer


@dataclass(frozen=True)
class SignupOutcome:
    """What a sign-up did. The page shown is the same either way; only the e-mail differs."""

    user: User
    created: bool  # False: the address already had a login, and nothing was created


@transaction.atomic
def customer_signup(*, email: str, password: str, name: str) -> SignupOutcome:
    """Create a portal login with a fresh, empty customer record of its own.

    The login is linked to an existing customer with this address (and so sees their history) only
    once the address is verified (`customer_email_verify`): whoever types an address is not yet
    known to own it. An address that already has a login creates nothing; the caller mails its
    owner instead, and shows the same page, so sign-up never tells which addresses have accounts.
    """
    email = _normalize_email(email)
    name = clean_line(
        name,
        field="name",
        max_chars=200,
        required="Tell us your name so we can address you properly.",
    )
    first, _, last = name.partition(" ")
    candidate = User(email=email, first_name=first[:150], last_name=last[:150])
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    existing = User.objects.filter(email=email).first()
    if existing is not None:
        make_password(password)  # the same hashing work as a new login, so timing tells nothing
        return SignupOutcome(user=existing, created=False)
    user = User.objects.create_user(email, password, first_name=first[:150], last_name=last[:150])
    Customer.objects.create(name=name[:200], user=user)
    return SignupOutcome(user=user, created=True)


@transaction.atomic
def customer_email_verify(*, user: User) -> Customer:
    """Record that the user owns their address, and join the customer who already wrote from it.

    Called only once the user has proven the address (followed the link we mailed, or reset the
    password by mail). A customer who wrote from this address before keeps their record and their
    history, and the login's own record (with anything written before verifying) is folded into it.
    """
    own = Customer.objects.select_for_update().filter(user=user).first()
    identity = (
        Identity.objects.select_for_update()
        .select_related("customer")
        .filter(kind=IdentityKind.EMAIL, value=user.email)
        .first()
    )
    if identity is None:
        if own is None:
            own = Customer.objects.create(name=(str(user) or user.email)[:200], user=user)
        Identity.objects.create(
            customer=own, kind=IdentityKind.EMAIL, value=user.email, verified=True
        )
        return own
    target = identity.customer
    if own is None or own.pk != target.pk:
        if target.user_id is not None and target.user_id != user.pk:
            raise ValidationError(
                {"email": "This address belongs to another account. Log in with that one."}
            )
        name = own.name if own is not None else target.name
        if own is not None:
            _customer_fold(source=own, target=target)
        target.user = user
        target.name = name
        target.full_clean()
        target.save(update_fields=["user", "name"])
    if not identity.verified:
        identity.verified = True
        identity.save(update_fields=["verified"])
    return target


def _customer_fold(*, source: Customer, target: Customer) -> None:
    """Move everything that points at `source` to `target`, then delete `source`.

    Walks the model's relations rather than naming them, so a model added later that points at a
    customer moves too instead of blocking the delete or being lost with it.
    """
    for relation in Customer._meta.related_objects:
        if relation.one_to_many:
            model = relation.related_model
            field = relation.field.name
            model._default_manager.filter(**{field: source}).update(**{field: target})  # type: ignore[union-attr]
    source.delete()
