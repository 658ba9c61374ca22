"""The desk's live parts: presence on a conversation (polled by htmx) and notifications."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from caredesk.conversations import live, notifications
from caredesk.conversations.selectors import conversations_visible_to
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.services import agent_notify_by_email_set


class PresenceForm(forms.Form):
    typing = forms.BooleanField(required=False)
    last_seen = forms.IntegerField(required=False, min_value=0)


@require_POST
@agent_required
def presence(request: AgentRequest, pk: int) -> HttpResponse:
    """The open page's heartbeat: renew this agent's presence, mark what they now see read, and
    answer who else is here and whether someone wrote since the page loaded."""
    conversation = get_object_or_404(conversations_visible_to(request.user), pk=pk)
    form = PresenceForm(request.POST)
    data = form.cleaned_data if form.is_valid() else {}
    agent = request.agent
    live.viewer_mark(conversation=conversation, agent=agent, typing=bool(data.get("typing")))
    notifications.notifications_mark_read(agent=agent, conversation=conversation)
    last_seen = data.get("last_seen")
    context = {
        "others": live.viewers_other(conversation, agent),
        "new_messages": (
            live.messages_since(conversation, agent, after=last_seen)
            if last_seen is not None
            else []
        ),
        "conversation": conversation,
    }
    return render(request, "desk/_presence.html", context)


@require_GET
@agent_required
def notification_list(request: AgentRequest) -> HttpResponse:
    """The agent's latest notifications; showing them marks them read."""
    rows = list(notifications.notifications_for(request.agent))
    unread = [n.pk for n in rows if n.read_at is None]
    notifications.notifications_mark_read(agent=request.agent, ids=unread)
    titled = [(n, notifications.notification_title(n)) for n in rows]
    return render(request, "desk/notifications.html", {"rows": titled, "unread": set(unread)})


@require_GET
@agent_required
def notification_count(request: AgentRequest) -> HttpResponse:
    """The unread count in the header (polled, so the pages themselves add no query)."""
    count = notifications.notifications_unread_count(request.agent)
    return render(request, "desk/_notification_count.html", {"count": count})


class NotifyByEmailForm(forms.Form):
    notify_by_email = forms.BooleanField(required=False)


@require_POST
@agent_required
def notification_email(request: AgentRequest) -> HttpResponse:
    """The agent's own choice: notifications by e-mail too, or only here."""
    form = NotifyByEmailForm(request.POST)
    on = form.is_valid() and form.cleaned_data["notify_by_email"]
    agent_notify_by_email_set(agent=request.agent, on=on)
    messages.success(
        request, "Notifications come by e-mail too." if on else "Notifications only come here."
    )
    return redirect("desk:notifications")
