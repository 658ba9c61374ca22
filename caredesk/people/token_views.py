"""An agent's own API tokens on the desk: list, make (the secret shown once) and revoke."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from caredesk.people import services
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.models import ApiToken, TokenScope


@require_http_methods(["GET", "POST"])
@agent_required
def token_list(request: AgentRequest) -> HttpResponse:
    """Your tokens; a POST makes one and shows its secret on this page, this once."""
    secret, error, status = "", "", 200
    if request.method == "POST":
        write = request.POST.get("scope") == TokenScope.WRITE
        scopes = [TokenScope.READ, TokenScope.WRITE] if write else [TokenScope.READ]
        try:
            _, secret = services.api_token_issue(
                email=request.user.email, name=request.POST.get("name", ""), scopes=scopes
            )
        except ValidationError as exc:
            error, status = " ".join(exc.messages), 400
    tokens = ApiToken.objects.filter(user=request.user).order_by("-created_at", "-pk")
    context = {"tokens": tokens, "secret": secret, "error": error}
    return render(request, "people/tokens.html", context, status=status)


@require_POST
@agent_required
def token_revoke(request: AgentRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.filter(user=request.user), pk=pk)
    services.api_token_revoke(token=token, actor=request.user)
    messages.success(request, f"Revoked “{token.name}”; it no longer works.")
    return redirect("people:tokens")
