"""The domain's view of a stored invoice."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.invoice import HusavdragClaim, HusavdragPerson, InvoiceContent, InvoiceRow, RowKind
from fakturabro.store import models
from fakturabro.store.company_rounding import DEFAULT_WHOLE_KRONA_ROUNDING, company_whole_krona_rounding
from fakturabro.store.repositories import InvoiceRepository, Transaction


def stored_content(invoice: models.Invoice, cipher_decrypt: Callable[[str], str] | None = None) -> InvoiceContent:
    """The domain's view of a stored invoice (personnummer stay encrypted unless a decrypt is given)."""
    claim = None
    if invoice.house_work_kind:
        reveal = cipher_decrypt or (lambda token: token)
        claim = HusavdragClaim(
            kind=HusavdragKind(invoice.house_work_kind),
            persons=tuple(
                HusavdragPerson(reveal(p.personal_number_encrypted), p.share) for p in invoice.house_work_persons
            ),
            property_designation=invoice.property_designation,
            housing_coop_org_number=invoice.housing_coop_org_number,
            apartment_number=invoice.apartment_number,
        )
    return InvoiceContent(
        invoice_date=invoice.invoice_date,
        rows=tuple(domain_row(row) for row in invoice.rows),
        reverse_charge=invoice.reverse_charge,
        husavdrag=claim,
        is_credit=invoice.credits_invoice_id is not None,
        whole_krona_rounding=_frozen_rounding(invoice),
    )


def _frozen_rounding(invoice: models.Invoice) -> bool:
    # Invoices approved before the rounding was kept were all priced in whole kronor.
    return DEFAULT_WHOLE_KRONA_ROUNDING if invoice.whole_krona_rounding is None else invoice.whole_krona_rounding


def totals_content(
    session: Transaction, invoice: models.Invoice, cipher_decrypt: Callable[[str], str] | None = None
) -> InvoiceContent:
    """The content whose totals the invoice shows. A credit invoice is priced with its original's invoice date,
    so husavdrag rates match and its amounts are the exact negation of the original's."""
    content = stored_content(invoice, cipher_decrypt)
    if invoice.credits_invoice_id is None:
        if invoice.to_pay is None:  # a draft is priced as the Visma company rounds today
            return dataclasses.replace(
                content, whole_krona_rounding=company_whole_krona_rounding(session, invoice.company_id)
            )
        return content
    original = InvoiceRepository(session, invoice.company_id).loaded(invoice.credits_invoice_id)
    assert original is not None
    # A credit mirrors its original: same rates date, same öresavrundning, so its amounts are the exact negation.
    return dataclasses.replace(
        content, invoice_date=original.invoice_date, whole_krona_rounding=_frozen_rounding(original)
    )


def domain_row(row: models.InvoiceRow) -> InvoiceRow:
    return InvoiceRow(
        kind=RowKind(row.kind),
        text=row.text,
        article_number=row.article_number,
        quantity=row.quantity,
        unit=row.unit,
        unit_price=row.unit_price,
        vat_rate=row.vat_rate,
        discount_percent=row.discount_percent,
        hours=row.hours,
        house_work_type=HouseWorkType(row.house_work_type) if row.house_work_type else None,
    )
