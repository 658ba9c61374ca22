"""The customer's page at the desk, and a lead's merge of two customers into one: pick the other
customer by name or e-mail, compare both side by side, confirm which one remains, merge through
`customer_merge` (an event on each conversation). Thin views: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from caredesk.conversations import selectors
from caredesk.conversations.customer_merge import customer_merge
from caredesk.conversations.customer_selectors import (
    customer_merge_candidates,
    customer_merge_side,
    customer_merged_into,
)
from caredesk.conversations.selectors import conversations_visible_to
from caredesk.customers.models import Customer
from caredesk.customers.selectors import customer_identities
from caredesk.people.decorators import AgentRequest, agent_required
from caredesk.people.selectors import may_merge_customers

QUERY_CHARS = 200


@require_GET
@agent_required
def customer_detail(request: AgentRequest, pk: int) -> HttpResponse:
    """The customer's page: who they are, how it has gone, and their history a page at a time.
    A customer merged into another has no page of their own: their address leads to the one
    that remains, so old links and bookmarks keep working."""
    customer = Customer.objects.select_related("organisation").filter(pk=pk).first()
    if customer is None:
        into = customer_merged_into(pk)
        if into is None:
            raise Http404("No such customer.")
        messages.info(request, f"Customer #{pk} was merged into this customer.")
        return redirect("desk:customer", pk=into)
    visible = conversations_visible_to(request.user)
    if not visible.filter(customer=customer).exists() and not request.agent.sees_everything:
        raise Http404("No such customer.")
    trend, trend_word = selectors.customer_mood(customer)
    context = {
        "customer": customer,
        "identities": customer_identities(customer),
        "stats": selectors.customer_stats(customer),
        "trend": trend,
        "trend_word": trend_word,
        "page": selectors.customer_conversations(customer, request.GET.get("page")),
        "may_merge": may_merge_customers(request.agent),
    }
    return render(request, "desk/customer.html", context)


def _merging(request: AgentRequest, pk: int) -> Customer:
    """The customer whose page the merge starts from; only leads and admins get this far."""
    if not may_merge_customers(request.agent):
        raise PermissionDenied("Only leads and admins merge customers.")
    return get_object_or_404(Customer, pk=pk)


@require_GET
@agent_required
def customer_merge_pick(request: AgentRequest, pk: int) -> HttpResponse:
    """Step one: search for the other customer by name, e-mail or other identity. Nothing is
    preselected; a result leads to the comparison, never straight to a merge."""
    customer = _merging(request, pk)
    query = request.GET.get("q", "")[:QUERY_CHARS].strip()
    context = {
        "customer": customer,
        "query": query,
        "candidates": customer_merge_candidates(customer=customer, query=query),
    }
    return render(request, "desk/customer_merge.html", context)


@agent_required
def customer_merge_confirm(request: AgentRequest, pk: int) -> HttpResponse:
    """Step two: GET compares both customers and says which one remains (`keep`, by default
    the customer whose page this started from); POST, with that choice, merges."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    customer = _merging(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    other, error = _other(customer, data.get("other", ""))
    if other is None:
        return _confirm_page(request, customer, None, None, error=error)
    keep_raw = data.get("keep", "" if request.method == "POST" else str(customer.pk))
    keep = {str(customer.pk): customer, str(other.pk): other}.get(keep_raw)
    if keep is None:
        error = "Choose which customer remains: one of the two being merged."
        return _confirm_page(request, customer, other, None, error=error)
    if request.method == "GET":
        return _confirm_page(request, customer, other, keep)
    gone = other if keep == customer else customer
    moved = customer_merge_side(gone)
    try:
        customer_merge(source=gone, target=keep, actor=request.agent)
    except ValidationError as exc:
        return _confirm_page(request, customer, other, keep, error=" ".join(exc.messages))
    except Customer.DoesNotExist:  # another lead merged one of them a moment ago
        messages.error(request, "One of the two customers was merged meanwhile; nothing changed.")
        return redirect("desk:customer", pk=keep.pk)
    counts = (
        f"{_count(moved.conversations, 'conversation', 'conversations')} and "
        f"{_count(len(moved.identities), 'identity', 'identities')}"
    )
    messages.success(
        request,
        f"Merged {gone.name} (#{gone.pk}) into {keep.name}: {counts} moved; nothing was lost.",
    )
    return redirect("desk:customer", pk=keep.pk)


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _other(customer: Customer, raw: str) -> tuple[Customer | None, str]:
    """The other customer named by the form, or why it cannot be merged with `customer`."""
    if not raw.strip():
        return None, "Choose the other customer first."
    if not raw.strip().isdigit():
        return None, f"“{raw[:40]}” is not a customer number."
    other = Customer.objects.select_related("organisation").filter(pk=int(raw)).first()
    if other is None:
        return None, f"There is no customer #{int(raw)}; they may have been merged already."
    if other.pk == customer.pk:
        return None, "A customer cannot be merged with themselves; choose another customer."
    return other, ""


def _confirm_page(
    request: AgentRequest,
    customer: Customer,
    other: Customer | None,
    keep: Customer | None,
    *,
    error: str = "",
) -> HttpResponse:
    sides = [customer_merge_side(c) for c in (customer, other) if c is not None]
    context = {
        "customer": customer,
        "other": other,
        "keep": keep,
        "gone": None
        if keep is None or other is None
        else (other if keep == customer else customer),
        "sides": sides,
        "error": error,
    }
    response = render(
        request, "desk/customer_merge_confirm.html", context, status=400 if error else 200
    )
    if request.method == "POST":
        # A (boosted) POST's error page keeps the comparison's address, so a reload asks for it.
        url = reverse("desk:customer_merge", args=[customer.pk])
        response["HX-Replace-Url"] = f"{url}?other={other.pk}" if other else url
    return response
