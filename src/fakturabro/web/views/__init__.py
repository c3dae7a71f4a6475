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
    delivery,
    husavdrag,
    invoices,
    sent_mail,
    settings,
    static,
)

router = APIRouter(include_in_schema=False)
for module in (
    static,
    auth,
    customers,
    articles,
    crediting,
    delivery,
    husavdrag,
    invoices,
    billing,
    settings,
    company,
    sent_mail,
):
    router.include_router(module.router)

__all__ = ["router"]
