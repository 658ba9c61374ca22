from django.urls import path

from caredesk.knowledge import views

app_name = "help"

# The public help centre (no login), and self-service while a customer writes in the portal.
urlpatterns = [
    path("", views.help_index, name="index"),
    path("suggest/", views.help_suggest, name="suggest"),
    path("solved/", views.help_solved, name="solved"),
    path("<slug:slug>/", views.help_article, name="article"),
]
