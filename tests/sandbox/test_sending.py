"""Sending a bookkept invoice (`POST /customerinvoices/{id}/email`, `/einvoice`) and its PDF (`GET .../pdf`):
Visma's answers and refusals, what the sandbox records (`GET /_sandbox/sent`), the PDF link, and faults."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pypdf import PdfReader

from fakturabro.sandbox import seed
from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.testing import FakeClock

from .conftest import bearer, get_token

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def sid(key: str) -> str:
    return seed.seeded_id(seed.SEED_COMPANY_ID, key)


def new_customer(client: TestClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    body = {
        "Name": "Kund Utan Adress AB",
        "InvoiceCity": "Malmö",
        "InvoicePostalCode": "21100",
        "IsActive": True,
        "IsPrivatePerson": False,
        "TermsOfPaymentId": sid("terms:30-netto"),
        **fields,
    }
    answer = client.post("/v2/customers", headers=headers, json=body)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def booked_invoice(
    client: TestClient, headers: dict[str, str], customer_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A draft for the customer (default: the seeded Anna Andersson, who has an e-mail address), converted."""
    draft = {
        "CustomerId": customer_id or sid("customer:1001"),
        "EuThirdParty": False,
        "RotReducedInvoicingType": 0,
        "Rows": [
            {
                "ArticleId": sid("article:9000"),
                "Quantity": 2,
                "UnitPrice": 100.0,
                "IsTextRow": False,
                "ReversedConstructionServicesVatFree": False,
            }
        ],
        **fields,
    }
    created = client.post("/v2/customerinvoicedrafts", headers=headers, json=draft)
    assert created.status_code == 201, created.text
    converted = client.post(f"/v2/customerinvoicedrafts/{created.json()['Id']}/convert", headers=headers, json={})
    assert converted.status_code == 201, converted.text
    invoice: dict[str, Any] = converted.json()
    return invoice


def sent(client: TestClient, invoice_id: str) -> dict[str, Any]:
    answer = client.get(f"/_sandbox/customerinvoices/{invoice_id}/sent")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def assert_visma_400(answer: Any, error_code: int, field: str, words: str) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert {"ErrorCode", "DeveloperErrorMessage", "ErrorId"} <= set(body)
    assert body["ErrorCode"] == error_code
    assert words in body["DeveloperErrorMessage"]
    assert [error["Field"] for error in body["Errors"]] == [field]


# --- e-mail ----------------------------------------------------------------------------------------------


def test_email_with_the_defaults_goes_to_the_customer_and_is_recorded(
    client: TestClient, headers: dict[str, str]
) -> None:
    invoice = booked_invoice(client, headers)
    client.delete("/_sandbox/requests")
    answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json={})
    assert answer.status_code == 200, answer.text
    assert answer.content == b""
    record = sent(client, invoice["Id"])
    assert record["invoice_number"] == invoice["InvoiceNumber"]
    assert record["einvoices"] == []
    [email] = record["emails"]
    assert email["recipient"] == "anna@example.com"
    assert email["cc"] == []
    assert email["subject"] == f"Faktura {invoice['InvoiceNumber']} från {seed.SEED_COMPANY_NAME}"
    assert email["sent_at"]
    assert set(email) >= {"recipient", "cc", "subject", "message", "sent_at"}
    counts = client.get("/_sandbox/requests").json()["counts"]
    assert counts == {"POST /v2/customerinvoices/{invoiceId}/email": 1}
    after = client.get(f"/v2/customerinvoices/{invoice['Id']}", headers=headers).json()
    assert after["IsNotDelivered"] is False
    assert after["ModifiedUtc"] == invoice["ModifiedUtc"]  # an e-mail does not change the invoice
    assert after["SendType"] is None


def test_email_without_a_body_takes_the_defaults(client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)
    answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers)
    assert answer.status_code == 200, answer.text
    assert [e["recipient"] for e in sent(client, invoice["Id"])["emails"]] == ["anna@example.com"]


def test_email_to_given_recipients_with_subject_and_message(client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)
    body = {
        "Email": "ekonomi@kund.example",
        "CcRecipients": ["chef@kund.example", "arkiv@kund.example"],
        "Subject": "Er faktura #### från oss",
        "Message": "Hej! Här kommer fakturan.",
    }
    assert client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json=body).status_code == 200
    assert client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json=body).status_code == 200
    emails = sent(client, invoice["Id"])["emails"]
    assert len(emails) == 2  # every send is recorded, in order
    assert emails[0]["recipient"] == "ekonomi@kund.example"
    assert emails[0]["cc"] == ["chef@kund.example", "arkiv@kund.example"]
    assert emails[0]["subject"] == f"Er faktura {invoice['InvoiceNumber']} från oss"
    assert emails[0]["message"] == "Hej! Här kommer fakturan."


def test_cc_defaults_to_the_customers_addresses_unless_null(client: TestClient, headers: dict[str, str]) -> None:
    customer = new_customer(
        client, headers, EmailAddress="faktura@kund.example", EmailAddresses=["cc1@kund.example", "cc2@kund.example"]
    )
    invoice = booked_invoice(client, headers, customer["Id"])
    url = f"/v2/customerinvoices/{invoice['Id']}/email"
    for body in ({}, {"CcRecipients": []}, {"CcRecipients": None}):
        assert client.post(url, headers=headers, json=body).status_code == 200
    ccs = [email["cc"] for email in sent(client, invoice["Id"])["emails"]]
    assert ccs == [["cc1@kund.example", "cc2@kund.example"], ["cc1@kund.example", "cc2@kund.example"], []]


def test_email_is_refused_without_any_address(client: TestClient, headers: dict[str, str]) -> None:
    customer = new_customer(client, headers)
    invoice = booked_invoice(client, headers, customer["Id"])
    answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json={"Email": None})
    assert_visma_400(answer, 4002, "Email", "has no EmailAddress")
    assert sent(client, invoice["Id"])["emails"] == []
    given = client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json={"Email": "a@b.example"})
    assert given.status_code == 200  # an address in the request is enough


@pytest.mark.parametrize("address", ["anna", "anna@", "@example.com", "anna@example", "an na@example.com", "a..b@x.se"])
def test_email_is_refused_for_an_invalid_address(client: TestClient, headers: dict[str, str], address: str) -> None:
    invoice = booked_invoice(client, headers)
    answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json={"Email": address})
    assert_visma_400(answer, 2000, "Email", "is not a valid e-mail address")
    assert sent(client, invoice["Id"])["emails"] == []


def test_email_is_refused_for_an_invalid_cc_address(client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)
    body = {"CcRecipients": ["ok@kund.example", "inte en adress"]}
    answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json=body)
    assert_visma_400(answer, 2000, "CcRecipients[1]", "is not a valid e-mail address")


def test_email_body_is_checked_against_the_schema(client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)
    answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json={"To": "a@b.example"})
    assert answer.status_code == 400  # EmailApi has additionalProperties: false
    assert answer.json()["ErrorCode"] == 2000


@pytest.mark.parametrize(("method", "suffix"), [("POST", "email"), ("POST", "einvoice"), ("GET", "pdf")])
def test_unknown_invoice_is_404(client: TestClient, headers: dict[str, str], method: str, suffix: str) -> None:
    body = {} if method == "POST" else None
    answer = client.request(method, f"/v2/customerinvoices/{UNKNOWN_ID}/{suffix}", headers=headers, json=body)
    assert answer.status_code == 404
    assert answer.json()["ErrorCode"] == 3000
    assert UNKNOWN_ID in answer.json()["DeveloperErrorMessage"]
    assert client.get(f"/_sandbox/customerinvoices/{UNKNOWN_ID}/sent").status_code == 404


def test_sending_needs_a_token(client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)
    assert client.post(f"/v2/customerinvoices/{invoice['Id']}/email", json={}).status_code == 401
    assert client.get(f"/v2/customerinvoices/{invoice['Id']}/pdf").status_code == 401


# --- e-invoice -------------------------------------------------------------------------------------------


def test_einvoice_is_refused_without_an_electronic_address(client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)  # the seeded customers have no ElectronicAddress / EdiGlnNumber
    answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/einvoice", headers=headers, json={"SendType": 1})
    assert_visma_400(answer, 4002, "SendType", "has no ElectronicAddress or EdiGlnNumber")
    assert sent(client, invoice["Id"])["einvoices"] == []
    assert client.get(f"/v2/customerinvoices/{invoice['Id']}", headers=headers).json()["SendType"] is None


@pytest.mark.parametrize("address", [{"ElectronicAddress": "0007:5561234567"}, {"EdiGlnNumber": "7300009012345"}])
def test_einvoice_sets_send_type_and_is_recorded(
    client: TestClient, headers: dict[str, str], clock: FakeClock, address: dict[str, str]
) -> None:
    customer = new_customer(client, headers, ElectronicReference="KUND-REF", EdiServiceDelivererId="PEPPOL", **address)
    invoice = booked_invoice(client, headers, customer["Id"], YourReference="Karin", ElectronicReference="PO-778")
    clock.advance(60)
    client.delete("/_sandbox/requests")
    answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/einvoice", headers=headers, json={})
    assert answer.status_code == 200, answer.text
    assert answer.content == b""
    after = client.get(f"/v2/customerinvoices/{invoice['Id']}", headers=headers).json()
    assert after["SendType"] == 1  # the default: AutoInvoiceElectronic
    assert after["ModifiedUtc"] > invoice["ModifiedUtc"]
    assert after["IsNotDelivered"] is False
    [record] = sent(client, invoice["Id"])["einvoices"]
    assert record["send_type"] == 1
    assert record["send_type_name"] == "AutoInvoiceElectronic"
    assert record["electronic_address"] == address.get("ElectronicAddress")
    assert record["edi_gln_number"] == address.get("EdiGlnNumber")
    assert record["edi_service_deliverer_id"] == "PEPPOL"
    assert record["electronic_reference"] == "PO-778"  # the invoice's own reference wins over the customer's
    assert record["your_reference"] == "Karin"
    assert record["sent_at"]
    counts = client.get("/_sandbox/requests").json()["counts"]
    assert counts["POST /v2/customerinvoices/{invoiceId}/einvoice"] == 1


def test_einvoice_send_types(client: TestClient, headers: dict[str, str]) -> None:
    company = new_customer(client, headers, ElectronicAddress="0007:5561234567")
    invoice = booked_invoice(client, headers, company["Id"])
    url = f"/v2/customerinvoices/{invoice['Id']}/einvoice"
    assert_visma_400(client.post(url, headers=headers, json={"SendType": 9}), 2000, "SendType", "is not one of")
    b2c = client.post(url, headers=headers, json={"SendType": 3})
    assert_visma_400(b2c, 4002, "SendType", "not available for Swedish customers")
    kivra = client.post(url, headers=headers, json={"SendType": 4})
    assert_visma_400(kivra, 4002, "SendType", "not a private person")
    assert client.post(url, headers=headers, json={"SendType": 2}).status_code == 200  # print and post
    assert client.get(f"/v2/customerinvoices/{invoice['Id']}", headers=headers).json()["SendType"] == 2
    assert client.post(url, headers=headers, json={"SendType": "1"}).status_code == 400  # schema: an integer


def test_sent_lists_every_invoice_of_the_company(client: TestClient, headers: dict[str, str]) -> None:
    first, second = booked_invoice(client, headers), booked_invoice(client, headers)
    for invoice in (first, second):
        client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json={})
    everything = client.get("/_sandbox/sent").json()
    assert everything["company_id"] == seed.SEED_COMPANY_ID
    assert set(everything["emails"]) == {first["Id"], second["Id"]}
    assert everything["einvoices"] == {}
    client.post("/_sandbox/reset")
    assert client.get("/_sandbox/sent").json()["emails"] == {}


def test_what_was_sent_survives_a_restart(data_dir: Path, client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)
    client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=headers, json={})
    again = TestClient(create_sandbox_app(data_dir))
    assert len(sent(again, invoice["Id"])["emails"]) == 1


# --- PDF -------------------------------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_pdf_url_serves_a_pdf_without_a_token(client: TestClient, headers: dict[str, str]) -> None:
    client.put("/_sandbox/companysettings", json={"UsesPaymentReferenceNumber": True})
    invoice = booked_invoice(client, headers)
    answer = client.get(f"/v2/customerinvoices/{invoice['Id']}/pdf", headers=headers)
    assert answer.status_code == 200, answer.text
    url = answer.json()["Url"]
    assert url.startswith("http://testserver/documents/")
    document = client.get(url)  # no Authorization header
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF-")
    text = pdf_text(document.content)
    assert f"Faktura {invoice['InvoiceNumber']}" in text
    assert "Anna Andersson" in text
    assert "250,00 SEK" in text  # 2 × 100 + 25 % VAT
    assert f"OCR: {invoice['PaymentReferenceNumber']}" in text
    log = client.get("/_sandbox/requests").json()
    assert log["counts"]["GET /documents/{token}.pdf"] == 1
    assert url.rsplit("/", 1)[1] not in str(log)  # the link's token is not in the request log


def test_pdf_links_are_unguessable_and_expire(client: TestClient, headers: dict[str, str], clock: FakeClock) -> None:
    invoice = booked_invoice(client, headers)
    first = client.get(f"/v2/customerinvoices/{invoice['Id']}/pdf", headers=headers).json()["Url"]
    second = client.get(f"/v2/customerinvoices/{invoice['Id']}/pdf", headers=headers).json()["Url"]
    assert first != second
    assert len(first.rsplit("/", 1)[1].removesuffix(".pdf")) >= 40
    assert client.get(first[:-8] + "AAAAAAAA.pdf").status_code == 404
    clock.advance(3601)
    assert client.get(first).status_code == 404


def test_pdf_url_works_mounted_under_a_prefix() -> None:
    main = FastAPI()
    main.mount("/visma-sandbox", create_sandbox_app())
    client = TestClient(main)
    headers = bearer(client.post("/visma-sandbox/_sandbox/token").json())
    row = {"ArticleId": sid("article:9000"), "Quantity": 1, "UnitPrice": 100.0}
    draft = {
        "CustomerId": sid("customer:1001"),
        "EuThirdParty": False,
        "RotReducedInvoicingType": 0,
        "Rows": [{**row, "IsTextRow": False, "ReversedConstructionServicesVatFree": False}],
    }
    created = client.post("/visma-sandbox/v2/customerinvoicedrafts", headers=headers, json=draft).json()
    convert = f"/visma-sandbox/v2/customerinvoicedrafts/{created['Id']}/convert"
    invoice_id = client.post(convert, headers=headers, json={}).json()["Id"]
    url = client.get(f"/visma-sandbox/v2/customerinvoices/{invoice_id}/pdf", headers=headers).json()["Url"]
    assert url.startswith("http://testserver/visma-sandbox/documents/")
    document = client.get(url)
    assert document.status_code == 200
    assert document.content.startswith(b"%PDF-")


# --- faults ----------------------------------------------------------------------------------------------


def test_injected_server_errors_apply_to_the_sends_and_record_nothing(
    client: TestClient, headers: dict[str, str]
) -> None:
    customer = new_customer(client, headers, ElectronicAddress="0007:5561234567")
    invoice = booked_invoice(client, headers, customer["Id"])
    url = client.get(f"/v2/customerinvoices/{invoice['Id']}/pdf", headers=headers).json()["Url"]
    assert client.put("/_sandbox/faults", json={"error_rate": 1}).status_code == 200
    for suffix in ("email", "einvoice"):
        answer = client.post(f"/v2/customerinvoices/{invoice['Id']}/{suffix}", headers=headers, json={})
        assert answer.status_code == 500
        assert answer.json()["ErrorCode"] == 5000
    assert client.get(f"/v2/customerinvoices/{invoice['Id']}/pdf", headers=headers).status_code == 500
    assert client.get(url).status_code == 200  # the document link is outside the API: never faulted
    assert sent(client, invoice["Id"]) == {
        "invoice_id": invoice["Id"],
        "invoice_number": invoice["InvoiceNumber"],
        "emails": [],
        "einvoices": [],
    }


def test_sends_count_against_the_rate_limit_per_endpoint(client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)
    assert client.put("/_sandbox/faults", json={"rate_limit_per_minute": 2}).status_code == 200
    url = f"/v2/customerinvoices/{invoice['Id']}/email"
    statuses = [client.post(url, headers=headers, json={}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert len(sent(client, invoice["Id"])["emails"]) == 2


def test_read_only_scope_may_send_as_the_spec_says(client: TestClient, headers: dict[str, str]) -> None:
    invoice = booked_invoice(client, headers)
    readonly = bearer(get_token(client, scopes=["ea:api", "ea:sales_readonly"]))
    assert client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=readonly, json={}).status_code == 200
    accounting = bearer(get_token(client, scopes=["ea:api", "ea:accounting"]))
    assert client.post(f"/v2/customerinvoices/{invoice['Id']}/email", headers=accounting, json={}).status_code == 403
