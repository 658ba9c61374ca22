from django.urls import path

from caredesk.channels.email import views

app_name = "mail"

urlpatterns = [
    path("quarantine/", views.quarantine, name="quarantine"),
    path("<int:pk>/", views.mail_detail, name="detail"),
    path("<int:pk>/reprocess/", views.mail_reprocess, name="reprocess"),
    path("<int:pk>/discard/", views.mail_discard, name="discard"),
]
