"""Sign-up, login, e-mail verification, password reset and the landing redirect."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.contrib import auth, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.http import require_http_methods, require_POST

from caredesk.channels.accounts import signup_mail_send, verification_resend
from caredesk.channels.forms import PasswordResetForm, ResendForm, SignupForm
from caredesk.conversations.selectors import attachment_for
from caredesk.customers.selectors import email_awaits_verification, email_verified
from caredesk.customers.services import customer_email_verify, customer_signup
from caredesk.customers.tokens import email_verification_token
from caredesk.forms import add_service_errors
from caredesk.people.models import User
from caredesk.people.selectors import agent_of

NOT_VERIFIED = (
    "Your address is not confirmed yet: follow the link we mailed you to see the conversations "
    "you had with us by email before."
)


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("login")
    if agent_of(request.user) is not None:
        return redirect("desk:queue")
    return redirect("portal:list")


class LoginView(auth_views.LoginView):
    template_name = "auth/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if email_awaits_verification(form.get_user()):
            messages.info(self.request, NOT_VERIFIED)
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    auth.logout(request)
    return redirect("login")


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """Create a login and mail a verification link; the same page follows for every address."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = customer_signup(**form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            signup_mail_send(request, outcome)
            return _check_your_mail(request, form.cleaned_data["email"])
    status = 400 if request.method == "POST" else 200
    return render(request, "auth/signup.html", {"form": form}, status=status)


def _check_your_mail(request: HttpRequest, email: str, *, resent: bool = False) -> HttpResponse:
    context = {"email": email, "form": ResendForm(initial={"email": email}), "resent": resent}
    return render(request, "auth/signup_sent.html", context)


@require_http_methods(["GET", "POST"])
def signup_resend(request: HttpRequest) -> HttpResponse:
    """Send the verification link again; the answer never says whether the address has a login."""
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        verification_resend(request, form.cleaned_data["email"])
        return _check_your_mail(request, form.cleaned_data["email"], resent=True)
    status = 400 if request.method == "POST" else 200
    return render(request, "auth/signup_resend.html", {"form": form}, status=status)


def _link_user(uidb64: str) -> User | None:
    try:
        return User.objects.filter(pk=int(force_str(urlsafe_base64_decode(uidb64)))).first()
    except (ValueError, TypeError, OverflowError):
        return None


@require_http_methods(["GET", "POST"])
def signup_verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """Confirm the address: the link proves the mailbox, the login proves the password.

    Asking for both means that a stranger who signed up with someone else's address gets nothing
    even if the owner clicks the link. The change is a POST, so a mail scanner that opens links
    changes nothing.
    """
    if not request.user.is_authenticated:
        messages.info(request, "Log in to confirm your address.")
        return redirect_to_login(request.get_full_path())
    user = _link_user(uidb64)
    context: dict[str, Any] = {"problem": ""}
    if user is None or user.pk != request.user.pk:
        context["problem"] = "This link is for another account. Log out, then follow it again."
    elif email_verified(user):
        messages.success(request, "Your address is already confirmed.")
        return redirect("home")
    elif not email_verification_token.check_token(user, token):
        context["problem"] = "This link has expired or was already used. Ask for a new one below."
    elif request.method == "POST":
        try:
            customer_email_verify(user=user)
        except ValidationError as exc:
            context["problem"] = " ".join(exc.messages)
        else:
            messages.success(request, "Thank you: your address is confirmed.")
            return redirect("portal:list")
    if context["problem"]:
        context["form"] = ResendForm(initial={"email": request.user.email})  # type: ignore[union-attr]
    status = 400 if context["problem"] else 200
    return render(request, "auth/signup_verify.html", context, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    """Always answers "check your mail", whether or not the address has a login (Django's own)."""

    form_class = PasswordResetForm
    template_name = "auth/password_reset.html"
    email_template_name = "auth/email/password_reset.txt"
    subject_template_name = "auth/email/password_reset_subject.txt"


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "auth/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "auth/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user: User = form.user
        if email_awaits_verification(user):
            # Following a reset link proves the mailbox just as a verification link does.
            # If the address belongs to another customer's login, the reset still stands.
            with suppress(ValidationError):
                customer_email_verify(user=user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "auth/password_reset_complete.html"


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
