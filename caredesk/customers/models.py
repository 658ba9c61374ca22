"""Customers, their organisations and the identities that tie channels to one person."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Organisation(models.Model):
    """A company a customer belongs to. Its plan and revenue never affect queue order."""

    name = models.CharField(max_length=200, unique=True)
    plan = models.CharField(max_length=50, blank=True)
    annual_revenue = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Customer(models.Model):
    """A person who brings problems to the desk, on any channel."""

    name = models.CharField(max_length=200)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    locale = models.CharField(max_length=16, default="en")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
        help_text="The portal login, if the customer has one.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def email(self) -> str:
        identity = next((i for i in self.identities.all() if i.kind == IdentityKind.EMAIL), None)
        return identity.value if identity else ""


class IdentityKind(models.TextChoices):
    EMAIL = "email", "Email address"
    EXTERNAL = "external", "External id"
    PHONE = "phone", "Phone number"


class Identity(models.Model):
    """One way to recognise a customer on a channel, so every channel lands on the same person."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=10, choices=IdentityKind.choices)
    value = models.CharField(max_length=254)
    verified = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "value"], name="identity_unique_per_kind")
        ]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"{self.kind}: {self.value}"
