"""The review: were problems resolved, complaints handled, customers kept and staff helped?

One report for any period, read from the rollups (`selectors.metrics_for`) and, for coaching,
from `CoachDay`: the replies with each reply-coach finding per agent and day, kept beside the
rollups (no message is read). A schedule mails the last week's, month's or quarter's review;
`ReviewSent`'s unique key makes each period's mail leave exactly once.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Sum

from caredesk.channels.email.outbound import desk_address, mail_send, new_message_id
from caredesk.insights import selectors
from caredesk.insights.facts import desk_zone
from caredesk.insights.goals import fmt, goal_progress, goals_live, period_of
from caredesk.insights.models import Cadence, CoachDay, ReviewSchedule, ReviewSent
from caredesk.insights.selectors import Scope, Value
from caredesk.people.models import Agent

RECURS = 3  # a finding category met this often in a period is a coaching need
SECTIONS = {
    "Problems resolved": (
        "resolution_median",
        "first_contact_resolution",
        "reopen_rate",
        "self_service_rate",
    ),
    "Complaints handled": ("complaints", "complaints_resolved_share"),
    "Customers retained": (
        "retention",
        "at_risk_reached",
        "satisfaction",
        "rating_response_rate",
    ),
    "Workload": ("opened", "backlog", "people_per_problem"),
}


@dataclass(frozen=True)
class CoachingNeed:
    agent: str
    category: str
    count: int
    replies: int
    before: int
    replies_before: int

    @property
    def improved(self) -> bool:
        """Fewer findings per reply than in the period before (and it happened before)."""
        if not self.before or not self.replies_before or not self.replies:
            return False
        return self.count / self.replies < self.before / self.replies_before


@dataclass(frozen=True)
class Review:
    start: date
    end: date
    sections: dict[str, list[Value]]
    complaint_outcomes: dict[str, int]
    goals: list[Any]
    coaching: list[CoachingNeed]


def preset(name: str, today: date) -> tuple[date, date]:
    """The last full week, month or quarter before today."""
    cadence = {"week": Cadence.WEEKLY, "month": Cadence.MONTHLY, "quarter": Cadence.QUARTERLY}
    if name not in cadence:
        raise ValidationError({"preset": "Choose week, month or quarter."})
    this_start, _ = period_of(today, cadence[name])
    return period_of(this_start - timedelta(days=1), cadence[name])


def _instant(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=desk_zone())


def _findings(start: date, end: date) -> tuple[Counter[tuple[int, str]], Counter[int]]:
    """Per agent and category, replies with that finding; per agent, all replies."""
    rows = (
        CoachDay.objects.filter(day__gte=start, day__lte=end)
        .values("author_id", "category")
        .annotate(n=Sum("replies"))
        .values_list("author_id", "category", "n")
    )
    found: Counter[tuple[int, str]] = Counter()
    replies: Counter[int] = Counter()
    for author, category, n in rows:
        if category:
            found[(author, category)] = n
        else:
            replies[author] = n
    return found, replies


def coaching_needs(start: date, end: date) -> list[CoachingNeed]:
    """The reply-coach findings that recur per agent, beside the same-length period before."""
    found, replies = _findings(start, end)
    length = (end - start).days + 1
    found_before, replies_before = _findings(
        start - timedelta(days=length), start - timedelta(days=1)
    )
    recurring = {k: n for k, n in found.items() if n >= RECURS}
    recurring |= {k: found.get(k, 0) for k, n in found_before.items() if n >= RECURS}
    names = dict(
        Agent.objects.filter(user_id__in={a for a, _ in recurring}).values_list(
            "user_id", "user__email"
        )
    )
    out = [
        CoachingNeed(
            agent=names.get(author, f"user {author}"),
            category=category,
            count=n,
            replies=replies[author],
            before=found_before.get((author, category), 0),
            replies_before=replies_before[author],
        )
        for (author, category), n in recurring.items()
    ]
    return sorted(out, key=lambda c: (c.agent, -c.count, c.category))


def review_for(*, start: date, end: date, today: date) -> Review:
    groups = selectors.metrics_for(start=start, end=end, scope=Scope())
    values = {v.metric.name: v for v in groups[0].values}
    complaints = values["complaints_resolved_share"].details
    live = [goal_progress(g, today) for g in goals_live() if g.start <= end and g.end >= start]
    return Review(
        start=start,
        end=end,
        sections={title: [values[n] for n in names] for title, names in SECTIONS.items()},
        complaint_outcomes={
            "resolved for good": complaints.get("resolved", 0),
            "resolved after coming back": complaints.get("resolved_after_reopen", 0),
            "still open": complaints.get("open", 0),
        },
        goals=live,
        coaching=coaching_needs(start, end),
    )


def review_csv(review: Review) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["section", "item", "value", "cases", "too few cases", "definition"])
    for title, values in review.sections.items():
        for v in values:
            shown = fmt(v.metric, v.value)
            w.writerow([title, v.metric.title, shown, v.cases, v.thin, v.metric.definition])
    for outcome, n in review.complaint_outcomes.items():
        w.writerow(["Complaints: how they ended", outcome, n, "", "", ""])
    for p in review.goals:
        for c in p.checkpoints:
            cp = c.checkpoint
            w.writerow(
                [
                    "Goals",
                    f"{p.metric.title} {cp.start}..{cp.end} (target {fmt(p.metric, cp.target)})",
                    fmt(p.metric, c.value),
                    c.cases,
                    c.thin,
                    c.state,
                ]
            )
    for need in review.coaching:
        w.writerow(
            [
                "Coaching",
                f"{need.agent}: {need.category}",
                need.count,
                need.replies,
                "",
                "improved" if need.improved else f"{need.before} in the period before",
            ]
        )
    return out.getvalue()


def review_text(review: Review) -> str:
    lines = [f"The review of {review.start:%-d %b %Y} – {review.end:%-d %b %Y}", ""]
    for title, values in review.sections.items():
        lines.append(title)
        for v in values:
            thin = " (too few cases to read much into)" if v.thin else ""
            lines.append(f"  {v.metric.title}: {fmt(v.metric, v.value)}, {v.cases} cases{thin}")
        lines.append("")
    lines.append(
        "Complaints, how they ended: "
        + ", ".join(f"{n} {k}" for k, n in review.complaint_outcomes.items())
    )
    for p in review.goals:
        lines.append(f"Goal: {p.metric.title} → {fmt(p.metric, p.goal.target)}. {p.forecast_text}")
    for need in review.coaching:
        better = " (improved)" if need.improved else ""
        lines.append(f"Coaching: {need.agent}, {need.category}: {need.count}{better}")
    return "\n".join(lines) + "\n"


# -- the schedule -----------------------------------------------------------------------------


def review_schedule_create(*, actor: Agent, cadence: str, to: str, at: datetime) -> ReviewSchedule:
    schedule = ReviewSchedule(cadence=cadence, to=to, created_by=actor, created_at=at)
    schedule.full_clean()
    schedule.save()
    return schedule


def review_schedule_stop(*, schedule: ReviewSchedule) -> None:
    ReviewSchedule.objects.filter(pk=schedule.pk).update(active=False)


def review_send_due(*, schedule: ReviewSchedule, today: date) -> bool:
    """Mail the last full period's review, unless it went already: the `ReviewSent` row is
    claimed first (unique per schedule and period) and removed again if the send fails."""
    start, end = preset(schedule.cadence, today)
    try:
        with transaction.atomic():
            claim = ReviewSent.objects.create(schedule=schedule, period_start=start)
    except IntegrityError:
        return False
    review = review_for(start=start, end=end, today=today)
    mail = EmailMessage(
        subject=f"Caredesk review: {start:%-d %b} – {end:%-d %b %Y}",
        body=review_text(review),
        from_email=desk_address(),
        to=[schedule.to],
        headers={"Message-ID": new_message_id(), "Auto-Submitted": "auto-generated"},
    )
    mail.attach(f"review-{start}-{end}.csv", review_csv(review), "text/csv")
    try:
        mail_send(mail)
    except Exception:
        claim.delete()
        raise
    ReviewSent.objects.filter(pk=claim.pk).update(sent_at=_instant(today))
    return True


def reviews_send_due(*, today: date) -> int:
    return sum(
        review_send_due(schedule=s, today=today)
        for s in ReviewSchedule.objects.filter(active=True).order_by("pk")
    )
