"""The leads' SLA page and report, and the inbox's time left."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from caredesk.care.models import BusinessHours, SlaPolicy
from caredesk.care.tests.factories import make_sla
from caredesk.conftest import login
from caredesk.conversations.services import conversation_resolve, reply_send
from caredesk.conversations.tests.factories import make_conversation
from caredesk.people.models import Agent, Severity, Team

pytestmark = pytest.mark.django_db


def _form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "time_zone": "Europe/Lisbon",
        "holidays": "2026-12-25\n2026-12-26",
        "warn_minutes": 20,
        "owner_answer_minutes": 90,
        "first_response_3": 30,
        "next_response_3": 60,
        "resolution_3": 240,
    }
    for i in range(5):
        data[f"open_{i}"], data[f"close_{i}"] = "08:00", "18:00"
    data.update(changes)
    return data


def test_a_lead_sets_hours_and_targets(team: Team, lead: Agent) -> None:
    client = login(Client(), lead.user.email)
    assert client.get(f"/care/sla/teams/{team.pk}/").status_code == 200
    response = client.post(f"/care/sla/teams/{team.pk}/", _form())
    assert response.status_code == 302
    hours = BusinessHours.objects.get(team=team)
    assert hours.time_zone == "Europe/Lisbon"
    assert hours.week == [["08:00", "18:00"]] * 5 + [None, None]
    assert hours.holidays == ["2026-12-25", "2026-12-26"]
    assert (hours.warn_minutes, hours.owner_answer_minutes) == (20, 90)
    policy = SlaPolicy.objects.get(team=team)
    assert policy.severity == Severity.HIGH
    assert (policy.first_response_minutes, policy.resolution_minutes) == (30, 240)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"time_zone": "Europe/Atlantis"}, "is not a time zone"),
        ({"open_2": "25:00"}, "Wednesday: “25:00” is not a time like 09:00."),
        ({"close_1": ""}, "Tuesday: give both times, or neither when closed."),
        ({"resolution_3": ""}, "High: give all three targets, or none."),
        ({"holidays": "Christmas"}, "“Christmas” is not a date"),
        ({"first_response_3": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_saved(
    team: Team, lead: Agent, changes: dict[str, object], says: str
) -> None:
    client = login(Client(), lead.user.email)
    response = client.post(f"/care/sla/teams/{team.pk}/", _form(**changes))
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not BusinessHours.objects.exists()
    assert not SlaPolicy.objects.exists()


def test_the_inbox_shows_time_left_with_a_flat_query_count(
    team: Team, agent: Agent, agent_client: Client, lead: Agent
) -> None:
    with time_machine.travel(datetime(2026, 4, 6, 9, tzinfo=UTC), tick=False) as clock:
        make_sla(team=team, lead=lead, time_zone="UTC", week=[["00:00", "24:00"]] * 7)
        make_conversation(team=team)
        clock.move_to(datetime(2026, 4, 6, 9, 15, tzinfo=UTC))
        with CaptureQueriesContext(connection) as few:
            page = agent_client.get("/desk/")
        assert "First response: 45m left" in page.content.decode()
        for _ in range(10):
            make_conversation(team=team)
        page = agent_client.get("/desk/team/")
        with CaptureQueriesContext(connection) as queue_many:
            agent_client.get("/desk/")
    assert len(queue_many) == len(few), [q["sql"] for q in queue_many]
    assert page.content.decode().count("First response: 1h 00m left") == 10
    assert "First response: 45m left" in page.content.decode()


def test_the_report_counts_targets_met_and_missed(team: Team, agent: Agent, lead: Agent) -> None:
    with time_machine.travel(datetime(2026, 4, 6, 9, tzinfo=UTC), tick=False) as clock:
        make_sla(team=team, lead=lead, time_zone="UTC", week=[["00:00", "24:00"]] * 7)
        quick, slow, _waiting = (make_conversation(team=team) for _ in range(3))
        clock.move_to(datetime(2026, 4, 6, 9, 30, tzinfo=UTC))
        reply_send(conversation=quick, agent=agent, text="Sorted, thank you for waiting.")
        conversation_resolve(conversation=quick, agent=agent)
        clock.move_to(datetime(2026, 4, 6, 11, tzinfo=UTC))
        reply_send(conversation=slow, agent=agent, text="Sorry for the wait, here is the fix.")
        clock.move_to(datetime(2026, 4, 6, 11, 30, tzinfo=UTC))
        client = login(Client(), lead.user.email)
        response = client.get(
            "/care/sla/report/", {"team": team.pk, "start": "2026-04-06", "end": "2026-04-06"}
        )
    assert response.status_code == 200
    rows = {r.target: (r.met, r.missed, r.running) for r in response.context["rows"]}
    # quick: answered in 30 min and resolved; slow: answered after 2 h (target 1 h); waiting:
    # not answered after 2.5 h. Resolution (8 h) is met by quick, running for the two others.
    assert rows == {
        "first_response": (1, 2, 0),
        "next_response": (0, 0, 0),
        "resolution": (1, 0, 2),
    }
    bad = login(Client(), lead.user.email).get(
        "/care/sla/report/", {"team": team.pk, "start": "2026-04-07", "end": "2026-04-06"}
    )
    assert bad.status_code == 400
    assert "The period must end on or after its first day." in bad.content.decode()
