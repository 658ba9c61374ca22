from django.urls import path

from caredesk.care import views

app_name = "care_sla"

urlpatterns = [
    path("teams/<int:pk>/", views.sla_edit, name="edit"),
    path("report/", views.sla_report, name="report"),
]
