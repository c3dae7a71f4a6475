"""Export tests end to end: our REST API → the DBOS workflow → the Visma client → the sandbox over real HTTP.

One sandbox (uvicorn in a thread) and one DBOS runtime per test session; every test gets a fresh Visma company
in the sandbox and a fresh company (tenant) of ours, connected through the `Connections` registry below.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from fakturabro.bootstrap import Container, build
from fakturabro.mail.sink import MailSink
from fakturabro.mail.smtp import parse_smtp_url
from fakturabro.mail.smtp import send as send_mail
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.sync import runtime
from fakturabro.sync.delivery.steps import DeliveryDeps
from fakturabro.sync.export import workflow
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.visma.client import VismaClient
from fakturabro.visma.oauth import NotConnected
from fakturabro.web.app import create_app

from .export_helpers import ExportApi


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_sandbox(data_dir: Path) -> Iterator[str]:
    """The sandbox over real HTTP: uvicorn in a thread on a free loopback port."""
    from fakturabro.sandbox.app import create_sandbox_app

    port = _free_port()
    app = create_sandbox_app(data_dir, rate_limit_per_minute=0)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as url:
        yield url


@pytest.fixture(scope="session")
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox_url}/_sandbox", timeout=30) as client:
        yield client


@dataclass
class Connections:
    """Our company id → its Visma company in the sandbox (token, export mode). Stands in for the connection."""

    sandbox_url: str
    tokens: dict[int, str] = field(default_factory=dict)
    modes: dict[int, str] = field(default_factory=dict)
    read_timeout: float = 5.0

    def client_for(self, company_id: int) -> VismaClient:
        token = self.tokens.get(company_id)
        if token is None:
            raise NotConnected()
        timeout = httpx.Timeout(self.read_timeout, connect=5.0)
        http = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        return VismaClient(http, f"{self.sandbox_url}/v2", backoff_base=0.05, backoff_cap=0.5, max_retry_after=5)

    def mode_for(self, company_id: int) -> str:
        return self.modes.get(company_id, "draft")

    def connected(self, company_id: int) -> bool:
        return company_id in self.tokens


@pytest.fixture(scope="session")
def connections(sandbox_url: str) -> Connections:
    return Connections(sandbox_url)


@pytest.fixture(scope="session")
def mail_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSink]:
    """A local SMTP server that keeps what it receives; addresses at refused.example are refused with a 550."""
    with MailSink(tmp_path_factory.mktemp("mail"), refused_domains=["refused.example"]) as sink:
        yield sink


@pytest.fixture(scope="session")
def export_container(
    tmp_path_factory: pytest.TempPathFactory, connections: Connections, mail_sink: MailSink
) -> Iterator[Container]:
    """Our app's database and the DBOS runtime, with the export registered on approval."""
    data_dir = tmp_path_factory.mktemp("export-data")
    settings = Settings(
        data_dir=data_dir,
        database_url=os.environ.get("EXPORT_TEST_DATABASE_URL"),
        token_key=Fernet.generate_key().decode(),
        secret_key="test-session-secret",
    )
    container = build(settings, on_approved=[workflow.start_export])
    container.on_approved.append(runtime.send_by_default(container.db))
    upgrade(container.engine)
    deps = ExportDeps(
        db=container.db,
        client_for=connections.client_for,
        mode_for=connections.mode_for,
        connected=connections.connected,
        backoff_base_seconds=0.05,
        backoff_cap_seconds=1.0,
        max_attempts=40,
        article_refresh_seconds=0,
        in_flight_grace_seconds=2.0,  # > the sandbox's 1.5 s withheld answers in the fault tests
    )
    delivery_deps = DeliveryDeps(
        db=container.db,
        client_for=connections.client_for,
        smtp_for=lambda _company_id: parse_smtp_url(mail_sink.url),
        send_mail=lambda server, message: send_mail(server, message, timeout=5),
        backoff_base_seconds=0.05,
        backoff_cap_seconds=0.5,
        export_wait_seconds=0.1,
        in_flight_grace_seconds=2.0,
    )
    runtime.launch(settings, deps, polling_interval_sec=0.05, schedule_pending=False, delivery_deps=delivery_deps)
    yield container
    runtime.shutdown()
    container.close()


@pytest.fixture(scope="session")
def app_client(export_container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(export_container), raise_server_exceptions=True) as client:
        yield client


@pytest.fixture
def api(
    app_client: TestClient, export_container: Container, control: httpx.Client, connections: Connections
) -> ExportApi:
    return ExportApi.connected(app_client, export_container, control, connections)
