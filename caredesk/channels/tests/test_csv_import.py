"""CSV import: through the services, a report per row, and nothing created twice."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoCaptureOnCommitCallbacks

from caredesk.channels.csv_import import csv_import_text
from caredesk.channels.csv_jobs import csv_import_run, csv_import_start
from caredesk.channels.csv_models import CsvImport, ImportedRow, ImportState
from caredesk.cli import main as caredesk
from caredesk.conftest import login
from caredesk.conversations.models import Conversation, Direction, EventKind, Message, Status
from caredesk.customers.models import Customer
from caredesk.people.models import Agent

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,conversation,customer_email,customer_name,subject,at,direction,author_email,"
    "text,status,satisfaction,effort\n"
)


def sample(agent_email: str, rater_email: str) -> str:
    ada, day = f"{rater_email},Ada", "2025-03-0"
    rows = [
        # line 2…: conversation A, answered and resolved, then rated by a customer with a login
        f"a1,A,{ada},Kettle broken,{day}1T09:00:00+00:00,customer,,It leaks.,,,",
        f"a2,A,{ada},,{day}1T10:00:00+00:00,agent,{agent_email},Sorry! A new one is coming.,,,",
        f"a3,A,{ada},,{day}1T10:05:00+00:00,note,{agent_email},Sent by courier.,resolved,,",
        f"a4,A,{ada},,{day}2T08:00:00+00:00,customer,,Arrived - thanks!,,,",
        f"a5,A,{ada},,{day}2T09:00:00+00:00,agent,{agent_email},Glad to hear it.,resolved,5,1",
        # line 7: a bad row in the middle
        "b0,B,bo@example.test,Bo,Lost card,2025-03-03T09:00:00,shouting,,Help,,,",
        # line 8: conversation B without a zone (UTC), no login
        "b1,B,bo@example.test,Bo,Lost card,2025-03-03T09:00:00,customer,,I lost my card.,,,",
        # lines 9–12: more bad rows
        "c1,C,cy@example.test,Cy,,2025-03-03T09:00:00,customer,,No subject here.,,,",
        "d1,D,di@example.test,Di,Hi,2025-03-03T09:00:00,agent,nobody@example.test,Hello,,,",
        "e1,E,ed@example.test,Ed,Hi,2999-01-01T00:00:00,customer,,From the future.,,,",
        "f1,F,fi@example.test,Fi,Hi,2025-03-03T09:00:00,customer,,Rated without a login.,,5,1",
    ]
    return HEADER + "\n".join(rows) + "\n"


def test_an_import_goes_through_the_services_and_reports_each_bad_row(
    agent: Agent, customer: Customer
) -> None:
    report = csv_import_text(sample(agent.user.email, customer.user.email))
    assert (report.created, report.skipped) == (6, 0)
    lines = dict(report.errors)
    assert sorted(lines) == [7, 9, 10, 11, 12]
    assert "direction must be one of" in lines[7]
    assert "needs a subject" in lines[9]
    assert "No active agent" in lines[10]
    assert "future" in lines[11]
    assert "portal login" in lines[12]

    a = Conversation.objects.get(subject="Kettle broken")
    assert a.customer == customer and a.status == Status.RESOLVED
    texts = [
        (m.direction, m.author, m.created_at.isoformat()) for m in a.messages.order_by("created_at")
    ]
    assert texts[0] == (Direction.INBOUND, customer.user, "2025-03-01T09:00:00+00:00")
    assert texts[1][:2] == (Direction.OUTBOUND, agent.user)
    assert texts[2][0] == Direction.NOTE
    assert a.rating.satisfaction == 5 and a.rating.effort == 1
    kinds = list(a.events.values_list("kind", flat=True))
    assert EventKind.RESOLVED in kinds and EventKind.RATED in kinds and EventKind.REOPENED in kinds
    b = Conversation.objects.get(subject="Lost card")
    assert (
        b.customer.email == "bo@example.test"
        and b.created_at.isoformat() == "2025-03-03T09:00:00+00:00"
    )
    assert all(m.reading for m in Message.objects.filter(direction=Direction.INBOUND))  # read


def test_importing_the_same_file_twice_creates_nothing_twice(
    agent: Agent, customer: Customer
) -> None:
    text = sample(agent.user.email, customer.user.email)
    first = csv_import_text(text)
    counts = (Conversation.objects.count(), Message.objects.count())
    again = csv_import_text(text)
    assert (again.created, again.skipped) == (0, first.created)
    assert (Conversation.objects.count(), Message.objects.count()) == counts
    assert dict(again.errors).keys() == dict(first.errors).keys()


def test_a_file_without_the_required_columns_is_refused_as_a_whole() -> None:
    with pytest.raises(Exception, match="lacks these columns: external_id"):
        csv_import_text("conversation,text\nA,hello\n")


def test_the_command_shows_progress_and_the_report(
    agent: Agent, customer: Customer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "history.csv"
    path.write_text(sample(agent.user.email, customer.user.email), encoding="utf-8-sig")
    assert caredesk(["import", "conversations", str(path)]) == 1  # some rows were refused
    out, err = capsys.readouterr()
    assert "6 rows imported, 0 already imported before, 5 refused." in out
    assert "line 7: direction must be one of" in out
    assert "11/11" in err  # tqdm's bar
    assert caredesk(["import", "conversations", str(path)]) == 1
    assert "0 rows imported, 6 already imported before" in capsys.readouterr().out
    assert caredesk(["import", "conversations", str(tmp_path / "missing.csv")]) == 1
    assert caredesk(["import", "people", str(path)]) == 2


def test_a_lead_uploads_and_the_worker_imports_while_the_page_polls(
    lead: Agent,
    agent: Agent,
    customer: Customer,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    client = login(Client(), lead.user.email)
    upload = SimpleUploadedFile("h.csv", sample(agent.user.email, customer.user.email).encode())
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("csv:import"), {"file": upload})
    record = CsvImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("csv:import_detail", kwargs={"pk": record.pk})
    assert (record.state, record.rows_total, record.rows_done) == (ImportState.QUEUED, 11, 0)
    assert not Message.objects.exists()  # nothing imported inside the request

    waiting = client.get(response["Location"]).content.decode()
    progress = reverse("csv:import_progress", kwargs={"pk": record.pk})
    assert f'hx-get="{progress}"' in waiting and 'hx-trigger="every 1s"' in waiting
    assert '<progress id="import-bar" max="11" value="0">' in waiting
    assert "<script" not in waiting.split("<main", 1)[-1]  # CSP: the page polls by attributes

    for callback in queued:  # the commit: the worker (in-process in tests) runs the import
        callback()
    record.refresh_from_db()
    assert (record.state, record.rows_done, record.rows_created, record.rows_failed) == (
        ImportState.DONE,
        11,
        6,
        5,
    )
    done = client.get(progress).content.decode()
    assert "hx-trigger" not in done  # finished: the page stops polling
    assert '<progress id="import-bar" max="11" value="11">' in done
    assert "Imported 6 rows" in done and "direction must be one of" in done
    assert "<td>7</td>" in done
    assert "h.csv" in client.get(reverse("csv:import")).content.decode()  # the recent imports


def test_the_upload_page_refuses_a_bad_file_whole_and_stores_nothing(lead: Agent) -> None:
    client = login(Client(), lead.user.email)
    latin1 = SimpleUploadedFile(
        "h.csv",
        (HEADER + "x,Y,z@example.test,Zoë,Hi,2025-01-01,customer,,é,,,\n").encode("latin-1"),
    )
    refused = client.post(reverse("csv:import"), {"file": latin1})
    assert refused.status_code == 400 and b"not UTF-8" in refused.content
    headless = SimpleUploadedFile("h.csv", b"conversation,text\nA,hello\n")
    refused = client.post(reverse("csv:import"), {"file": headless})
    assert refused.status_code == 400 and b"lacks these columns" in refused.content
    assert not CsvImport.objects.exists()


def test_an_import_run_again_after_a_crash_skips_what_it_had_imported(
    agent: Agent,
    customer: Customer,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    text = sample(agent.user.email, customer.user.email)
    with django_capture_on_commit_callbacks(execute=True):
        record = csv_import_start(raw=text.encode(), file_name="h.csv", user=None)
    record.refresh_from_db()
    assert (record.state, record.rows_created) == (ImportState.DONE, 6)
    CsvImport.objects.filter(pk=record.pk).update(state=ImportState.RUNNING)  # as if killed
    again = csv_import_run(csv_import_id=record.pk)
    assert (again.rows_created, again.rows_skipped, again.rows_failed) == (0, 6, 5)
    assert Conversation.objects.filter(subject="Kettle broken").get().messages.count() == 5


@contextmanager
def imported_rows_refused(external_id: str) -> Iterator[None]:
    """A real database trigger that refuses one row's `ImportedRow`: the failure between a row's
    message and its record that a crash would cause."""
    table = ImportedRow._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_row() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'refused by the test' USING ERRCODE = 'check_violation'; "
                "END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                f"CREATE TRIGGER refuse_row BEFORE INSERT ON {table} FOR EACH ROW "
                f"WHEN (NEW.external_id = '{external_id}') EXECUTE FUNCTION refuse_row()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse_row BEFORE INSERT ON {table} "
                f"WHEN NEW.external_id = '{external_id}' "
                "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER refuse_row ON {table}")
                cursor.execute("DROP FUNCTION refuse_row()")
            else:
                cursor.execute("DROP TRIGGER refuse_row")


def test_a_row_and_its_record_are_one_transaction(agent: Agent, customer: Customer) -> None:
    text = sample(agent.user.email, customer.user.email)
    with imported_rows_refused("a4"):
        first = csv_import_text(text)
    assert "could not be stored" in dict(first.errors)[5]
    assert not Message.objects.filter(external_id="csv:a4").exists()  # the message went too
    assert first.created == 5
    again = csv_import_text(text)
    assert (again.created, again.skipped) == (1, 5)
    assert Message.objects.filter(external_id="csv:a4").count() == 1
