"""Every API error has one JSON shape, and every route documents the statuses it returns.

The routes are walked from the OpenAPI schema, so a new route is covered without a line here: each
is requested without credentials, with the wrong method, with an unknown id, with input of the wrong
type and with a body that is not JSON, and (for agents' routes) as a customer.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import URLPattern

from caredesk.channels.api import api
from caredesk.channels.api import errors as api_errors
from caredesk.conversations.tests.factories import make_conversation
from caredesk.customers.models import Customer
from caredesk.people.models import Agent, Team
from caredesk.people.services import api_token_create

pytestmark = pytest.mark.django_db

SCHEMA_ROUTES = ("/api/openapi.json", "/api/docs")
UNKNOWN = 987654321


def assert_error_shape(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert re.fullmatch(r"[a-z]+(_[a-z]+)*", error["code"])
    assert isinstance(error["message"], str) and error["message"].endswith(".")
    assert len(error["message"]) > 10 and "{" not in error["message"]
    assert isinstance(error["fields"], dict)
    for field, messages in error["fields"].items():
        assert isinstance(field, str) and messages and all(isinstance(m, str) for m in messages)
    return error


@functools.cache
def openapi() -> dict[str, Any]:
    """Read once: the parametrised tests below consult it hundreds of times (only to read)."""
    schema: dict[str, Any] = Client().get("/api/openapi.json").json()
    return schema


def operations() -> list[tuple[str, str]]:
    """(method, path) of every route, from the schema the API publishes."""
    return [
        (method.upper(), path)
        for path, ops in openapi()["paths"].items()
        for method in ops
        if method in ("get", "post", "put", "patch", "delete")
    ]


def assert_documented(method: str, path: str, status: int) -> None:
    """The status is in the route's OpenAPI responses, with the ErrorOut schema."""
    responses = openapi()["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} returns {status}, not documented"
    content = responses[str(status)]["content"]["application/json"]["schema"]
    assert content == {"$ref": "#/components/schemas/ErrorOut"}


def fill(path: str, pk: int) -> str:
    return path.replace("{pk}", str(pk))


def _body_content(method: str, path: str) -> dict[str, Any]:
    body = openapi()["paths"][path][method.lower()].get("requestBody", {})
    content: dict[str, Any] = body.get("content", {})
    return content


def _has_json_body(method: str, path: str) -> bool:
    return "application/json" in _body_content(method, path)


def _is_multipart(method: str, path: str) -> bool:
    return "multipart/form-data" in _body_content(method, path)


SAMPLES = {"string": "Hi", "integer": 1, "number": 1, "boolean": False, "array": [], "object": {}}


def example_body(method: str, path: str) -> str:
    """A body with every required field of the route's schema, in the right type (an enum's
    first value): what a route needs to get as far as looking up the id."""
    content = _body_content(method, path).get("application/json")
    if content is None:
        return ""
    schema = content["schema"]
    if "$ref" in schema:
        schema = openapi()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    body = {}
    for name in schema.get("required", []):
        prop = schema["properties"][name]
        if "$ref" in prop:
            prop = openapi()["components"]["schemas"][prop["$ref"].rsplit("/", 1)[1]]
        body[name] = prop["enum"][0] if "enum" in prop else SAMPLES[prop.get("type", "string")]
    return json.dumps(body)


class Callers:
    def __init__(self, agent: Agent, customer: Customer, team: Team, lead: Agent) -> None:
        self.conversation = make_conversation(customer=customer, team=team)
        self.agent_token = api_token_create(email=agent.user.email, name="errors")
        assert customer.user is not None
        self.customer_token = api_token_create(email=customer.user.email, name="errors")
        self.lead_token = api_token_create(email=lead.user.email, name="errors")

    def call(
        self,
        method: str,
        path: str,
        *,
        who: str | None = "agent",
        body: str | None = None,
        files: dict[str, Any] | None = None,
    ) -> Any:
        headers = {}
        if who is not None:
            token = {
                "agent": self.agent_token,
                "customer": self.customer_token,
                "lead": self.lead_token,
            }[who]
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        client = Client(raise_request_exception=False)
        if files is not None:
            return client.post(path, files, **headers)  # multipart/form-data
        return client.generic(method, path, body or "", content_type="application/json", **headers)


@pytest.fixture
def callers(agent: Agent, customer: Customer, team: Team, lead: Agent) -> Callers:
    return Callers(agent, customer, team, lead)


def test_the_walk_covers_every_api_route() -> None:
    """Every URL the API serves is in its schema, so walking the schema walks every route."""
    patterns, _, _ = api.urls
    served = {"/api/" + str(p.pattern) for p in patterns if isinstance(p, URLPattern)}
    served = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", s) for s in served}
    documented = set(openapi()["paths"])
    assert served - documented <= {*SCHEMA_ROUTES, "/api/"}, served - documented
    assert len(documented) >= 8


def test_error_out_is_in_the_schema() -> None:
    schemas = openapi()["components"]["schemas"]
    assert schemas["ErrorOut"]["required"] == ["error"]
    assert set(schemas["ErrorDetail"]["required"]) == {"code", "message", "fields"}


@pytest.mark.parametrize(("method", "path"), operations())
def test_without_credentials_is_401(callers: Callers, method: str, path: str) -> None:
    r = callers.call(method, fill(path, callers.conversation.pk), who=None, body="{}")
    error = assert_error_shape(r, 401)
    assert error["code"] == "unauthorized"
    assert_documented(method, path, 401)


@pytest.mark.parametrize("path", sorted({p for _, p in operations()}))
def test_a_wrong_method_is_405(callers: Callers, path: str) -> None:
    allowed = {m for m, p in operations() if p == path}
    wrong = next(m for m in ("DELETE", "PUT", "PATCH", "POST", "GET") if m not in allowed)
    r = callers.call(wrong, fill(path, callers.conversation.pk))
    error = assert_error_shape(r, 405)
    assert error["code"] == "method_not_allowed"
    assert set(r["Allow"].replace(" ", "").split(",")) == allowed


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in operations() if "{pk}" in p])
def test_an_unknown_id_is_404(callers: Callers, method: str, path: str) -> None:
    files = None
    if _is_multipart(method, path):
        files = {"files": SimpleUploadedFile("a.txt", b"hello"), "text": "Hi"}
    # As a lead, who may see everything: whatever the route, an unknown id is all that is wrong.
    body = example_body(method, path)
    r = callers.call(method, fill(path, UNKNOWN), who="lead", body=body, files=files)
    error = assert_error_shape(r, 404)
    assert error["code"] == "not_found"
    assert re.fullmatch(r"There is no \w+ with that id, or you may not see it\.", error["message"])
    assert_documented(method, path, 404)


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in operations() if "{pk}" in p])
@pytest.mark.parametrize("pk", ["0", "-1", "99999999999999999999", "abc"])
def test_an_id_out_of_range_is_422(callers: Callers, method: str, path: str, pk: str) -> None:
    r = callers.call(method, path.replace("{pk}", pk), body='{"text": "Hi"}')
    error = assert_error_shape(r, 422)
    assert error["code"] == "validation_failed" and "pk" in error["fields"]
    assert_documented(method, path, 422)


@pytest.mark.parametrize(("method", "path"), [o for o in operations() if _has_json_body(*o)])
def test_a_body_of_the_wrong_type_is_422_naming_the_fields(
    callers: Callers, method: str, path: str
) -> None:
    r = callers.call(method, fill(path, callers.conversation.pk), body='{"text": [1], "note": {}}')
    error = assert_error_shape(r, 422)
    assert error["code"] == "validation_failed" and error["fields"]
    assert not any(f.startswith("payload") for f in error["fields"])  # the names clients use
    assert_documented(method, path, 422)


@pytest.mark.parametrize(("method", "path"), [o for o in operations() if _has_json_body(*o)])
def test_a_body_that_is_not_json_is_400(callers: Callers, method: str, path: str) -> None:
    r = callers.call(method, fill(path, callers.conversation.pk), body='{"text": "Hi",')
    error = assert_error_shape(r, 400)
    assert error["code"] == "bad_request" and "JSON" in error["message"]
    assert_documented(method, path, 400)


def _typed_query_parameter(method: str, path: str) -> str | None:
    """The first query parameter that takes only a number or a date: a word there is a 422."""
    for q in openapi()["paths"][path][method.lower()].get("parameters", []):
        schema = q.get("schema", {})
        kinds = [schema, *schema.get("anyOf", [])]
        if q.get("in") == "query" and any(
            k.get("type") == "integer" or k.get("format") in ("date", "date-time") for k in kinds
        ):
            return str(q["name"])
    return None


@pytest.mark.parametrize(
    ("method", "path"), [(m, p) for m, p in operations() if _typed_query_parameter(m, p)]
)
def test_a_query_parameter_of_the_wrong_type_is_422(
    callers: Callers, method: str, path: str
) -> None:
    name = _typed_query_parameter(method, path)
    r = callers.call(method, fill(path, callers.conversation.pk) + f"?{name}=many")
    error = assert_error_shape(r, 422)
    assert name in error["fields"]
    assert_documented(method, path, 422)


@pytest.mark.parametrize(("method", "path"), [o for o in operations() if _is_multipart(*o)])
def test_an_upload_without_its_files_is_422_naming_them(
    callers: Callers, method: str, path: str
) -> None:
    r = callers.call(method, fill(path, callers.conversation.pk), files={"text": "Hi"})
    error = assert_error_shape(r, 422)
    assert "files" in error["fields"]
    assert_documented(method, path, 422)


AGENTS_ONLY = [
    ("POST", "/api/conversations/{pk}/transfer", '{"note": "Over", "to_team_id": 1}'),
    ("GET", "/api/queue", ""),
    ("POST", "/api/queue/take-next", ""),
    ("POST", "/api/coach", '{"draft": "Hi"}'),
    ("PATCH", "/api/conversations/{pk}", '{"severity": 3}'),
    ("POST", "/api/conversations/{pk}/notes", '{"text": "Hi"}'),
    ("POST", "/api/conversations/{pk}/merge", '{"target_id": 1}'),
    ("POST", "/api/conversations/{pk}/resolve", ""),
    ("POST", "/api/conversations/{pk}/reopen", "{}"),
    ("GET", "/api/conversations/{pk}/events", ""),
    ("GET", "/api/events", ""),
    ("GET", "/api/customers", ""),
    ("POST", "/api/customers", '{"name": "Pat"}'),
    ("GET", "/api/organisations", ""),
    ("GET", "/api/agents", ""),
    ("GET", "/api/teams", ""),
    ("POST", "/api/customers/{customer_id}/merge", '{"into_id": 1}'),
]


@pytest.mark.parametrize(("method", "path", "body"), AGENTS_ONLY)
def test_a_customer_on_an_agents_route_is_403(
    callers: Callers, method: str, path: str, body: str
) -> None:
    url = fill(path, callers.conversation.pk)
    url = url.replace("{customer_id}", str(callers.conversation.customer_id))
    r = callers.call(method, url, who="customer", body=body)
    error = assert_error_shape(r, 403)
    assert error["code"] == "forbidden" and "agent" in error["message"].lower()
    assert_documented(method, path, 403)


def test_a_rule_refusing_input_is_400_naming_the_field(callers: Callers) -> None:
    r = callers.call("POST", "/api/analyze", body='{"text": "Hi", "engine": "gpt"}')
    error = assert_error_shape(r, 400)
    assert error["code"] == "invalid" and list(error["fields"]) == ["engine"]
    assert "minilm" in error["fields"]["engine"][0]


def test_an_unknown_api_path_is_a_json_404_and_pages_stay_html(callers: Callers) -> None:
    for path in ("/api/nothing-here", "/api/conversations/1/nope", "/api/queue/"):
        error = assert_error_shape(callers.call("GET", path), 404)
        assert error["code"] == "not_found" and "/api/docs" in error["message"]
    page = Client().get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_a_body_over_the_limit_is_413(callers: Callers, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    r = callers.call("POST", "/api/analyze", body='{"text": "' + "a" * 2000 + '"}')
    assert assert_error_shape(r, 413)["code"] == "too_large"
    assert_documented("POST", "/api/analyze", 413)


def _request(path: str) -> HttpRequest:
    return RequestFactory().get(path)


def test_an_unexpected_error_is_a_logged_json_500(caplog: pytest.LogCaptureFixture) -> None:
    """The handler every route falls back on: JSON for the client, the traceback in the log."""
    try:
        raise RuntimeError("the database went away")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="django.request"):
            response = api_errors.on_server_error(_request("/api/conversations"), exc)
    error = assert_error_shape(response_from(response), 500)
    assert error["code"] == "server_error" and "database" not in error["message"]
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.exc_info and "the database went away" in str(record.exc_info[1])
    for method, path in operations():
        assert_documented(method, path, 500)


def test_handler500_answers_json_under_api_and_html_elsewhere() -> None:
    from caredesk import urls

    assert urls.handler500 is api_errors.server_error
    api_500 = response_from(api_errors.server_error(_request("/api/queue")))
    assert assert_error_shape(api_500, 500)["code"] == "server_error"
    page = api_errors.server_error(_request("/desk/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


def response_from(response: Any) -> Any:
    """A response made outside the test client, given the client's `.json()`."""
    import json

    response.json = lambda: json.loads(response.content)
    return response


def test_a_browser_session_without_its_csrf_token_is_a_json_403(customer: Customer) -> None:
    assert customer.user is not None
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(customer.user)
    r = browser.post("/api/analyze", {"text": "Hi"}, content_type="application/json")
    error = assert_error_shape(r, 403)
    assert error["code"] == "forbidden" and "CSRF" in error["message"]
    for method, path in operations():
        if method == "POST":
            assert_documented(method, path, 403)
