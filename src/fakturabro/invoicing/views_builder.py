"""Building the read model of an invoice from the stored rows (frozen totals once approved)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from fakturabro.domain.customer import customer_kind
from fakturabro.domain.husavdrag import paid_on_warning, payment_today_warning
from fakturabro.domain.identity import mask_personnummer
from fakturabro.domain.invoice import REVERSE_CHARGE_TEXT, InvoiceStatus, Totals, compute_totals
from fakturabro.domain.money import ZERO
from fakturabro.husavdrag.overview import cap_warnings
from fakturabro.husavdrag.state import claim_state_view
from fakturabro.invoicing.content import domain_row, stored_content, totals_content
from fakturabro.invoicing.views import (
    CustomerRef,
    HouseWorkView,
    InvoiceView,
    InvoiceWarning,
    PaymentView,
    PersonView,
    RowView,
    TotalsView,
    VatView,
)
from fakturabro.store import models
from fakturabro.store.database import PersonalDataCipher
from fakturabro.store.delivery_models import delivery_json
from fakturabro.store.export_models import export_json
from fakturabro.store.repositories import InvoiceRepository, Transaction


@dataclass(frozen=True)
class Settlements:
    """Payments and credits of a set of invoices, read in three queries instead of three per invoice."""

    payments: Mapping[int, list[PaymentView]]
    credited: Mapping[int, Decimal]
    credit_ids: Mapping[int, list[int]]


def load_settlements(invoices: InvoiceRepository, invoice_ids: Sequence[int]) -> Settlements:
    payments: dict[int, list[PaymentView]] = defaultdict(list)
    credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
    credit_ids: dict[int, list[int]] = defaultdict(list)
    for payment in invoices.payments_for(invoice_ids):
        payments[payment.invoice_id].append(payment_view(payment))
    for credit in invoices.credits_for(invoice_ids):
        credit_ids[credit.original_id].append(credit.id)
        if credit.status != InvoiceStatus.DRAFT.value and credit.to_pay is not None:
            credited[credit.original_id] -= credit.to_pay
    return Settlements(payments, credited, credit_ids)


def invoice_view(
    session: Transaction,
    invoice: models.Invoice,
    cipher: PersonalDataCipher,
    mask: bool = False,
    settlements: Settlements | None = None,
    today: date | None = None,
) -> InvoiceView:
    """The read model of ``invoice``; pass ``settlements`` (from ``load_settlements``) when building many, and
    ``today`` (Swedish date, `swedish_today`) for the warnings that depend on it."""
    settled = settlements or load_settlements(InvoiceRepository(session, invoice.company_id), [invoice.id])
    totals, deductions = _totals(session, invoice)
    payments = settled.payments.get(invoice.id, [])
    paid = sum((p.amount for p in payments), ZERO)
    credited = settled.credited.get(invoice.id, ZERO)
    approved = invoice.status != InvoiceStatus.DRAFT.value
    customer = invoice.customer
    return InvoiceView(
        id=invoice.id,
        external_id=invoice.external_id,
        status=invoice.status,
        number=invoice.number,
        ocr=invoice.ocr,
        customer_number=customer.customer_number,
        customer=CustomerRef(
            id=customer.id,
            customer_number=customer.customer_number,
            name=customer.name,
            kind=customer_kind(customer.org_number).value,
        ),
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        your_reference=invoice.your_reference,
        our_reference=invoice.our_reference,
        reverse_charge=invoice.reverse_charge,
        reverse_charge_text=REVERSE_CHARGE_TEXT if invoice.reverse_charge else None,
        buyer_vat_number=customer.vat_number if invoice.reverse_charge else None,
        is_credit=invoice.credits_invoice_id is not None,
        credits_invoice_id=invoice.credits_invoice_id,
        credits_invoice_number=_credited_number(session, invoice),
        credit_reason=invoice.credit_reason,
        credited_by=list(settled.credit_ids.get(invoice.id, [])),
        rows=[_row_view(row) for row in invoice.rows],
        house_work=_house_work(session, invoice, deductions, cipher, mask),
        totals=totals,
        paid=paid,
        credited=credited,
        remaining=(totals.to_pay - paid - credited) if approved else totals.to_pay,
        payments=payments,
        approved_at=invoice.approved_at,
        created_at=invoice.created_at,
        export=export_json(session, invoice.id),
        delivery=delivery_json(session, invoice.id),
        overdue=today is not None and is_owed(invoice) and invoice.due_date < today,
        warnings=_warnings(invoice, payments, today) + _cap_warnings(session, invoice, cipher, deductions, settlements),
    )


def _credited_number(session: Transaction, invoice: models.Invoice) -> int | None:
    """The number of the invoice a credit invoice credits (the credit names it)."""
    if invoice.credits_invoice_id is None:
        return None
    original = InvoiceRepository(session, invoice.company_id).loaded(invoice.credits_invoice_id)
    return original.number if original is not None else None


STOCKHOLM = ZoneInfo("Europe/Stockholm")
OPEN = frozenset({InvoiceStatus.APPROVED.value, InvoiceStatus.PARTIALLY_PAID.value})
"""Approved and not yet settled: such an invoice is overdue once its due date has passed."""


def is_owed(invoice: models.Invoice) -> bool:
    """Approved, not settled and not a credit: a credit invoice asks for nothing, what it credits is already off
    the remaining amount of the invoice it credits."""
    return invoice.status in OPEN and invoice.credits_invoice_id is None


UNPAID = frozenset({InvoiceStatus.DRAFT.value, InvoiceStatus.APPROVED.value, InvoiceStatus.PARTIALLY_PAID.value})


def swedish_today(now: datetime) -> date:
    """The date in Sweden: husavdrag rates change at midnight Swedish time, not UTC."""
    return now.astimezone(STOCKHOLM).date()


def _warnings(invoice: models.Invoice, payments: list[PaymentView], today: date | None) -> list[InvoiceWarning]:
    """Husavdrag that Skatteverket pays differently from what the invoice deducted: at the date of the last
    payment once there is one, else, while unpaid, at today's date (husavdrag follows the payment date)."""
    if not invoice.house_work_kind or invoice.credits_invoice_id is not None:
        return []
    content = stored_content(invoice)
    paid_on = max((payment.payment_date for payment in payments if payment.amount > 0), default=None)
    if paid_on is not None:
        message = paid_on_warning(invoice.number, content, paid_on)
        if message:
            return [InvoiceWarning(code="husavdrag_rate_paid", message=message)]
    if today is None or invoice.status not in UNPAID:
        return []
    message = payment_today_warning(content, today)
    return [InvoiceWarning(code="husavdrag_rate_today", message=message)] if message else []


def _cap_warnings(
    session: Transaction,
    invoice: models.Invoice,
    cipher: PersonalDataCipher,
    deductions: list[Decimal],
    settlements: Settlements | None,
) -> list[InvoiceWarning]:
    """A draft shown on its own (not in a list: ``settlements`` given) warns before approval when its husavdrag
    takes a buyer over a yearly cap, given the invoices already made to the buyer."""
    if settlements is not None:
        return []
    return [InvoiceWarning(code="husavdrag_cap", message=m) for m in cap_warnings(session, invoice, cipher, deductions)]


def _totals(session: Transaction, invoice: models.Invoice) -> tuple[TotalsView, list[Decimal]]:
    if invoice.to_pay is not None:  # frozen at approval
        rates = {key: Decimal(value) for key, value in json.loads(invoice.vat_by_rate or "{}").items()}
        view = TotalsView(
            net=invoice.net or ZERO,
            vat=VatView(rates=rates, total=invoice.vat or ZERO),
            rounding=invoice.rounding or ZERO,
            total=invoice.total or ZERO,
            house_work_deduction=invoice.house_work_deduction or ZERO,
            to_pay=invoice.to_pay,
        )
        return view, [person.deduction or ZERO for person in invoice.house_work_persons]
    totals = compute_totals(totals_content(session, invoice))
    return _totals_view(totals), list(totals.husavdrag_by_person)


def _totals_view(totals: Totals) -> TotalsView:
    return TotalsView(
        net=totals.net,
        vat=VatView(
            rates={f"{rate.normalize():f}": vat for rate, vat in totals.vat_by_rate.items()},
            total=totals.vat,
        ),
        rounding=totals.rounding,
        total=totals.total,
        house_work_deduction=totals.husavdrag,
        to_pay=totals.to_pay,
    )


def _row_view(row: models.InvoiceRow) -> RowView:
    return RowView(
        article_number=row.article_number,
        text=row.text,
        quantity=row.quantity,
        unit=row.unit,
        unit_price=row.unit_price,
        vat_rate=row.vat_rate,
        kind=row.kind,
        hours=row.hours,
        discount_percent=row.discount_percent,
        house_work_type=row.house_work_type,
        net=domain_row(row).net,
    )


def _house_work(
    session: Transaction, invoice: models.Invoice, deductions: list[Decimal], cipher: PersonalDataCipher, mask: bool
) -> HouseWorkView | None:
    if not invoice.house_work_kind:
        return None
    persons = []
    for index, person in enumerate(invoice.house_work_persons):
        number = cipher.decrypt(person.personal_number_encrypted)
        persons.append(
            PersonView(
                personal_number=mask_personnummer(number) if mask else number,
                share=person.share,
                deduction=deductions[index] if index < len(deductions) else ZERO,
            )
        )
    return HouseWorkView(
        type=invoice.house_work_kind,
        persons=persons,
        property_designation=invoice.property_designation,
        housing_coop_org_number=invoice.housing_coop_org_number,
        apartment_number=invoice.apartment_number,
        claim=claim_state_view(session, invoice),
    )


def payment_view(payment: models.Payment) -> PaymentView:
    return PaymentView(
        id=payment.id,
        invoice_id=payment.invoice_id,
        amount=payment.amount,
        payment_date=payment.payment_date,
        source=payment.source,
        external_id=payment.external_id,
    )
