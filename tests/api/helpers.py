"""Helpers for API tests: a client acting for one fresh company, and test identity numbers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container
from fakturabro.invoicing.companies import create_api_token, create_company

PRIVATE_PNR = "19811218-9876"  # test personnummer (valid checksum)
SECOND_PNR = "19850203-2397"
ORG_NUMBER = "556036-0793"
VAT_NUMBER = "SE556036079301"
BRF_ORG = "769606-2392"


class Api:
    """A client acting for one company through its bearer token."""

    def __init__(self, client: TestClient, container: Container, with_details: bool = True) -> None:
        """``with_details=False``: a company that has not yet filled in Inställningar → Företaget."""
        self.client = client
        name = f"Firma {uuid.uuid4().hex[:12]}"
        self.company = (
            create_company_with_details(container.db, name) if with_details else create_company(container.db, name)
        )
        self.token = create_api_token(container.db, self.company.id).token
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(f"/api/v1{path}", headers=self.headers, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers, **kwargs)

    def post_raw(self, path: str, content: bytes | str) -> httpx.Response:
        headers = {**self.headers, "Content-Type": "application/json"}
        return self.client.post(f"/api/v1{path}", content=content, headers=headers)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.client.put(f"/api/v1{path}", json=json, headers=self.headers, **kwargs)

    def delete(self, path: str) -> httpx.Response:
        return self.client.delete(f"/api/v1{path}", headers=self.headers)

    def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def private_customer(self, **fields: Any) -> dict[str, Any]:
        return self.created("/customers", {"name": "Anna Andersson", "personal_number": PRIVATE_PNR, **fields})

    def company_customer(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Bygg & Co AB", "org_number": ORG_NUMBER, "vat_number": VAT_NUMBER, **fields}
        return self.created("/customers", body)

    def draft(
        self, customer: dict[str, Any], rows: list[dict[str, Any]] | None = None, **fields: Any
    ) -> dict[str, Any]:
        body = {
            "customer_number": customer["customer_number"],
            "invoice_date": "2026-03-02",
            "rows": rows or [{"text": "Arbete", "quantity": "2", "unit_price": "500", "kind": "labour"}],
            **fields,
        }
        return self.created("/invoices", body)

    def approved(self, customer: dict[str, Any], **fields: Any) -> dict[str, Any]:
        draft = self.draft(customer, **fields)
        response = self.post(f"/invoices/{draft['id']}/approve")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


def error_locs(response: httpx.Response) -> list[list[Any]]:
    return [item["loc"] for item in response.json()["detail"]]


def error_types(response: httpx.Response) -> list[str]:
    return [item["type"] for item in response.json()["detail"]]
