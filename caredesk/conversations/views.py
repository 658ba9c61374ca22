"""The agent desk: thin views that parse, call one service and render."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from caredesk.conversations import live, notifications, queue, selectors, services
from caredesk.conversations.coaching import conversation_coach, note_nudge, placeholder_values
from caredesk.conversations.forms import (
    MergeForm,
    NoteForm,
    ReplyForm,
    SeverityForm,
    TransferForm,
)
from caredesk.conversations.models import Conversation, Message, Severity
from caredesk.conversations.selectors import conversations_visible_to, customer_history
from caredesk.empathy.coaching import apply_rewrite, combine
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.models import Agent, Team
from caredesk.replies import selectors as reply_selectors
from caredesk.replies.forms import ApplyForm, CoachForm, InsertForm
from caredesk.replies.services import saved_reply_render

ConversationAction = Callable[[AgentRequest, int], HttpResponse]


def _post_action(view: ConversationAction) -> ConversationAction:
    """A conversation's action takes POST; a GET of its address (a reload, a pasted link) goes
    back to the conversation's page instead of a 405."""

    @wraps(view)
    def wrapper(request: AgentRequest, pk: int) -> HttpResponse:
        if request.method == "GET":
            return redirect("desk:conversation", pk=pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return view(request, pk)

    return wrapper


def _stay_at(response: HttpResponse, url: str) -> HttpResponse:
    """An error page answered to a (boosted) htmx POST keeps the page's own address in the
    address bar, so a reload asks for the page, never the POST address."""
    response["HX-Replace-Url"] = url
    return response


def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


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
    error_for: str = "action_form",
    new_since: list[Message] | None = None,
    **forms_: forms.Form,
) -> HttpResponse:
    """The conversation page; after a refused action, with the error beside the form it belongs
    to and what the agent typed or chose still in it."""
    agent: Agent = request.agent
    position = queue.queue_position(conversation)
    timeline = selectors.timeline(conversation)
    context: dict[str, Any] = {
        "conversation": conversation,
        "timeline": timeline,
        # Collision detection: the latest message this page shows (the reply form sends it back).
        "last_seen": max((i.message.pk for i in timeline if i.message), default=0),
        "new_since": new_since or [],
        "handoff": selectors.handoff_note(conversation),
        "people_per_problem": selectors.people_per_problem(conversation),
        **dict(zip(("trend", "trend_word"), selectors.reading_trend(conversation), strict=True)),
        "history": customer_history(conversation.customer, exclude=conversation),
        "position": position,
        "agents": Agent.objects.select_related("user").exclude(pk=agent.pk),
        "teams": Team.objects.all(),
        "severities": Severity.choices,
        "merge_targets": _merge_targets(conversation),
        "saved_replies": reply_selectors.saved_replies_for(agent),
        "reply_form": forms_.get("reply_form") or ReplyForm(),
        "note_form": forms_.get("note_form") or NoteForm(),
        "transfer_form": forms_.get("transfer_form") or TransferForm(),
        "severity_form": forms_.get("severity_form") or SeverityForm(),
        "errors": {error_for: error} if error else {},
    }
    response = render(request, "desk/conversation.html", context, status=status)
    return _stay_at(response, conversation.get_absolute_url()) if status >= 400 else response


def _merge_targets(conversation: Conversation) -> list[Conversation]:
    if conversation.merged_into_id:
        return []
    return list(
        Conversation.objects.filter(customer=conversation.customer, merged_into__isnull=True)
        .exclude(pk=conversation.pk)
        .order_by("-created_at")[:20]
    )


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
            error = _error_text(exc)
            return _page(
                request,
                conversation,
                status=400,
                error=error,
                error_for=form_key,
                new_since=None,
                **{form_key: form},
            )
        messages.success(request, done)
        return redirect("desk:conversation", pk=conversation.pk)
    errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
    return _page(
        request,
        conversation,
        status=400,
        error=errors,
        error_for=form_key,
        new_since=None,
        **{form_key: form},
    )


@_post_action
@agent_required
def reply(request: AgentRequest, pk: int) -> HttpResponse:
    conversation = _visible(request, pk)
    new = _written_since(request, conversation, ReplyForm(request.POST))
    if new:
        error = "Something new was written since you opened this conversation: read it, then send."
        form = ReplyForm(request.POST)
        return _page(
            request,
            conversation,
            status=400,
            error=error,
            error_for="reply_form",
            new_since=new,
            reply_form=form,
        )

    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.reply_send(
            conversation=c,
            agent=request.agent,
            text=data["text"],
            resolve=data["resolve"],
            attachments=request.FILES.getlist("attachments"),
            coach_shown=data["coach_shown"].split(),
        )
        return "Reply sent." + (" Conversation resolved." if data["resolve"] else "")

    return _act(request, pk, ReplyForm, "reply_form", action)


def _written_since(
    request: AgentRequest, conversation: Conversation, form: ReplyForm
) -> list[Message]:
    """What the customer or a colleague wrote after the page the reply was typed on loaded,
    unless the agent has seen it and chose "Send anyway"."""
    if not form.is_valid() or form.cleaned_data["send_anyway"]:
        return []
    last_seen = form.cleaned_data["last_seen"]
    if last_seen is None:  # an old page or an API-like post: nothing to compare with
        return []
    return live.messages_since(conversation, request.agent, after=last_seen)


@_post_action
@agent_required
def note(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.note_add(conversation=c, agent=request.agent, text=data["text"])
        unclear = notifications.mentions_ambiguous_text(data["text"])
        if unclear:
            messages.warning(request, unclear)
        return "Internal note added." + note_nudge(data["text"])

    return _act(request, pk, NoteForm, "note_form", action)


@_post_action
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


@_post_action
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


@_post_action
@agent_required
def resolve(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.conversation_resolve(conversation=c, agent=request.agent)
        return "Resolved. The customer can now rate it."

    return _act(request, pk, forms.Form, "action_form", action)


@_post_action
@agent_required
def reopen(request: AgentRequest, pk: int) -> HttpResponse:
    def action(c: Conversation, data: dict[str, Any]) -> str:
        services.conversation_reopen(conversation=c, actor=request.user)
        return "Reopened."

    return _act(request, pk, forms.Form, "action_form", action)


@agent_required
def merge(request: AgentRequest, pk: int) -> HttpResponse:
    """GET: both conversations side by side, to confirm; POST: the confirmed merge."""
    source = _visible(request, pk)
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if source.merged_into_id:
        messages.info(request, f"#{source.pk} is already merged into #{source.merged_into_id}.")
        return redirect("desk:conversation", pk=source.pk)
    post = request.method == "POST"
    form = MergeForm(request.POST if post else request.GET)
    target = None
    if form.is_valid():
        target = _visible(request, form.cleaned_data["target"])
        if post:
            try:
                services.conversation_merge(source=source, target=target, agent=request.agent)
            except ValidationError as exc:
                return _merge_page(request, source, target, error=_error_text(exc))
            messages.success(
                request, f"Merged #{source.pk} into this conversation; nothing was lost."
            )
            return redirect("desk:conversation", pk=target.pk)
    elif post or "target" in request.GET:
        return _merge_page(request, source, None, error="Choose a conversation to merge into.")
    return _merge_page(request, source, target)


def _merge_page(
    request: AgentRequest,
    source: Conversation,
    target: Conversation | None,
    *,
    error: str | None = None,
) -> HttpResponse:
    context = {
        "source": source,
        "target": target,
        "merge_targets": _merge_targets(source),
        "source_latest": selectors.latest_message(source),
        "target_latest": selectors.latest_message(target) if target else None,
        "reopens": target is not None and target.is_done and not source.is_done,
        "error": error,
    }
    response = render(request, "desk/merge.html", context, status=400 if error else 200)
    if error:
        url = reverse("desk:merge", args=[source.pk])
        _stay_at(response, f"{url}?target={target.pk}" if target else url)
    return response


# The coach in the reply box (htmx partials). It lives with the conversation it reads; the rules,
# saved replies and `draft_coach` are the replies app's. Its routes keep their `replies:` names
# and /replies/coach/ paths (caredesk/urls.py mounts `urls.coach_urlpatterns` there).


def _reply_box(
    request: AgentRequest, conversation: Conversation, text: str, status: int = 200
) -> HttpResponse:
    found = conversation_coach(conversation, text) if text.strip() else []
    shown = request.POST.get("coach_shown", "")  # what the coach showed on this draft so far
    context = {
        "conversation": conversation,
        "saved_replies": reply_selectors.saved_replies_for(request.agent),
        **reply_selectors.coach_view(text, found, shown=shown),
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
    shown = request.POST.get("coach_shown", "")
    context = {"conversation": conversation, **reply_selectors.coach_view(text, found, shown=shown)}
    return render(request, "replies/_findings.html", context)


@require_POST
@agent_required
def coach_apply(request: AgentRequest, pk: int) -> HttpResponse:
    """One click applies a rewrite (or, with `combined`, every finding as one reply); the coach
    then reads the new draft again."""
    conversation = _coached(request, pk)
    form = ApplyForm(request.POST)
    if not form.is_valid():
        return _reply_box(request, conversation, request.POST.get("text", ""), status=400)
    text = form.cleaned_data["text"]
    found = conversation_coach(conversation, text)
    i, j = form.cleaned_data["finding"], form.cleaned_data["rewrite"]
    if form.cleaned_data["combined"]:
        text = combine(text, found)
    elif i < len(found) and j < len(found[i].rewrites):
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
