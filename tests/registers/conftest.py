"""Fixtures for the register tests: a fresh company per test on the shared migrated database."""

from __future__ import annotations

import uuid

import pytest
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container


@pytest.fixture
def company_id(container: Container) -> int:
    return create_company_with_details(container.db, f"Register AB {uuid.uuid4().hex[:8]}").id
