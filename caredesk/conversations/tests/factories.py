"""Conversations and messages are made through the real services, so tests see what the desk
would make; events, attachments and ratings are plain rows for tests of what reads them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from caredesk.conversations.inbox import saved_view_save
from caredesk.conversations.models import (
    Attachment,
    Conversation,
    Event,
    EventKind,
    Message,
    Notification,
    NotificationKind,
    Rating,
    SavedView,
    Severity,
    Tag,
    Viewer,
)
from caredesk.conversations.services import (
    conversation_create,
    conversation_tag,
    customer_message_add,
    tag_names,
)
from caredesk.customers.models import Customer
from caredesk.customers.tests.factories import CustomerFactory
from caredesk.people.models import Team
from caredesk.people.tests.factories import AgentFactory


def make_conversation(
    *,
    customer: Customer | None = None,
    subject: str = "My order has not arrived",
    text: str = "Hello, could you change the delivery address on my order to 5 Elm Street?",
    team: Team | None = None,
    severity: int = Severity.NORMAL,
    at: datetime | None = None,
    **kwargs: Any,
) -> Conversation:
    customer = customer or CustomerFactory.create()
    return conversation_create(
        customer=customer,
        subject=subject,
        text=text,
        team=team,
        severity=severity,
        author=customer.user,
        at=at,
        **kwargs,
    )


class ConversationFactory(factory.django.DjangoModelFactory[Conversation]):
    """`make_conversation` as a factory, for SubFactory and `create_batch`."""

    class Meta:
        model = Conversation

    customer = factory.SubFactory(CustomerFactory)
    subject = "My order has not arrived"
    text = "Hello, could you change the delivery address on my order to 5 Elm Street?"

    @classmethod
    def _create(cls, model_class: type[Conversation], *args: Any, **kwargs: Any) -> Conversation:
        return make_conversation(**kwargs)


class MessageFactory(factory.django.DjangoModelFactory[Message]):
    """A customer's message on a conversation, read and recorded as the service would."""

    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    text = "Any news on this? I am still waiting."

    @classmethod
    def _create(cls, model_class: type[Message], *args: Any, **kwargs: Any) -> Message:
        conversation: Conversation = kwargs.pop("conversation")
        kwargs.setdefault("author", conversation.customer.user)
        return customer_message_add(conversation=conversation, **kwargs)


class AttachmentFactory(factory.django.DjangoModelFactory[Attachment]):
    class Meta:
        model = Attachment

    message = factory.SubFactory(MessageFactory)
    filename = "receipt.txt"
    file = factory.LazyAttribute(lambda o: ContentFile(b"Order 1234, paid.", name=o.filename))
    size = 17
    content_type = "text/plain"


class EventFactory(factory.django.DjangoModelFactory[Event]):
    """A bare event row; the services record the real ones (for tests of what reads events)."""

    class Meta:
        model = Event

    conversation = factory.SubFactory(ConversationFactory)
    kind = EventKind.NOTED
    created_at = factory.LazyFunction(timezone.now)
    data = factory.LazyFunction(dict)


class RatingFactory(factory.django.DjangoModelFactory[Rating]):
    """A bare rating row; `rating_submit` is the way a customer rates (it checks resolution)."""

    class Meta:
        model = Rating

    conversation = factory.SubFactory(ConversationFactory)
    satisfaction = 4
    effort = 2
    comment = "Quick and kind."
    created_at = factory.LazyFunction(timezone.now)


class ViewerFactory(factory.django.DjangoModelFactory[Viewer]):
    """An agent with a conversation's page open (`live.viewer_mark` is how the page records it)."""

    class Meta:
        model = Viewer

    conversation = factory.SubFactory(ConversationFactory)
    agent = factory.SubFactory(AgentFactory)
    seen_at = factory.LazyFunction(timezone.now)


class NotificationFactory(factory.django.DjangoModelFactory[Notification]):
    """A bare notification; `notifications_from_event` makes the real ones from events."""

    class Meta:
        model = Notification

    agent = factory.SubFactory(AgentFactory)
    event = factory.SubFactory(EventFactory, kind=EventKind.ASSIGNED)
    conversation = factory.SelfAttribute("event.conversation")
    kind = NotificationKind.ASSIGNED
    created_at = factory.LazyFunction(timezone.now)


class TagFactory(factory.django.DjangoModelFactory[Tag]):
    """A tag as agents make one: the name cleaned by `tag_names` and put on a conversation by
    `conversation_tag` (a new one unless `conversation=` is given)."""

    class Meta:
        model = Tag

    name = factory.Sequence(lambda n: f"refund {n}")

    @classmethod
    def _create(cls, model_class: type[Tag], *args: Any, **kwargs: Any) -> Tag:
        conversation = kwargs.pop("conversation", None) or ConversationFactory.create()
        (name,) = tag_names(kwargs.pop("name"))
        conversation_tag(conversation=conversation, actor=None, add=[name])
        return Tag.objects.get(name=name)


class SavedViewFactory(factory.django.DjangoModelFactory[SavedView]):
    """An agent's own inbox view, kept by `saved_view_save` (it checks the view and the limit)."""

    class Meta:
        model = SavedView

    agent = factory.SubFactory(AgentFactory)
    name = factory.Sequence(lambda n: f"Refunds waiting {n}")
    view = "mine"
    query = "tag=refund"

    @classmethod
    def _create(cls, model_class: type[SavedView], *args: Any, **kwargs: Any) -> SavedView:
        return saved_view_save(**kwargs)
