"""The customer portal: open a conversation, follow it, reply, see an honest wait, and rate."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from caredesk.channels.forms import (
    CustomerReplyForm,
    NewConversationForm,
    RatingForm,
)
from caredesk.conversations import queue, selectors, services
from caredesk.conversations.models import Channel, Conversation
from caredesk.forms import add_service_errors
from caredesk.people.decorators import CustomerRequest, customer_required


def _mine(request: CustomerRequest, pk: int) -> Conversation:
    qs = Conversation.objects.filter(customer=request.customer)
    return get_object_or_404(qs.select_related("owner__user", "merged_into"), pk=pk)


@require_http_methods(["GET"])
@customer_required
def conversation_list(request: CustomerRequest) -> HttpResponse:
    qs = Conversation.objects.filter(
        customer=request.customer,
        merged_into__isnull=True,
    ).order_by("-last_message_at")
    page = selectors.paginate(qs, request.GET.get("page"))
    return render(request, "portal/list.html", {"page": page, "conversations": page.object_list})


@require_http_methods(["GET", "POST"])
@customer_required
def conversation_new(request: CustomerRequest) -> HttpResponse:
    # `?subject=` and `?text=` carry what a customer typed in the help centre, never retyped.
    initial = {k: request.GET[k] for k in ("subject", "text") if k in request.GET}
    form = NewConversationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            conversation = services.conversation_create(
                customer=request.customer,
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                channel=Channel.PORTAL,
                author=request.user,
                attachments=request.FILES.getlist("attachments"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Thank you — we have your message and a person will answer.")
            return redirect("portal:conversation", pk=conversation.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/new.html", {"form": form}, status=status)


def _page(
    request: CustomerRequest, conversation: Conversation, status: int = 200, **extra: Any
) -> HttpResponse:
    position = queue.queue_position(conversation)
    context = {
        "conversation": conversation,
        "timeline": selectors.timeline(conversation, include_notes=False),
        "position": position,
        "estimate": queue.wait_estimate(position),
        "reply_form": extra.get("reply_form") or CustomerReplyForm(),
        "rating_form": extra.get("rating_form") or RatingForm(),
        "rating": getattr(conversation, "rating", None),
    }
    return render(request, "portal/conversation.html", context, status=status)


@require_http_methods(["GET", "POST"])
@customer_required
def conversation_detail(request: CustomerRequest, pk: int) -> HttpResponse:
    conversation = _mine(request, pk)
    if conversation.merged_into_id and request.method == "GET":
        return redirect("portal:conversation", pk=conversation.merged_into_id)
    if request.method == "GET":
        return _page(request, conversation)
    form = CustomerReplyForm(request.POST)
    if form.is_valid():
        try:
            services.customer_message_add(
                conversation=conversation,
                text=form.cleaned_data["text"],
                author=request.user,
                channel=Channel.PORTAL,
                attachments=request.FILES.getlist("attachments"),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Sent. We'll answer here and by email.")
            return redirect("portal:conversation", pk=conversation.pk)
    return _page(request, conversation, status=400, reply_form=form)


@require_POST
@customer_required
def conversation_rate(request: CustomerRequest, pk: int) -> HttpResponse:
    conversation = _mine(request, pk)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.rating_submit(
                conversation=conversation, user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Thank you for telling us how we did.")
            return redirect("portal:conversation", pk=conversation.pk)
    return _page(request, conversation, status=400, rating_form=form)
