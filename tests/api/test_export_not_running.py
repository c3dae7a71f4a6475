"""A process without the background export (``serve --no-worker``) refuses to start exports with a 409."""

from __future__ import annotations

import pytest

from fakturabro.sync.export import workflow

from .helpers import Api


def test_export_requests_without_the_runtime_are_refused_not_crashed(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workflow, "_deps", [])
    invoice = api.approved(api.private_customer())

    again = api.post(f"/invoices/{invoice['id']}/export")
    pending = api.post("/exports/pending")

    for response in (again, pending):
        assert response.status_code == 409, response.text
        assert response.json()["detail"][0]["type"] == "export_not_running"
        assert "fakturabro worker" in response.json()["detail"][0]["msg"]
