"""The invoice document: composed once from the invoice, its customer and the company's details, then rendered
as the HTML page (screen and print) or as the PDF file (``render_pdf``)."""

from __future__ import annotations

from fakturabro.documents.compose import compose
from fakturabro.documents.model import InvoiceDocument, Logo
from fakturabro.documents.pdf import render_pdf
from fakturabro.invoicing.company_settings import company_details, company_logo
from fakturabro.invoicing.customers import customer_view
from fakturabro.invoicing.invoices import load_invoice
from fakturabro.invoicing.views_builder import invoice_view
from fakturabro.store.database import Database

__all__ = ["InvoiceDocument", "invoice_document", "invoice_pdf_filename", "render_invoice_pdf"]


def invoice_document(db: Database, company_id: int, invoice_id: int) -> InvoiceDocument:
    """The laid-out document of one of the company's invoices (NotFound for another company's)."""
    with db.transaction() as session:
        invoice = load_invoice(session, company_id, invoice_id)
        view = invoice_view(session, invoice, db.cipher)  # unmasked: a husavdrag invoice names its buyers
        customer = customer_view(invoice.customer, db.cipher)
        company = company_details(session, company_id)
    logo = company_logo(db, company_id)
    return compose(view, customer, company, Logo(*logo) if logo else None)


def render_invoice_pdf(db: Database, company_id: int, invoice_id: int) -> bytes:
    return render_pdf(invoice_document(db, company_id, invoice_id))


def invoice_pdf_filename(number: int | str | None) -> str:
    """``Faktura-17.pdf``; a draft, which has no number yet, is ``Faktura-utkast.pdf``."""
    return f"Faktura-{number}.pdf" if number else "Faktura-utkast.pdf"
