"""Reads for outreach: the leads' at-risk list, an agent's own tasks, and what came of them
(for the insights: the share of at-risk customers reached and recovered)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page
from django.db.models import Count, Prefetch, Q, QuerySet

from caredesk.care.models import OutreachOutcome, OutreachReason, OutreachTask
from caredesk.conversations.selectors import paginate
from caredesk.people.models import Agent, Team

REACHED = (OutreachOutcome.REACHED, OutreachOutcome.RECOVERED)  # recovering one means reaching them


def _tasks() -> QuerySet[OutreachTask]:
    return OutreachTask.objects.select_related(
        "customer", "agent__user", "conversation"
    ).prefetch_related(
        Prefetch("reasons", queryset=OutreachReason.objects.order_by("created_at", "pk"))
    )


def at_risk_page(*, page: str | int | None) -> Page:
    """Every open outreach task, oldest first, with who is reaching out: three queries a page."""
    return paginate(_tasks().filter(outcome="").order_by("opened_at", "pk"), page)


def outreach_tasks_of(agent: Agent) -> list[OutreachTask]:
    """An agent's own open outreach tasks, oldest first."""
    return list(_tasks().filter(agent=agent, outcome="").order_by("opened_at", "pk")[:200])


def outreach_task_for(agent: Agent, pk: int) -> OutreachTask | None:
    """The task, if this agent may act on it: their own, or any for a lead."""
    tasks = OutreachTask.objects.select_related("conversation")
    if not agent.sees_everything:
        tasks = tasks.filter(agent=agent)
    return tasks.filter(pk=pk).first()


@dataclass(frozen=True)
class OutreachSummary:
    """What came of the outreach opened in a period: customers, and how many were reached
    (recovered included), recovered, lost, or not yet done."""

    customers: int
    reached: int
    recovered: int
    lost: int
    open: int

    @property
    def share_reached(self) -> float | None:
        return self.reached / self.customers if self.customers else None

    @property
    def share_recovered(self) -> float | None:
        return self.recovered / self.customers if self.customers else None


def outreach_summary(
    *, start: datetime, end: datetime, team: Team | None = None
) -> OutreachSummary:
    """The outreach opened in [start, end) (for one team's conversations, or all), one query.
    Customers count once each however many tasks they had; the outcome counted is each task's."""
    tasks = OutreachTask.objects.filter(opened_at__gte=start, opened_at__lt=end)
    if team is not None:
        tasks = tasks.filter(conversation__team=team)
    row = tasks.aggregate(
        customers=Count("customer", distinct=True),
        reached=Count("customer", distinct=True, filter=Q(outcome__in=REACHED)),
        recovered=Count("customer", distinct=True, filter=Q(outcome=OutreachOutcome.RECOVERED)),
        lost=Count("customer", distinct=True, filter=Q(outcome=OutreachOutcome.LOST)),
        open=Count("customer", distinct=True, filter=Q(outcome="")),
    )
    return OutreachSummary(**row)
