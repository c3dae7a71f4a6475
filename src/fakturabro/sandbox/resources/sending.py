"""`/v2/customerinvoices/{invoiceId}/email`, `/einvoice` and `/pdf`: sending a bookkept invoice, and its PDF.

Nothing leaves the sandbox: every accepted send is recorded in the company's state (`sent_emails`,
`sent_einvoices`, a list per invoice) and read back through the control API (`GET /_sandbox/sent`). The answers
are the spec's: 200 without a body for the two sends, `InvoiceUrlApi` for the PDF. `IsNotDelivered` stays
false (nothing bounces here).

Our reading of Visma (unconfirmed), beyond the spec's field descriptions:
- e-mail: `Email` defaults to the customer's `EmailAddress`, `CcRecipients` to the customer's `EmailAddresses`
  when omitted or an empty list (null: no CC), `Subject` to "Faktura #### från <company name>" (`####` becomes
  the invoice number, in a given subject too), `Message` to the company's `CompanyText`. No address at all is
  400 CanNotBeCreatedOrUpdated (4002); an address that is not an e-mail address is 400 DataModelValidation
  (2000). Sending does not change the invoice (no `ModifiedUtc` move).
- e-invoice: `SendType` defaults to 1 (AutoInvoiceElectronic), which needs the customer's `ElectronicAddress`
  or `EdiGlnNumber`; 3 (AutoInvoiceB2C) is refused for Swedish customers (as `CustomerInvoiceApi.SendType`
  says), 4 (Kivra) needs a private person with a `CorporateIdentityNumber`; 2 (AutoInvoicePrint) goes by post.
  The invoice's `SendType` becomes the type sent and `ModifiedUtc` moves (the invoice changed).
- PDF: the `Url` is a capability link with an unguessable token, valid for an hour, on the sandbox's own
  `/documents` route (Visma's points at its file storage, outside the API): no bearer token, no rate limit,
  no injected faults. Each call hands out a fresh link.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import reportlab
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from fakturabro.sandbox.credentials import digest
from fakturabro.sandbox.deps import StateDep, company_for
from fakturabro.sandbox.errors import (
    CAN_NOT_BE_CREATED_OR_UPDATED,
    DATA_MODEL_VALIDATION_ERROR,
    bad_request,
    not_found,
)
from fakturabro.sandbox.state import CompanyState, Resource, SandboxState, format_utc, parse_utc

router = APIRouter(tags=["CustomerInvoices"])

# The spec lists `ea:sales_readonly` for the two sends too (sic); the sandbox follows the spec.
Sender = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
Reader = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]

AUTO_INVOICE_ELECTRONIC, AUTO_INVOICE_PRINT, AUTO_INVOICE_B2C, KIVRA = 1, 2, 3, 4
SEND_TYPES = {
    AUTO_INVOICE_ELECTRONIC: "AutoInvoiceElectronic",
    AUTO_INVOICE_PRINT: "AutoInvoicePrint",
    AUTO_INVOICE_B2C: "AutoInvoiceB2C",
    KIVRA: "Kivra",
}
PDF_LINK_TTL_SECONDS = 3600
PDF_ROUTE_NAME = "sandbox_invoice_pdf"
DEFAULT_SUBJECT = "Faktura #### från {company}"
NUMBER_PATTERN = "####"

# A plain address (no display name): a local part without spaces, quotes or brackets and no leading, trailing or
# doubled dot, then a domain of at least two labels; Unicode letters are allowed (IDN domains).
_LOCAL = r"[^\s@<>()\[\],;:\"\\.]+(?:\.[^\s@<>()\[\],;:\"\\.]+)*"
_LABEL = r"[^\W_](?:[\w-]{0,61}[^\W_])?"
_EMAIL = re.compile(rf"^{_LOCAL}@(?:{_LABEL}\.)+{_LABEL}$")


def is_email_address(text: str) -> bool:
    return len(text) <= 254 and _EMAIL.match(text) is not None


def invoice_or_404(company: CompanyState, invoice_id: str) -> Resource:
    invoice = company.invoices.get(invoice_id)
    if invoice is None:
        raise not_found("CustomerInvoice", invoice_id)
    return invoice


async def json_body(request: Request) -> dict[str, Any]:
    """The (optional) request body, already validated against the spec by `company_for`."""
    if not await request.body():
        return {}
    body = await request.json()
    return body if isinstance(body, dict) else {}


def _refuse(error_code: int, message: str, field: str) -> None:
    raise bad_request(error_code, message, field)


# --- e-mail ----------------------------------------------------------------------------------------------


def email_record(
    company: CompanyState, invoice: Mapping[str, Any], customer: Mapping[str, Any], body: Mapping[str, Any], now: str
) -> Resource:
    """What an `EmailApi` body sends for this invoice, with Visma's defaults filled in; refusals are Visma's 400."""
    number = str(invoice.get("InvoiceNumber"))
    recipient = (body.get("Email") or "").strip() or (customer.get("EmailAddress") or "").strip()
    if not recipient:
        _refuse(
            CAN_NOT_BE_CREATED_OR_UPDATED,
            f"Invoice {number} cannot be sent by e-mail: the request has no Email and customer "
            f"{customer.get('CustomerNumber')} has no EmailAddress.",
            "Email",
        )
    if not is_email_address(recipient):
        _refuse(DATA_MODEL_VALIDATION_ERROR, f"Email {recipient!r} is not a valid e-mail address.", "Email")
    if "CcRecipients" in body and body["CcRecipients"] is None:
        cc: list[str] = []
    else:
        given = [str(address).strip() for address in body.get("CcRecipients") or []]
        cc = given or [str(address).strip() for address in customer.get("EmailAddresses") or []]
    for position, address in enumerate(cc):
        if not is_email_address(address):
            _refuse(
                DATA_MODEL_VALIDATION_ERROR,
                f"CcRecipients[{position}] {address!r} is not a valid e-mail address.",
                f"CcRecipients[{position}]",
            )
    subject = body.get("Subject") or DEFAULT_SUBJECT.format(company=company.settings.get("Name") or "")
    message = body.get("Message")
    return {
        "invoice_id": invoice["Id"],
        "invoice_number": invoice.get("InvoiceNumber"),
        "recipient": recipient,
        "cc": cc,
        "subject": str(subject).replace(NUMBER_PATTERN, number),
        "message": message if message is not None else company.settings.get("CompanyText"),
        "sent_at": now,
    }


@router.post("/customerinvoices/{invoiceId}/email")
async def email_invoice(invoiceId: str, company: Sender, state: StateDep, request: Request) -> Response:  # noqa: N803
    body = await json_body(request)
    with state.lock:
        invoice = invoice_or_404(company, invoiceId)
        customer = company.customers.get(str(invoice.get("CustomerId")), {})
        record = email_record(company, invoice, customer, body, state.timestamp())
        company.sent_emails.setdefault(invoice["Id"], []).append(record)
        state.save()
    return Response(status_code=200)


# --- e-invoice -------------------------------------------------------------------------------------------


def einvoice_record(invoice: Mapping[str, Any], customer: Mapping[str, Any], send_type: int, now: str) -> Resource:
    """What an `ElectronicInvoiceRequestApi` sends for this invoice; refusals are Visma's 400."""
    number = invoice.get("InvoiceNumber")
    who = f"customer {customer.get('CustomerNumber')}"
    if send_type not in SEND_TYPES:
        _refuse(
            DATA_MODEL_VALIDATION_ERROR,
            f"SendType {send_type} is not one of 1 (AutoInvoiceElectronic), 2 (AutoInvoicePrint), "
            "3 (AutoInvoiceB2C), 4 (Kivra).",
            "SendType",
        )
    address = (customer.get("ElectronicAddress") or "").strip() or None
    gln = (customer.get("EdiGlnNumber") or "").strip() or None
    if send_type == AUTO_INVOICE_ELECTRONIC and not (address or gln):
        _refuse(
            CAN_NOT_BE_CREATED_OR_UPDATED,
            f"Invoice {number} cannot be sent as an e-invoice (SendType 1, AutoInvoiceElectronic): {who} has no "
            "ElectronicAddress or EdiGlnNumber.",
            "SendType",
        )
    if send_type == AUTO_INVOICE_B2C and (customer.get("InvoiceCountryCode") or "SE") == "SE":
        _refuse(
            CAN_NOT_BE_CREATED_OR_UPDATED,
            f"Invoice {number} cannot be sent with SendType 3 (AutoInvoiceB2C): not available for Swedish customers.",
            "SendType",
        )
    if send_type == KIVRA and not (customer.get("IsPrivatePerson") and customer.get("CorporateIdentityNumber")):
        _refuse(
            CAN_NOT_BE_CREATED_OR_UPDATED,
            f"Invoice {number} cannot be sent to Kivra (SendType 4): {who} is not a private person with a "
            "CorporateIdentityNumber.",
            "SendType",
        )
    return {
        "invoice_id": invoice["Id"],
        "invoice_number": number,
        "send_type": send_type,
        "send_type_name": SEND_TYPES[send_type],
        "electronic_address": address,
        "edi_gln_number": gln,
        "edi_service_deliverer_id": invoice.get("EdiServiceDelivererId") or customer.get("EdiServiceDelivererId"),
        "electronic_reference": invoice.get("ElectronicReference") or customer.get("ElectronicReference"),
        "your_reference": invoice.get("YourReference"),
        "sent_at": now,
    }


@router.post("/customerinvoices/{invoiceId}/einvoice")
async def einvoice_invoice(invoiceId: str, company: Sender, state: StateDep, request: Request) -> Response:  # noqa: N803
    body = await json_body(request)
    send_type = body.get("SendType")
    send_type = AUTO_INVOICE_ELECTRONIC if send_type is None else int(send_type)
    with state.lock:
        invoice = invoice_or_404(company, invoiceId)
        customer = company.customers.get(str(invoice.get("CustomerId")), {})
        now = state.timestamp()
        record = einvoice_record(invoice, customer, send_type, now)
        company.sent_einvoices.setdefault(invoice["Id"], []).append(record)
        invoice.update(SendType=send_type, ModifiedUtc=now)
        state.save()
    return Response(status_code=200)


# --- PDF -------------------------------------------------------------------------------------------------


@router.get("/customerinvoices/{invoiceId}/pdf")
async def invoice_pdf_url(invoiceId: str, company: Reader, state: StateDep, request: Request) -> dict[str, Any]:  # noqa: N803
    token = secrets.token_urlsafe(32)
    with state.lock:
        invoice = invoice_or_404(company, invoiceId)
        now = state.now()
        company.pdf_links = {
            key: link for key, link in company.pdf_links.items() if parse_utc(link["ExpiresUtc"]) > now
        }
        company.pdf_links[digest(token)] = {
            "InvoiceId": invoice["Id"],
            "ExpiresUtc": format_utc(now + timedelta(seconds=PDF_LINK_TTL_SECONDS)),
        }
        state.save()  # a GET: the middleware saves writes only
    return {"Url": str(request.url_for(PDF_ROUTE_NAME, token=token))}


def pdf_for_token(state: SandboxState, token: str) -> bytes | None:
    """The PDF a link's token stands for, or None (unknown or expired token, invoice gone)."""
    key = digest(token)
    with state.lock:
        for company in state.companies.values():
            link = company.pdf_links.get(key)
            if link is None:
                continue
            invoice = company.invoices.get(link["InvoiceId"])
            if invoice is None or parse_utc(link["ExpiresUtc"]) <= state.now():
                return None
            return render_invoice_pdf(company, invoice)
    return None


FONT = "SandboxSans"
FONT_BOLD = "SandboxSans-Bold"


@cache
def _fonts() -> None:
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "VeraBd.ttf")))


def _amount(value: Any) -> str:
    return f"{float(value or 0):,.2f}".replace(",", " ").replace(".", ",")


def render_invoice_pdf(company: CompanyState, invoice: Mapping[str, Any]) -> bytes:
    """A small one-page A4 PDF standing in for Visma's invoice layout: number, customer, total, OCR."""
    _fonts()
    buffer = io.BytesIO()
    number = invoice.get("InvoiceNumber")
    pdf = Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Faktura {number}")
    pdf.setAuthor(str(company.settings.get("Name") or "Visma eEkonomi sandbox"))
    left, top = 20 * mm, A4[1] - 25 * mm
    pdf.setFont(FONT_BOLD, 18)
    pdf.drawString(left, top, f"Faktura {number}")
    pdf.setFont(FONT, 10)
    lines = [
        str(company.settings.get("Name") or ""),
        "",
        f"Kund: {invoice.get('InvoiceCustomerName') or invoice.get('CustomerName') or ''}",
        f"Kundnummer: {invoice.get('CustomerNumber') or ''}",
        f"Fakturadatum: {str(invoice.get('InvoiceDate') or '')[:10]}",
        f"Förfallodatum: {str(invoice.get('DueDate') or '')[:10]}",
        "",
        f"Att betala: {_amount(invoice.get('TotalAmountInvoiceCurrency'))} {invoice.get('CurrencyCode') or 'SEK'}",
        f"Varav moms: {_amount(invoice.get('TotalVatAmountInvoiceCurrency'))}",
    ]
    if invoice.get("PaymentReferenceNumber"):
        lines.append(f"OCR: {invoice['PaymentReferenceNumber']}")
    if company.settings.get("BankGiro"):
        lines.append(f"Bankgiro: {company.settings['BankGiro']}")
    lines += ["", "Visma eEkonomi sandbox (fakturabro): test document, not a real invoice."]
    for offset, line in enumerate(lines, start=2):
        pdf.drawString(left, top - offset * 6 * mm, line)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
