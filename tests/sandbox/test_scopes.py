"""Every implemented operation accepts exactly the scopes the official spec lists for it (plus `ea:api`).

Calls carry ids that do not exist and empty bodies: the scope check comes first, so only 403 matters here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from fakturabro.sandbox import spec
from fakturabro.sandbox.app import create_sandbox_app

from .conftest import bearer, get_token
from .operations import IMPLEMENTED

AREA_SCOPES = (
    "ea:sales",
    "ea:sales_readonly",
    "ea:accounting",
    "ea:accounting_readonly",
    "ea:purchase",
    "ea:purchase_readonly",
)
SOME_ID = "00000000-0000-4000-8000-000000000000"


def concrete(path: str) -> str:
    parts = [SOME_ID if part.startswith("{") else part for part in path.split("/")]
    return "/v2" + "/".join(parts)


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    """One in-memory sandbox and one token per area scope for the whole module (it only reads)."""
    with TestClient(create_sandbox_app()) as client:
        yield client, {scope: bearer(get_token(client, scopes=["ea:api", scope])) for scope in AREA_SCOPES}


@pytest.mark.parametrize(("method", "path"), sorted(IMPLEMENTED))
def test_scopes_follow_the_spec(shared: tuple[TestClient, dict[str, dict[str, str]]], method: str, path: str) -> None:
    client, tokens = shared
    accepted = spec.operation_scopes(method, path)
    assert accepted, f"the spec lists no scopes for {method} {path}"
    for scope in AREA_SCOPES:
        status = client.request(method, concrete(path), headers=tokens[scope], json={}).status_code
        if scope in accepted:
            assert status != 403, f"{method} {path} refused {scope}"
        else:
            assert status == 403, f"{method} {path} accepted {scope} ({status})"
