"""Reads for saved replies and for showing the coach's findings on a draft."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet

from caredesk.empathy.coaching import Finding, combine
from caredesk.people.models import Agent, Team, User
from caredesk.replies.models import CoachOutcome, SavedReply
from caredesk.replies.services import shown_rules


def saved_replies_for(agent: Agent) -> QuerySet[SavedReply]:
    """A team's own replies and the shared ones; leads see every team's."""
    qs = SavedReply.objects.select_related("team")
    if agent.sees_everything:
        return qs
    return qs.filter(Q(team__isnull=True) | Q(team__in=agent.teams.all()))


def teams_for(agent: Agent) -> QuerySet[Team]:
    return Team.objects.all() if agent.sees_everything else agent.teams.all()


@dataclass(frozen=True)
class Segment:
    text: str
    category: str = ""  # empty: plain text; else the finding's category, to highlight


def highlight(draft: str, findings: list[Finding]) -> list[Segment]:
    """The draft cut into plain and flagged pieces, so the page can mark each finding's span."""
    spans = sorted((f.start, f.end, f.category) for f in findings if f.end > f.start)
    segments: list[Segment] = []
    pos = 0
    for start, end, category in spans:
        if start < pos:
            continue  # overlapping spans: the first one is marked
        if start > pos:
            segments.append(Segment(draft[pos:start]))
        segments.append(Segment(draft[start:end], category))
        pos = end
    if pos < len(draft):
        segments.append(Segment(draft[pos:]))
    return segments


@dataclass(frozen=True)
class FindingRow:
    index: int
    finding: Finding
    excerpt: str  # the flagged words, or "" for something missing


def finding_rows(draft: str, findings: list[Finding]) -> list[FindingRow]:
    return [FindingRow(i, f, draft[f.start : f.end]) for i, f in enumerate(findings)]


def coach_view(draft: str, findings: list[Finding], *, shown: str = "") -> dict[str, object]:
    """Everything the findings partial shows: the marked draft and one row per finding.

    `shown` is what the reply box carried so far: the rules the coach showed on this draft.
    It travels with the reply, so that a finding gone by sending time counts as accepted.
    """
    return {
        "text": draft,
        "coach_shown": " ".join(shown_rules([*shown_rules(shown), *(f.rule for f in findings)])),
        "findings": finding_rows(draft, findings),
        "segments": highlight(draft, findings),
        # several findings: the one reply that applies them all without repeating itself
        "combined": combine(draft, findings) if len(findings) >= 2 else "",
    }


# Coaching over time: what each agent met from the coach, and what they did with it, by week.
# Counts per agent and finding, never a score and never a ranking of people; no handle time.

RECURS = 3  # met this often in the period: a finding that recurs (as the review report counts)
WEEKS = 8


@dataclass(frozen=True)
class WeekCount:
    week: date
    accepted: int
    ignored: int


@dataclass(frozen=True)
class FindingTrend:
    category: str
    weeks: tuple[WeekCount, ...]  # oldest first, one per week of the period

    @property
    def accepted(self) -> int:
        return sum(w.accepted for w in self.weeks)

    @property
    def ignored(self) -> int:
        return sum(w.ignored for w in self.weeks)

    @property
    def met(self) -> int:
        return self.accepted + self.ignored

    @property
    def recurs(self) -> bool:
        return self.met >= RECURS

    @property
    def trend(self) -> str:
        """Sent with the finding less or more often in the later half of the period."""
        half = len(self.weeks) // 2
        before = sum(w.ignored for w in self.weeks[:half])
        after = sum(w.ignored for w in self.weeks[half:])
        if after < before:
            return "ignored less often"
        if after > before:
            return "ignored more often"
        return "steady"


@dataclass(frozen=True)
class AgentCoaching:
    agent: str
    findings: tuple[FindingTrend, ...]  # recurring first, then the most met


@dataclass(frozen=True)
class CoachingOverTime:
    weeks: tuple[date, ...]
    agents: tuple[AgentCoaching, ...]  # by name: an order nobody can read as a ranking


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def coaching_over_time(
    *, viewer: Agent, today: date, weeks: int = WEEKS, team: Team | None = None
) -> CoachingOverTime:
    """Per agent, the findings met in the last `weeks` weeks (this one included), accepted or
    ignored, week by week. An agent sees their own; a lead sees everyone, or one team.

    Two queries, whatever the number of agents: the counts, grouped in the database, and the
    names of the agents they belong to.
    """
    last = _monday(today)
    span = tuple(last - timedelta(weeks=n) for n in range(max(weeks, 1) - 1, -1, -1))
    rows = CoachOutcome.objects.filter(week__gte=span[0], week__lte=last)
    if not viewer.sees_everything:
        rows = rows.filter(author=viewer.user)
    elif team is not None:
        rows = rows.filter(author__agent__teams=team)
    counts: dict[int, dict[str, dict[date, list[int]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(lambda: [0, 0]))
    )
    grouped = rows.values("author", "category", "week", "accepted").annotate(n=Count("pk"))
    for row in grouped.order_by():
        counts[row["author"]][row["category"]][row["week"]][0 if row["accepted"] else 1] += row["n"]
    names = {u.pk: str(u) for u in User.objects.filter(pk__in=counts)}
    agents = []
    for author, categories in counts.items():
        trends = [
            FindingTrend(
                category,
                tuple(WeekCount(w, *by_week.get(w, [0, 0])) for w in span),
            )
            for category, by_week in categories.items()
        ]
        trends.sort(key=lambda t: (not t.recurs, -t.met, t.category))
        agents.append(AgentCoaching(names.get(author, f"user {author}"), tuple(trends)))
    agents.sort(key=lambda a: a.agent.casefold())
    return CoachingOverTime(span, tuple(agents))
