"""The HTML pages (Swedish UI): the routers live in ``web.views``; this module is what the app factory and other
page modules import — the pages' router, and the session helpers (login required, CSRF)."""

from __future__ import annotations

from fakturabro.web.views import router
from fakturabro.web.views.rendering import templates
from fakturabro.web.views.session import LoginRequired, PageCompany, check_csrf, csrf_token, session_company

__all__ = ["LoginRequired", "PageCompany", "check_csrf", "csrf_token", "router", "session_company", "templates"]
