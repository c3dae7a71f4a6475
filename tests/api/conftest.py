"""API fixtures: one app per backend; each test gets fresh companies (tenants) with their own tokens."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from fakturabro.bootstrap import Container
from fakturabro.web.app import create_app

from .helpers import Api


@pytest.fixture(scope="session")
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def api(client: TestClient, container: Container) -> Api:
    return Api(client, container)


@pytest.fixture
def other_api(client: TestClient, container: Container) -> Api:
    return Api(client, container)
