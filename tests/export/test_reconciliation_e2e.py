"""Reconciliation against a Visma company with books of its own, end to end: our REST API → the DBOS run and the
export → the sandbox over real HTTP. The history is built through the sandbox's ordinary Visma endpoints."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from fakturabro.sync.export import workflow

from .export_helpers import ADDRESS, SECOND_PNR, ExportApi

if TYPE_CHECKING:
    import httpx
    from fastapi.testclient import TestClient

    from fakturabro.bootstrap import Container

    from .conftest import Connections

LABOUR = {"text": "Snickeri", "quantity": "4", "unit_price": "650", "kind": "labour"}
RECONCILIATION = "/integrations/visma/reconciliation"
ERIK = {"customer_number": "1002", "name": "Erik Johansson", "personal_number": SECOND_PNR, **ADDRESS}


@pytest.fixture
def other_api(
    app_client: TestClient, export_container: Container, control: httpx.Client, connections: Connections
) -> ExportApi:
    """A second company of ours, connected to a Visma company of its own."""
    return ExportApi.connected(app_client, export_container, control, connections)


def reconcile(api: ExportApi) -> dict[str, Any]:
    started = api.post(RECONCILIATION)
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "running"
    deadline = time.monotonic() + 60
    while True:
        result: dict[str, Any] = api.get(RECONCILIATION).json()
        if result["state"] != "running":
            assert result["state"] == "done", result
            return result
        assert time.monotonic() < deadline, "the reconciliation did not finish"
        time.sleep(0.05)


def finding_of(result: dict[str, Any], number: str, section: str = "customers") -> dict[str, Any]:
    key = "customer_number" if section == "customers" else "article_number"
    (finding,) = [f for f in result[section]["findings"] if f[key] == number]
    return finding


def resolve(api: ExportApi, finding: dict[str, Any], action: str, **fields: Any) -> dict[str, Any]:
    response = api.post(f"{RECONCILIATION}/resolutions", {"finding": finding["id"], "action": action, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def visma_customer(api: ExportApi, **fields: Any) -> dict[str, Any]:
    """A customer the Visma company already has (its history), created through Visma's own endpoint."""
    terms = api.visma.get("/termsofpayments").json()["Data"][0]["Id"]
    body = {"IsPrivatePerson": True, "IsActive": True, "TermsOfPaymentId": terms, "InvoiceCity": "Göteborg", **fields}
    response = api.visma.post("/customers", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def attention(api: ExportApi, invoice: dict[str, Any]) -> str:
    export = api.wait_exported(invoice["id"])
    assert export.state == "needs_attention", export.error
    assert export.error is not None
    return export.error


def test_a_number_collision_stops_the_invoice_and_renumbering_exports_it_on_a_new_customer(api: ExportApi) -> None:
    customer = api.created("/customers", ERIK)  # 1002 is "Byggbolaget i Väst AB" in Visma
    invoice = api.approve(customer, [LABOUR])

    message = attention(api, invoice)
    assert "Kundnummer 1002 är en annan kund i Visma" in message
    assert "Byggbolaget i Väst AB (företag, 556123-****)" in message
    assert "850203-****" in message
    assert SECOND_PNR.replace("-", "")[2:] not in message.replace("-", "")  # the personnummer is masked
    assert api.visma_list("/customerinvoicedrafts", f"ContractNumber eq 'fakturabro-{invoice['number']}'") == []
    body = api.get(f"/invoices/{invoice['id']}").json()["export"]
    assert body["state"] == "needs_attention"
    assert body["resolve_url"] == "/settings/integrations/visma/reconciliation"
    other = api.approve(api.company_customer(), [LABOUR])  # the company's other invoices keep flowing
    assert api.wait_exported(other["id"]).state == "exported"

    result = reconcile(api)
    finding = finding_of(result, "1002")
    assert finding["kind"] == "number_collision"
    assert finding["visma_number"] == "1002"
    assert finding["ours"]["identity_number"] == "850203-****"
    assert {a["action"] for a in finding["actions"]} == {"link", "renumber", "confirm_same"}
    resolved = resolve(api, finding, "renumber")

    assert resolved["exported_again"] == [invoice["id"]]
    new_number = resolved["finding"]["resolution"]["customer_number"]
    assert new_number != "1002"
    export = api.wait_exported(invoice["id"], states={"exported"})
    draft = api.draft_of(invoice["number"])
    created = api.visma_customer(new_number)
    assert created["Name"] == "Erik Johansson"
    assert draft["CustomerId"] == created["Id"] == export.visma_customer_id
    assert api.visma_customer("1002")["Name"] == "Byggbolaget i Väst AB"  # untouched


def test_confirming_the_same_customer_exports_on_the_visma_customer_with_the_number(api: ExportApi) -> None:
    # Visma's 1001 "Anna Andersson" has no personnummer; ours has another postal code: the rule cannot tell.
    customer = api.private_customer(customer_number="1001", name="Anna Andersson")
    invoice = api.approve(customer, [LABOUR])
    attention(api, invoice)

    finding = finding_of(reconcile(api), "1001")
    assert finding["kind"] == "number_collision"
    resolve(api, finding, "confirm_same")

    api.wait_exported(invoice["id"], states={"exported"})
    assert api.draft_of(invoice["number"])["CustomerId"] == api.visma_customer("1001")["Id"]
    again = api.approve(customer, [LABOUR])  # and every later export honours it
    assert api.wait_exported(again["id"]).state == "exported"
    assert api.draft_of(again["number"])["CustomerId"] == api.visma_customer("1001")["Id"]


def test_a_collision_resolved_by_linking_the_same_identity_under_another_number(api: ExportApi) -> None:
    elsewhere = visma_customer(
        api, CustomerNumber="5001", Name="Erik Johansson", CorporateIdentityNumber=SECOND_PNR, InvoicePostalCode="41101"
    )
    customer = api.created("/customers", ERIK)
    invoice = api.approve(customer, [LABOUR])
    attention(api, invoice)

    finding = finding_of(reconcile(api), "1002")
    assert finding["elsewhere"]["number"] == "5001"
    (link,) = [a for a in finding["actions"] if a["action"] == "link"]
    assert link["visma_id"] == elsewhere["Id"]
    resolve(api, finding, "link", visma_id=elsewhere["Id"])

    api.wait_exported(invoice["id"], states={"exported"})
    assert api.draft_of(invoice["number"])["CustomerId"] == elsewhere["Id"]


def test_a_customer_found_elsewhere_is_linked_not_created_again(api: ExportApi) -> None:
    karin = visma_customer(
        api,
        CustomerNumber="3001",
        Name="Karin Berg",
        CorporateIdentityNumber="19811218-9876",
        InvoicePostalCode="41101",
    )
    customer = api.private_customer(customer_number="77", name="Karin Berg")  # the helper's personnummer

    result = reconcile(api)
    finding = finding_of(result, "77")
    assert finding["kind"] == "identity_elsewhere"
    assert finding["visma_number"] == "3001"
    assert "811218-****" in finding["message"]
    resolve(api, finding, "link")
    invoice = api.approve(customer, [LABOUR])

    api.wait_exported(invoice["id"], states={"exported"})
    assert api.draft_of(invoice["number"])["CustomerId"] == karin["Id"]
    assert api.visma_list("/customers", "CustomerNumber eq '77'") == []  # not created again
    assert finding_of(api.get(RECONCILIATION).json(), "77")["resolution"]["visma_number"] == "3001"


def test_a_type_mismatch_gets_the_fix_the_identity_numbers_show(api: ExportApi) -> None:
    # A legal person's org number (556…), marked private person in Visma: Visma's record is the one to change.
    visma_customer(
        api,
        CustomerNumber="4001",
        Name="Bygg & Co AB",
        CorporateIdentityNumber="556036-0793",
        InvoicePostalCode="41101",
    )
    api.company_customer(customer_number="4001")

    finding = finding_of(reconcile(api), "4001")

    assert finding["kind"] == "type_mismatch"
    assert finding["ours"]["type"] == "company"
    assert finding["visma"]["type"] == "private"
    assert "ändra kundtypen till företag på kunden i Visma" in finding["message"]
    assert "privatperson här" not in finding["message"]


def test_bad_resolutions_get_a_4xx_and_change_nothing(api: ExportApi, other_api: ExportApi) -> None:
    customer = api.created("/customers", ERIK)
    invoice = api.approve(customer, [LABOUR])
    attention(api, invoice)
    first = finding_of(reconcile(api), "1002")
    result = reconcile(api)
    finding = finding_of(result, "1002")
    theirs = other_api.visma_customer("1001")["Id"]  # a customer of another company's Visma

    unknown = api.post(
        f"{RECONCILIATION}/resolutions", {"finding": finding["id"], "action": "link", "visma_id": str(uuid.uuid4())}
    )
    foreign = api.post(
        f"{RECONCILIATION}/resolutions", {"finding": finding["id"], "action": "link", "visma_id": theirs}
    )
    stale = api.post(f"{RECONCILIATION}/resolutions", {"finding": first["id"], "action": "renumber"})
    not_offered = api.post(f"{RECONCILIATION}/resolutions", {"finding": finding["id"], "action": "use_fallback"})
    other_result = reconcile(other_api)
    other_company = api.post(
        f"{RECONCILIATION}/resolutions", {"finding": f"r{other_result['id']}-customer-1002", "action": "renumber"}
    )

    assert unknown.status_code == 422, unknown.text
    assert "finns inte i företagets Visma" in unknown.text
    assert foreign.status_code == 422, foreign.text
    assert stale.status_code == 409, stale.text
    assert "gäller inte längre" in stale.text
    assert not_offered.status_code == 422, not_offered.text
    assert other_company.status_code == 404, other_company.text
    assert finding_of(api.get(RECONCILIATION).json(), "1002")["resolution"] is None
    assert api.get(f"/customers/{customer['id']}").json()["customer_number"] == "1002"
    assert api.export_of(invoice["id"]).state == "needs_attention"
    again = api.post(f"{RECONCILIATION}/resolutions", {"finding": finding["id"], "action": "confirm_same"})
    assert again.status_code == 200, again.text
    repeated = api.post(f"{RECONCILIATION}/resolutions", {"finding": finding["id"], "action": "confirm_same"})
    assert repeated.status_code == 409


def test_a_linked_customer_changed_in_visma_is_checked_again(api: ExportApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workflow.current_deps(), "customer_recheck_seconds", 0.0)
    customer = api.private_customer(customer_number="1001", name="Anna Andersson", postal_code="41301")
    first = api.approve(customer, [LABOUR])
    assert api.wait_exported(first["id"]).state == "exported"
    anna = api.visma_customer("1001")
    changed = {**anna, "Name": "Bengt Karlsson", "InvoicePostalCode": "11122"}
    assert api.visma.put(f"/customers/{anna['Id']}", json=changed).status_code == 200

    second = api.approve(customer, [LABOUR])

    message = attention(api, second)
    assert "har ändrats i Visma" in message
    assert "Bengt Karlsson" in message


def test_the_reconciliation_reads_numbering_settings_and_articles(api: ExportApi) -> None:
    api.set_visma_settings(DomesticCurrencyRounding=0)
    articles = api.visma.get("/articles").json()["Data"]
    seeded = next(a for a in articles if a["Number"] not in ("MINUBA", "MINUBA-ROT"))
    api.created("/articles", {"number": seeded["Number"], "name": "Något helt annat", "unit_price": "100"})

    result = reconcile(api)

    assert result["numbering"] == {
        "ours_next": 1,
        "visma_next": result["numbering"]["visma_next"],
        "agrees": result["numbering"]["visma_next"] == 1,
        "visma_next_customer_number": result["numbering"]["visma_next_customer_number"],
    }
    rounding = next(item for item in result["settings"] if item["kind"] == "rounding")
    assert rounding["ok"] is True  # our amounts follow the company's rounding
    assert "Öresavrundning är avstängd" in rounding["message"]
    article = finding_of(result, seeded["Number"], "articles")
    assert article["kind"] == "article_differs"
    assert "Något helt annat" in article["message"]
    resolve(api, article, "use_fallback")
    assert result["visma_calls"] >= 5  # settings, terms, one customer page, the codings, one article page
