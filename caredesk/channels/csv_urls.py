from django.urls import path

from caredesk.channels import csv_views

app_name = "csv"

urlpatterns = [
    path("import/", csv_views.import_page, name="import"),
    path("export/<str:view>.csv", csv_views.inbox_export, name="export"),
]
