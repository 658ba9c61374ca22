"""Access rules for views: anonymous users go to the login page, the wrong role gets 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django_htmx.middleware import HtmxDetails

from caredesk.customers.models import Customer
from caredesk.people.models import Agent, User
from caredesk.people.selectors import agent_of

View = Callable[..., HttpResponse]


class AgentRequest(HttpRequest):
    """A request the desk has checked: the user is an agent, available as `request.agent`."""

    agent: Agent
    user: User  # type: ignore[assignment]
    htmx: HtmxDetails


class CustomerRequest(HttpRequest):
    """A request the portal has checked: the user is a customer, as `request.customer`."""

    customer: Customer
    user: User  # type: ignore[assignment]


def agent_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        agent = agent_of(request.user)
        if agent is None:
            raise PermissionDenied("The desk is for agents. Customers use the portal.")
        request.agent = agent  # type: ignore[attr-defined]  # becomes an AgentRequest
        return view(request, *args, **kwargs)

    return wrapper


def customer_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        customer = getattr(request.user, "customer", None)
        if customer is None:
            raise PermissionDenied("The portal is for customers. Agents use the desk.")
        request.customer = customer  # type: ignore[attr-defined]  # a CustomerRequest
        return view(request, *args, **kwargs)

    return wrapper
