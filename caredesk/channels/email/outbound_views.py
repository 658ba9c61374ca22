"""Pages of outbound mail: a reply or a notification sent again by hand, and the demo's mailbox."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from caredesk.channels.email import mailbox as demo
from caredesk.channels.email.desk_mail import notification_retry
from caredesk.channels.email.models import OutboundNotification
from caredesk.channels.email.outbound import message_delivery_retry
from caredesk.conversations.models import Delivery, Message
from caredesk.conversations.selectors import conversations_visible_to
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required


@require_POST
@agent_required
def delivery_retry(request: AgentRequest, pk: int) -> HttpResponse:
    visible = conversations_visible_to(request.user)
    message = get_object_or_404(Message.objects.filter(conversation__in=visible), pk=pk)
    try:
        message_delivery_retry(message=message, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The reply is queued to be e-mailed again.")
    return redirect(f"{message.conversation.get_absolute_url()}#m{message.pk}")


NOTIFICATIONS_PAGE = 50


def _lead(request: AgentRequest) -> None:
    if not request.agent.sees_everything:
        raise PermissionDenied("Only leads and admins see the desk's notifications.")


@require_GET
@agent_required
def notification_list(request: AgentRequest) -> HttpResponse:
    """The desk's own mails (confirmations, leads' alerts), newest first; failed ones first of
    all, since a lead must act on those."""
    _lead(request)
    failed = request.GET.get("status") == Delivery.FAILED
    rows = OutboundNotification.objects.defer("body", "headers")
    if failed:
        rows = rows.filter(status=Delivery.FAILED)
    page = Paginator(rows.order_by("-created_at", "-pk"), NOTIFICATIONS_PAGE).get_page(
        request.GET.get("page")
    )
    unsent = OutboundNotification.objects.filter(status=Delivery.FAILED).count()
    context = {"page": page, "failed_only": failed, "failed_count": unsent}
    return render(request, "mail/notifications.html", context)


@require_POST
@agent_required
def notification_send_again(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    notification = get_object_or_404(OutboundNotification, pk=pk)
    try:
        notification_retry(notification=notification, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "The mail is queued to be sent again.")
    return redirect("outbound:notifications")


# --- The demo mailbox: only where `CAREDESK_DEMO_MAILBOX` is set (`caredesk demo`) -------------
# Open to anyone who can reach the demo, signed in or not: a demo visitor who signs up must be able
# to read the verification link. A production desk has no mailbox, so these pages are 404 there.


class AnswerForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5, "id": "answer-text"}),
        max_length=demo.ANSWER_MAX_CHARS,
    )


def _box() -> demo.mailbox.Maildir:
    box = demo.demo_mailbox()
    if box is None:
        raise Http404("There is no demo mailbox on this desk.")
    return box


@require_GET
def mailbox_list(request: HttpRequest) -> HttpResponse:
    box = _box()
    return render(request, "demo/mailbox.html", {"mails": demo.mailbox_list(box)})


def _mail_page(
    request: HttpRequest, box: demo.mailbox.Maildir, key: str, form: AnswerForm, status: int = 200
) -> HttpResponse:
    mail = demo.mailbox_get(box, key)
    if mail is None:
        raise Http404("No such mail in the demo mailbox.")
    return render(request, "demo/mailbox_message.html", {"mail": mail, "form": form}, status=status)


@require_GET
def mailbox_message(request: HttpRequest, key: str) -> HttpResponse:
    return _mail_page(request, _box(), key, AnswerForm())


@require_POST
def mailbox_answer(request: HttpRequest, key: str) -> HttpResponse:
    box = _box()
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            sent = demo.mailbox_answer(box=box, key=key, text=form.cleaned_data["text"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Your answer was sent to the desk as {sent}.")
            return redirect("outbound:mailbox")
    return _mail_page(request, box, key, form, status=400)
