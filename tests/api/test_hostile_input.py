"""Random hostile input against the invoice and customer endpoints: a 4xx or a 201, never a 500."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .helpers import PRIVATE_PNR, Api

EXAMPLES = int(os.environ.get("FAKTURABRO_FUZZ_EXAMPLES", "40"))

weird_numbers = (
    st.sampled_from(
        [
            "1",
            "0",
            "-1",
            "1e400",
            "-1e-400",
            "NaN",
            "Infinity",
            "1.005",
            "99999999999999999999",
            "0.01",
            "",
            "abc",
            None,
        ]
    )
    | st.decimals(allow_nan=False, allow_infinity=False).map(str)
    | st.integers().map(lambda i: i)
    | st.floats(allow_nan=False, allow_infinity=False)
)
weird_text = st.text(max_size=60) | st.sampled_from(["<script>", "'; DROP TABLE x;--", "x" * 2001, "\u0000", None])
row = st.fixed_dictionaries(
    {},
    optional={
        "article_number": weird_text,
        "text": weird_text,
        "quantity": weird_numbers,
        "unit_price": weird_numbers,
        "vat_rate": weird_numbers,
        "discount_percent": weird_numbers,
        "hours": weird_numbers,
        "kind": st.sampled_from(["labour", "material", "other", "text", "magic", 5]),
        "house_work_type": st.sampled_from(["el", "bygg", "stadning", "solceller", "nope"]),
    },
)
house_work = st.none() | st.fixed_dictionaries(
    {"type": st.sampled_from(["rot", "rut", "green", "x"])},
    optional={
        "persons": st.lists(
            st.fixed_dictionaries(
                {"personal_number": st.sampled_from([PRIVATE_PNR, "123", ""]), "share": weird_numbers}
            ),
            max_size=3,
        ),
        "property_designation": weird_text,
        "housing_coop_org_number": st.sampled_from(["769606-2392", "1", None]),
        "apartment_number": weird_text,
    },
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(row, max_size=4),
    house_work=house_work,
    invoice_date=st.sampled_from(["2026-01-01", "2025-06-01", "1900-01-01", "9999-12-31", "x"]),
    reverse_charge=st.booleans(),
)
def test_random_invoices_never_cause_a_server_error(
    api: Api, rows: list[dict[str, Any]], house_work: dict[str, Any] | None, invoice_date: str, reverse_charge: bool
) -> None:
    customer = api.get("/customers").json() or [api.private_customer()]
    body = {
        "customer_number": customer[0]["customer_number"],
        "invoice_date": invoice_date,
        "rows": rows,
        "house_work": house_work,
        "reverse_charge": reverse_charge,
    }
    response = api.post("/invoices", body)
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        approved = api.post(f"/invoices/{response.json()['id']}/approve")
        assert approved.status_code in (200, 422), approved.text


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.fixed_dictionaries(
        {"name": weird_text},
        optional={
            "org_number": weird_text,
            "personal_number": weird_text,
            "vat_number": weird_text,
            "reverse_charge": st.booleans() | st.sampled_from(["yes", 2]),
            "country_code": weird_text,
        },
    )
)
def test_random_customers_never_cause_a_server_error(api: Api, body: dict[str, Any]) -> None:
    response = api.post("/customers", body)
    assert response.status_code in (201, 409, 422), response.text
