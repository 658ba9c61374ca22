"""Keeping the customer in the loop, on the web: a team's status update (leads) and the
one-click rating page a closing message links to (no login: the signed link is the key)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from caredesk.care import rating_links, updates
from caredesk.care.models import UpdateTemplate
from caredesk.channels.forms import RatingForm
from caredesk.conversations import services
from caredesk.empathy.coaching import Finding
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.models import Team
from caredesk.people.selectors import may_manage_teams
from caredesk.replies.selectors import coach_view


@require_http_methods(["GET", "POST"])
@agent_required
def update_template_edit(request: AgentRequest, pk: int) -> HttpResponse:
    """A lead writes the status update the team's waiting customers get; the coach reads it."""
    if not may_manage_teams(request.agent):
        raise PermissionDenied("Only leads and admins edit a team's status update.")
    team = get_object_or_404(Team, pk=pk)
    saved = UpdateTemplate.objects.filter(team=team).first()
    text = saved.text if saved else updates.DEFAULT_TEMPLATE
    findings = saved.findings if saved else []
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        text = request.POST.get("text", "")
        try:
            saved = updates.update_template_save(team=team, text=text, user=request.user)
        except ValidationError as exc:
            errors = [m for msgs in exc.message_dict.values() for m in msgs]
            status = 400
        else:
            messages.success(request, "Saved. The coach's notes on it are below.")
            return redirect("care_loop:update_template", pk=team.pk)
    context = {
        "team": team,
        "errors": errors,
        "placeholders": updates.PLACEHOLDERS,
        "example": updates.template_fill(text, example=True),
        **coach_view(text, [Finding.from_dict(d) for d in findings]),
    }
    return render(request, "care/update_template.html", context, status=status)


@require_http_methods(["GET", "POST"])
def rate(request: HttpRequest, token: str) -> HttpResponse:
    """Rate a resolved conversation from the closing e-mail's link, without logging in."""
    try:
        link = rating_links.rating_link_read(token)
    except rating_links.LinkInvalid as exc:
        return render(request, "care/rate_invalid.html", {"reason": exc.reason}, status=410)
    form = RatingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rating_submit(
                conversation=link.conversation, user=None, by_link=True, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(request, "care/rate_done.html", {"conversation": link.conversation})
    status = 400 if request.method == "POST" else 200
    return render(
        request, "care/rate.html", {"conversation": link.conversation, "form": form}, status=status
    )
