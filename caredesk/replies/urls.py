from django.urls import path

from caredesk.replies import views

app_name = "replies"

urlpatterns = [
    path("", views.saved_reply_list, name="list"),
    path("new/", views.saved_reply_edit, name="new"),
    path("<int:pk>/", views.saved_reply_edit, name="edit"),
    path("coach/<int:pk>/", views.coach, name="coach"),
    path("coach/<int:pk>/apply/", views.apply, name="apply"),
    path("coach/<int:pk>/insert/", views.insert, name="insert"),
]
