"""Sessions that end after a quiet spell, without a write on every request."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# When the session's expiry was last pushed on (seconds since the epoch), kept in the session.
REFRESHED_KEY = "_caredesk_refreshed"


class SessionIdleMiddleware:
    """Push a logged-in session's expiry on, but at most every CAREDESK_SESSION_REFRESH_SECONDS.

    A saved session expires SESSION_COOKIE_AGE after its last save, so saving it now and then makes
    the limit an idle one: the session ends between SESSION_COOKIE_AGE minus the refresh interval
    and SESSION_COOKIE_AGE after the last request. In between, reading pages writes nothing.
    SESSION_SAVE_EVERY_REQUEST would give the same limit at the price of a write per request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        logged_in = request.user.is_authenticated
        if logged_in:
            refreshed = session.get(REFRESHED_KEY)
            stale = not isinstance(refreshed, int) or (
                time.time() - refreshed >= settings.CAREDESK_SESSION_REFRESH_SECONDS
            )
            if stale:
                session[REFRESHED_KEY] = int(time.time())  # the session middleware saves it
        response = self.get_response(request)
        if session.modified and not session.is_empty() and request.user.is_authenticated:
            # A save that happens anyway (a login, a message) carries the stamp, for free.
            session[REFRESHED_KEY] = int(time.time())
        return response


def session_stamp_on_login(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """A new login's session is saved anyway: stamp it then, so its first page writes nothing."""
    request.session[REFRESHED_KEY] = int(time.time())
