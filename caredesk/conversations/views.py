"""The agent desk: thin views that parse, call one service and render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from caredesk.conversations import queue, selectors, services
from caredesk.conversations.coaching import conversation_coach, placeholder_values
from caredesk.conversations.forms import MergeForm, NoteForm, ReplyForm, SeverityForm, TransferForm
from caredesk.conversations.models import Conversation, Severity
from caredesk.conversations.selectors import conversations_visible_to, customer_history
from caredesk.customers.models import Customer
from caredesk.empathy.coaching import apply_rewrite
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.models import Agent, Team
from caredesk.replies import selectors as reply_selectors
from caredesk.replies.forms import ApplyForm, CoachForm, InsertForm
from caredesk.replies.services import saved_reply_render

INBOX_TITLES = {
    "queue": "Queue",
    "mine": "Mine",
    "team": "My teams",
    "waiting": "Waiting",
}


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


@require_GET
@agent_required
def inbox(request: AgentRequest, view: str = "queue") -> HttpResponse:
    agent: Agent = request.agent
    context: dict[str, Any] = {"view": view, "title": INBOX_TITLES[view], "views": INBOX_TITLES}
    if view == "queue":
        qs = queue.queue_for_agent(agent)
        page = selectors.paginate(qs.values_list("pk", flat=True), request.GET.get("page"))
        offset = (page.number - 1) * selectors.PAGE_SIZE
        context["entries"] = queue.queue_entries(qs, offset=offset, limit=selectors.PAGE_SIZE)
        context["aging_rule"] = queue.AGING_RULE
    else:
        page = selectors.paginate(
            selectors.inbox_queryset(agent, view).select_related("customer", "owner__user", "team"),
            request.GET.get("page"),
        )
        context["conversations"] = page.object_list
    context["page"] = page
    template = (
        "desk/_inbox_rows.html" if request.htmx and request.GET.get("rows") else "desk/inbox.html"
    )
    return render(request, template, context)


@require_POST
@agent_required
def take_next(request: AgentRequest) -> HttpResponse:
    conversation = queue.take_next(agent=request.agent)
    if conversation is None:
        messages.info(request, "The queue is empty — nothing waiting for you right now.")
        return redirect("desk:queue")
    messages.success(request, f"You took #{conversation.pk}: {conversation.subject}")
    return redirect("desk:conversation", pk=conversation.pk)


def _visible(request: AgentRequest, pk: int) -> Conversation:
    qs = conversations_visible_to(request.user).select_related(
        "customer__organisation", "owner__user", "team", "merged_into"
    )
    return get_object_or_404(qs, pk=pk)


def _page(
    request: AgentRequest,
    conversation: Conversation,
    *,
    status: int = 200,
    error: str | None = None,
    **forms_: forms.Form,
) -> HttpResponse:
    agent: Agent = request.agent
    position = queue.queue_position(conversation)
    context: dict[str, Any] = {
        "conversation": conversation,
        "timeline": selectors.timeline(conversation),
        "handoff": selectors.handoff_note(conversation),
        "people_per_problem": selectors.people_per_problem(conversation),
        **dict(zip(("trend", "trend_word"), selectors.reading_trend(conversation), strict=True)),
        "history": customer_history(conversation.customer, exclude=conversation),
        "position": position,
        "agents": Agent.objects.select_related("user").exclude(pk=agent.pk),
        "teams": Team.objects.all(),
        "severities": Severity.choices,
        "merge_targets": Conversation.objects.filter(
            customer=conversation.customer, merged_into__isnull=True
        )
        .exclude(pk=conversation.pk)
        .order_by("-created_at")[:20],
        "reply_form": forms_.get("reply_form") or ReplyForm(),
        "note_form": forms_.get("note_form") or NoteForm(),
        "transfer_form": forms_.get("transfer_form") or TransferForm(),
        "error": error,
    }
    return render(request, "desk/conversation.html", context, status=status)


@require_GET
@agent_required
def conversation_detail(request: AgentRequest, pk: int) -> HttpResponse:
    return _page(request, _visible(request, pk))


def _act(
    request: AgentRequest,
    pk: int,
    form_class: type[forms.Form],
    form_key: str,
    action: Callable[[Conversation, dict[str, Any]], str],
) -> HttpResponse:
    """Shared shape of every desk action: parse, call a service, redirect or show the error."""
    conversation = _visible(request, pk)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            done = action(conversation, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
            return _page(
                request, conversation, status=400, error=_error_text(exc), **{form_key: form}
            )
        messages.success(request, done)
        return redirect("desk:conversation", pk=conversation.pk)
    errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
    return _page(request, conversation, status=400, error=errors, **{form_key: form})


@require_POST
@agent_required
def reply(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.reply_send(
            conversation=c,
            agent=request.agent,
            text=data["text"],
            resolve=data["resolve"],
            attachments=request.FILES.getlist("attachments"),
        )
        return "Reply sent." + (" Conversation resolved." if data["resolve"] else "")

    return _act(request, pk, ReplyForm, "reply_form", action)


@require_POST
@agent_required
def note(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.note_add(conversation=c, agent=request.agent, text=data["text"])
        return "Internal note added."

    return _act(request, pk, NoteForm, "note_form", action)


@require_POST
@agent_required
def transfer(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.conversation_transfer(
            conversation=c,
            actor=request.user,
            note=data["note"],
            to_agent=data["to_agent"],
            to_team=data["to_team"],
        )
        target = data["to_agent"] or data["to_team"]
        return f"Transferred to {target} with your handoff note."

    return _act(request, pk, TransferForm, "transfer_form", action)


@require_POST
@agent_required
def severity(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.severity_change(
            conversation=c,
            actor=request.user,
            severity=data["severity"],
            reason=data["reason"],
        )
        return f"Severity set to {Severity(data['severity']).label.lower()}."

    return _act(request, pk, SeverityForm, "severity_form", action)


@require_POST
@agent_required
def resolve(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.conversation_resolve(conversation=c, agent=request.agent)
        return "Resolved. The customer can now rate it."

    return _act(request, pk, forms.Form, "action_form", action)


@require_POST
@agent_required
def reopen(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.conversation_reopen(conversation=c, actor=request.user)
        return "Reopened."

    return _act(request, pk, forms.Form, "action_form", action)


@require_POST
@agent_required
def merge(request: AgentRequest, pk: int) -> HttpResponse:
    source = _visible(request, pk)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _page(request, source, status=400, error="Choose a conversation to merge into.")
    target = _visible(request, form.cleaned_data["target"])
    try:
        services.conversation_merge(source=source, target=target, agent=request.agent)
    except ValidationError as exc:
        return _page(request, source, status=400, error=_error_text(exc))
    messages.success(request, f"Merged #{source.pk} into this conversation; nothing was lost.")
    return redirect("desk:conversation", pk=target.pk)


@require_GET
@agent_required
def customer_detail(request: AgentRequest, pk: int) -> HttpResponse:
    customer = get_object_or_404(Customer.objects.select_related("organisation"), pk=pk)
    visible = conversations_visible_to(request.user)
    if not visible.filter(customer=customer).exists() and not request.agent.sees_everything:
        raise Http404("No such customer.")
    history = customer_history(customer)
    return render(request, "desk/customer.html", {"customer": customer, "history": history})


# The coach in the reply box (htmx partials). It lives with the conversation it reads; the rules,
# saved replies and `draft_coach` are the replies app's. Its routes keep their `replies:` names
# and /replies/coach/ paths (caredesk/urls.py mounts `urls.coach_urlpatterns` there).


def _reply_box(
    request: AgentRequest, conversation: Conversation, text: str, status: int = 200
) -> HttpResponse:
    found = conversation_coach(conversation, text) if text.strip() else []
    context = {
        "conversation": conversation,
        "saved_replies": reply_selectors.saved_replies_for(request.agent),
        **reply_selectors.coach_view(text, found),
    }
    return render(request, "replies/_reply_box.html", context, status=status)


def _coached(request: AgentRequest, pk: int) -> Conversation:
    qs = conversations_visible_to(request.user).select_related("customer", "team")
    return get_object_or_404(qs, pk=pk)


@require_POST
@agent_required
def coach(request: AgentRequest, pk: int) -> HttpResponse:
    """Findings for the draft as the agent types (debounced by htmx)."""
    conversation = _coached(request, pk)
    form = CoachForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    found = conversation_coach(conversation, text) if text.strip() else []
    context = {"conversation": conversation, **reply_selectors.coach_view(text, found)}
    return render(request, "replies/_findings.html", context)


@require_POST
@agent_required
def coach_apply(request: AgentRequest, pk: int) -> HttpResponse:
    """One click applies a rewrite; the coach then reads the new draft again."""
    conversation = _coached(request, pk)
    form = ApplyForm(request.POST)
    if not form.is_valid():
        return _reply_box(request, conversation, request.POST.get("text", ""), status=400)
    text = form.cleaned_data["text"]
    found = conversation_coach(conversation, text)
    i, j = form.cleaned_data["finding"], form.cleaned_data["rewrite"]
    if i < len(found) and j < len(found[i].rewrites):
        text = apply_rewrite(text, found[i], j)
    return _reply_box(request, conversation, text)


@require_POST
@agent_required
def coach_insert(request: AgentRequest, pk: int) -> HttpResponse:
    """Put a saved reply, with this conversation's facts filled in, into the draft."""
    conversation = _coached(request, pk)
    form = InsertForm(request.POST)
    if not form.is_valid():
        return _reply_box(request, conversation, request.POST.get("text", ""), status=400)
    reply = get_object_or_404(
        reply_selectors.saved_replies_for(request.agent), pk=form.cleaned_data["saved_reply"]
    )
    filled = saved_reply_render(reply, placeholder_values(conversation, request.agent))
    text = form.cleaned_data["text"].rstrip()
    return _reply_box(request, conversation, f"{text}\n\n{filled}" if text else filled)
