from django.urls import path

from caredesk.conversations import views

app_name = "desk"

urlpatterns = [
    path("", views.inbox, {"view": "queue"}, name="queue"),
    path("mine/", views.inbox, {"view": "mine"}, name="mine"),
    path("team/", views.inbox, {"view": "team"}, name="team"),
    path("waiting/", views.inbox, {"view": "waiting"}, name="waiting"),
    path("take-next/", views.take_next, name="take_next"),
    path("c/<int:pk>/", views.conversation_detail, name="conversation"),
    path("c/<int:pk>/reply/", views.reply, name="reply"),
    path("c/<int:pk>/note/", views.note, name="note"),
    path("c/<int:pk>/transfer/", views.transfer, name="transfer"),
    path("c/<int:pk>/severity/", views.severity, name="severity"),
    path("c/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("c/<int:pk>/reopen/", views.reopen, name="reopen"),
    path("c/<int:pk>/merge/", views.merge, name="merge"),
    path("customers/<int:pk>/", views.customer_detail, name="customer"),
]

# The coach in the reply box: mounted by caredesk/urls.py under replies/ with the saved replies, so
# its names (`replies:coach`, …) and paths stay what the templates use.
coach_urlpatterns = [
    path("coach/<int:pk>/", views.coach, name="coach"),
    path("coach/<int:pk>/apply/", views.coach_apply, name="apply"),
    path("coach/<int:pk>/insert/", views.coach_insert, name="insert"),
]
