"""Making a claim in fakturabro: Skatteverket's file for paid invoices whose claim is not made in Visma.

`create_claim` checks every invoice (`plan_claim`: paid, the claim's kind, not in another claim, not claimed in
Visma), builds the ärenden and, for ROT and RUT, the XML validated against Skatteverket's XSD, and stores claim,
states, buyers and history in one transaction. A request with any refused invoice changes nothing and says why
per invoice. Grön teknik has no file (its own e-tjänst and schema, which fakturabro does not have): the claim is
kept with the amounts to enter by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import structlog

from fakturabro.domain.errors import Conflict, FieldError, NotFound, ValidationFailed
from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.domain.husavdrag_claims import (
    ClaimableInvoice,
    ClaimFileContent,
    ClaimState,
    InvoiceClaim,
    plan_claim,
    refusal_of,
)
from fakturabro.domain.identity import mask_personnummer
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.domain.money import ZERO, format_sek
from fakturabro.husavdrag.state import SOURCE_FAKTURABRO, SOURCE_VISMA, derived_state, has_claim, source_of
from fakturabro.husavdrag.views import ClaimableInvoiceView, ClaimBuyerView, ClaimInvoiceView, ClaimView
from fakturabro.invoicing.content import stored_content
from fakturabro.skatteverket.begaran import InvalidClaimFile, build_claim_file
from fakturabro.store import models
from fakturabro.store.database import Database, PersonalDataCipher
from fakturabro.store.husavdrag_models import HusavdragClaimBuyer, HusavdragClaimRecord, HusavdragInvoiceClaim
from fakturabro.store.husavdrag_repository import CLAIMS_IN_VISMA, HusavdragRepository
from fakturabro.store.repositories import InvoiceRepository, Transaction

log = structlog.get_logger(__name__)

API_PREFIX = "/api/v1/husavdrag/claims"
CLAIMS_IN = (CLAIMS_IN_VISMA, SOURCE_FAKTURABRO)


def create_claim(db: Database, company_id: int, kind: HusavdragKind, invoice_ids: Sequence[int]) -> ClaimView:
    """A claim of ``kind`` for ``invoice_ids``; `ValidationFailed` with one error per refused invoice."""
    _check_ids(invoice_ids)
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        invoices = {invoice.id: invoice for invoice in repository.invoices(invoice_ids, for_update=True)}
        claimables = _claimables(session, repository, list(invoices.values()), db.cipher)
        planned = plan_claim(kind, claimables)
        errors = [
            FieldError(
                ("invoice_ids", index), f"Faktura med id {invoice_id} finns inte hos företaget.", "invoice_not_found"
            )
            for index, invoice_id in enumerate(invoice_ids)
            if invoice_id not in invoices
        ]
        position = {invoice_id: index for index, invoice_id in enumerate(invoice_ids)}
        errors += [FieldError(("invoice_ids", position[r.invoice_id]), r.message, r.code) for r in planned.refusals]
        if errors:
            raise ValidationFailed(sorted(errors, key=lambda error: error.loc))
        assert planned.year is not None
        name = _name(kind, planned.year, repository.claim_count() + 1)
        cases = tuple(case for item in planned.invoices for case in item.cases)
        xml = _file(ClaimFileContent(kind, name, cases)) if kind is not HusavdragKind.GREEN else None
        now = db.clock()
        claim = HusavdragClaimRecord(
            company_id=company_id,
            kind=kind.value,
            name=name,
            payment_year=planned.year,
            requested=Decimal(sum(item.requested for item in planned.invoices)),
            file_xml=xml.decode("utf-8") if xml is not None else None,
            created_at=now,
        )
        repository.add(claim)
        states = repository.states(invoice_ids, for_update=True)
        for item in planned.invoices:
            _store_item(repository, claim, item, states.get(item.invoice_id), invoices[item.invoice_id], now)
        return claim_view(session, repository, claim, db.cipher)


def _check_ids(invoice_ids: Sequence[int]) -> None:
    if not invoice_ids:
        raise ValidationFailed.single(("invoice_ids",), "Välj minst en faktura.", "required")
    seen: set[int] = set()
    for index, invoice_id in enumerate(invoice_ids):
        if invoice_id in seen:
            raise ValidationFailed.single(("invoice_ids", index), "Fakturan är vald två gånger.", "duplicate")
        seen.add(invoice_id)


def _name(kind: HusavdragKind, year: int, number: int) -> str:
    """NamnPaBegaran (1–16 characters), unique per company: Skatteverket's decision names the claim by it."""
    name = f"{kind.value.upper()} {year} nr {number}"
    return name if len(name) <= 16 else f"{kind.value.upper()} nr {number}"[:16]


def _file(content: ClaimFileContent) -> bytes:
    try:
        return build_claim_file(content)
    except InvalidClaimFile as error:
        # A bug in fakturabro, not the user's: nothing is stored and the file is never offered.
        log.error("husavdrag.claim_file_invalid", errors=error.errors[:5])
        raise Conflict(
            "Filen till Skatteverket blev inte giltig enligt Skatteverkets schema och sparades inte. "
            "Kontakta supporten; fakturorna är orörda.",
            "claim_file_invalid",
        ) from None


def _store_item(
    repository: HusavdragRepository,
    claim: HusavdragClaimRecord,
    item: InvoiceClaim,
    row: HusavdragInvoiceClaim | None,
    invoice: models.Invoice,
    now: datetime,
) -> None:
    if row is None:
        row = HusavdragInvoiceClaim(
            company_id=claim.company_id, invoice_id=item.invoice_id, source=SOURCE_FAKTURABRO, state="", updated_at=now
        )
        repository.add(row)
    row.claim_id, row.source, row.state = claim.id, SOURCE_FAKTURABRO, ClaimState.REQUESTED.value
    row.payment_date, row.requested_amount = item.payment_date, Decimal(item.requested)
    row.approved_amount = row.decided_at = row.reason = None
    row.updated_at = now
    for position, case in enumerate(item.cases):
        repository.add(
            HusavdragClaimBuyer(invoice_claim_id=row.id, position=position, requested=Decimal(case.requested))
        )
    what = "filen till Skatteverket" if claim.file_xml is not None else "begäran (grön teknik, fylls i för hand)"
    repository.record(
        invoice.id,
        now,
        "claimed",
        f"Husavdrag {_kr(Decimal(item.requested))} begärt i {claim.name}: {what}.",
    )


# --- reading --------------------------------------------------------------------------------------------------


def get_claim(db: Database, company_id: int, claim_id: int) -> ClaimView:
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        return claim_view(session, repository, _claim(repository, claim_id), db.cipher)


def list_claims(db: Database, company_id: int, limit: int = 100, offset: int = 0) -> list[ClaimView]:
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        return [claim_view(session, repository, claim, db.cipher) for claim in repository.claims(limit, offset)]


@dataclass(frozen=True)
class ClaimFile:
    filename: str
    content: bytes


def claim_file(db: Database, company_id: int, claim_id: int) -> ClaimFile:
    with db.transaction() as session:
        claim = _claim(HusavdragRepository(session, company_id), claim_id)
        if claim.file_xml is None:
            raise Conflict(
                "Grön teknik begärs i Skatteverkets e-tjänst för grön teknik, som har ett eget filformat som "
                "fakturabro inte gör. Fyll i uppgifterna på begäran för hand.",
                "no_file_for_green",
            )
        return ClaimFile(f"begaran-{claim.name.replace(' ', '-')}.xml", claim.file_xml.encode("utf-8"))


def _claim(repository: HusavdragRepository, claim_id: int) -> HusavdragClaimRecord:
    claim = repository.claim(claim_id)
    if claim is None:
        raise NotFound("Begäran", claim_id)
    return claim


def claim_view(
    session: Transaction, repository: HusavdragRepository, claim: HusavdragClaimRecord, cipher: PersonalDataCipher
) -> ClaimView:
    rows = repository.states_of_claim(claim.id)
    invoices = {invoice.id: invoice for invoice in repository.invoices([row.invoice_id for row in rows])}
    buyers = repository.buyers([row.id for row in rows])
    return ClaimView(
        id=claim.id,
        type=claim.kind,
        name=claim.name,
        payment_year=claim.payment_year,
        requested_amount=claim.requested,
        has_file=claim.file_xml is not None,
        file_url=f"{API_PREFIX}/{claim.id}/file" if claim.file_xml is not None else None,
        created_at=claim.created_at,
        invoices=[_claim_invoice(row, invoices[row.invoice_id], buyers.get(row.id, []), cipher) for row in rows],
    )


def _claim_invoice(
    row: HusavdragInvoiceClaim, invoice: models.Invoice, buyers: list[HusavdragClaimBuyer], cipher: PersonalDataCipher
) -> ClaimInvoiceView:
    persons = invoice.house_work_persons
    state = ClaimState(row.state)
    return ClaimInvoiceView(
        invoice_id=invoice.id,
        number=invoice.number,
        customer_name=invoice.customer.name,
        payment_date=row.payment_date,
        state=state.value,
        label=state.label,
        requested_amount=row.requested_amount or ZERO,
        approved_amount=row.approved_amount,
        decided_at=row.decided_at,
        reason=row.reason,
        back_invoice_id=row.back_invoice_id,
        buyers=[
            ClaimBuyerView(
                position=buyer.position,
                personal_number=mask_personnummer(cipher.decrypt(persons[buyer.position].personal_number_encrypted))
                if buyer.position < len(persons)
                else "****",
                requested=buyer.requested,
                approved=buyer.approved,
            )
            for buyer in buyers
        ],
    )


def claimable_invoices(db: Database, company_id: int, kind: HusavdragKind | None = None) -> list[ClaimableInvoiceView]:
    """The company's approved husavdrag invoices not yet in a claim, with why each cannot be claimed here now."""
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        invoices = [
            invoice
            for invoice in repository.husavdrag_invoices(kind.value if kind else None)
            if has_claim(invoice) and invoice.status != InvoiceStatus.CREDITED.value
        ]
        states = repository.states([invoice.id for invoice in invoices])
        waiting = [invoice for invoice in invoices if invoice.id not in states or states[invoice.id].claim_id is None]
        claimables = {c.invoice_id: c for c in _claimables(session, repository, waiting, db.cipher, decrypt=False)}
        sources = source_of(repository, [invoice.id for invoice in waiting])
        views = []
        for invoice in waiting:
            claimable = claimables[invoice.id]
            stored = states.get(invoice.id)
            state = ClaimState(stored.state) if stored is not None and stored.state else derived_state(invoice)
            refusal = refusal_of(HusavdragKind(invoice.house_work_kind or ""), claimable)
            views.append(
                ClaimableInvoiceView(
                    invoice_id=invoice.id,
                    number=invoice.number,
                    customer_name=invoice.customer.name,
                    type=invoice.house_work_kind or "",
                    state=state.value,
                    label=state.label,
                    source=stored.source if stored is not None else sources[invoice.id],
                    deduction=invoice.house_work_deduction or ZERO,
                    payment_date=claimable.last_payment_date,
                    refusal=refusal[0] if refusal else None,
                )
            )
        return views


def _claimables(
    session: Transaction,
    repository: HusavdragRepository,
    invoices: Sequence[models.Invoice],
    cipher: PersonalDataCipher,
    *,
    decrypt: bool = True,
) -> list[ClaimableInvoice]:
    ids = [invoice.id for invoice in invoices]
    ledger = InvoiceRepository(session, repository.company_id)
    paid: dict[int, Decimal] = {}
    last_paid: dict[int, date] = {}
    for payment in ledger.payments_for(ids):
        paid[payment.invoice_id] = paid.get(payment.invoice_id, ZERO) + payment.amount
        if payment.amount > 0:
            last = last_paid.get(payment.invoice_id)
            last_paid[payment.invoice_id] = max(last, payment.payment_date) if last else payment.payment_date
    credited = {credit.original_id for credit in ledger.credits_for(ids) if credit.status != InvoiceStatus.DRAFT.value}
    states = repository.states(ids)
    sources = source_of(repository, ids)
    found = []
    for invoice in invoices:
        state = states.get(invoice.id)
        claimed_here = state is not None and state.source == SOURCE_FAKTURABRO and state.claim_id is not None
        in_visma = (state.source == SOURCE_VISMA) if state is not None else sources[invoice.id] == SOURCE_VISMA
        found.append(
            ClaimableInvoice(
                invoice_id=invoice.id,
                number=invoice.number,
                content=stored_content(invoice, cipher.decrypt if decrypt else None),
                status=invoice.status,
                to_pay=invoice.to_pay or ZERO,
                paid=paid.get(invoice.id, ZERO),
                last_payment_date=last_paid.get(invoice.id),
                credited=invoice.id in credited,
                in_claim=state.claim_id if claimed_here and state is not None else None,
                claimed_in_visma=in_visma and not claimed_here,
            )
        )
    return found


def set_claims_in(db: Database, company_id: int, value: str) -> str:
    """Where the company claims husavdrag for invoices exported to Visma: ``visma`` or ``fakturabro``."""
    if value not in CLAIMS_IN:
        raise ValidationFailed.single(("claims_in",), "Välj Visma eEkonomi eller fakturabro.", "invalid_choice")
    with db.transaction() as session:
        HusavdragRepository(session, company_id).set_claims_in(value, db.clock())
    return value


def claims_in(db: Database, company_id: int) -> str:
    with db.transaction() as session:
        return HusavdragRepository(session, company_id).claims_in()


def _kr(amount: Decimal) -> str:
    return format_sek(amount)
