"""Inställningar → API och webhooks: create a token (shown once), revoke it, see and resume a paused webhook."""

from __future__ import annotations

import re

from fakturabro.bootstrap import Container
from fakturabro.store.integrator_models import WebhookEndpoint
from fakturabro.sync.webhooks.endpoints import create_webhook

from .conftest import User


def test_a_token_is_made_shown_once_and_revoked(user: User) -> None:
    assert "Inga API-tokens ännu" in user.get("/settings/api").text
    made = user.post("/settings/api/tokens", {"name": "Ordersystemet", "write": "1", "expires_on": "2099-12-31"})
    assert made.status_code == 201
    token = re.search(r'<code id="new-token"[^>]*>(fb_[^<]+)</code>', made.text)
    assert token is not None
    assert user.client.get("/api/v1/company", headers={"Authorization": f"Bearer {token.group(1)}"}).status_code == 200
    page = user.get("/settings/api").text
    assert token.group(1) not in page
    assert "Ordersystemet" in page
    assert "Läsa och skriva" in page
    assert "2099-12-31 23:59" in page
    token_id = re.search(r"/settings/api/tokens/(\d+)/revoke", page)
    assert token_id is not None
    revoked = user.post(f"/settings/api/tokens/{token_id.group(1)}/revoke", {})
    assert revoked.status_code == 303
    assert "Återkallad" in user.get("/settings/api").text
    assert user.client.get("/api/v1/company", headers={"Authorization": f"Bearer {token.group(1)}"}).status_code == 401


def test_a_read_only_token_and_a_past_expiry(user: User) -> None:
    made = user.post("/settings/api/tokens", {"name": "Läsaren"})
    assert "Bara läsa" in user.get("/settings/api").text
    assert made.status_code == 201
    refused = user.post("/settings/api/tokens", {"expires_on": "2001-01-01"})
    assert refused.status_code == 422
    assert "framtiden" in refused.text


def test_revoking_needs_the_form_s_csrf_token(user: User) -> None:
    user.post("/settings/api/tokens", {"name": "X"})
    assert user.post("/settings/api/tokens/1/revoke", {}, csrf=False).status_code == 403


def test_a_paused_webhook_is_shown_with_its_reason_and_resumed(user: User, web_container: Container) -> None:
    created = create_webhook(
        web_container.db, user.company.id, "http://127.0.0.1:9/hook", ["invoice.paid"], allow_loopback=True
    )
    with web_container.db.transaction() as session:
        endpoint = session.get(WebhookEndpoint, created.id)
        assert endpoint is not None
        endpoint.state = "paused"
        endpoint.paused_reason = "Pausad: en händelse kunde inte levereras på 11 försök under 31.7 timmar."
    page = user.get("/settings/api").text
    assert "Pausad" in page
    assert "31.7 timmar" in page
    assert user.post(f"/settings/api/webhooks/{created.id}/resume", {}).status_code == 303
    assert "Återuppta" not in user.get("/settings/api").text


def test_the_integrations_page_leads_here(user: User) -> None:
    assert 'href="/settings/api"' in user.get("/settings/integrations").text
