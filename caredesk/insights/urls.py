from django.urls import path

from caredesk.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("csv/", views.dashboard_csv, name="csv"),
    path("correlations/", views.correlations, name="correlations"),
    path("goals/", views.goal_list, name="goals"),
    path("goals/<int:pk>/", views.goal_detail, name="goal"),
    path("goals/<int:pk>/retire/", views.goal_retire, name="goal_retire"),
    path("checkpoints/<int:pk>/", views.checkpoint_edit, name="checkpoint"),
    path("review/", views.review_page, name="review"),
    path("review/csv/", views.review_csv, name="review_csv"),
    path("review/schedules/", views.schedules, name="schedules"),
    path("review/schedules/<int:pk>/stop/", views.schedule_stop, name="schedule_stop"),
]
