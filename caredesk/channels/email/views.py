"""The quarantine in the desk: leads list, read, re-process or discard inbound mail."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from caredesk.channels.email import selectors
from caredesk.channels.email.inbound import inbound_mail_discard, inbound_mail_reprocess
from caredesk.channels.email.models import InboundMail, InboundStatus
from caredesk.conversations.selectors import conversations_visible_to
from caredesk.people.decorators import AgentRequest, agent_required


def _lead(request: AgentRequest) -> None:
    if not request.agent.sees_everything:
        raise PermissionDenied("Only leads and admins handle the mail quarantine.")


@require_GET
@agent_required
def quarantine(request: AgentRequest) -> HttpResponse:
    _lead(request)
    status = request.GET.get("status", InboundStatus.QUARANTINED)
    if status not in InboundStatus.values:
        status = InboundStatus.QUARANTINED
    page = Paginator(selectors.quarantine_list(status=status), selectors.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "mail/quarantine.html",
        {"page": page, "status": status, "statuses": InboundStatus.choices},
    )


@require_GET
@agent_required
def mail_detail(request: AgentRequest, pk: int) -> HttpResponse:
    """A lead sees any mail; an agent the original of a mail in a conversation they can see."""
    mail = get_object_or_404(InboundMail.objects.select_related("conversation"), pk=pk)
    if not request.agent.sees_everything:
        visible = conversations_visible_to(request.user).filter(pk=mail.conversation_id or 0)
        if mail.conversation_id is None or not visible.exists():
            raise PermissionDenied("This mail belongs to a conversation you cannot see.")
    return render(
        request, "mail/detail.html", {"mail": mail, "original": selectors.mail_original(mail)}
    )


@require_POST
@agent_required
def mail_reprocess(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    mail = get_object_or_404(InboundMail, pk=pk)
    try:
        mail = inbound_mail_reprocess(mail=mail, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return render(request, "mail/detail.html", {"mail": mail}, status=400)
    if mail.status == InboundStatus.STORED:
        messages.success(request, f"Stored in conversation #{mail.conversation_id}.")
    else:
        messages.error(request, f"Still not stored: {mail.reason}")
    return redirect("mail:detail", pk=mail.pk)


@require_POST
@agent_required
def mail_discard(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    mail = get_object_or_404(InboundMail, pk=pk)
    try:
        inbound_mail_discard(mail=mail, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return render(request, "mail/detail.html", {"mail": mail}, status=400)
    messages.success(request, "Discarded. The original stays on record.")
    return redirect("mail:quarantine")
