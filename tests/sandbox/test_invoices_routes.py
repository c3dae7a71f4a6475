"""Part B's routers serve exactly the spec's operations for their paths, with the spec's path templates."""

from __future__ import annotations

import pytest
from fastapi.routing import APIRoute

from fakturabro.sandbox import spec
from fakturabro.sandbox.resources import drafts, invoices, ledger, links, sending, vouchers

MODULES = [drafts, invoices, sending, ledger, vouchers, links]
PREFIXES = ("/customerinvoicedrafts", "/customerinvoices", "/customerledgeritems", "/vouchers", "/partnerresourcelinks")


def served_by_part_b() -> set[tuple[str, str]]:
    return {
        (method, route.path)
        for module in MODULES
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }


def test_every_route_is_an_operation_of_the_spec() -> None:
    assert served_by_part_b() <= set(spec.served_operations())


@pytest.mark.parametrize("operation", sorted(op for op in spec.served_operations() if op[1].startswith(PREFIXES)))
def test_every_operation_of_the_spec_is_served(operation: tuple[str, str]) -> None:
    assert operation in served_by_part_b()
