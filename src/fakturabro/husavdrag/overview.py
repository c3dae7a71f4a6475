"""The husavdrag overview per year and buyer (used and left under the caps, claims by state), and the cap warning
an invoice gets before approval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.domain.husavdrag_caps import BuyerUse, BuyerYear, buyer_years, cap_warning, caps_for
from fakturabro.domain.husavdrag_claims import ClaimState
from fakturabro.domain.identity import InvalidIdentityNumber, mask_personnummer, normalize_personnummer
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.domain.money import ZERO
from fakturabro.husavdrag.state import derived_state
from fakturabro.invoicing.views import MoneyStr
from fakturabro.store import models
from fakturabro.store.database import Database, PersonalDataCipher
from fakturabro.store.husavdrag_repository import HusavdragRepository
from fakturabro.store.repositories import InvoiceRepository, Transaction


class CapsView(BaseModel):
    rot: MoneyStr
    rot_and_rut: MoneyStr
    green: MoneyStr


class BuyerYearView(BaseModel):
    personal_number: str  # masked
    customers: list[str]
    rot: MoneyStr
    rut: MoneyStr
    green: MoneyStr
    rot_left: MoneyStr
    rut_left: MoneyStr
    green_left: MoneyStr
    over_cap: bool


class StateCountView(BaseModel):
    state: str
    label: str
    invoices: int
    amount: MoneyStr


class OverviewView(BaseModel):
    year: int
    years: list[int]
    caps: CapsView
    buyers: list[BuyerYearView]
    states: list[StateCountView]
    waiting: MoneyStr
    refused: MoneyStr
    invoiced_back: MoneyStr


@dataclass(frozen=True)
class _Invoice:
    invoice: models.Invoice
    year: int
    state: ClaimState
    amounts: list[Decimal]  # per buyer: approved once decided, else what the invoice deducted
    requested: Decimal
    refused: Decimal


def overview(db: Database, company_id: int, year: int) -> OverviewView:
    with db.transaction() as session:
        gathered = _gather(session, company_id)
        uses = _uses(gathered, db.cipher)
        by_id = {item.invoice.id: item for item in gathered}
        names: dict[str, set[str]] = {}
        for invoice_id, found in uses.items():
            for use in found:
                names.setdefault(use.buyer, set()).add(by_id[invoice_id].invoice.customer.name)
        in_year = [item for item in gathered if item.year == year]
        per_buyer = [b for b in buyer_years(u for us in uses.values() for u in us) if b.year == year]
        repository = HusavdragRepository(session, company_id)
        in_year_ids = {item.invoice.id for item in in_year}
        back_ids = [r.back_invoice_id for r in repository.all_states() if r.invoice_id in in_year_ids]
        backs = repository.invoices([i for i in back_ids if i is not None])
        caps = caps_for(year)
        return OverviewView(
            year=year,
            years=sorted({item.year for item in gathered} | {year}, reverse=True),
            caps=CapsView(rot=caps.rot, rot_and_rut=caps.rot_and_rut, green=caps.green),
            buyers=[_buyer_view(b, names) for b in per_buyer],
            states=_states(in_year),
            waiting=sum((i.requested for i in in_year if i.state is ClaimState.REQUESTED), ZERO),
            refused=sum((i.refused for i in in_year), ZERO),
            invoiced_back=sum((back.to_pay or ZERO for back in backs), ZERO),
        )


def _gather(session: Transaction, company_id: int) -> list[_Invoice]:
    repository = HusavdragRepository(session, company_id)
    invoices = [
        invoice
        for invoice in repository.husavdrag_invoices()
        if invoice.status not in (InvoiceStatus.DRAFT.value, InvoiceStatus.CREDITED.value)
    ]
    ids = [invoice.id for invoice in invoices]
    rows = repository.states(ids)
    buyers = repository.buyers([row.id for row in rows.values()])
    last_paid: dict[int, date] = {}
    for payment in InvoiceRepository(session, company_id).payments_for(ids):
        if payment.amount > 0:
            last_paid[payment.invoice_id] = max(
                last_paid.get(payment.invoice_id, payment.payment_date), payment.payment_date
            )
    gathered = []
    for invoice in invoices:
        row = rows.get(invoice.id)
        deducted = [person.deduction or ZERO for person in invoice.house_work_persons]
        decided = row is not None and row.decided_at is not None
        approved = [b.approved or ZERO for b in buyers.get(row.id, [])] if decided and row is not None else []
        paid_on = (row.payment_date if row is not None else None) or last_paid.get(invoice.id)
        state = ClaimState(row.state) if row is not None and row.state else derived_state(invoice)
        if row is not None and row.state in (ClaimState.AWAITING_PAYMENT.value, ClaimState.READY.value):
            state = derived_state(invoice)
        requested = (row.requested_amount if row is not None else None) or sum(deducted, ZERO)
        gathered.append(
            _Invoice(
                invoice=invoice,
                year=(paid_on or invoice.invoice_date).year,
                state=state,
                amounts=approved if len(approved) == len(deducted) and decided else deducted,
                requested=requested,
                refused=requested - (row.approved_amount or ZERO) if decided and row is not None else ZERO,
            )
        )
    return gathered


def _uses(gathered: Sequence[_Invoice], cipher: PersonalDataCipher) -> dict[int, list[BuyerUse]]:
    """Invoice id → its buyers' use."""
    found: dict[int, list[BuyerUse]] = {}
    for item in gathered:
        kind = HusavdragKind(item.invoice.house_work_kind or "rot")
        uses = []
        for person, amount in zip(item.invoice.house_work_persons, item.amounts, strict=False):
            buyer = _buyer(cipher.decrypt(person.personal_number_encrypted))
            uses.append(BuyerUse(buyer, item.year, kind, amount, item.invoice.id))
        found[item.invoice.id] = uses
    return found


def _buyer(number: str) -> str:
    try:
        return normalize_personnummer(number)
    except InvalidIdentityNumber:
        return number


def _buyer_view(buyer: BuyerYear, names: dict[str, set[str]]) -> BuyerYearView:
    return BuyerYearView(
        personal_number=mask_personnummer(buyer.buyer),
        customers=sorted(names.get(buyer.buyer, set())),
        rot=buyer.rot,
        rut=buyer.rut,
        green=buyer.green,
        rot_left=buyer.rot_left,
        rut_left=buyer.rut_left,
        green_left=buyer.green_left,
        over_cap=buyer.over_cap,
    )


def _states(items: Sequence[_Invoice]) -> list[StateCountView]:
    views = []
    for state in ClaimState:
        chosen = [item for item in items if item.state is state]
        amount = sum((item.requested for item in chosen), ZERO)
        views.append(StateCountView(state=state.value, label=state.label, invoices=len(chosen), amount=amount))
    return views


# --- the warning before approval -------------------------------------------------------------------------------


def cap_warnings(
    session: Transaction, invoice: models.Invoice, cipher: PersonalDataCipher, deductions: list[Decimal]
) -> list[str]:
    """For a draft with husavdrag: the buyers its reduction would take over a yearly cap, given the invoices
    already made to them here (the year of the invoice date: the payment is expected that year)."""
    if not invoice.house_work_kind or invoice.status != InvoiceStatus.DRAFT.value or invoice.credits_invoice_id:
        return []
    kind = HusavdragKind(invoice.house_work_kind)
    year = invoice.invoice_date.year
    others = [item for item in _gather(session, invoice.company_id) if item.invoice.id != invoice.id]
    earlier = {(b.buyer, b.year): b for b in buyer_years(u for us in _uses(others, cipher).values() for u in us)}
    messages = []
    for person, amount in zip(invoice.house_work_persons, deductions, strict=False):
        buyer = _buyer(cipher.decrypt(person.personal_number_encrypted))
        message = cap_warning(mask_personnummer(buyer), kind, year, earlier.get((buyer, year)), amount)
        if message:
            messages.append(message)
    return messages
