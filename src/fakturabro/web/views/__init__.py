"""The HTML side of the web app, in Swedish: one router per screen, templates in ``web/templates``."""

from __future__ import annotations

from fastapi import APIRouter

from fakturabro.web.views import (
    articles,
    auth,
    billing,
    company,
    crediting,
    customers,
    husavdrag,
    invoices,
    settings,
    static,
)

router = APIRouter(include_in_schema=False)
for module in (static, auth, customers, articles, crediting, husavdrag, invoices, billing, settings, company):
    router.include_router(module.router)

__all__ = ["router"]
