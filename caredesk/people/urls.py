from django.urls import path

from caredesk.people import views

app_name = "people"

urlpatterns = [
    path("presence/", views.presence, name="presence"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_edit, name="team_edit"),
]
