"""Who is logged in: signed session cookies, CSRF tokens, session expiry and a login rate limit.

The session cookie (Starlette's, signed with the app's secret) carries only the key of a session kept on the server
(``invoicing.sessions``) and the CSRF token: logout, a password change or the operator end the session at once in
every process, and an idle or too old session is over even if the browser still sends the cookie. Every POST
checks the session's CSRF token, sent as the form field ``csrf`` or, for htmx requests, the ``X-CSRF-Token``
header (the layout puts it in ``hx-headers``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from fakturabro.bootstrap import Container
from fakturabro.invoicing.sessions import begin_session, end_session, session_owner

CSRF_HEADER = "X-CSRF-Token"
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_SECONDS = 15 * 60


class LoginRequired(Exception):  # noqa: N818 - a state the app answers with the login page
    """Raised by page dependencies; answered with a redirect to the login page."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    given = submitted or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(expected, str) or not secrets.compare_digest(expected.encode(), given.encode()):
        raise HTTPException(403, "Formuläret har gått ut. Ladda om sidan och försök igen.")


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def _lifetimes(container: Container) -> tuple[timedelta, timedelta]:
    settings = container.settings
    return timedelta(seconds=settings.session_idle_seconds), timedelta(seconds=settings.session_max_age_seconds)


def start_session(request: Request, user_id: int, company_id: int) -> None:
    """A new server session with a new key and CSRF token, so a session id planted before the login is worth
    nothing; a session the browser had before is ended."""
    container = _container(request)
    end_current_session(request)
    _idle, lifetime = _lifetimes(container)
    key = begin_session(container.db, user_id, company_id, lifetime=lifetime)
    # company_id only labels pages and log lines; what lets the browser in is the open session ``sid``.
    request.session.update({"sid": key, "company_id": company_id, "csrf": secrets.token_urlsafe(32)})


def end_current_session(request: Request) -> None:
    key = request.session.get("sid")
    if isinstance(key, str):
        end_session(_container(request).db, key)
    request.session.clear()


def logged_in_company(request: Request) -> int | None:
    """The company of the browser's session while that session is open on the server; None otherwise."""
    key = request.session.get("sid")
    if not isinstance(key, str):
        return None
    container = _container(request)
    idle, lifetime = _lifetimes(container)
    owner = session_owner(container.db, key, idle=idle, lifetime=lifetime)
    return owner.company_id if owner else None


def session_company(request: Request) -> int:
    company_id = logged_in_company(request)
    if company_id is None:
        request.session.clear()
        if request.headers.get("HX-Request") == "true":
            # A fragment request (a polling badge, live totals) must not get the login page swapped into it.
            raise HTTPException(401, "Du är utloggad. Logga in igen.", headers={"HX-Redirect": "/login"})
        raise LoginRequired
    return company_id


PageCompany = Annotated[int, Depends(session_company)]


class LoginLimiter:
    """At most ``attempts`` failed logins per key (client address, e-mail address) within ``window`` seconds.

    In memory, per process: enough to stop a script guessing passwords through one server; a deployment with
    several processes puts a limit in its proxy as well.
    """

    def __init__(
        self,
        attempts: int = LOGIN_ATTEMPTS,
        window: float = LOGIN_WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._attempts = attempts
        self._window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until another attempt is allowed for all ``keys``; 0 when allowed now."""
        now = self._clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                failures = self._recent(key, now)
                if len(failures) >= self._attempts:
                    wait = max(wait, failures[0] + self._window - now)
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, *keys: str) -> None:
        now = self._clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(key, deque())
        while failures and failures[0] <= now - self._window:
            failures.popleft()
        return failures


def login_limiter(request: Request) -> LoginLimiter:
    """The app's limiter (a test may put its own in ``app.state.login_limiter``)."""
    state = request.app.state
    limiter = getattr(state, "login_limiter", None)
    if not isinstance(limiter, LoginLimiter):
        limiter = LoginLimiter()
        state.login_limiter = limiter
    return limiter
