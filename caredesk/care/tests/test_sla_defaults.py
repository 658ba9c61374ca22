"""The desk's default SLA, and the demo desk's teams having it: the inbox's SLA column is not
empty in the demo."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from caredesk.care.models import BusinessHours, SlaPolicy
from caredesk.care.services import DEFAULT_TARGETS, sla_defaults_save
from caredesk.demo.generator import AGENT_EMAIL, DEMO_PASSWORD, demo_seed
from caredesk.demo.tests.test_generator import FAST_HASHERS, LOGIN_REQUEST
from caredesk.people.models import Agent, Severity, Team

pytestmark = pytest.mark.django_db


def test_the_defaults_cover_every_severity_stricter_as_it_rises(team: Team, lead: Agent) -> None:
    for _ in range(2):  # saving them again changes nothing
        sla_defaults_save(teams=[team], actor=lead, time_zone="Europe/London")
    policies = {p.severity: p for p in SlaPolicy.objects.filter(team=team)}
    assert sorted(policies) == sorted(Severity.values)
    for lower, higher in zip(sorted(policies), sorted(policies)[1:], strict=False):
        for target in ("first_response", "next_response", "resolution"):
            assert policies[higher].minutes(target) < policies[lower].minutes(target)
    assert policies[Severity.URGENT].first_response_minutes == DEFAULT_TARGETS[Severity.URGENT][0]
    hours = BusinessHours.objects.get(team=team)
    assert hours.time_zone == "Europe/London" and hours.week[5] is None


def test_the_demo_teams_have_an_sla_and_the_inbox_shows_time_left(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS
    settings.CAREDESK_EMOTION_REFINE_ENGINE = ""
    demo_seed(size=12, seed=5)
    for team in Team.objects.filter(agents__isnull=False).distinct():
        assert SlaPolicy.objects.filter(team=team).count() == len(Severity.values), team
        assert BusinessHours.objects.get(team=team).time_zone == "Europe/London"
    client = Client()
    assert client.login(request=LOGIN_REQUEST, email=AGENT_EMAIL, password=DEMO_PASSWORD)
    page = client.get("/desk/team/").content.decode()
    cells = re.findall(r'<td class="sla">([^<]*)</td>', page)
    assert cells and any(re.search(r"(left|overdue)", cell) for cell in cells), cells
