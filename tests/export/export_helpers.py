"""Helpers for export tests: a company of ours connected to a fresh sandbox company, and reads of both sides."""

from __future__ import annotations

import time
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container
from fakturabro.invoicing.companies import create_api_token
from fakturabro.store.export_models import InvoiceExport, InvoiceExportLog

if TYPE_CHECKING:
    from .conftest import Connections

PRIVATE_PNR = "19811218-9876"
SECOND_PNR = "19850203-2397"
ORG_NUMBER = "556036-0793"
VAT_NUMBER = "SE556036079301"
BRF_ORG = "769606-2392"
ADDRESS = {"address_line1": "Storgatan 1", "postal_code": "41101", "city": "Göteborg"}
FINAL_STATES = {"exported", "failed", "needs_reconnect", "waiting", "needs_attention"}
LINK_DONE = frozenset({"linked", "refused", "off"})


class ExportApi:
    """Our REST API as one company, plus the Visma sandbox company it is connected to."""

    def __init__(
        self,
        client: TestClient,
        container: Container,
        control: httpx.Client,
        connections: Connections,
        visma_company_id: str,
        token: str,
    ) -> None:
        self.client = client
        self.container = container
        self.control = control
        self.connections = connections
        self.company = create_company_with_details(container.db, f"Firma {uuid.uuid4().hex[:12]}")
        self.headers = {"Authorization": f"Bearer {create_api_token(container.db, self.company.id).token}"}
        self.visma_company_id = visma_company_id
        self.visma = httpx.Client(
            base_url=f"{connections.sandbox_url}/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        self._token = token

    @classmethod
    def connected(
        cls, client: TestClient, container: Container, control: httpx.Client, connections: Connections
    ) -> ExportApi:
        visma_company = control.post("/companies", json={}).json()["company_id"]
        token = control.post("/token", json={"company_id": visma_company}).json()["access_token"]
        api = cls(client, container, control, connections, visma_company, token)
        api.connect()
        return api

    def connect(self, mode: str = "draft") -> None:
        self.connections.tokens[self.company.id] = self._token
        self.connections.modes[self.company.id] = mode

    def disconnect(self) -> None:
        self.connections.tokens.pop(self.company.id, None)

    # --- our API -----------------------------------------------------------------------------------------------

    def post(self, path: str, json: Any = None) -> httpx.Response:
        return self.client.post(f"/api/v1{path}", json=json, headers=self.headers)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def private_customer(self, **fields: Any) -> dict[str, Any]:
        return self.created(
            "/customers", {"name": "Anna Andersson", "personal_number": PRIVATE_PNR, **ADDRESS, **fields}
        )

    def company_customer(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Bygg & Co AB", "org_number": ORG_NUMBER, "vat_number": VAT_NUMBER, **ADDRESS, **fields}
        return self.created("/customers", body)

    def approve(self, customer: dict[str, Any], rows: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
        body = {"customer_number": customer["customer_number"], "invoice_date": "2026-03-02", "rows": rows, **fields}
        draft = self.created("/invoices", body)
        response = self.post(f"/invoices/{draft['id']}/approve")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    # --- the export ---------------------------------------------------------------------------------------------

    def export_of(self, invoice_id: int) -> InvoiceExport | None:
        with self.container.db.transaction() as session:
            return session.get(InvoiceExport, invoice_id)

    def wait_exported(self, invoice_id: int, timeout: float = 60.0, states: set[str] = FINAL_STATES) -> InvoiceExport:
        deadline = time.monotonic() + timeout
        while True:
            row = self.export_of(invoice_id)
            if row is not None and row.state in states and (row.state != "waiting" or row.attempts > 0):
                return row
            if row is not None and row.state in {"failed", "needs_reconnect"} - states:
                raise AssertionError(f"invoice {invoice_id} stopped as {row.state}: {row.error}")
            if time.monotonic() > deadline:
                raise AssertionError(f"invoice {invoice_id} not exported in time: {row and (row.state, row.error)}")
            time.sleep(0.05)

    def wait_link(self, invoice_id: int, timeout: float = 60.0, states: frozenset[str] = LINK_DONE) -> str:
        """The link back runs after the export, in its own lane: wait until it is no longer pending."""
        deadline = time.monotonic() + timeout
        while True:
            export = self.get(f"/invoices/{invoice_id}").json()["export"]
            if export and export["link"] in states:
                return str(export["link"])
            if time.monotonic() > deadline:
                raise AssertionError(f"the link of invoice {invoice_id} is {export and export['link']}")
            time.sleep(0.05)

    def log_of(self, invoice_id: int) -> list[InvoiceExportLog]:
        with self.container.db.transaction() as session:
            query = (
                select(InvoiceExportLog).where(InvoiceExportLog.invoice_id == invoice_id).order_by(InvoiceExportLog.id)
            )
            return list(session.scalars(query))

    # --- Visma's side -------------------------------------------------------------------------------------------

    def visma_list(self, path: str, odata_filter: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"$pagesize": 1000}
        if odata_filter:
            params["$filter"] = odata_filter
        items: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.visma.get(path, params={**params, "$page": page}).json()
            items.extend(body["Data"])
            if page >= body["Meta"]["TotalNumberOfPages"]:
                return items
            page += 1

    def visma_get(self, path: str) -> dict[str, Any]:
        response = self.visma.get(path)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def draft_of(self, invoice_number: int) -> dict[str, Any]:
        drafts = self.visma_list("/customerinvoicedrafts", f"ContractNumber eq 'fakturabro-{invoice_number}'")
        assert len(drafts) == 1, f"{len(drafts)} drafts for invoice {invoice_number}"
        return drafts[0]

    def visma_customer(self, number: str) -> dict[str, Any]:
        customers = self.visma_list("/customers", f"CustomerNumber eq '{number}'")
        assert len(customers) == 1, customers
        return customers[0]

    def set_visma_settings(self, **fields: Any) -> None:
        response = self.control.put("/companysettings", params={"company_id": self.visma_company_id}, json=fields)
        assert response.status_code == 200, response.text


def money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
