"""The registers over the web: REST (`/api/v1/registers`) with a bearer token, and the HTML pages with a login.

Visma operations themselves are tested against the sandbox in test_visma_sync and test_cli; here the web layer:
upload, preview, apply now or in the background, progress, export, tenancy, and "not connected" as a 409.
"""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container
from fakturabro.invoicing.articles import list_articles
from fakturabro.invoicing.companies import create_api_token, create_user
from fakturabro.registers.files import read_table
from fakturabro.web.app import create_app

from .samples import csv_bytes, xlsx_bytes

HEADER = ["Artikelnummer", "Benämning", "Enhet", "Pris", "Moms"]
PRICE_LIST = [
    HEADER,
    ["1", "Skruv", "st", "2,50", "25"],
    ["2", "", "st", "1", "25"],
    ["3", "Mutter", "st", "1,25", "25"],
]


@pytest.fixture
def web(container: Container) -> TestClient:
    return TestClient(create_app(container), raise_server_exceptions=False)


class Tenant:
    def __init__(self, container: Container) -> None:
        self.company_id = create_company_with_details(container.db, f"Webbfirman {uuid.uuid4().hex[:8]}").id
        self.headers = {"Authorization": f"Bearer {create_api_token(container.db, self.company_id).token}"}


def test_api_preview_apply_runs_and_export(web: TestClient, container: Container) -> None:
    tenant, other = Tenant(container), Tenant(container)
    files = {"file": ("prislista.csv", csv_bytes(PRICE_LIST, encoding="cp1252"), "text/csv")}
    preview = web.post("/api/v1/registers/articles/import/preview", files=files, headers=tenant.headers)
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["encoding"] == "cp1252"
    assert body["counts"]["create"] == 2
    assert [(r["row"], r["fate"]) for r in body["rows"]] == [(2, "create"), (3, "rejected"), (4, "create")]
    assert list_articles(container.db, tenant.company_id) == []

    run_id = body["run_id"]
    assert web.post(f"/api/v1/registers/runs/{run_id}/apply", headers=other.headers).status_code == 404
    applied = web.post(f"/api/v1/registers/runs/{run_id}/apply", headers=tenant.headers)
    assert applied.status_code == 200, applied.text
    assert (applied.json()["status"], applied.json()["done"]) == ("succeeded", 2)
    assert [p["row"] for p in applied.json()["problems"]] == [3]
    assert web.post(f"/api/v1/registers/runs/{run_id}/apply", headers=tenant.headers).status_code == 409

    runs = web.get("/api/v1/registers/runs", headers=tenant.headers).json()
    assert [r["id"] for r in runs] == [run_id]
    assert web.get("/api/v1/registers/runs", headers=other.headers).json() == []

    exported = web.get("/api/v1/registers/articles/export?format=xlsx", headers=tenant.headers)
    assert exported.status_code == 200
    assert [row[1][0] for row in read_table(exported.content, "a.xlsx").rows] == ["1", "3"]


def test_api_background_apply_and_conflict_decisions(web: TestClient, container: Container) -> None:
    tenant = Tenant(container)
    first = {"file": ("a.xlsx", xlsx_bytes(PRICE_LIST[:2]), "application/octet-stream")}
    run_id = web.post("/api/v1/registers/articles/import/preview", files=first, headers=tenant.headers).json()["run_id"]
    web.post(f"/api/v1/registers/runs/{run_id}/apply", headers=tenant.headers)

    renamed = {"file": ("b.csv", csv_bytes([HEADER, ["1", "Träskruv", "st", "2,50", "25"]], separator=","), "text/csv")}
    preview = web.post("/api/v1/registers/articles/import/preview", files=renamed, headers=tenant.headers).json()
    assert preview["conflicts"] == [
        {"key": "1", "fields": ["name"], "incoming": {"name": "Träskruv"}, "existing": {"name": "Skruv"}}
    ]
    started = web.post(
        f"/api/v1/registers/runs/{preview['run_id']}/apply?wait=false",
        json={"decisions": {"1": "use_incoming"}},
        headers=tenant.headers,
    )
    assert started.status_code == 202
    # TestClient runs background tasks before returning; a real server would be polled until "succeeded"
    status = web.get(f"/api/v1/registers/runs/{preview['run_id']}", headers=tenant.headers).json()
    assert (status["status"], status["done"], status["total"]) == ("succeeded", 1, 1)
    assert list_articles(container.db, tenant.company_id)[0].name == "Träskruv"


def test_api_refuses_bad_files_and_unconnected_visma(web: TestClient, container: Container) -> None:
    tenant = Tenant(container)
    no_columns = {"file": ("a.csv", csv_bytes([["Kod", "Text"], ["1", "x"]]), "text/csv")}
    refused = web.post("/api/v1/registers/articles/import/preview", files=no_columns, headers=tenant.headers)
    assert refused.status_code == 422
    assert "Artikelnummer" in refused.text
    broken = {"file": ("a.xlsx", b"PK\x03\x04broken", "application/octet-stream")}
    assert (
        web.post("/api/v1/registers/customers/import/preview", files=broken, headers=tenant.headers).status_code == 422
    )
    for operation in ("articles_push", "customers_pull"):
        answer = web.post(f"/api/v1/registers/visma/{operation}/preview", headers=tenant.headers)
        assert answer.status_code == 409
        assert answer.json()["detail"][0]["type"] == "not_connected"
    assert web.post("/api/v1/registers/visma/articles_push/apply", headers=tenant.headers).status_code == 409
    assert web.get("/api/v1/registers/runs").status_code == 401


def login(web: TestClient, container: Container) -> Tenant:
    tenant = Tenant(container)
    email = f"{uuid.uuid4().hex[:8]}@firma.se"
    create_user(container.db, tenant.company_id, email, "rätt-lösenord-123")
    response = web.post("/login", data={"email": email, "password": "rätt-lösenord-123", "csrf": csrf(web, "/login")})
    assert response.status_code == 200, response.text
    return tenant


def csrf(web: TestClient, path: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', web.get(path).text)
    assert match is not None
    return match.group(1)


def test_pages_preview_apply_and_follow_the_run(web: TestClient, container: Container) -> None:
    tenant = login(web, container)
    assert 'href="/registers/articles"' in web.get("/articles").text
    assert 'href="/registers/customers"' in web.get("/customers").text
    page = web.get("/registers/articles")
    assert page.status_code == 200
    assert "Importera fil" in page.text

    token = csrf(web, "/registers/articles")
    files = {"file": ("prislista.csv", csv_bytes(PRICE_LIST, bom=True), "text/csv")}
    preview = web.post("/registers/articles/preview", data={"csrf": token}, files=files)
    assert preview.status_code == 200, preview.text
    assert "Benämningen saknas." in preview.text
    run_id = re.search(r'name="run_id" value="(\d+)"', preview.text)
    assert run_id is not None

    applied = web.post(
        "/registers/articles/apply", data={"csrf": token, "run_id": run_id.group(1)}, follow_redirects=False
    )
    assert applied.status_code == 303
    status = web.get(applied.headers["location"], headers={"HX-Request": "true"})
    assert "Klar: 2 skrivna." in status.text
    assert "hx-trigger" not in status.text  # a finished run stops polling
    assert sorted(a.number for a in list_articles(container.db, tenant.company_id)) == ["1", "3"]

    assert web.get("/registers/articles/export.csv").content.startswith(b"\xef\xbb\xbf")
    forged = web.post("/registers/articles/preview", data={"csrf": "forged"}, files=files)
    assert forged.status_code in (400, 403)
    not_connected = web.post("/registers/customers/preview", data={"csrf": token, "action": "pull"})
    assert not_connected.status_code == 409
    assert "inte kopplat" in not_connected.text
    for operation in ("articles_import", "customers_pull", "nonsense"):  # forged: not a Visma run of this page
        forged_run = web.post("/registers/articles/apply", data={"csrf": token, "operation": operation})
        assert forged_run.status_code == 409
    assert web.post("/registers/articles/apply", data={"csrf": token, "operation": "articles_push"}).status_code == 409
