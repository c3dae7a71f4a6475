"""Sending invoices and fetching their PDF with the production client: against the sandbox over real HTTP (OAuth
with PKCE), in process through the client's own transport, and against scripted answers for the edge cases."""

from __future__ import annotations

import io
import time
from decimal import Decimal
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from test_visma_sandbox import Connected, new_customer, service_article, visma  # noqa: F401 - the fixture, used below

from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.visma.client import VismaClient
from fakturabro.visma.errors import (
    VismaNotFound,
    VismaProtocolError,
    VismaTimeoutAfterSend,
    VismaUnavailable,
    VismaValidationError,
)
from fakturabro.visma.models import Customer, CustomerInvoice, CustomerInvoiceDraft, CustomerInvoiceDraftRow
from fakturabro.visma.oauth import VismaAuth

EMAIL = "/v2/customerinvoices/{invoiceId}/email"
EINVOICE = "/v2/customerinvoices/{invoiceId}/einvoice"
PDF = "/v2/customerinvoices/{invoiceId}/pdf"


@pytest.fixture
def connected(request: pytest.FixtureRequest) -> Connected:
    """`test_visma_sandbox`'s client, connected to the live sandbox through the OAuth code flow with PKCE."""
    found: Connected = request.getfixturevalue("visma")
    return found


def booked(client: VismaClient, customer: Customer, article_number: str, **draft: object) -> CustomerInvoice:
    """A new customer and a draft for it, converted: sending works on bookkept invoices only."""
    created = client.create_customer(customer)
    article = service_article(client, article_number)
    assert created.id is not None
    assert article.id is not None
    made = client.create_customer_invoice_draft(
        CustomerInvoiceDraft(
            customer_id=created.id,
            rows=[CustomerInvoiceDraftRow(article_id=article.id, unit_price=Decimal("1000"), quantity=Decimal("1"))],
            **draft,  # type: ignore[arg-type]
        )
    )
    assert made.id is not None
    invoice = client.convert_customer_invoice_draft(made.id)
    assert invoice.id is not None
    return invoice


def invoice_id(invoice: CustomerInvoice) -> UUID:
    assert invoice.id is not None
    return invoice.id


def counts(control: httpx.Client) -> dict[str, int]:
    found: dict[str, int] = control.get("/requests").json()["counts"]
    return found


def test_email_with_customer_defaults_and_given_recipients(connected: Connected, control: httpx.Client) -> None:
    client = connected.client
    customer = new_customer(client, "9101").model_copy(update={"email_address": "anna@kund.example"})
    invoice = booked(client, customer, "SND-1")
    control.delete("/requests")
    assert client.email_customer_invoice(invoice_id(invoice)) is None
    client.email_customer_invoice(
        invoice_id(invoice),
        to="ekonomi@kund.example",
        cc=["chef@kund.example"],
        subject="Faktura #### från Demo",
        message="Tack för uppdraget!",
    )
    emails = control.get(f"/customerinvoices/{invoice.id}/sent").json()["emails"]
    assert [(e["recipient"], e["cc"]) for e in emails] == [
        ("anna@kund.example", []),
        ("ekonomi@kund.example", ["chef@kund.example"]),
    ]
    assert emails[1]["subject"] == f"Faktura {invoice.invoice_number} från Demo"
    assert emails[1]["message"] == "Tack för uppdraget!"
    assert counts(control)[f"POST {EMAIL}"] == 2  # exactly one call per e-mail


def test_email_refusals_are_validation_errors(connected: Connected, control: httpx.Client) -> None:
    client = connected.client
    invoice = booked(client, new_customer(client, "9102"), "SND-2")  # a customer without an e-mail address
    with pytest.raises(VismaValidationError) as missing:
        client.email_customer_invoice(invoice_id(invoice))
    assert missing.value.error_code == 4002
    assert "has no EmailAddress" in str(missing.value.developer_message)
    assert [e.field for e in missing.value.errors] == ["Email"]
    with pytest.raises(VismaValidationError) as invalid:
        client.email_customer_invoice(invoice_id(invoice), to="inte-en-adress")
    assert invalid.value.error_code == 2000
    with pytest.raises(VismaNotFound):
        client.email_customer_invoice(uuid4(), to="anna@kund.example")
    assert control.get(f"/customerinvoices/{invoice.id}/sent").json()["emails"] == []
    assert connected.sleeps == []  # nothing was retried


def test_einvoice_sets_send_type_and_records_references(connected: Connected, control: httpx.Client) -> None:
    client = connected.client
    plain = new_customer(client, "9103", company=True)
    # ElectronicAddress is not modelled on `Customer`; unmodelled fields travel as extras.
    customer = Customer.model_validate({**plain.to_visma(), "ElectronicAddress": "0007:5566778899"})
    invoice = booked(client, customer, "SND-3", your_reference="Karin", electronic_reference="PO-42")
    control.delete("/requests")
    assert client.einvoice_customer_invoice(invoice_id(invoice)) is None
    again = client.get_customer_invoice(invoice_id(invoice))
    assert again.send_type == 1
    assert again.is_not_delivered is False
    assert invoice.send_type is None
    raw = control.get(f"/customerinvoices/{invoice.id}/sent").json()
    [record] = raw["einvoices"]
    assert record["send_type"] == 1
    assert record["electronic_address"] == "0007:5566778899"
    assert record["electronic_reference"] == "PO-42"
    assert record["your_reference"] == "Karin"
    assert counts(control)[f"POST {EINVOICE}"] == 1


def test_einvoice_is_refused_without_an_electronic_address(connected: Connected) -> None:
    client = connected.client
    invoice = booked(client, new_customer(client, "9104", company=True), "SND-4")
    with pytest.raises(VismaValidationError) as refused:
        client.einvoice_customer_invoice(invoice_id(invoice))
    assert "no ElectronicAddress or EdiGlnNumber" in str(refused.value.developer_message)
    with pytest.raises(VismaNotFound):
        client.einvoice_customer_invoice(uuid4())


def test_pdf_is_downloaded_from_the_url_without_the_bearer_token(connected: Connected, control: httpx.Client) -> None:
    client = connected.client
    invoice = booked(client, new_customer(client, "9105"), "SND-5")
    control.delete("/requests")
    content = client.customer_invoice_pdf(invoice_id(invoice))
    assert content.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert f"Faktura {invoice.invoice_number}" in text
    assert "Anna Andersson" in text
    log = control.get("/requests").json()
    assert log["counts"] == {f"GET {PDF}": 1, "GET /documents/{token}.pdf": 1}
    download = next(entry for entry in log["requests"] if entry["path_template"] == "/documents/{token}.pdf")
    assert download["client_id"] is None  # no bearer token went to the document host
    with pytest.raises(VismaNotFound):
        client.customer_invoice_pdf(uuid4())


def test_pdf_through_an_in_process_sandbox() -> None:
    """A `TestClient` as the client's `httpx.Client`: the download uses the same transport, so no server runs."""
    app = create_sandbox_app()
    http = TestClient(app)
    token = http.post("/_sandbox/token").json()["access_token"]

    class Bearer(httpx.Auth):
        def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
            request.headers["Authorization"] = f"Bearer {token}"
            yield request

    http.auth = Bearer()
    client = VismaClient(http, "http://testserver/v2", sleep=lambda _: None)
    invoice = booked(client, new_customer(client, "9106"), "SND-6")
    assert client.customer_invoice_pdf(invoice_id(invoice)).startswith(b"%PDF-")
    client.email_customer_invoice(invoice_id(invoice), to="anna@kund.example")
    client.einvoice_customer_invoice(invoice_id(invoice), send_type=2)
    assert client.get_customer_invoice(invoice_id(invoice)).send_type == 2


# --- faults and retries ----------------------------------------------------------------------------------


def test_a_lost_answer_to_an_email_is_not_retried(
    sandbox_url: str, connected: Connected, control: httpx.Client
) -> None:
    client = connected.client
    customer = new_customer(client, "9107").model_copy(update={"email_address": "anna@kund.example"})
    invoice = booked(client, customer, "SND-7")
    assert control.put("/faults", json={"timeout_after_commit_rate": 1, "timeout_after_commit_ms": 1500}).is_success
    auth = VismaAuth(connected.store, connected.connect.refresh)
    impatient = httpx.Client(auth=auth, timeout=httpx.Timeout(10, read=0.3))
    sleeps: list[float] = []
    hasty = VismaClient(impatient, f"{sandbox_url}/v2", sleep=sleeps.append)
    control.delete("/requests")
    with pytest.raises(VismaTimeoutAfterSend) as caught:
        hasty.email_customer_invoice(invoice_id(invoice))
    assert caught.value.may_have_executed
    assert sleeps == []
    assert control.put("/faults", json={"timeout_after_commit_rate": 0}).is_success
    # The mail went out although the answer was lost: exactly one, and the caller must not send it again blindly.
    assert len(control.get(f"/customerinvoices/{invoice.id}/sent").json()["emails"]) == 1
    deadline = time.monotonic() + 5  # the sandbox logs the call once its withheld answer is finally written
    while not counts(control).get(f"POST {EMAIL}") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counts(control)[f"POST {EMAIL}"] == 1


def test_server_errors_on_sends_are_not_retried_but_the_pdf_url_is(connected: Connected, control: httpx.Client) -> None:
    client = connected.client
    customer = new_customer(client, "9108").model_copy(update={"email_address": "anna@kund.example"})
    invoice = booked(client, customer, "SND-8")
    assert control.put("/faults", json={"error_rate": 1}).is_success
    control.delete("/requests")
    with pytest.raises(VismaUnavailable) as caught:
        client.email_customer_invoice(invoice_id(invoice))
    assert caught.value.may_have_executed
    with pytest.raises(VismaUnavailable):
        client.einvoice_customer_invoice(invoice_id(invoice))
    assert connected.sleeps == []
    with pytest.raises(VismaUnavailable):
        client.customer_invoice_pdf(invoice_id(invoice))
    assert len(connected.sleeps) == 4  # a GET: retried up to max_retries
    found = counts(control)
    assert found[f"POST {EMAIL}"] == 1
    assert found[f"POST {EINVOICE}"] == 1
    assert found[f"GET {PDF}"] == 5


# --- scripted answers ------------------------------------------------------------------------------------


def scripted(handler: object) -> VismaClient:
    return VismaClient(httpx.Client(transport=httpx.MockTransport(handler)), "https://api.test/v2")  # type: ignore[arg-type]


def test_email_body_uses_the_spec_names() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    target = uuid4()
    scripted(handler).email_customer_invoice(target, to="a@b.example", cc=["c@d.example"], subject="S", message="M")
    scripted(handler).email_customer_invoice(target)
    scripted(handler).einvoice_customer_invoice(target, send_type=4)
    assert [str(r.url) for r in seen] == [
        f"https://api.test/v2/customerinvoices/{target}/email",
        f"https://api.test/v2/customerinvoices/{target}/email",
        f"https://api.test/v2/customerinvoices/{target}/einvoice",
    ]
    assert seen[0].content == b'{"Email":"a@b.example","CcRecipients":["c@d.example"],"Subject":"S","Message":"M"}'
    assert seen[1].content == b"{}"
    assert seen[2].content == b'{"SendType":4}'


def test_pdf_download_from_another_host_carries_no_authorization() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == "api.test":
            return httpx.Response(200, json={"Url": "https://files.test/blob/abc.pdf?sig=1"})
        return httpx.Response(200, content=b"%PDF-1.4 test", headers={"Content-Type": "application/pdf"})

    class Bearer(httpx.Auth):
        def auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
            request.headers["Authorization"] = "Bearer secret"
            yield request

    client = VismaClient(httpx.Client(transport=httpx.MockTransport(handler), auth=Bearer()), "https://api.test/v2")
    assert client.customer_invoice_pdf(uuid4()) == b"%PDF-1.4 test"
    assert seen[0].headers["Authorization"] == "Bearer secret"
    assert "Authorization" not in seen[1].headers
    assert str(seen[1].url) == "https://files.test/blob/abc.pdf?sig=1"


@pytest.mark.parametrize(
    ("answer", "download", "error"),
    [
        ({"Url": None}, None, VismaProtocolError),
        ({"Url": "ftp://files.test/x.pdf"}, None, VismaProtocolError),
        ({"Url": "https://files.test/x.pdf"}, httpx.Response(200, content=b"<html>login</html>"), VismaProtocolError),
        ({"Url": "https://files.test/x.pdf"}, httpx.Response(404), VismaNotFound),
        ({"Url": "https://files.test/x.pdf"}, httpx.Response(503), VismaUnavailable),
        ({"Url": "https://files.test/x.pdf"}, httpx.ReadTimeout("slow"), VismaUnavailable),
    ],
)
def test_pdf_failures_are_visma_errors(
    answer: dict[str, object], download: httpx.Response | Exception | None, error: type[Exception]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.test":
            return httpx.Response(200, json=answer)
        if isinstance(download, Exception):
            raise download
        assert download is not None
        return download

    with pytest.raises(error) as caught:
        scripted(handler).customer_invoice_pdf(uuid4())
    assert "files.test" not in str(caught.value)  # the link (a credential) is not in the message
