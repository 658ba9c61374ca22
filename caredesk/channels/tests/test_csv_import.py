"""CSV import: through the services, a report per row, and nothing created twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from caredesk.channels.csv_import import csv_import_text
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


def test_a_lead_imports_on_the_upload_page(lead: Agent, agent: Agent, customer: Customer) -> None:
    client = login(Client(), lead.user.email)
    upload = SimpleUploadedFile("h.csv", sample(agent.user.email, customer.user.email).encode())
    response = client.post(reverse("csv:import"), {"file": upload})
    assert response.status_code == 200
    assert (
        b"Imported 6 rows" in response.content and b"direction must be one of" in response.content
    )
    latin1 = SimpleUploadedFile(
        "h.csv",
        (HEADER + "x,Y,z@example.test,Zoë,Hi,2025-01-01,customer,,é,,,\n").encode("latin-1"),
    )
    refused = client.post(reverse("csv:import"), {"file": latin1})
    assert refused.status_code == 400 and b"not UTF-8" in refused.content
