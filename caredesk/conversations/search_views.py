"""The desk's search page: the header's search box lands here."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from caredesk.conversations.search import MIN_PREFIX, desk_search, search_terms
from caredesk.people.decorators import AgentRequest, agent_required

MAX_QUERY = 200


@require_GET
@agent_required
def search(request: AgentRequest) -> HttpResponse:
    """Results grouped by kind, each only what this agent may open."""
    query = request.GET.get("q", "")[:MAX_QUERY]
    sections = desk_search(user=request.user, query=query)
    terms = search_terms(query)
    context = {
        "query": query,
        "sections": sections,
        "searched": bool(query.strip()),
        # a short last word is matched whole, never as the start of a word: say so
        "short_word": terms[-1] if terms and len(terms[-1]) < MIN_PREFIX else "",
        "min_prefix": MIN_PREFIX,
    }
    return render(request, "desk/search.html", context)
