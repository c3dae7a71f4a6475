"""Security fixtures: one migrated SQLite app whose settings a test module may change, a movable clock, and
clients acting as a logged-in browser or a bearer-token script of a fresh company."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing.companies import create_api_token, create_user
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.web.app import create_app

PASSWORD = "rätt-lösenord-123"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class Browser:
    """A browser of one user of ``company_id`` (a fresh company unless given)."""

    def __init__(self, app: FastAPI, container: Container, company_id: int | None = None) -> None:
        self.client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        self.company_id = company_id or create_company_with_details(container.db, f"Firma {uuid.uuid4().hex[:10]}").id
        self.email = f"{uuid.uuid4().hex[:10]}@firma.se"
        create_user(container.db, self.company_id, self.email, PASSWORD)

    def csrf(self, path: str = "/login") -> str:
        match = CSRF.search(self.client.get(path).text)
        assert match is not None, path
        return match.group(1)

    def try_login(self, password: str = PASSWORD, **headers: str) -> httpx.Response:
        data = {"email": self.email, "password": password, "csrf": self.csrf()}
        return self.client.post("/login", data=data, headers=headers)

    def login(self) -> None:
        response = self.try_login()
        assert response.status_code == 303, response.text

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, data={"csrf": self.csrf("/invoices"), **(data or {})}, **kwargs)


class Script:
    """A script acting for a fresh company through its bearer token."""

    def __init__(self, app: FastAPI, container: Container) -> None:
        self.client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        self.company_id = create_company_with_details(container.db, f"Firma {uuid.uuid4().hex[:10]}").id
        self.headers = {"Authorization": f"Bearer {create_api_token(container.db, self.company_id).token}"}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return self.client.request(method, f"/api/v1{path}", headers=headers, **kwargs)


def security_settings(data_dir: Path, **changes: Any) -> Settings:
    return Settings(
        data_dir=data_dir, token_key=Fernet.generate_key().decode(), secret_key="security-test-secret", **changes
    )


@pytest.fixture(scope="module")
def settings_changes() -> dict[str, Any]:
    """Overridden by a test module that needs other settings (limits, trusted proxies)."""
    return {}


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def container(
    tmp_path_factory: pytest.TempPathFactory, clock: Clock, settings_changes: dict[str, Any]
) -> Iterator[Container]:
    built = build(security_settings(tmp_path_factory.mktemp("security"), **settings_changes), clock=clock)
    upgrade(built.engine)
    yield built
    built.close()


@pytest.fixture(scope="module")
def app(container: Container) -> FastAPI:
    return create_app(container)


@pytest.fixture
def browser(app: FastAPI, container: Container) -> Browser:
    logged_in = Browser(app, container)
    logged_in.login()
    return logged_in


@pytest.fixture
def script(app: FastAPI, container: Container) -> Script:
    return Script(app, container)
