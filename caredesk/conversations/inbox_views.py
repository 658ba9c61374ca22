"""The desk's inboxes: the views with their filters, keyset pages and counts, the agent's saved
views, and bulk actions (parse the ticked conversations and the change, call one service, go back
to the same view with its filters, and say what was done and what was refused)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from caredesk.conversations import queue
from caredesk.conversations.inbox import (
    BULK_ACTIONS,
    BulkChange,
    capped_count,
    conversations_bulk_change,
    inbox_filter,
    inbox_page,
    queue_page_entries,
    saved_view_delete,
    saved_view_save,
    saved_views_of,
    view_order,
    view_parts,
    view_queryset,
)
from caredesk.conversations.inbox_forms import BulkForm, InboxFilterForm, SavedViewForm
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.models import Agent

INBOX_TITLES = {
    "queue": "Queue",
    "mine": "Mine",
    "team": "My teams",
    "waiting": "Waiting",
}


def _filters_of(query: str | QueryDict, like: InboxFilterForm | None = None) -> InboxFilterForm:
    form = InboxFilterForm(QueryDict(query) if isinstance(query, str) else query, like=like)
    form.is_valid()
    return form


@require_GET
@agent_required
def inbox(request: AgentRequest, view: str = "queue") -> HttpResponse:
    """One view, narrowed by the filter bar, a keyset page at a time, with every tab's count."""
    agent: Agent = request.agent
    now = timezone.now()
    filter_form = _filters_of(request.GET)
    filters = filter_form.filters()
    # Each view's base query once: the page, the tabs' counts and the saved views share them.
    bases = {key: view_queryset(agent, key, now=now) for key in INBOX_TITLES}
    qs = inbox_filter(bases[view], filters, now=now)
    page = inbox_page(
        qs.select_related("customer", "owner__user", "team"),
        view_order(view, filters.sort),
        request.GET.get("after", ""),
        parts=view_parts(agent, view, now=now),
    )
    prefetch_related_objects(page.rows, "tags")
    saved = list(saved_views_of(agent))
    context: dict[str, Any] = {
        "view": view,
        "title": INBOX_TITLES[view],
        "views": [(key, label, capped_count(bases[key])) for key, label in INBOX_TITLES.items()],
        "saved_views": [
            (
                s,
                capped_count(
                    inbox_filter(
                        bases[s.view],
                        _filters_of(s.query, like=filter_form).filters(),
                        now=now,
                    )
                ),
            )
            for s in saved
        ],
        "filter_form": filter_form,
        "filters": filters,
        "filter_query": filters.as_query(),
        "bulk_actions": BULK_ACTIONS,
        "page": page,
    }
    if view == "queue":
        context["entries"] = queue_page_entries(page, now=now)
        context["aging_rule"] = queue.AGING_RULE
    else:
        context["conversations"] = page.rows
    template = (
        "desk/_inbox_rows.html" if request.htmx and request.GET.get("rows") else "desk/inbox.html"
    )
    return render(request, template, context)


@require_POST
@agent_required
def saved_view_create(request: AgentRequest) -> HttpResponse:
    """Keep the current filters of a view under a name; only valid filters are kept."""
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"The view was not saved: {errors}")
        return _back(request, request.POST.get("next", ""))
    view = form.cleaned_data["view"]
    query = _filters_of(form.cleaned_data["query"]).filters().as_query()
    try:
        saved = saved_view_save(
            agent=request.agent, name=form.cleaned_data["name"], view=view, query=query
        )
    except ValidationError as exc:
        messages.error(request, "The view was not saved: " + " ".join(exc.messages))
        return _back(request, request.POST.get("next", ""))
    messages.success(request, f"Saved “{saved.name}”.")
    return redirect(f"{reverse('desk:' + view)}?{query}")


@require_POST
@agent_required
def saved_view_remove(request: AgentRequest, pk: int) -> HttpResponse:
    if not saved_view_delete(agent=request.agent, pk=pk):
        raise Http404("No such saved view of yours.")
    messages.success(request, "The saved view is deleted.")
    return redirect("desk:queue")


def _back(request: AgentRequest, url: str) -> HttpResponse:
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    return redirect(url if url and safe else reverse("desk:mine"))


@require_POST
@agent_required
def bulk(request: AgentRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = request.POST.get("next", "")
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        messages.error(request, f"Nothing was changed: {errors}")
        return _back(request, back)
    data = form.cleaned_data
    change = BulkChange(
        action=data["action"],
        agent=data["agent"],
        team=data["team"],
        note=data["note"],
        severity=data["severity"],
        tags=data["tags"],
    )
    try:
        result = conversations_bulk_change(agent=request.agent, ids=form.ids(), change=change)
    except ValidationError as exc:
        messages.error(request, "Nothing was changed: " + " ".join(exc.messages))
        return _back(request, back)
    if result.done:
        ids = ", ".join(f"#{pk}" for pk in result.done)
        messages.success(request, f"Done for {len(result.done)}: {ids}.")
    for pk, why in result.refused:
        messages.error(request, f"#{pk} was not changed: {why}")
    return _back(request, back)
