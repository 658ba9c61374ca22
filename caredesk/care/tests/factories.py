"""One factory per model: SLA settings, status-update templates and outreach made through the
real services; an SLA notice is a plain row (the SLA sweep writes real ones with their event)."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from caredesk.care.models import (
    BusinessHours,
    OutreachReason,
    OutreachRule,
    OutreachTask,
    SlaNotice,
    SlaPolicy,
    UpdateTemplate,
)
from caredesk.care.outreach import Finding
from caredesk.care.outreach_services import outreach_mark
from caredesk.care.services import sla_settings_save
from caredesk.care.updates import DEFAULT_TEMPLATE, update_template_save
from caredesk.conversations.models import Conversation, EventKind
from caredesk.conversations.tests.factories import ConversationFactory, EventFactory
from caredesk.people.models import Agent, Role, Severity, Team
from caredesk.people.tests.factories import AgentFactory, TeamFactory, UserFactory

WEEKDAYS: list[list[str] | None] = [["09:00", "17:00"]] * 5 + [None, None]


def make_sla(
    *,
    team: Team,
    lead: Agent,
    time_zone: str = "Europe/Berlin",
    week: list[list[str] | None] | None = None,
    holidays: list[str] | None = None,
    normal: tuple[int, int, int] = (60, 120, 480),
    warn_minutes: int = 15,
    owner_answer_minutes: int = 600,
) -> BusinessHours:
    """Berlin office hours, targets at normal severity only (none above, so a breach's raised
    severity starts no second set of clocks unless a test asks for it)."""
    return sla_settings_save(
        team=team,
        actor=lead,
        time_zone=time_zone,
        week=week or WEEKDAYS,
        holidays=holidays or [],
        warn_minutes=warn_minutes,
        owner_answer_minutes=owner_answer_minutes,
        policies={Severity.NORMAL: normal},
    )


class OutreachReasonFactory(factory.django.DjangoModelFactory[OutreachReason]):
    """A rule's finding, recorded through the real service: it opens (or joins) the customer's
    outreach task, with its AT_RISK event."""

    class Meta:
        model = OutreachReason

    conversation = factory.SubFactory(ConversationFactory)
    rule = OutreachRule.LOW_RATING
    key = factory.Sequence(lambda n: f"factory:{n}")
    reason = "Rated it 1/5 for satisfaction."

    @classmethod
    def _create(
        cls, model_class: type[OutreachReason], *args: Any, **kwargs: Any
    ) -> OutreachReason:
        conversation: Conversation = kwargs["conversation"]
        finding = Finding(
            kwargs["rule"],
            kwargs["key"],
            conversation.customer_id,
            conversation.pk,
            kwargs["reason"],
        )
        made = outreach_mark(finding=finding, at=kwargs.get("created_at") or timezone.now())
        assert made is not None, "a factory's key is new every time"
        return made


class OutreachTaskFactory(factory.django.DjangoModelFactory[OutreachTask]):
    """An open outreach task: the one its first finding opens."""

    class Meta:
        model = OutreachTask

    @classmethod
    def _create(cls, model_class: type[OutreachTask], *args: Any, **kwargs: Any) -> OutreachTask:
        return OutreachReasonFactory.create(**kwargs).task


class BusinessHoursFactory(factory.django.DjangoModelFactory[BusinessHours]):
    """A team's business hours and normal-severity targets, saved by a lead through the service."""

    class Meta:
        model = BusinessHours

    team = factory.SubFactory(TeamFactory)
    lead = factory.SubFactory(AgentFactory, role=Role.LEAD)

    @classmethod
    def _create(cls, model_class: type[BusinessHours], *args: Any, **kwargs: Any) -> BusinessHours:
        return make_sla(**kwargs)


class SlaPolicyFactory(factory.django.DjangoModelFactory[SlaPolicy]):
    """A team's targets at one severity: the normal-severity policy its SLA settings save."""

    class Meta:
        model = SlaPolicy

    team = factory.SubFactory(TeamFactory)
    lead = factory.SubFactory(AgentFactory, role=Role.LEAD)
    first_response_minutes = 60
    next_response_minutes = 120
    resolution_minutes = 480

    @classmethod
    def _create(cls, model_class: type[SlaPolicy], *args: Any, **kwargs: Any) -> SlaPolicy:
        team: Team = kwargs["team"]
        targets = (
            kwargs["first_response_minutes"],
            kwargs["next_response_minutes"],
            kwargs["resolution_minutes"],
        )
        make_sla(team=team, lead=kwargs["lead"], normal=targets)
        return SlaPolicy.objects.get(team=team, severity=Severity.NORMAL)


class SlaNoticeFactory(factory.django.DjangoModelFactory[SlaNotice]):
    """A queued breach mail on its SLA_BREACHED event, for tests of what sends or lists them."""

    class Meta:
        model = SlaNotice

    event = factory.SubFactory(EventFactory, kind=EventKind.SLA_BREACHED)
    recipients = factory.LazyFunction(lambda: ["lead@example.test"])
    subject = factory.LazyAttribute(
        lambda o: f"[Caredesk] SLA breached: #{o.event.conversation_id}"
    )
    body = "First response target was missed by 5 min."
    created_at = factory.LazyFunction(timezone.now)


class UpdateTemplateFactory(factory.django.DjangoModelFactory[UpdateTemplate]):
    """A team's status update, saved (and coached) through the service."""

    class Meta:
        model = UpdateTemplate

    team = factory.SubFactory(TeamFactory)
    text = DEFAULT_TEMPLATE
    user = factory.SubFactory(UserFactory)

    @classmethod
    def _create(
        cls, model_class: type[UpdateTemplate], *args: Any, **kwargs: Any
    ) -> UpdateTemplate:
        return update_template_save(**kwargs)
