"""Top-level routes. Each app owns its own URLs; the permission walk test covers all of them."""

from django.contrib import admin
from django.urls import include, path

from caredesk.channels import views as channel_views
from caredesk.channels.api import api

urlpatterns = [
    path("", channel_views.home, name="home"),
    path("login/", channel_views.LoginView.as_view(), name="login"),
    path("logout/", channel_views.logout_view, name="logout"),
    path("signup/", channel_views.signup, name="signup"),
    path("attachments/<int:pk>/", channel_views.attachment_download, name="attachment"),
    path("portal/", include("caredesk.channels.portal_urls")),
    path("desk/", include("caredesk.conversations.urls")),
    path("people/", include("caredesk.people.urls")),
    path("replies/", include("caredesk.replies.urls")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
