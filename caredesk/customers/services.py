"""Writes for customers: finding the one person behind every channel, and portal sign-up."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

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
    customer = Customer.objects.create(name=(name or email.split("@")[0])[:200])
    Identity.objects.create(customer=customer, kind=IdentityKind.EMAIL, value=email)
    return customer


@transaction.atomic
def customer_signup(*, email: str, password: str, name: str) -> Customer:
    """Create a portal login; an existing email-only customer keeps their history."""
    email = _normalize_email(email)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": "Tell us your name so we can address you properly."})
    if User.objects.filter(email=email).exists():
        raise ValidationError({"email": "An account with this email exists. Log in instead."})
    try:
        validate_password(password)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    customer = customer_get_or_create_by_email(email=email, name=name)
    first, _, last = name.partition(" ")
    user = User.objects.create_user(email, password, first_name=first[:150], last_name=last[:150])
    customer.user = user
    customer.name = name[:200]
    customer.save(update_fields=["user", "name"])
    Identity.objects.filter(customer=customer, kind=IdentityKind.EMAIL, value=email).update(
        verified=False
    )
    return customer
