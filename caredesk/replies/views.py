"""The coach in the reply box (htmx partials) and the team's saved replies."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caredesk.conversations.coaching import conversation_coach, placeholder_values
from caredesk.conversations.models import Conversation
from caredesk.empathy.coaching import Finding, apply_rewrite
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.selectors import conversations_visible_to
from caredesk.replies import selectors, services
from caredesk.replies.forms import ApplyForm, CoachForm, InsertForm, SavedReplyForm
from caredesk.replies.placeholders import PLACEHOLDERS


def _conversation(request: AgentRequest, pk: int) -> Conversation:
    qs = conversations_visible_to(request.user).select_related("customer", "team")
    return get_object_or_404(qs, pk=pk)


def _reply_box(
    request: AgentRequest, conversation: Conversation, text: str, status: int = 200
) -> HttpResponse:
    findings = conversation_coach(conversation, text) if text.strip() else []
    context = {
        "conversation": conversation,
        "saved_replies": selectors.saved_replies_for(request.agent),
        **selectors.coach_view(text, findings),
    }
    return render(request, "replies/_reply_box.html", context, status=status)


@require_POST
@agent_required
def coach(request: AgentRequest, pk: int) -> HttpResponse:
    """Findings for the draft as the agent types (debounced by htmx)."""
    conversation = _conversation(request, pk)
    form = CoachForm(request.POST)
    text = form.cleaned_data["text"] if form.is_valid() else ""
    findings = conversation_coach(conversation, text) if text.strip() else []
    context = {"conversation": conversation, **selectors.coach_view(text, findings)}
    return render(request, "replies/_findings.html", context)


@require_POST
@agent_required
def apply(request: AgentRequest, pk: int) -> HttpResponse:
    """One click applies a rewrite; the coach then reads the new draft again."""
    conversation = _conversation(request, pk)
    form = ApplyForm(request.POST)
    if not form.is_valid():
        return _reply_box(request, conversation, request.POST.get("text", ""), status=400)
    text = form.cleaned_data["text"]
    findings = conversation_coach(conversation, text)
    i, j = form.cleaned_data["finding"], form.cleaned_data["rewrite"]
    if i < len(findings) and j < len(findings[i].rewrites):
        text = apply_rewrite(text, findings[i], j)
    return _reply_box(request, conversation, text)


@require_POST
@agent_required
def insert(request: AgentRequest, pk: int) -> HttpResponse:
    """Put a saved reply, with this conversation's facts filled in, into the draft."""
    conversation = _conversation(request, pk)
    form = InsertForm(request.POST)
    if not form.is_valid():
        return _reply_box(request, conversation, request.POST.get("text", ""), status=400)
    reply = get_object_or_404(
        selectors.saved_replies_for(request.agent), pk=form.cleaned_data["saved_reply"]
    )
    filled = services.saved_reply_render(reply, placeholder_values(conversation, request.agent))
    text = form.cleaned_data["text"].rstrip()
    return _reply_box(request, conversation, f"{text}\n\n{filled}" if text else filled)


@require_GET
@agent_required
def saved_reply_list(request: AgentRequest) -> HttpResponse:
    replies = selectors.saved_replies_for(request.agent)
    return render(request, "replies/list.html", {"replies": replies})


@require_http_methods(["GET", "POST"])
@agent_required
def saved_reply_edit(request: AgentRequest, pk: int | None = None) -> HttpResponse:
    reply = get_object_or_404(selectors.saved_replies_for(request.agent), pk=pk) if pk else None
    teams = selectors.teams_for(request.agent)
    initial = {"title": reply.title, "body": reply.body, "team": reply.team} if reply else {}
    form = SavedReplyForm(request.POST or None, initial=initial, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            reply = services.saved_reply_save(author=request.user, reply=reply, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if reply.findings:
                messages.warning(request, "Saved. The coach has suggestions for this reply.")
            else:
                messages.success(request, "Saved — the coach found nothing to change.")
            return redirect("replies:edit", pk=reply.pk)
    status = 400 if request.method == "POST" else 200
    context: dict[str, object] = {
        "form": form,
        "reply": reply,
        "placeholders": PLACEHOLDERS,
    }
    if reply:
        findings = [Finding.from_dict(d) for d in reply.findings]
        context.update(selectors.coach_view(reply.body, findings))
    return render(request, "replies/edit.html", context, status=status)
