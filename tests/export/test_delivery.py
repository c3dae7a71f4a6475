"""Sending approved invoices end to end: our API → the DBOS delivery workflow → Visma's sandbox (convert, e-mail,
e-invoice, PDF) or a real local SMTP server; exactly one convert and one send per invoice, also when an answer is
lost; bad requests answered 4xx with nothing sent."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from fakturabro.mail.sink import MailSink, ReceivedMail
from fakturabro.sync.connection import update_integration

from .conftest import Connections
from .export_helpers import ExportApi

LABOUR = {"text": "Elarbete i kök", "quantity": "4", "unit_price": "650", "kind": "labour"}
DONE = {"sent", "failed"}


def send(api: ExportApi, invoice: dict[str, Any], **body: Any) -> httpx.Response:
    return api.post(f"/invoices/{invoice['id']}/send", body)


def wait_delivered(api: ExportApi, invoice: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery = api.get(f"/invoices/{invoice['id']}").json()["delivery"]
        if delivery and delivery["state"] in DONE:
            return dict(delivery)
        time.sleep(0.05)
    raise AssertionError(f"invoice {invoice['id']} was not delivered: {delivery}")


def mails_to(sink: MailSink, address: str) -> list[ReceivedMail]:
    return [mail for mail in sink.received() if address in mail.recipients]


def calls(api: ExportApi, suffix: str, visma_id: str) -> int:
    log = api.control.get("/requests").json()["requests"]
    return sum(1 for entry in log if entry["path"].endswith(f"{visma_id}{suffix}") and entry["method"] == "POST")


def draft_mode(api: ExportApi) -> None:
    update_integration(api.container.db, api.company.id, activated=True, mode="draft")


def test_fakturabro_emails_its_own_pdf_with_a_swedish_subject(api: ExportApi, mail_sink: MailSink) -> None:
    api.client.put(
        "/api/v1/company", headers=api.headers, json={**company(api), "name": f"Elbolaget Åsa {api.company.id}"}
    )
    customer = api.private_customer(email=f"kund{api.company.id}@example.se")
    invoice = api.approve(customer, [LABOUR])

    answer = send(api, invoice, channel="email", message="Hej Anna! Tack för uppdraget.")
    assert answer.status_code == 202, answer.text
    assert answer.json()["delivery"]["state"] in ("pending", "sending", "sent")
    delivery = wait_delivered(api, invoice)

    assert delivery["state"] == "sent", delivery
    (mail,) = mails_to(mail_sink, f"kund{api.company.id}@example.se")
    assert mail.subject == f"Faktura {invoice['number']} från Elbolaget Åsa {api.company.id}"
    assert "Tack för uppdraget" in mail.body
    (attachment,) = mail.attachments
    assert attachment.filename == f"Faktura-{invoice['number']}.pdf"
    text = PdfReader(io.BytesIO(mail.attachment(attachment.filename))).pages[0].extract_text()
    assert f"Faktura {invoice['number']}" in text
    assert send(api, invoice, channel="email").status_code == 409  # sent once; never twice by accident


def test_visma_books_the_draft_sends_it_once_and_its_pdf_is_kept(api: ExportApi) -> None:
    draft_mode(api)
    customer = api.private_customer(email=f"visma{api.company.id}@example.se")
    invoice = api.approve(customer, [LABOUR])

    assert send(api, invoice, channel="visma_email").status_code == 202
    delivery = wait_delivered(api, invoice)

    assert delivery["state"] == "sent", delivery
    export = api.export_of(invoice["id"])
    assert export is not None
    assert export.visma_document_type == "invoice"  # the payments import follows the booked invoice now
    assert delivery["visma_invoice_number"] == export.visma_invoice_number
    booked = api.visma_get(f"/customerinvoices/{export.visma_id}")
    assert booked["InvoiceNumber"] == delivery["visma_invoice_number"]
    assert calls(api, "/email", export.visma_id) == 1
    sent = api.control.get("/sent", params={"company_id": api.visma_company_id}).json()
    (email,) = sent["emails"][export.visma_id]
    assert f"visma{api.company.id}@example.se" in str(email)
    pdf = api.get(f"/invoices/{invoice['id']}/sent-pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_an_einvoice_needs_the_customers_address_and_goes_once(api: ExportApi) -> None:
    draft_mode(api)
    without = api.approve(api.company_customer(), [LABOUR])
    refused = send(api, without, channel="visma_einvoice")
    assert refused.status_code == 409
    assert "e-fakturaadress" in refused.json()["detail"][0]["msg"]

    customer = api.company_customer(name="Stora Bygg AB", einvoice_address="7350012345678")
    invoice = api.approve(customer, [LABOUR], your_reference="PROJ-4711")
    assert send(api, invoice, channel="visma_einvoice").status_code == 202
    delivery = wait_delivered(api, invoice)
    assert delivery["state"] == "sent", delivery
    export = api.export_of(invoice["id"])
    assert export is not None
    assert calls(api, "/einvoice", str(export.visma_id)) == 1
    assert api.visma_get(f"/customerinvoices/{export.visma_id}")["SendType"] == 1


@pytest.fixture
def lost_answers(control: httpx.Client, connections: Connections) -> Iterator[None]:
    """Every write is committed but answered after the client gave up."""
    connections.read_timeout = 1.0
    response = control.put("/faults", json={"timeout_after_commit_rate": 1.0, "timeout_after_commit_ms": 1500})
    assert response.status_code == 200, response.text
    yield
    control.put("/faults", json={"timeout_after_commit_rate": 0})
    connections.read_timeout = 5.0


def test_a_lost_answer_never_converts_or_sends_twice(api: ExportApi, request: pytest.FixtureRequest) -> None:
    draft_mode(api)
    customer = api.private_customer(email=f"lost{api.company.id}@example.se")
    invoice = api.approve(customer, [LABOUR])
    api.wait_exported(invoice["id"], states={"exported"})
    draft_id = api.export_of(invoice["id"]).visma_id  # type: ignore[union-attr]
    request.getfixturevalue("lost_answers")

    assert send(api, invoice, channel="visma_email").status_code == 202
    delivery = wait_delivered(api, invoice)

    time.sleep(1.6)  # the sandbox logs a withheld answer's request when it finally answers
    export = api.export_of(invoice["id"])
    assert export is not None
    assert calls(api, "/convert", str(draft_id)) == 1  # the lost convert was found booked, not converted again
    sent = api.control.get("/sent", params={"company_id": api.visma_company_id}).json()
    assert len(sent["emails"][export.visma_id]) == 1  # a lost e-mail is never sent again by itself
    assert delivery["state"] == "failed"
    assert "går inte att veta om den kom fram" in delivery["error"]


def test_a_refused_recipient_stops_in_swedish_and_can_be_sent_again(api: ExportApi, mail_sink: MailSink) -> None:
    customer = api.private_customer(email=f"nej{api.company.id}@refused.example")
    invoice = api.approve(customer, [LABOUR])
    send(api, invoice, channel="email")
    failed = wait_delivered(api, invoice)
    assert failed["state"] == "failed"
    assert f"nej{api.company.id}@refused.example" in failed["error"]

    again = send(api, invoice, channel="email", to=[f"ja{api.company.id}@example.se"])
    assert again.status_code == 202, again.text
    assert wait_delivered(api, invoice)["state"] == "sent"
    assert len(mails_to(mail_sink, f"ja{api.company.id}@example.se")) == 1


def test_bad_requests_are_answered_and_send_nothing(api: ExportApi, mail_sink: MailSink) -> None:
    customer = api.private_customer()  # no e-mail address
    invoice = api.approve(customer, [LABOUR])
    before = len(mail_sink.received())

    bad_address = send(api, invoice, channel="email", to=["inte-en-adress"])
    assert bad_address.status_code == 422
    assert bad_address.json()["detail"][0]["loc"] == ["body", "to", 0]
    no_address = send(api, invoice, channel="email")
    assert no_address.status_code == 409
    assert "ingen e-postadress" in no_address.json()["detail"][0]["msg"]
    voucher = send(api, invoice, channel="visma_email", to=["a@example.se"])
    assert voucher.status_code == 409  # not connected to Visma in fakturautkast mode
    unknown = send(api, invoice, channel="fax")
    assert unknown.status_code == 422

    draft = api.created("/invoices", {"customer_number": customer["customer_number"], "rows": [LABOUR]})
    assert send(api, draft, channel="email", to=["a@example.se"]).status_code == 409
    other = api.client.post(
        f"/api/v1/invoices/{invoice['id'] + 100000}/send", json={"channel": "email"}, headers=api.headers
    )
    assert other.status_code == 404
    assert api.get(f"/invoices/{invoice['id']}").json()["delivery"] is None
    time.sleep(0.3)
    assert len(mail_sink.received()) == before


def test_the_company_default_sends_each_approved_invoice_by_itself(api: ExportApi, mail_sink: MailSink) -> None:
    saved = api.client.put(
        "/api/v1/company/delivery", headers=api.headers, json={"default_channel": "email", "subject": "Faktura ####"}
    )
    assert saved.status_code == 200, saved.text
    refused = api.client.put("/api/v1/company/delivery", headers=api.headers, json={"default_channel": "visma_email"})
    assert refused.status_code == 422  # not connected in fakturautkast mode: the default could never be used
    customer = api.private_customer(email=f"auto{api.company.id}@example.se")
    invoice = api.approve(customer, [LABOUR])
    assert wait_delivered(api, invoice)["state"] == "sent"
    (mail,) = mails_to(mail_sink, f"auto{api.company.id}@example.se")
    assert mail.subject == f"Faktura {invoice['number']}"


def company(api: ExportApi) -> dict[str, Any]:
    current = api.get("/company").json()
    return {key: value for key, value in current.items() if key not in ("id", "logo_content_type")}
