from django.urls import path

from caredesk.conversations import customer_views, inbox_views, live_views, search_views, views

app_name = "desk"

urlpatterns = [
    path("", inbox_views.inbox, {"view": "queue"}, name="queue"),
    path("mine/", inbox_views.inbox, {"view": "mine"}, name="mine"),
    path("team/", inbox_views.inbox, {"view": "team"}, name="team"),
    path("waiting/", inbox_views.inbox, {"view": "waiting"}, name="waiting"),
    path("take-next/", views.take_next, name="take_next"),
    path("search/", search_views.search, name="search"),
    path("bulk/", inbox_views.bulk, name="bulk"),
    path("views/", inbox_views.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/delete/", inbox_views.saved_view_remove, name="saved_view_delete"),
    path("c/<int:pk>/", views.conversation_detail, name="conversation"),
    path("c/<int:pk>/reply/", views.reply, name="reply"),
    path("c/<int:pk>/note/", views.note, name="note"),
    path("c/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("c/<int:pk>/severity/", views.severity, name="severity"),
    path("c/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("c/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("c/<int:pk>/merge/", views.merge, name="merge"),
    path("c/<int:pk>/presence/", live_views.presence, name="presence"),
    path("notifications/", live_views.notification_list, name="notifications"),
    path("notifications/count/", live_views.notification_count, name="notification_count"),
    path("notifications/email/", live_views.notification_email, name="notification_email"),
    path("customers/<int:pk>/", customer_views.customer_detail, name="customer"),
    path(
        "customers/<int:pk>/merge/",
        customer_views.customer_merge_pick,
        name="customer_merge_pick",
    ),
    path(
        "customers/<int:pk>/merge/confirm/",
        customer_views.customer_merge_confirm,
        name="customer_merge",
    ),
]

# The coach in the reply box: mounted by caredesk/urls.py under replies/ with the saved replies, so
# its names (`replies:coach`, …) and paths stay what the templates use.
coach_urlpatterns = [
    path("coach/<int:pk>/", views.coach, name="coach"),
    path("coach/<int:pk>/apply/", views.coach_apply, name="apply"),
    path("coach/<int:pk>/insert/", views.coach_insert, name="insert"),
]
