"""Logging in by e-mail address, whatever its case."""

from __future__ import annotations

import pytest
from django.test import Client

from caredesk.people.tests.factories import PASSWORD, AgentFactory

pytestmark = pytest.mark.django_db


def test_login_ignores_the_case_of_the_address() -> None:
    agent = AgentFactory(user__email="ana.lopez@example.com")
    response = Client().post(
        "/login/", {"username": "  Ana.Lopez@Example.COM", "password": PASSWORD}
    )
    assert response.status_code == 302
    wrong = Client().post("/login/", {"username": "ANA.LOPEZ@example.com", "password": "nope!"})
    assert wrong.status_code == 200
    assert agent.user.email == "ana.lopez@example.com"
