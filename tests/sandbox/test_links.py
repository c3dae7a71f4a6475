"""`/v2/partnerresourcelinks` over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fakturabro.sandbox.testing import FakeClock

from .test_invoices import Visma

LINKS = "/partnerresourcelinks"
ONE = "/partnerresourcelinks/{partnerResourceLinkId}"


@pytest.fixture
def visma(client: TestClient, clock: FakeClock) -> Visma:
    return Visma(client, clock)


def link(visma: Visma, **fields: Any) -> dict[str, Any]:
    return {
        "ResourceId": visma.sid("customer:1001"),
        "ResourceType": 1,
        "Href": "https://fakturabro.example/kunder/1001",
        "PartnerCompanyName": "fakturabro",
        "PartnerSystemName": "fakturabro",
    } | fields


def test_create_list_get_update_delete(visma: Visma) -> None:
    created = visma.call("POST", LINKS, LINKS, link(visma))
    assert created.status_code == 201, created.text
    link_id = created.json()["Id"]
    assert created.json()["Href"] == "https://fakturabro.example/kunder/1001"
    assert [row["Id"] for row in visma.call("GET", LINKS, LINKS).json()["Data"]] == [link_id]
    assert visma.call("GET", f"{LINKS}/{link_id}", ONE).json() == created.json()
    updated = visma.call("PUT", f"{LINKS}/{link_id}", ONE, link(visma, Href="https://fakturabro.example/k/1"))
    assert updated.json()["Href"] == "https://fakturabro.example/k/1"
    assert visma.call("DELETE", f"{LINKS}/{link_id}", ONE).status_code == 200
    assert visma.call("GET", LINKS, LINKS).json()["Data"] == []


def test_link_to_an_invoice(visma: Visma) -> None:
    invoice = visma.call("POST", "/customerinvoices", "/customerinvoices", visma.invoice()).json()
    created = visma.call("POST", LINKS, LINKS, link(visma, ResourceId=invoice["Id"], ResourceType=3))
    assert created.status_code == 201, created.text
    found = visma.call("GET", LINKS, LINKS, **{"$filter": f"ResourceId eq '{invoice['Id']}'"}).json()
    assert len(found["Data"]) == 1


def test_link_to_an_unknown_resource_is_refused(visma: Visma) -> None:
    response = visma.call("POST", LINKS, LINKS, link(visma, ResourceType=0))  # a customer id as an article
    assert response.status_code == 400
    assert response.json()["ErrorCode"] == 3000


def test_missing_href_is_refused_by_the_schema(visma: Visma) -> None:
    body = link(visma)
    del body["Href"]
    assert visma.client.post("/v2/partnerresourcelinks", json=body).status_code == 400
