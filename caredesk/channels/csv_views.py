"""CSV in the desk: leads import conversations; agents export an inbox view."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from caredesk.channels import csv_export
from caredesk.channels.csv_jobs import MAX_PAGE_ROWS, csv_import_start
from caredesk.channels.csv_models import CsvImport
from caredesk.people.decorators import AgentRequest, agent_required

RECENT_IMPORTS = 10


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file (UTF-8)")


def _leads_only(request: AgentRequest) -> None:
    if not request.agent.sees_everything:
        raise PermissionDenied("Only leads and admins import conversations.")


@require_http_methods(["GET", "POST"])
@agent_required
def import_page(request: AgentRequest) -> HttpResponse:
    """The upload form; a good file is stored and imported by the worker (see `csv_jobs`)."""
    _leads_only(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = csv_import_start(
                raw=upload.read(), file_name=upload.name or "upload.csv", user=request.user
            )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            return redirect("csv:import_detail", pk=record.pk)
    recent = CsvImport.objects.defer("text").order_by("-created_at")[:RECENT_IMPORTS]
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "recent": recent, "max_rows": MAX_PAGE_ROWS}
    return render(request, "csv/import.html", context, status=status)


@require_GET
@agent_required
def import_detail(request: AgentRequest, pk: int) -> HttpResponse:
    """One import: a live progress bar while it runs, then its per-row error report."""
    _leads_only(request)
    record = get_object_or_404(CsvImport.objects.defer("text"), pk=pk)
    return render(request, "csv/import_detail.html", {"record": record})


@require_GET
@agent_required
def import_progress(request: AgentRequest, pk: int) -> HttpResponse:
    """The progress partial htmx polls; once finished it stops asking (no `hx-trigger`)."""
    _leads_only(request)
    record = get_object_or_404(CsvImport.objects.defer("text"), pk=pk)
    return render(request, "csv/_import_progress.html", {"record": record})


@require_GET
@agent_required
def inbox_export(request: AgentRequest, view: str) -> HttpResponse:
    """At most `EXPORT_MAX` rows, read from the database in chunks."""
    if view not in csv_export.VIEWS:
        raise Http404("No such inbox view.")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response.writelines(csv_export.inbox_csv(request.agent, view))
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="caredesk-{view}-{stamp}.csv"'
    return response
