"""Web UI fixtures: one migrated SQLite app with a clock the tests can move, and a browser-like client per user."""

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
from fastapi.testclient import TestClient
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing.companies import create_user
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


class User:
    """A browser session of one user of one fresh company."""

    def __init__(self, app: Any, container: Container) -> None:
        self.client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        self.company = create_company_with_details(container.db, f"Firma {uuid.uuid4().hex[:10]}")
        self.email = f"{uuid.uuid4().hex[:10]}@firma.se"
        create_user(container.db, self.company.id, self.email, PASSWORD)

    def csrf(self, path: str = "/login") -> str:
        match = CSRF.search(self.client.get(path).text)
        assert match is not None, path
        return match.group(1)

    def login(self) -> httpx.Response:
        response = self.client.post("/login", data={"email": self.email, "password": PASSWORD, "csrf": self.csrf()})
        assert response.status_code == 303, response.text
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any], *, csrf: bool = True, **kwargs: Any) -> httpx.Response:
        if csrf:
            data = {"csrf": self.csrf("/invoices"), **data}
        return self.client.post(path, data=data, **kwargs)


def make_settings(data_dir: Path) -> Settings:
    return Settings(
        data_dir=data_dir, token_key=Fernet.generate_key().decode(), secret_key="test-session-secret-for-the-web"
    )


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="session")
def web_container(tmp_path_factory: pytest.TempPathFactory, clock: Clock) -> Iterator[Container]:
    data_dir: Path = tmp_path_factory.mktemp("web")
    container = build(make_settings(data_dir), clock=clock)
    upgrade(container.engine)
    yield container
    container.close()


@pytest.fixture(scope="session")
def app(web_container: Container) -> Any:
    return create_app(web_container)


@pytest.fixture
def user(app: Any, web_container: Container) -> User:
    logged_in = User(app, web_container)
    logged_in.login()
    return logged_in


@pytest.fixture
def other_user(app: Any, web_container: Container) -> User:
    logged_in = User(app, web_container)
    logged_in.login()
    return logged_in
