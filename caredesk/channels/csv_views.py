"""CSV in the desk: leads import conversations; agents export an inbox view."""

from __future__ import annotations

import io

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from caredesk.channels import csv_export
from caredesk.channels.csv_import import conversations_import, csv_decode, csv_rows
from caredesk.people.decorators import AgentRequest, agent_required

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A page waits for its import; a bigger file goes through `caredesk import conversations`.
MAX_PAGE_ROWS = 2_000


class ImportForm(forms.Form):
    file = forms.FileField(label="CSV file (UTF-8)")


@require_http_methods(["GET", "POST"])
@agent_required
def import_page(request: AgentRequest) -> HttpResponse:
    if not request.agent.sees_everything:
        raise PermissionDenied("Only leads and admins import conversations.")
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_UPLOAD_BYTES:
                raise ValidationError(
                    f"The file is over {MAX_UPLOAD_BYTES // (1024 * 1024)} MB; "
                    "use `caredesk import conversations FILE.csv` for large files."
                )
            rows = list(csv_rows(io.StringIO(csv_decode(upload.read()), newline="")))
            if len(rows) > MAX_PAGE_ROWS:
                raise ValidationError(
                    f"The file has {len(rows):,} rows; the page imports up to {MAX_PAGE_ROWS:,}. "
                    "Use `caredesk import conversations FILE.csv` for large files."
                )
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            report = conversations_import(rows)
    status = 400 if request.method == "POST" and report is None else 200
    return render(request, "csv/import.html", {"form": form, "report": report}, status=status)


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
