from django.urls import path

from caredesk.people import token_views, views

app_name = "people"

urlpatterns = [
    path("presence/", views.presence, name="presence"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_edit, name="team_edit"),
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
