"""The desk's search page: the header's search box lands here."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from caredesk.conversations.search import MIN_PREFIX, desk_search, last_word_whole
from caredesk.people.decorators import AgentRequest, agent_required

MAX_QUERY = 200


@require_GET
@agent_required
def search(request: AgentRequest) -> HttpResponse:
    """Results grouped by kind, each only what this agent may open."""
    query = request.GET.get("q", "")[:MAX_QUERY]
    sections = desk_search(user=request.user, query=query)
    context = {
        "query": query,
        "sections": sections,
        "searched": bool(query.strip()),
        "short_word": last_word_whole(query),
        "min_prefix": MIN_PREFIX,
    }
    return render(request, "desk/search.html", context)
