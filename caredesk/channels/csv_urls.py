from django.urls import path

from caredesk.channels import csv_views

app_name = "csv"

urlpatterns = [
    path("import/", csv_views.import_page, name="import"),
    path("import/<int:pk>/", csv_views.import_detail, name="import_detail"),
    path("import/<int:pk>/progress/", csv_views.import_progress, name="import_progress"),
    path("export/<str:view>.csv", csv_views.inbox_export, name="export"),
]
