"""The Visma client kept per company and connection by the production export (`runtime.kept_clients`)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from fakturabro.sync.runtime import kept_clients
from fakturabro.visma.client import VismaClient
from fakturabro.visma.oauth import NotConnected

FIRST = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Company:
    """One company's connection as `connection_of` reads it, and the clients `build` made."""

    def __init__(self) -> None:
        self.connected, self.connected_at = True, FIRST
        self.built: list[VismaClient] = []

    def connection_of(self, _company_id: int) -> tuple[bool, datetime | None]:
        return self.connected, self.connected_at

    def build(self, _company_id: int) -> VismaClient:
        if not self.connected:
            raise NotConnected()
        client = VismaClient(httpx.Client(), "http://127.0.0.1:9/v2")
        self.built.append(client)
        return client


def test_one_client_per_company_while_the_connection_is_unchanged() -> None:
    company = Company()
    client_for = kept_clients(company.connection_of, company.build)

    first = client_for(1)
    assert client_for(1) is first
    assert client_for(1) is first
    assert len(company.built) == 1
    other = client_for(2)  # another company has its own client
    assert other is not first
    assert len(company.built) == 2


def test_a_disconnect_stops_the_next_call_and_a_reconnect_gets_a_new_client() -> None:
    company = Company()
    client_for = kept_clients(company.connection_of, company.build)
    first = client_for(1)

    company.connected, company.connected_at = False, None
    with pytest.raises(NotConnected):
        client_for(1)

    company.connected, company.connected_at = True, datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    again = client_for(1)
    assert again is not first
    assert client_for(1) is again


def test_a_reconnect_without_a_disconnect_in_between_gets_a_new_client() -> None:
    company = Company()
    client_for = kept_clients(company.connection_of, company.build)
    first = client_for(1)
    company.connected_at = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
    assert client_for(1) is not first
