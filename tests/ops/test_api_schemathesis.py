"""Hostile input against our own REST API: schemathesis generates requests from our `/openapi.json` (every
`/api/v1` operation) with a valid API token; none may answer 500.

Bounded for CI: `API_SCHEMATHESIS_EXAMPLES` (default 10) examples per operation; raise it for a longer run.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from cryptography.fernet import Fernet
from hypothesis import HealthCheck, Phase, settings
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing.companies import create_api_token
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.web.app import create_app

MAX_EXAMPLES = int(os.environ.get("API_SCHEMATHESIS_EXAMPLES", "10"))
API_PREFIX = "/api/v1"


def _settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, token_key=Fernet.generate_key().decode(), secret_key="schemathesis")


def our_api_schema() -> dict[str, Any]:
    """Our app's OpenAPI document, reduced to the REST API (the HTML pages are not an API)."""
    with tempfile.TemporaryDirectory() as scratch:
        container = build(_settings(Path(scratch)))  # no database is touched: only the routes are read
        document = create_app(container).openapi()
        container.close()
    document["paths"] = {path: item for path, item in document["paths"].items() if path.startswith(API_PREFIX)}
    return document


# Loaded at collection (as in tests/sandbox): the schema is ours, built from the routes, no server needed.
schema = schemathesis.openapi.from_dict(our_api_schema())
schema.config.phases.update(phases=["examples", "fuzzing"])
# The export operations start DBOS workflows: they need the background runtime in the process, which is
# process-global and owned by the export tests (tests/export). Without it they answer 409 `export_not_running`
# (tests/api/test_export_not_running.py).
schema = schema.exclude(tag="export")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Our app over real HTTP (uvicorn in a thread) and a valid API token of a fresh company."""
    container: Container = build(_settings(tmp_path_factory.mktemp("schemathesis-api")))
    upgrade(container.engine)
    company = create_company_with_details(container.db, "Fientlig Indata AB")
    token = create_api_token(container.db, company.id, "schemathesis").token
    port = _free_port()
    config = uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "our app did not start"
        assert time.monotonic() < deadline, "our app did not start in time"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}", token
    server.should_exit = True
    thread.join(timeout=10)
    container.close()


def test_the_schema_covers_the_rest_api() -> None:
    paths = our_api_schema()["paths"]
    assert f"{API_PREFIX}/customers" in paths
    assert f"{API_PREFIX}/invoices" in paths
    assert all(path.startswith(API_PREFIX) for path in paths)


@pytest.mark.slow
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: Any, api_app: tuple[str, str]) -> None:
    base_url, token = api_app
    response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    label = f"{case.method} {case.formatted_path} {case.query} {str(case.body)[:300]}: {response.status_code}"
    assert response.status_code < 500, label + " " + response.text[:500]
