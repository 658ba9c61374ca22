"""Top-level routes. Each app owns its own URLs; the permission walk test covers all of them."""

from django.contrib import admin
from django.urls import include, path

from caredesk import health
from caredesk.channels import api as channels_api
from caredesk.channels import views as channel_views
from caredesk.channels.api import errors as api_errors
from caredesk.conversations.urls import coach_urlpatterns
from caredesk.insights import views as insights_views
from caredesk.replies.urls import urlpatterns as reply_urlpatterns

urlpatterns = [
    path("", channel_views.home, name="home"),
    path("login/", channel_views.LoginView.as_view(), name="login"),
    path("logout/", channel_views.logout_view, name="logout"),
    path("signup/", channel_views.signup, name="signup"),
    path("signup/resend/", channel_views.signup_resend, name="signup_resend"),
    path("signup/verify/<uidb64>/<token>/", channel_views.signup_verify, name="signup_verify"),
    path("password-reset/", channel_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        channel_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        channel_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        channel_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("attachments/<int:pk>/", channel_views.attachment_download, name="attachment"),
    path("portal/", include("caredesk.channels.portal_urls")),
    path("desk/", include("caredesk.conversations.urls")),
    path("desk/mail/", include("caredesk.channels.email.urls")),
    path("", include("caredesk.channels.email.outbound_urls")),  # /desk/messages/…, /demo/mailbox/
    path("people/", include("caredesk.people.urls")),
    path("care/", include("caredesk.care.loop_urls")),  # status updates, rating links
    path("care/sla/", include("caredesk.care.sla_urls")),  # SLA settings, compliance report
    path("care/at-risk/", include("caredesk.care.outreach_urls")),  # outreach to the unhappy
    # Saved replies and the coach in the reply box share replies/ and the `replies:` names; the
    # coach's views read a conversation, so they live with conversations and join here.
    path("replies/", include(([*reply_urlpatterns, *coach_urlpatterns], "replies"))),
    path("help/", include("caredesk.knowledge.help_urls")),  # public: no login
    path("knowledge/", include("caredesk.knowledge.urls")),
    path("webhooks/", include("caredesk.channels.webhooks.urls")),
    path("csv/", include("caredesk.channels.csv_urls")),
    path("insights/", include("caredesk.insights.urls")),
    path("reports/", insights_views.reports, name="reports"),  # where people look first
    path("api/", channels_api.urls()),
    path("admin/", admin.site.urls),
    path("healthz", health.healthz, name="healthz"),
]

# Errors answer in the API's JSON shape under /api/, and as the HTML pages everywhere else.
handler400 = api_errors.bad_request
handler403 = api_errors.permission_denied
handler404 = api_errors.page_not_found
handler500 = api_errors.server_error
