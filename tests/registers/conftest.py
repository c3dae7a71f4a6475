"""Fixtures for the register tests: a fresh company per test on the shared migrated database."""

from __future__ import annotations

import uuid

import pytest

from fakturabro.bootstrap import Container
from fakturabro.invoicing.companies import create_company


@pytest.fixture
def company_id(container: Container) -> int:
    return create_company(container.db, f"Register AB {uuid.uuid4().hex[:8]}").id
