"""The leads' webhook pages: list, create, pause, resume, delete, see deliveries, replay."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caredesk.channels.webhooks import selectors, services
from caredesk.channels.webhooks.forms import SubscriptionForm
from caredesk.channels.webhooks.models import WebhookDelivery, WebhookSubscription
from caredesk.channels.webhooks.payload import SCHEMA_VERSION
from caredesk.channels.webhooks.tasks import delivery_send_task
from caredesk.forms import add_service_errors
from caredesk.people.decorators import AgentRequest, agent_required


def _lead(request: AgentRequest) -> None:
    if not request.agent.sees_everything:
        raise PermissionDenied("Only leads and admins manage webhooks.")


@require_GET
@agent_required
def subscription_list(request: AgentRequest) -> HttpResponse:
    _lead(request)
    context = {"subscriptions": selectors.subscription_list()}
    return render(request, "webhooks/list.html", context)


@require_http_methods(["GET", "POST"])
@agent_required
def subscription_new(request: AgentRequest) -> HttpResponse:
    _lead(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            subscription = services.subscription_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Webhook created. Give its secret to the receiver.")
            return redirect(subscription)
    status = 400 if request.method == "POST" else 200
    return render(request, "webhooks/new.html", {"form": form}, status=status)


@require_GET
@agent_required
def subscription_detail(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    context = {
        "subscription": subscription,
        "deliveries": selectors.deliveries_recent(subscription),
        "schema_version": SCHEMA_VERSION,
    }
    return render(request, "webhooks/detail.html", context)


@require_POST
@agent_required
def subscription_pause(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    services.subscription_pause(subscription=subscription, reason=f"Paused by {request.user}.")
    messages.success(request, "Paused: nothing is sent until you resume it.")
    return redirect(subscription)


@require_POST
@agent_required
def subscription_resume(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    for delivery in services.subscription_resume(subscription=subscription):
        delivery_send_task(delivery)
    messages.success(request, "Resumed: waiting deliveries are being sent.")
    return redirect(subscription)


@require_POST
@agent_required
def subscription_delete(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    subscription = get_object_or_404(WebhookSubscription, pk=pk)
    services.subscription_delete(subscription=subscription)
    messages.success(request, f"Deleted the webhook to {subscription.url}.")
    return redirect("webhooks:list")


@require_POST
@agent_required
def delivery_replay(request: AgentRequest, pk: int) -> HttpResponse:
    _lead(request)
    delivery = get_object_or_404(WebhookDelivery.objects.select_related("subscription"), pk=pk)
    try:
        services.delivery_replay(delivery=delivery, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(delivery.subscription)
    delivery_send_task(delivery.pk)
    messages.success(request, f"Sending delivery {delivery.pk} again.")
    return redirect(delivery.subscription)
