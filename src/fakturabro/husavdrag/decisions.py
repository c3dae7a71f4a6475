"""Skatteverket's decision on a claim, and the invoice to the buyer for what it refused.

A decision is entered per invoice (the approved amount, per buyer when several, a reason when less than asked) or
imported from the decision file Skatteverket's e-tjänst offers (JSON: ``beslut`` per claim, named as our
``NamnPaBegaran``, with ``arenden`` of ``personnummer``, ``fakturanummer`` and ``godkantBelopp``; format as in the
public sample of marinasundstrom/RotRutParsing, not documented by Skatteverket in shared/). Everything in one
request is checked before anything is written. The invoice back to the buyer is made only when the user confirms
(`invoice_back`): one row without VAT (the VAT was on the original invoice) with a Swedish explanation.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticError

from fakturabro.domain.errors import Conflict, ErrorCollector, FieldError, Location, NotFound, ValidationFailed
from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.domain.husavdrag_claims import ClaimState
from fakturabro.domain.identity import InvalidIdentityNumber, normalize_personnummer
from fakturabro.domain.invoice import RowKind
from fakturabro.domain.money import ZERO, format_sek
from fakturabro.husavdrag.state import SOURCE_VISMA, has_claim, stored_view
from fakturabro.husavdrag.views import HistoryEntryView
from fakturabro.invoicing import invoices as invoicing
from fakturabro.invoicing.inputs import InvoiceInput, RowInput
from fakturabro.invoicing.views import ClaimStateView, InvoiceView
from fakturabro.store import models
from fakturabro.store.database import Database, PersonalDataCipher
from fakturabro.store.husavdrag_models import HusavdragClaimBuyer, HusavdragInvoiceClaim
from fakturabro.store.husavdrag_repository import HusavdragRepository
from fakturabro.store.repositories import Transaction

MAX_DECISION_FILE = 1_000_000  # bytes; a real decision file is a few kilobytes
BACK_TIMEOUT = timedelta(minutes=10)  # an invoice back still "being made" after this was interrupted
MAX_REASON = 400
DECIDABLE = (ClaimState.REQUESTED.value, ClaimState.REFUSED.value)


@dataclass(frozen=True)
class DecisionEntry:
    """Skatteverket's decision on one invoice: the approved total and, with several buyers, per buyer."""

    invoice_id: int
    approved_amount: Decimal
    buyers: tuple[Decimal, ...] | None = None
    reason: str | None = None


def record_decisions(
    db: Database,
    company_id: int,
    entries: Sequence[DecisionEntry],
    decided_at: date,
    claim_id: int | None = None,
) -> list[ClaimStateView]:
    """Record decisions (all or nothing); ``claim_id`` when they belong to one of fakturabro's claims."""
    if not entries:
        raise ValidationFailed.single(("invoices",), "Ange beslutet för minst en faktura.", "required")
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        if claim_id is not None and repository.claim(claim_id) is None:
            raise NotFound("Begäran", claim_id)
        return _apply(session, repository, entries, decided_at, db.clock(), claim_id, ("invoices",))


def _apply(
    session: Transaction,
    repository: HusavdragRepository,
    entries: Sequence[DecisionEntry],
    decided_at: date,
    now: datetime,
    claim_id: int | None,
    loc: Location,
) -> list[ClaimStateView]:
    errors = ErrorCollector()
    if decided_at > now.date() + timedelta(days=1):
        errors.add(("decided_at",), "Beslutsdatumet kan inte ligga i framtiden.", "date_in_future")
    ids = [entry.invoice_id for entry in entries]
    if len(set(ids)) != len(ids):
        errors.add(loc, "En faktura finns med två gånger i beslutet.", "duplicate")
    invoices = {invoice.id: invoice for invoice in repository.invoices(ids, for_update=True)}
    rows = repository.states(ids, for_update=True)
    buyers = repository.buyers([row.id for row in rows.values()])
    checked: list[tuple[DecisionEntry, HusavdragInvoiceClaim, list[Decimal], list[Decimal]]] = []
    for index, entry in enumerate(entries):
        where = (*loc, index)
        invoice = invoices.get(entry.invoice_id)
        row = rows.get(entry.invoice_id)
        problem = _not_decidable(invoice, row, claim_id)
        if problem is not None:
            errors.add((*where, "invoice_id"), problem, "not_decidable")
            continue
        assert invoice is not None
        assert row is not None
        requested = _requested_per_buyer(row, buyers.get(row.id, []), invoice)
        approved = _approved_per_buyer(entry, requested, errors, where)
        if approved is not None:
            checked.append((entry, row, requested, approved))
    errors.raise_if_any()
    for entry, row, requested, approved in checked:
        _decide(repository, row, buyers.get(row.id, []), invoices[entry.invoice_id], entry, requested, approved)
        row.decided_at, row.updated_at = decided_at, now
        _record_decision(repository, row, now)
    return [stored_view(row) for _, row, _, _ in checked]


def _not_decidable(
    invoice: models.Invoice | None, row: HusavdragInvoiceClaim | None, claim_id: int | None
) -> str | None:
    if invoice is None or not has_claim(invoice):
        return "Fakturan finns inte hos företaget eller har inget husavdrag."
    which = f"Faktura {invoice.number}"
    if row is not None and row.decided_at is not None:
        return f"{which} har redan ett beslut ({row.decided_at.isoformat()})."
    if row is None or row.state not in DECIDABLE:
        return f"{which} är inte begärd hos Skatteverket än; beslut kan bara anges för en begärd faktura."
    if claim_id is not None and row.claim_id != claim_id:
        return f"{which} finns inte i den här begäran."
    return None


def _requested_per_buyer(
    row: HusavdragInvoiceClaim, buyers: list[HusavdragClaimBuyer], invoice: models.Invoice
) -> list[Decimal]:
    if buyers:
        return [buyer.requested for buyer in buyers]
    # Claimed in Visma: what the invoice deducted per buyer is what Visma requested.
    return [person.deduction or ZERO for person in invoice.house_work_persons]


def _approved_per_buyer(
    entry: DecisionEntry, requested: list[Decimal], errors: ErrorCollector, where: Location
) -> list[Decimal] | None:
    total_requested = sum(requested, ZERO)
    amount = entry.approved_amount
    if amount != amount.to_integral_value() or not ZERO <= amount <= total_requested:
        errors.add(
            (*where, "approved_amount"),
            f"Godkänt belopp ska vara hela kronor mellan 0 och det begärda {format_sek(total_requested)}.",
            "out_of_range",
        )
        return None
    if amount < total_requested and not (entry.reason or "").strip():
        errors.add((*where, "reason"), "Ange Skatteverkets skäl när mindre än det begärda godkändes.", "required")
        return None
    if entry.buyers is not None:
        return _given_buyers(entry.buyers, requested, amount, errors, where)
    if amount == total_requested:
        return list(requested)
    if amount == ZERO:
        return [ZERO for _ in requested]
    if len(requested) == 1:
        return [amount]
    errors.add((*where, "buyers"), "Ange godkänt belopp per köpare när flera köpare fick olika beslut.", "required")
    return None


def _given_buyers(
    given: tuple[Decimal, ...], requested: list[Decimal], amount: Decimal, errors: ErrorCollector, where: Location
) -> list[Decimal] | None:
    if len(given) != len(requested):
        errors.add(
            (*where, "buyers"), f"Fakturan har {len(requested)} köpare; ange ett belopp för var och en.", "count"
        )
        return None
    for position, (part, asked) in enumerate(zip(given, requested, strict=True)):
        if part != part.to_integral_value() or not ZERO <= part <= asked:
            errors.add(
                (*where, "buyers", position),
                f"Köpare {position + 1}: hela kronor mellan 0 och det begärda {format_sek(asked)}.",
                "out_of_range",
            )
            return None
    if sum(given, ZERO) != amount:
        errors.add((*where, "buyers"), "Köparnas belopp ska tillsammans bli det godkända beloppet.", "sum")
        return None
    return list(given)


def _decide(
    repository: HusavdragRepository,
    row: HusavdragInvoiceClaim,
    buyers: list[HusavdragClaimBuyer],
    invoice: models.Invoice,
    entry: DecisionEntry,
    requested: list[Decimal],
    approved: list[Decimal],
) -> None:
    if not buyers:
        for position, asked in enumerate(requested):
            buyer = HusavdragClaimBuyer(invoice_claim_id=row.id, position=position, requested=asked)
            repository.add(buyer)
            buyers.append(buyer)
    for buyer, part in zip(buyers, approved, strict=True):
        buyer.approved = part
    total = sum(approved, ZERO)
    row.requested_amount = sum(requested, ZERO)
    row.approved_amount = total
    row.state = ClaimState.APPROVED.value if total > 0 else ClaimState.REFUSED.value
    row.reason = (entry.reason or "").strip()[:MAX_REASON] or None
    assert invoice.id == row.invoice_id


def _record_decision(repository: HusavdragRepository, row: HusavdragInvoiceClaim, now: datetime) -> None:
    approved, requested = row.approved_amount or ZERO, row.requested_amount or ZERO
    text = f"Skatteverkets beslut {row.decided_at.isoformat() if row.decided_at else ''}: "
    text += f"{format_sek(approved)} godkänt av {format_sek(requested)} begärt"
    if row.reason:
        text += f" ({row.reason})"
    repository.record(row.invoice_id, now, "decision", text + ".")


# --- the decision file ------------------------------------------------------------------------------------------


class _FileCase(BaseModel):
    model_config = ConfigDict(extra="ignore")

    personnummer: str = Field(max_length=20)
    fakturanummer: str | int | None = None
    godkantBelopp: int = Field(ge=0, le=99_999_999_999)  # noqa: N815 - Skatteverket's name


class _FileDecision(BaseModel):
    model_config = ConfigDict(extra="ignore")

    namn: str = Field(max_length=100)
    referensnummer: str | None = Field(None, max_length=100)
    arenden: list[_FileCase] = Field(max_length=10_000)


class _DecisionFile(BaseModel):
    model_config = ConfigDict(extra="ignore")

    beslut: list[_FileDecision] = Field(min_length=1, max_length=1000)


def import_decision_file(db: Database, company_id: int, data: bytes, decided_at: date) -> list[ClaimStateView]:
    """Record the decisions of Skatteverket's decision file for fakturabro's claims; a file that does not fit
    (not the format, a claim or ärende we do not know) is refused with the reason and changes nothing."""
    parsed = _parse(data)
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        entries_by_claim: list[tuple[int, list[DecisionEntry]]] = []
        errors: list[FieldError] = []
        for index, decision in enumerate(parsed.beslut):
            claim = repository.claim_by_name(decision.namn.strip())
            if claim is None:
                errors.append(
                    FieldError(
                        ("file", "beslut", index),
                        f"Beslutet gäller begäran ”{decision.namn[:40]}”, som inte finns i fakturabro.",
                        "unknown_claim",
                    )
                )
                continue
            entries = _entries_of(repository, claim.id, decision, db.cipher, errors, index)
            entries_by_claim.append((claim.id, entries))
        if errors:
            raise ValidationFailed(errors)
        views: list[ClaimStateView] = []
        for claim_id, entries in entries_by_claim:
            if entries:
                views += _apply(session, repository, entries, decided_at, db.clock(), claim_id, ("file", "beslut"))
        return views


def _parse(data: bytes) -> _DecisionFile:
    refuse = ValidationFailed.single(
        ("file",),
        "Filen är inte Skatteverkets beslutsfil för rot och rut (JSON med ”beslut” och ”arenden”).",
        "not_a_decision_file",
    )
    if len(data) > MAX_DECISION_FILE:
        raise ValidationFailed.single(("file",), "Filen är för stor för en beslutsfil.", "too_large")
    try:
        raw: Any = json.loads(data.decode("utf-8-sig"))
        return _DecisionFile.model_validate(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, PydanticError, RecursionError):
        raise refuse from None


def _entries_of(
    repository: HusavdragRepository,
    claim_id: int,
    decision: _FileDecision,
    cipher: PersonalDataCipher,
    errors: list[FieldError],
    index: int,
) -> list[DecisionEntry]:
    rows = repository.states_of_claim(claim_id)
    invoices = {invoice.id: invoice for invoice in repository.invoices([row.invoice_id for row in rows])}
    buyers = repository.buyers([row.id for row in rows])
    cases: dict[tuple[str, str], tuple[int, int]] = {}  # (invoice number, buyer) → (invoice id, position)
    for row in rows:
        invoice = invoices[row.invoice_id]
        for buyer in buyers.get(row.id, []):
            person = invoice.house_work_persons[buyer.position]
            number = normalize_personnummer(cipher.decrypt(person.personal_number_encrypted))
            cases[(str(invoice.number), number)] = (invoice.id, buyer.position)
    approved: dict[int, dict[int, Decimal]] = {}
    for case_index, case in enumerate(decision.arenden):
        key = _case_key(case, cases)
        if key is None:
            errors.append(
                FieldError(
                    ("file", "beslut", index, "arenden", case_index),
                    f"Beslutet nämner ett ärende (faktura {case.fakturanummer or 'utan nummer'}) som inte finns "
                    "i begäran.",
                    "unknown_case",
                )
            )
            continue
        invoice_id, position = cases[key]
        approved.setdefault(invoice_id, {})[position] = Decimal(case.godkantBelopp)
    entries = []
    for row in rows:
        parts = approved.get(row.invoice_id)
        if parts is None:
            continue  # not decided in this file
        wanted = buyers.get(row.id, [])
        if len(parts) != len(wanted):
            errors.append(
                FieldError(
                    ("file", "beslut", index),
                    f"Beslutet saknar köpare för faktura {invoices[row.invoice_id].number}.",
                    "missing_buyer",
                )
            )
            continue
        given = tuple(parts[position] for position in range(len(wanted)))
        total = sum(given, ZERO)
        requested = sum((buyer.requested for buyer in wanted), ZERO)
        reference = f" {decision.referensnummer}" if decision.referensnummer else ""
        reason = None if total >= requested else f"Enligt Skatteverkets beslut{reference}"
        entries.append(DecisionEntry(row.invoice_id, total, given, reason))
    return entries


def _case_key(case: _FileCase, cases: dict[tuple[str, str], tuple[int, int]]) -> tuple[str, str] | None:
    try:
        buyer = normalize_personnummer(case.personnummer)
    except InvalidIdentityNumber:
        return None
    if case.fakturanummer is not None and (str(case.fakturanummer), buyer) in cases:
        return (str(case.fakturanummer), buyer)
    matching = [key for key in cases if key[1] == buyer]
    # Skatteverket's file may leave the invoice number out: the buyer alone must then be unambiguous.
    return matching[0] if case.fakturanummer is None and len(matching) == 1 else None


# --- the invoice back to the buyer ------------------------------------------------------------------------------


def invoice_back(
    db: Database, company_id: int, invoice_id: int, on_approved: Iterable[invoicing.OnApproved] = ()
) -> InvoiceView:
    """The invoice to the buyer for what Skatteverket refused of ``invoice_id``'s husavdrag (made once)."""
    started = _start_back(db, company_id, invoice_id)
    if started.existing is not None:
        back_id = started.existing
    else:
        back_id = invoicing.create_invoice(db, company_id, started.invoice_input).id
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        row = repository.states([invoice_id], for_update=True)[invoice_id]
        row.back_invoice_id, row.back_started_at, row.updated_at = back_id, None, db.clock()
        repository.record(
            invoice_id,
            db.clock(),
            "invoiced_back",
            f"Faktura till köparen för mellanskillnaden {format_sek(started.difference)} (avslaget husavdrag).",
        )
    return invoicing.approve_invoice(db, company_id, back_id, on_approved)


@dataclass(frozen=True)
class _BackStart:
    invoice_input: InvoiceInput
    difference: Decimal
    existing: int | None  # a draft an interrupted attempt already made


def _start_back(db: Database, company_id: int, invoice_id: int) -> _BackStart:
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        invoice = next(iter(repository.invoices([invoice_id], for_update=True)), None)
        if invoice is None:
            raise NotFound("Fakturan", invoice_id)
        row = repository.states([invoice_id], for_update=True).get(invoice_id)
        if row is None or row.decided_at is None:
            raise Conflict("Skatteverket har inte beslutat om fakturans husavdrag än.", "not_decided")
        difference = (row.requested_amount or ZERO) - (row.approved_amount or ZERO)
        if difference <= 0:
            raise Conflict("Skatteverket godkände hela husavdraget; det finns inget att fakturera.", "nothing_refused")
        if row.back_invoice_id is not None:
            raise Conflict(
                f"Fakturan för mellanskillnaden är redan gjord (faktura-id {row.back_invoice_id}).", "already_invoiced"
            )
        now = db.clock()
        reference = _reference(invoice)
        existing = repository.draft_with_reference(invoice.customer_id, reference)
        if row.back_started_at is not None and now - _aware(row.back_started_at) < BACK_TIMEOUT and existing is None:
            raise Conflict("Fakturan för mellanskillnaden görs just nu.", "invoice_back_running")
        row.back_started_at = now
        return _BackStart(_back_input(invoice, row, difference, reference, now.date()), difference, existing)


def _reference(invoice: models.Invoice) -> str:
    return f"Husavdrag faktura {invoice.number}"


def _back_input(
    invoice: models.Invoice, row: HusavdragInvoiceClaim, difference: Decimal, reference: str, today: date
) -> InvoiceInput:
    kind = HusavdragKind(invoice.house_work_kind or "rot")
    approved = row.approved_amount or ZERO
    decided = row.decided_at.isoformat() if row.decided_at else ""
    verdict = "avslog" if approved == ZERO else f"godkände bara {format_sek(approved)} av"
    text = (
        f"Skatteverket {verdict} {kind.label} {format_sek(row.requested_amount or ZERO)} på faktura {invoice.number} "
        f"(beslut {decided}{': ' + row.reason if row.reason else ''}). Enligt villkoren för husavdrag betalar du "
        f"mellanskillnaden {format_sek(difference)}. Beloppet ingick redan, med moms, i faktura {invoice.number}."
    )
    if row.source == SOURCE_VISMA:
        text += " Avdraget begärdes via Visma eEkonomi."
    row_input = RowInput(
        text=text[:2000], quantity=Decimal(1), unit="st", unit_price=difference, vat_rate=ZERO, kind=RowKind.OTHER
    )
    return InvoiceInput(
        customer_number=invoice.customer.customer_number,
        invoice_date=today,
        your_reference=reference,
        rows=[row_input],
    )


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def history(db: Database, company_id: int, invoice_id: int) -> list[HistoryEntryView]:
    with db.transaction() as session:
        repository = HusavdragRepository(session, company_id)
        if not repository.invoices([invoice_id]):
            raise NotFound("Fakturan", invoice_id)
        return [HistoryEntryView(at=e.at, step=e.step, message=e.message) for e in repository.events(invoice_id)]
