"""Reads for saved replies and for showing the coach's findings on a draft."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from caredesk.empathy.coaching import Finding, combine
from caredesk.people.models import Agent, Team
from caredesk.replies.models import SavedReply


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


def coach_view(draft: str, findings: list[Finding]) -> dict[str, object]:
    """Everything the findings partial shows: the marked draft and one row per finding."""
    return {
        "text": draft,
        "findings": finding_rows(draft, findings),
        "segments": highlight(draft, findings),
        # several findings: the one reply that applies them all without repeating itself
        "combined": combine(draft, findings) if len(findings) >= 2 else "",
    }
