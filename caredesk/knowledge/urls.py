from django.urls import path

from caredesk.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("new/", views.article_edit, name="new"),
    path("<int:pk>/", views.article_edit, name="edit"),
    path("c/<int:pk>/links/", views.article_links, name="links"),
    path("c/<int:pk>/insert/", views.article_link_insert, name="insert"),
]
