"""Sign-up, login and the landing redirect: who goes to the desk and who to the portal."""

from __future__ import annotations

from django.contrib import auth
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from caredesk.channels.forms import SignupForm
from caredesk.conversations.selectors import attachment_for
from caredesk.customers.services import customer_signup
from caredesk.forms import add_service_errors
from caredesk.people.selectors import agent_of


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if agent_of(request.user) is not None:
        return redirect("desk:queue")
    return redirect("portal:list")


class LoginView(DjangoLoginView):
    template_name = "auth/login.html"
    redirect_authenticated_user = True


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("login")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            customer = customer_signup(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            auth.login(
                request,
                customer.user,  # type: ignore[arg-type]
                backend="django.contrib.auth.backends.ModelBackend",
            )
            return redirect("portal:list")
    status = 400 if request.method == "POST" else 200
    return render(request, "auth/signup.html", {"form": form}, status=status)


def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Attachments are always downloaded, never rendered, so an uploaded page cannot run."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    attachment = attachment_for(request.user, pk)  # type: ignore[arg-type]
    if attachment is None:
        raise Http404("No such attachment.")
    return FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type="application/octet-stream",
    )
