"""Integrator API fixtures: the API tests' app and clients (one app per backend, fresh companies per test)."""

from __future__ import annotations

from tests.api.conftest import api, client, other_api

__all__ = ["api", "client", "other_api"]
