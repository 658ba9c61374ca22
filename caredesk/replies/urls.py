from django.urls import path

from caredesk.replies import views

app_name = "replies"

# The coach's routes (`replies:coach`, `:apply`, `:insert`) join these in caredesk/urls.py; their
# views read a conversation, so they live in conversations/views.py.

urlpatterns = [
    path("", views.saved_reply_list, name="list"),
    path("new/", views.saved_reply_edit, name="new"),
    path("<int:pk>/", views.saved_reply_edit, name="edit"),
    path("coaching/", views.coaching, name="coaching"),
]
