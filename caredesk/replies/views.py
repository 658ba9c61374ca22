"""The team's saved replies, coached when written (the coach in the reply box reads a
conversation, so its views are in conversations/views.py)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from caredesk.empathy.coaching import Finding
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.models import Team
from caredesk.replies import selectors, services
from caredesk.replies.forms import SavedReplyForm
from caredesk.replies.placeholders import PLACEHOLDERS


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


@require_GET
@agent_required
def coaching(request: AgentRequest) -> HttpResponse:
    """Coaching over time: an agent's own findings by week; a lead's view of everyone or a team."""
    teams = (
        selectors.teams_for(request.agent) if request.agent.sees_everything else Team.objects.none()
    )
    team_id = request.GET.get("team", "")
    team = get_object_or_404(teams, pk=team_id) if team_id.isdigit() and teams else None
    report = selectors.coaching_over_time(
        viewer=request.agent, today=timezone.localdate(), team=team
    )
    context = {"report": report, "teams": teams, "team": team, "recurs": selectors.RECURS}
    return render(request, "replies/coaching.html", context)
