"""One shape for every error the JSON API answers, whatever raised it.

    {"error": {"code": "validation_failed", "message": "A sentence for a person.",
               "fields": {"subject": ["Field required"]}}}

``code`` is stable snake_case for programs; ``message`` is for people; ``fields`` names the input
each problem belongs to (empty when none does; ``__all__`` for a problem of the whole request).
Which status means what:

- 400 ``invalid``: the input had the right shape but a rule refused it (an empty message, an unknown
  engine, a broken character); raised by the services as Django's ``ValidationError``.
  400 ``bad_request``: the body is not JSON, or the request is malformed.
- 401 ``unauthorized``: no bearer token or session, or an unknown token.
- 403 ``forbidden``: signed in, but this is not yours to do (a customer asking for the queue).
- 404 ``not_found``: no such route, or no such conversation, team or agent that you may see.
- 405 ``method_not_allowed``: the route exists, the method does not.
- 409 ``conflict``: a POST with this ``Idempotency-Key`` is still being processed.
- 413 ``too_large``: the body is over the upload limit.
- 422 ``validation_failed``: a parameter is missing, of the wrong type or out of range
  (django-ninja's schema validation, before any service runs), or an ``Idempotency-Key`` reused
  with a different request.
- 500 ``server_error``: a fault of ours, logged with its traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from functools import wraps
from typing import Any

from django.core.exceptions import (
    NON_FIELD_ERRORS,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    ValidationError,
)
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.urls import URLPattern, URLResolver
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as InputError

from caredesk.apikit import ERROR_CODES, ErrorDetail, ErrorOut, responses

logger = logging.getLogger("django.request")

__all__ = ["ERROR_CODES", "ErrorDetail", "ErrorOut", "error_response", "install", "responses"]


def error_response(
    status: int, message: str, *, code: str = "", fields: dict[str, list[str]] | None = None
) -> JsonResponse:
    body = {
        "error": {
            "code": code or ERROR_CODES.get(status, "error"),
            "message": message,
            "fields": fields or {},
        }
    }
    return JsonResponse(body, status=status)


# --- Exception handlers, registered on the NinjaAPI by `install` ----------------------------------


def _field(loc: Sequence[Any]) -> str:
    """`("body", "payload", "context", "transfers")` → "context.transfers", `("query", "limit")`
    → "limit": the name the client used."""
    source, *rest = loc or ("body",)
    if source == "body" and rest:
        rest = rest[1:]  # the handler's parameter name (`payload`), meaningless to the client
    return ".".join(str(part) for part in rest) or str(source)


def on_input_error(request: HttpRequest, exc: InputError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        fields.setdefault(_field(error.get("loc", ())), []).append(str(error.get("msg", "")))
    names = ", ".join(fields)
    message = f"Some of what you sent is missing, of the wrong type or out of range: {names}."
    return error_response(422, message, fields=fields)


def on_service_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    message = " ".join(m for msgs in fields.values() for m in msgs)
    return error_response(400, message or "This was refused.", code="invalid", fields=fields)


def on_unauthorized(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(
        401, "Send a valid bearer token (Authorization: Bearer <token>) or log in first."
    )


def on_forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403, str(exc) or "You are not allowed to do this.")


_NO_MATCH = re.compile(r"No (\w+) matches the given query\.")


def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    match = _NO_MATCH.fullmatch(str(exc))
    thing = match.group(1).lower() if match else "such thing"
    return error_response(404, f"There is no {thing} with that id, or you may not see it.")


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc).strip() or "This request was refused"
    if exc.status_code == 400 and message.startswith("Cannot parse request body"):
        message = "The request body is not valid JSON (UTF-8)."
    elif "CSRF" in message:
        message = "With a browser session, send its CSRF token (X-CSRFToken), or a bearer token."
    return error_response(exc.status_code, message if message.endswith(".") else message + ".")


def on_suspicious(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return error_response(413, "The request body is too large.")
    return error_response(400, "The request was malformed and refused.")


def on_server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=exc,
        extra={"status_code": 500, "request": request},
    )
    response = _server_error_response()
    response._has_been_logged = True  # type: ignore[attr-defined]  # by us, with the traceback
    return response


def _server_error_response() -> JsonResponse:
    return error_response(
        500, "Something went wrong on our side. It has been logged; please try again in a moment."
    )


def install(api: NinjaAPI) -> None:
    """Answer every exception a route raises in the one error shape (the most specific wins)."""
    handlers: list[tuple[type[Exception], Callable[..., HttpResponse]]] = [
        (InputError, on_input_error),
        (ValidationError, on_service_error),
        (AuthenticationError, on_unauthorized),
        (PermissionDenied, on_forbidden),
        (Http404, on_not_found),
        (HttpError, on_http_error),
        (SuspiciousOperation, on_suspicious),
        (Exception, on_server_error),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


# --- What django-ninja answers itself, and what Django answers outside it ----------------------


def _json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """django-ninja answers a wrong method with a plain-text 405; answer it in the error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            json = error_response(
                405, f"{request.method} is not allowed here; use {allowed or 'another method'}."
            )
            json["Allow"] = allowed
            return json
        return response

    return wrapper


def json_errors(
    urls: tuple[list[URLPattern | URLResolver], str, str],
) -> tuple[list[URLPattern | URLResolver], str, str]:
    """The API's URL patterns (`api.urls`), each answering a wrong method in the error shape."""
    patterns, app_name, namespace = urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _json_not_allowed(pattern.callback)
    return patterns, app_name, namespace


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler404`: JSON under /api/, the HTML page elsewhere."""
    if _is_api(request):
        return error_response(404, f"There is no API route at {request.path}; see /api/docs.")
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """`handler500`: JSON under /api/, the HTML page elsewhere."""
    if _is_api(request):
        return _server_error_response()
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler400`: JSON under /api/, the HTML page elsewhere."""
    if _is_api(request):
        return on_suspicious(request, exception)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """`handler403`: JSON under /api/, the HTML page elsewhere."""
    if _is_api(request):
        return on_forbidden(request, exception)
    return defaults.permission_denied(request, exception)
