"""Security headers on every response, /readyz honest about the database, /metrics exposed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing.companies import create_api_token, create_user
from fakturabro.observability.metrics import serve_worker_metrics
from fakturabro.settings import Settings
from fakturabro.store.database import make_engine
from fakturabro.store.migrate import upgrade
from fakturabro.web.app import create_app

from .serving import free_port

PASSWORD = "ett-bra-lösenord-1"


def _settings(data_dir: Path, **extra: object) -> Settings:
    return Settings(data_dir=data_dir, token_key=Fernet.generate_key().decode(), secret_key="ops-test", **extra)


@pytest.fixture(scope="module")
def ops_container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    container = build(_settings(tmp_path_factory.mktemp("ops")))
    upgrade(container.engine)
    yield container
    container.close()


@pytest.fixture(scope="module")
def client(ops_container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(ops_container), raise_server_exceptions=False, follow_redirects=False) as test_client:
        yield test_client


def _assert_security_headers(response: object, path: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["X-Content-Type-Options"] == "nosniff", path
    assert headers["Referrer-Policy"] == "same-origin", path
    assert headers["X-Frame-Options"] == "DENY", path
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy, path
    assert "object-src 'none'" in policy, path
    assert "Strict-Transport-Security" not in headers, path  # plain http: never pin


def test_every_kind_of_response_carries_the_security_headers(client: TestClient, ops_container: Container) -> None:
    company = create_company_with_details(ops_container.db, "Rubrik AB")
    create_user(ops_container.db, company.id, "rubrik@firma.se", PASSWORD)
    token = create_api_token(ops_container.db, company.id, "ops").token
    bearer = {"Authorization": f"Bearer {token}"}
    paths = ["/login", "/", "/static/app.css", "/static/htmx.min.js", "/healthz", "/readyz", "/metrics"]
    paths += ["/openapi.json", "/docs", "/finns-inte", "/api/v1/customers", "/api/v1/invoices/999999"]
    for path in paths:
        _assert_security_headers(client.get(path), path)
    for path in ["/api/v1/customers", "/api/v1/invoices/999999", "/api/v1/articles"]:
        _assert_security_headers(client.get(path, headers=bearer), path)
    _assert_security_headers(client.post("/api/v1/customers", headers=bearer, content=b"{not json"), "bad body")
    _assert_security_headers(client.post("/login", data={"email": "x", "password": "y"}), "login post")


def test_pages_allow_only_our_own_scripts(client: TestClient) -> None:
    policy = client.get("/login").headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-eval" not in policy
    assert "cdn.jsdelivr.net" not in policy
    assert "cdn.jsdelivr.net" in client.get("/docs").headers["Content-Security-Policy"]  # Swagger UI's own files


def test_hsts_only_behind_tls(ops_container: Container, tmp_path: Path) -> None:
    with TestClient(create_app(ops_container), base_url="https://fakturabro.example") as tls_client:
        assert tls_client.get("/healthz").headers["Strict-Transport-Security"].startswith("max-age=")
    https_public = build(_settings(tmp_path, public_url="https://faktura.example.se"), engine=ops_container.engine)
    with TestClient(create_app(https_public)) as behind_proxy:
        assert "Strict-Transport-Security" in behind_proxy.get("/login").headers


def test_every_response_has_a_request_id_and_a_sane_incoming_one_is_kept(client: TestClient) -> None:
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert client.get("/healthz", headers={"X-Request-ID": "lb-1234abcd"}).headers["X-Request-ID"] == "lb-1234abcd"
    hostile = client.get("/healthz", headers={"X-Request-ID": 'x"><script>'}).headers["X-Request-ID"]
    assert "<" not in hostile


def test_readyz_is_ready_with_a_migrated_reachable_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["migrations"] == "ok"


def test_readyz_fails_when_the_database_is_gone(tmp_path: Path) -> None:
    gone = make_engine("postgresql+psycopg://fakturabro@127.0.0.1:9/gone?connect_timeout=2")
    container = build(_settings(tmp_path), engine=gone)
    with TestClient(create_app(container)) as gone_client:
        response = gone_client.get("/readyz")
        assert gone_client.get("/healthz").status_code == 200  # alive, just not ready
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("unreachable")
    assert "fakturabro@" not in response.text  # no connection details in the answer


def test_readyz_fails_until_the_migrations_ran(tmp_path: Path) -> None:
    container = build(_settings(tmp_path))
    with TestClient(create_app(container)) as fresh:
        behind = fresh.get("/readyz")
        upgrade(container.engine)
        ready = fresh.get("/readyz")
    container.close()
    assert behind.status_code == 503
    assert "db upgrade" in behind.json()["checks"]["migrations"]
    assert ready.status_code == 200


def test_metrics_are_exposed_in_prometheus_format(client: TestClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    body = response.text
    for name in (
        'fakturabro_exports{state="exported"}',
        "fakturabro_export_queue_depth",
        "fakturabro_export_oldest_waiting_age_seconds",
        'fakturabro_payment_import_runs{status="succeeded"}',
        "# TYPE fakturabro_visma_requests_total counter",
        "# TYPE fakturabro_visma_rate_limited_total counter",
        "# TYPE fakturabro_visma_retries_total counter",
        "# TYPE fakturabro_visma_token_refreshes_total counter",
    ):
        assert name in body, name


def test_a_worker_serves_its_metrics_on_its_own_port(ops_container: Container) -> None:
    port = free_port()
    serve_worker_metrics(port, ops_container.db)
    body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    assert "fakturabro_export_queue_depth" in body
    assert "# TYPE fakturabro_visma_requests_total counter" in body
