"""Routes of outbound mail; included at the site's root (the permission walk covers them)."""

from django.urls import path

from caredesk.channels.email import outbound_views as views

app_name = "outbound"

urlpatterns = [
    path("desk/messages/<int:pk>/send-again/", views.delivery_retry, name="delivery_retry"),
    path("desk/mail/notifications/", views.notification_list, name="notifications"),
    path(
        "desk/mail/notifications/<int:pk>/send-again/",
        views.notification_send_again,
        name="notification_retry",
    ),
    path("demo/mailbox/", views.mailbox_list, name="mailbox"),
    path("demo/mailbox/<str:key>/", views.mailbox_message, name="mailbox_message"),
    path("demo/mailbox/<str:key>/answer/", views.mailbox_answer, name="mailbox_answer"),
]
