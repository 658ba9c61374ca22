from django.urls import path

from caredesk.care import loop_views

app_name = "care_loop"

urlpatterns = [
    path("rate/<str:token>/", loop_views.rate, name="rate"),
    path("teams/<int:pk>/update/", loop_views.update_template_edit, name="update_template"),
]
