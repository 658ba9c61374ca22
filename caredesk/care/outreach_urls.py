from django.urls import path

from caredesk.care import outreach_views

app_name = "care_outreach"

urlpatterns = [
    path("", outreach_views.at_risk, name="list"),
    path("mine/", outreach_views.mine, name="mine"),
    path("<int:pk>/outcome/", outreach_views.outcome, name="outcome"),
]
