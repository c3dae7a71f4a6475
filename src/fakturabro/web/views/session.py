"""Who is logged in: signed session cookies, CSRF tokens, session expiry and a login rate limit.

The session cookie (Starlette's, signed with the app's secret) carries the user, the company and the login time.
A session older than ``session_max_age_seconds`` is over even if the browser still sends the cookie, so a copied
cookie does not live for ever. Every POST checks the session's CSRF token, sent as the form field ``csrf`` or, for
htmx requests, the ``X-CSRF-Token`` header (the layout puts it in ``hx-headers``).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from fakturabro.bootstrap import Container

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


def start_session(request: Request, user_id: int, company_id: int) -> None:
    """A fresh session (new CSRF token) so a session id planted before the login is worth nothing."""
    request.session.clear()
    request.session.update(
        {
            "user_id": user_id,
            "company_id": company_id,
            "csrf": secrets.token_urlsafe(32),
            "login_at": _container(request).clock().timestamp(),
        }
    )


def session_company(request: Request) -> int:
    company_id = request.session.get("company_id")
    login_at = request.session.get("login_at")
    container = _container(request)
    max_age = container.settings.session_max_age_seconds
    expired = not isinstance(login_at, int | float) or container.clock().timestamp() - login_at > max_age
    if not isinstance(company_id, int) or expired:
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
