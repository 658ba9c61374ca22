"""Writes for customers: finding the one person behind every channel, sign-up and verification."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from caredesk.customers.models import Customer, Identity, IdentityKind, Organisation
from caredesk.people.models import User
from caredesk.text import clean_line, scrub


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


@transaction.atomic
def customer_get_or_create_by_identity(
    *, email: str | None = None, external_id: str | None = None, name: str = ""
) -> Customer:
    """The customer an integrating system means: its own id for them first, then their address.

    An external id seen before always wins, so a system that knows its customers never splits one
    person in two; a new external id is recorded on the customer the address found (or made), and a
    new address on the customer the external id found, so the next channel finds them either way.
    """
    external = clean_line(external_id or "", field="customer_external_id", max_chars=254)
    if not external and not email:
        raise ValidationError({"customer_email": "Say which customer this is for."})
    known = (
        Identity.objects.select_related("customer")
        .filter(kind=IdentityKind.EXTERNAL, value=external)
        .first()
        if external
        else None
    )
    if known is None:
        customer = customer_get_or_create_by_email(email=email or "", name=name)
        if external:
            Identity.objects.create(customer=customer, kind=IdentityKind.EXTERNAL, value=external)
        return customer
    if email:
        address = _normalize_email(email)
        owner = Identity.objects.filter(kind=IdentityKind.EMAIL, value=address).first()
        if owner is None:
            Identity.objects.create(customer=known.customer, kind=IdentityKind.EMAIL, value=address)
        elif owner.customer_id != known.customer_id:
            raise ValidationError(
                {
                    "customer_email": "This address belongs to another customer than the external "
                    "id; merge the two customers first."
                }
            )
    return known.customer


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


def _organisation(organisation_id: int | None) -> Organisation | None:
    if organisation_id is None:
        return None
    found = Organisation.objects.filter(pk=organisation_id).first()
    if found is None:
        raise ValidationError({"organisation_id": "There is no organisation with that id."})
    return found


@transaction.atomic
def customer_create(
    *, name: str, email: str = "", organisation_id: int | None = None, locale: str = "en"
) -> Customer:
    """A customer made by an agent or an integration; an address already known is refused (the
    customer exists: use them), so one person never becomes two."""
    name = clean_line(name, field="name", max_chars=200, required="Give the customer a name.")
    organisation = _organisation(organisation_id)
    if email:
        email = _normalize_email(email)
        if Identity.objects.filter(kind=IdentityKind.EMAIL, value=email).exists():
            raise ValidationError({"email": "A customer with this address exists already."})
    customer = Customer(name=name, organisation=organisation, locale=locale)
    customer.full_clean(exclude=["user"])
    customer.save()
    if email:
        Identity.objects.create(customer=customer, kind=IdentityKind.EMAIL, value=email)
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    name: str | None = None,
    organisation_id: int | None = None,
    clear_organisation: bool = False,
    locale: str | None = None,
) -> Customer:
    """Change what is given; what is not given stays."""
    fields = []
    if name is not None:
        customer.name = clean_line(name, field="name", max_chars=200, required="Give a name.")
        fields.append("name")
    if organisation_id is not None or clear_organisation:
        customer.organisation = None if clear_organisation else _organisation(organisation_id)
        fields.append("organisation")
    if locale is not None:
        customer.locale = locale
        fields.append("locale")
    customer.full_clean(exclude=["user"])
    if fields:
        customer.save(update_fields=fields)
    return customer


@transaction.atomic
def identity_add(*, customer: Customer, kind: str, value: str) -> Identity:
    """Another way to recognise the customer. An identity belongs to one customer only; an
    email added here is unverified until its owner proves it."""
    if kind not in IdentityKind.values:
        raise ValidationError({"kind": f"Choose one of: {', '.join(IdentityKind.values)}."})
    if kind == IdentityKind.EMAIL:
        value = _normalize_email(value)
    else:
        value = clean_line(value, field="value", max_chars=254, required="Give a value.")
    owner = Identity.objects.filter(kind=kind, value=value).first()
    if owner is not None:
        where = "this customer" if owner.customer_id == customer.pk else "another customer"
        raise ValidationError({"value": f"This {kind} belongs to {where} already."})
    return Identity.objects.create(customer=customer, kind=kind, value=value)


def organisation_create(*, name: str, plan: str = "") -> Organisation:
    name = clean_line(name, field="name", max_chars=200, required="Give the organisation a name.")
    if Organisation.objects.filter(name=name).exists():
        raise ValidationError({"name": "An organisation with this name exists already."})
    organisation = Organisation(name=name, plan=clean_line(plan, field="plan", max_chars=50))
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def customer_merge(*, source: Customer, target: Customer) -> Customer:
    """Fold `source` into `target`: every conversation and identity moves, nothing is lost.

    Use `conversations.customer_merge.customer_merge`, which also records an event on each
    conversation; this part only moves what points at the customer. A portal login moves with
    its record; two records that each have a login are refused (two people, or two accounts to
    close by hand first)."""
    if source.pk == target.pk:
        raise ValidationError({"into_id": "A customer cannot be merged into themselves."})
    source = Customer.objects.select_for_update().get(pk=source.pk)
    target = Customer.objects.select_for_update().get(pk=target.pk)
    if source.user_id is not None and target.user_id is not None:
        raise ValidationError(
            {"into_id": "Both customers have a portal login; they cannot be merged into one."}
        )
    login = source.user
    _customer_fold(source=source, target=target)
    if login is not None:
        target.user = login
        target.save(update_fields=["user"])
    return target
