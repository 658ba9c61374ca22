from django.urls import path

from caredesk.channels import portal

app_name = "portal"

urlpatterns = [
    path("", portal.conversation_list, name="list"),
    path("new/", portal.conversation_new, name="new"),
    path("c/<int:pk>/", portal.conversation_detail, name="conversation"),
    path("c/<int:pk>/rate/", portal.conversation_rate, name="rate"),
]
