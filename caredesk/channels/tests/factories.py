"""Rows the channels keep for themselves: an API answer kept for retries, a received mail, an
imported CSV row (plain rows, for tests of what reads them; the channels make the real ones),
and an uploaded CSV file and a desk notification (made through their services)."""

from __future__ import annotations

import hashlib
from typing import Any

import factory
from django.utils import timezone

from caredesk.channels.api.models import IdempotencyKey
from caredesk.channels.csv_jobs import csv_import_start
from caredesk.channels.csv_models import CsvImport, ImportedRow
from caredesk.channels.email.models import InboundMail, InboundStatus, OutboundNotification
from caredesk.channels.email.outbound import leads_alert_send
from caredesk.conversations.tests.factories import ConversationFactory, MessageFactory
from caredesk.people.models import Role
from caredesk.people.tests.factories import AgentFactory, UserFactory

CSV_HEADER = "external_id,conversation,customer_email,customer_name,at,direction,text,subject\n"


class IdempotencyKeyFactory(factory.django.DjangoModelFactory[IdempotencyKey]):
    class Meta:
        model = IdempotencyKey

    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"retry-{n}")
    route = "/api/v1/conversations/"
    request_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.key.encode()).hexdigest())
    status = 201
    body = b'{"id": 1}'
    content_type = "application/json"
    created_at = factory.LazyFunction(timezone.now)


class ImportedRowFactory(factory.django.DjangoModelFactory[ImportedRow]):
    class Meta:
        model = ImportedRow

    message = factory.SubFactory(MessageFactory)
    conversation = factory.SelfAttribute("message.conversation")
    external_id = factory.Sequence(lambda n: f"row-{n}")
    conversation_key = factory.Sequence(lambda n: f"ticket-{n}")
    imported_at = factory.LazyFunction(timezone.now)


class InboundMailFactory(factory.django.DjangoModelFactory[InboundMail]):
    """A received mail the desk stored as a message on its conversation."""

    class Meta:
        model = InboundMail

    stored_message = factory.SubFactory(MessageFactory)
    conversation = factory.SelfAttribute("stored_message.conversation")
    message_id = factory.Sequence(lambda n: f"<mail-{n}@customer.example>")
    sender = "kim@customer.example"
    subject = "Still no internet"
    source = "smtp"
    status = InboundStatus.STORED
    received_at = factory.LazyFunction(timezone.now)


class CsvImportFactory(factory.django.DjangoModelFactory[CsvImport]):
    """An uploaded file of one customer message, stored for the worker by the upload service."""

    class Meta:
        model = CsvImport

    file_name = "conversations.csv"
    raw = factory.Sequence(
        lambda n: (
            CSV_HEADER + f"row-{n},ticket-{n},kim{n}@customer.example,Kim,"
            "2026-03-01T09:30:00+01:00,customer,My parcel never came,Missing parcel\n"
        ).encode()
    )
    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(cls, model_class: type[CsvImport], *args: Any, **kwargs: Any) -> CsvImport:
        return csv_import_start(**kwargs)


class OutboundNotificationFactory(factory.django.DjangoModelFactory[OutboundNotification]):
    """The leads' alert about a conversation, written and sent by the service (to the test
    mail backend)."""

    class Meta:
        model = OutboundNotification

    conversation = factory.SubFactory(ConversationFactory)
    lead = factory.SubFactory(AgentFactory, role=Role.LEAD)
    key = factory.Sequence(lambda n: f"task-{n}")

    @classmethod
    def _create(
        cls, model_class: type[OutboundNotification], *args: Any, **kwargs: Any
    ) -> OutboundNotification:
        leads_alert_send(conversation_id=kwargs["conversation"].pk, key=kwargs["key"])
        return OutboundNotification.objects.get(key=kwargs["key"])
