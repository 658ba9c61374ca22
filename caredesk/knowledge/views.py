"""The public help centre, suggestions while a customer writes, and articles at the desk."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caredesk.channels.forms import NewConversationForm
from caredesk.conversations.coaching import conversation_coach
from caredesk.conversations.models import Conversation
from caredesk.conversations.selectors import conversations_visible_to, paginate
from caredesk.forms import add_service_errors
from caredesk.knowledge import selectors, services
from caredesk.knowledge.forms import ArticleForm, LinkInsertForm, SolvedForm
from caredesk.knowledge.models import Article
from caredesk.people.decorators import (
    AgentRequest,
    CustomerRequest,
    agent_required,
    customer_required,
)
from caredesk.replies import selectors as reply_selectors

SUGGESTIONS = 3
QUERY_MAX_CHARS = 2_000


# The help centre: public, no login.


@require_GET
def help_index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:QUERY_MAX_CHARS].strip()
    context: dict[str, object] = {"query": query}
    if query:
        context["results"] = selectors.article_search(query=query, limit=20)
    else:
        context["page"] = paginate(selectors.articles_published(), request.GET.get("page"))
    return render(request, "help/index.html", context)


@require_GET
def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    article = get_object_or_404(selectors.articles_published(), slug=slug)
    return render(request, "help/article.html", {"article": article})


@require_GET
def help_suggest(request: HttpRequest) -> HttpResponse:
    """Articles matching what a customer is typing (htmx, debounced in the page)."""
    typed = f"{request.GET.get('subject', '')} {request.GET.get('text', '')}"[:QUERY_MAX_CHARS]
    articles = selectors.article_search(query=typed, limit=SUGGESTIONS)
    return render(request, "help/_suggestions.html", {"articles": articles})


@require_POST
@customer_required
def help_solved(request: CustomerRequest) -> HttpResponse:
    """The "This solved it" button: record it, and leave the door to a person open."""
    form = SolvedForm(request.POST)
    article = None
    if form.is_valid():
        article = selectors.articles_published().filter(pk=form.cleaned_data["article"]).first()
        if article is None:
            form.add_error("article", "That article is no longer published; ask us instead.")
    if article is not None:
        typed = f"{form.cleaned_data['subject']}\n\n{form.cleaned_data['text']}".strip()
        try:
            services.self_service_resolve(
                customer=request.customer, article=article, question=typed
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                "Glad that solved it. If it comes back, “Ask for help” reaches a person.",
            )
            return redirect("portal:list")
    # Nothing the customer typed is lost: the form comes back as they left it.
    new_form = NewConversationForm(request.POST)
    for error in form.errors.values():
        new_form.add_error(None, error)
    return render(request, "portal/new.html", {"form": new_form}, status=400)


# At the desk: the team's articles, and links to them from the reply box.


@require_GET
@agent_required
def article_list(request: AgentRequest) -> HttpResponse:
    page = paginate(selectors.articles_for_desk(request.agent), request.GET.get("page"))
    return render(request, "knowledge/list.html", {"page": page, "articles": page.object_list})


@require_http_methods(["GET", "POST"])
@agent_required
def article_edit(request: AgentRequest, pk: int | None = None) -> HttpResponse:
    editable = selectors.articles_editable_by(request.agent)
    article = get_object_or_404(editable, pk=pk) if pk else None
    initial = {}
    if article:
        fields = ("title", "body", "team_id", "status")
        initial = {name.removesuffix("_id"): getattr(article, name) for name in fields}
    teams = selectors.teams_for_articles(request.agent)
    form = ArticleForm(request.POST or None, initial=initial, teams=teams)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.article_save(
                actor=request.agent, article=article, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Saved ({article.get_status_display().lower()}).")
            return redirect("knowledge:edit", pk=article.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "knowledge/edit.html", {"form": form, "article": article}, status=status)


def _visible(request: AgentRequest, pk: int) -> Conversation:
    qs = conversations_visible_to(request.user).select_related("customer", "team")
    return get_object_or_404(qs, pk=pk)


@require_GET
@agent_required
def article_links(request: AgentRequest, pk: int) -> HttpResponse:
    """Published articles to link from this conversation's reply box."""
    conversation = _visible(request, pk)
    query = request.GET.get("q", "")[:QUERY_MAX_CHARS]
    articles = selectors.article_search(query=query, limit=SUGGESTIONS + 2)
    context = {"conversation": conversation, "articles": articles, "query": query}
    return render(request, "knowledge/_links.html", context)


@require_POST
@agent_required
def article_link_insert(request: AgentRequest, pk: int) -> HttpResponse:
    """Add an article's title and public address to the draft; the coach reads it again."""
    conversation = _visible(request, pk)
    form = LinkInsertForm(request.POST)
    text = request.POST.get("text", "")
    status = 400
    if form.is_valid():
        article: Article = get_object_or_404(
            selectors.articles_published(), pk=form.cleaned_data["article"]
        )
        link = f"{article.title}: {request.build_absolute_uri(article.get_absolute_url())}"
        text = form.cleaned_data["text"].rstrip()
        text, status = (f"{text}\n\n{link}" if text else link), 200
    found = conversation_coach(conversation, text) if text.strip() else []
    context = {
        "conversation": conversation,
        "saved_replies": reply_selectors.saved_replies_for(request.agent),
        **reply_selectors.coach_view(text, found),
    }
    return render(request, "replies/_reply_box.html", context, status=status)
