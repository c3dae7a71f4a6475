"""The payment import's planner: Visma's receivables and our exported invoices in, a list of actions out.

Pure: no I/O, no Visma field names, no SQL. `gather` turns Visma's documents into `VismaReceivable`s and the
database into `ExportedInvoice`s; `apply` executes the actions. Tested with literals in tests/payments.

Visma tells us what is still owed (`remaining`), not the individual payments, so a payment is derived: what
Visma says is paid, minus what we have already registered from Visma, is registered now (or reversed, when the
bookkeeper undid a payment and `remaining` went up). Each registration gets the external id
``visma:<document id>:<n>`` with ``n`` the count of earlier Visma registrations on that invoice plus one, so two
runs planning from the same state collide on the payments table's unique external id instead of paying twice.

Deviations are listed for a person, once per Visma document and kind: a number Visma gave differently from ours,
money paid on an invoice we do not know, and husavdrag that the payment date changes. Skatteverket applies the
rate and cap of the day the buyer paid (shared/tax/SWEDISH-TAX-RULES.md §1.1), so a payment registered on an
invoice with husavdrag is priced again at its payment date (Visma's, else the day of the import, as the payment
is stored); when Skatteverket would pay another amount than the invoice deducted, the user is told what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from fakturabro.domain.husavdrag import DeductionAtPayment, husavdrag_at_payment
from fakturabro.domain.husavdrag_claims import ClaimState
from fakturabro.domain.invoice import InvoiceContent
from fakturabro.domain.money import ZERO


class DocumentKind(StrEnum):
    INVOICE = "invoice"  # a bookkept customer invoice (a converted draft, or created directly)
    LEDGER_ITEM = "ledger_item"  # a customer ledger item: how a "verifikation" export lives in Visma


class DeviationKind(StrEnum):
    NUMBER_MISMATCH = "number_mismatch"
    UNKNOWN_INVOICE = "unknown_invoice"
    HUSAVDRAG_AT_PAYMENT = "husavdrag_rate"  # the payment date gives another husavdrag than the invoice's

    @property
    def label(self) -> str:
        """The kind as the user reads it (CLI tables)."""
        return _DEVIATION_LABELS[self]


_DEVIATION_LABELS = {
    DeviationKind.NUMBER_MISMATCH: "Olika fakturanummer",
    DeviationKind.UNKNOWN_INVOICE: "Okänd faktura",
    DeviationKind.HUSAVDRAG_AT_PAYMENT: "Husavdrag vid betalning",
}


VERIFIKATION_MODE = "verifikation"


@dataclass(frozen=True)
class VismaReceivable:
    """One document in Visma's customer ledger, in our words. Amounts as Visma keeps them (credit: negative)."""

    kind: DocumentKind
    visma_id: str
    invoice_number: int | None
    to_pay: Decimal  # what the customer owed when the document was booked (husavdrag already taken off)
    remaining: Decimal
    is_credit: bool = False
    created_from_draft_id: str | None = None
    payment_date: date | None = None
    # Husavdrag: where Visma's claim to Skatteverket stands, and the reduction Visma keeps (None without husavdrag).
    claim_state: ClaimState | None = None
    claim_status: int | None = None
    reduction: Decimal | None = None

    @property
    def paid(self) -> Decimal:
        return self.to_pay - self.remaining


@dataclass(frozen=True)
class ExportedInvoice:
    """One of our invoices that went to Visma, with what we know about its settlement."""

    invoice_id: int
    number: int | None
    mode: str  # the export mode: "draft" or "verifikation"
    visma_ids: frozenset[str]  # every Visma id the export recorded (draft id, invoice id, ledger item id)
    to_pay: Decimal
    credited: Decimal = ZERO  # what our approved credit invoices take off it (positive)
    paid_manually: Decimal = ZERO
    paid_from_visma: Decimal = ZERO
    visma_payments: int = 0  # how many Visma registrations (payments and reversals) it has
    is_credit: bool = False
    # How much of its credit invoices' documents Visma shows settled (positive): matched against this invoice,
    # or refunded. Either way it is not money the customer paid on this invoice.
    credit_settled_in_visma: Decimal = ZERO
    husavdrag: InvoiceContent | None = None  # the invoice's content when it has husavdrag, to price it again


@dataclass(frozen=True)
class RegisterPayment:
    invoice_id: int
    amount: Decimal
    payment_date: date | None
    external_id: str


@dataclass(frozen=True)
class ReversePayment:
    """Visma's remaining amount went up: a payment was undone there. Recorded as a negative payment."""

    invoice_id: int
    amount: Decimal  # positive: how much is taken back
    payment_date: date | None
    external_id: str


@dataclass(frozen=True)
class RecordRounding:
    """Visma shows the invoice settled (its remaining amount is 0) while an öre difference is open here: the
    invoice was totalled with another öresavrundning than Visma's. The difference is recorded as rounding (a
    settlement of its own, not a payment), so the invoice is paid here as in Visma, never left with öre to pay."""

    invoice_id: int
    amount: Decimal  # positive, under one krona
    payment_date: date | None
    external_id: str


@dataclass(frozen=True)
class FlagNumberMismatch:
    """The seed's warning: Visma numbered the invoice differently from us (number series out of step)."""

    invoice_id: int
    visma_id: str
    visma_number: int | None
    our_number: int | None


@dataclass(frozen=True)
class RecordUnknown:
    """Money paid in Visma on an invoice fakturabro does not know: listed for a person, never dropped."""

    visma_id: str
    visma_number: int | None
    paid: Decimal


@dataclass(frozen=True)
class FlagHusavdragAtPayment:
    """The payment date gives another husavdrag than the invoice deducted: claim what Skatteverket pays, and
    invoice (or credit) the buyer the difference."""

    invoice_id: int
    visma_id: str
    our_number: int | None
    check: DeductionAtPayment


@dataclass(frozen=True)
class SkipUnchanged:
    visma_id: str
    reason: str


Action = (
    RegisterPayment
    | ReversePayment
    | RecordRounding
    | FlagNumberMismatch
    | RecordUnknown
    | FlagHusavdragAtPayment
    | SkipUnchanged
)


@dataclass(frozen=True)
class KnownDeviation:
    kind: DeviationKind
    visma_id: str
    amount: Decimal | None = None


def plan(
    receivables: Iterable[VismaReceivable],
    exported: Iterable[ExportedInvoice],
    known_deviations: Iterable[KnownDeviation] = (),
    today: date | None = None,
) -> list[Action]:
    """The actions that bring our payments in line with Visma for these documents, in document order.

    ``today`` is the payment date of a payment Visma gives no date for (as the import stores it).
    """
    index = _Index(exported)
    known = {(d.kind, d.visma_id): d for d in known_deviations}
    actions: list[Action] = []
    for receivable in receivables:
        ours = index.match(receivable)
        if ours is None:
            actions.append(_unknown(receivable, known))
            continue
        actions.extend(_number_check(receivable, ours, known))
        settlement = _settlement(receivable, ours)
        actions.append(settlement)
        actions.extend(_rounding(receivable, ours))
        if isinstance(settlement, RegisterPayment):
            actions.extend(_husavdrag_check(receivable, ours, settlement.payment_date or today, known))
    return actions


class _Index:
    def __init__(self, exported: Iterable[ExportedInvoice]) -> None:
        self.by_visma_id: dict[str, ExportedInvoice] = {}
        self.verifikation_by_number: dict[int, ExportedInvoice] = {}
        for invoice in exported:
            for visma_id in invoice.visma_ids:
                self.by_visma_id[visma_id.lower()] = invoice
            if invoice.mode == VERIFIKATION_MODE and invoice.number is not None:
                self.verifikation_by_number[invoice.number] = invoice

    def match(self, receivable: VismaReceivable) -> ExportedInvoice | None:
        found = self.by_visma_id.get(receivable.visma_id.lower())
        if found is None and receivable.created_from_draft_id:
            found = self.by_visma_id.get(receivable.created_from_draft_id.lower())
        if found is None and receivable.kind is DocumentKind.LEDGER_ITEM and receivable.invoice_number is not None:
            # A verifikation carries our own number; it is the only document matched by number alone.
            found = self.verifikation_by_number.get(receivable.invoice_number)
        return found


def _unknown(receivable: VismaReceivable, known: Mapping[tuple[DeviationKind, str], KnownDeviation]) -> Action:
    if receivable.kind is DocumentKind.LEDGER_ITEM:
        # Every bookkept invoice has a ledger item too; unknown ones are reported once, from the invoice list.
        return SkipUnchanged(receivable.visma_id, "ledger item of no verifikation of ours")
    if receivable.paid == ZERO:
        return SkipUnchanged(receivable.visma_id, "not ours, nothing paid")
    previous = known.get((DeviationKind.UNKNOWN_INVOICE, receivable.visma_id))
    if previous is not None and previous.amount == receivable.paid:
        return SkipUnchanged(receivable.visma_id, "unknown invoice already listed")
    return RecordUnknown(receivable.visma_id, receivable.invoice_number, receivable.paid)


def _number_check(
    receivable: VismaReceivable, ours: ExportedInvoice, known: Mapping[tuple[DeviationKind, str], KnownDeviation]
) -> list[Action]:
    if receivable.invoice_number is None or receivable.invoice_number == ours.number:
        return []
    if (DeviationKind.NUMBER_MISMATCH, receivable.visma_id) in known:
        return []
    return [FlagNumberMismatch(ours.invoice_id, receivable.visma_id, receivable.invoice_number, ours.number)]


def _husavdrag_check(
    receivable: VismaReceivable,
    ours: ExportedInvoice,
    paid_on: date | None,
    known: Mapping[tuple[DeviationKind, str], KnownDeviation],
) -> list[Action]:
    if ours.husavdrag is None or paid_on is None:
        return []
    if (DeviationKind.HUSAVDRAG_AT_PAYMENT, receivable.visma_id) in known:
        return []
    check = husavdrag_at_payment(ours.husavdrag, paid_on)
    if check is None or check.difference == ZERO:
        return []
    return [FlagHusavdragAtPayment(ours.invoice_id, receivable.visma_id, ours.number, check)]


def _settlement(receivable: VismaReceivable, ours: ExportedInvoice) -> Action:
    if receivable.is_credit or ours.is_credit:
        # A credit invoice settles its original; we count it against the original when it is approved.
        return SkipUnchanged(receivable.visma_id, "credit invoice")
    target = paid_from_visma(receivable, ours)
    delta = target - ours.paid_from_visma
    external_id = f"visma:{receivable.visma_id.lower()}:{ours.visma_payments + 1}"
    if delta > ZERO:
        return RegisterPayment(ours.invoice_id, delta, receivable.payment_date, external_id)
    if delta < ZERO:
        return ReversePayment(ours.invoice_id, -delta, receivable.payment_date, external_id)
    return SkipUnchanged(receivable.visma_id, "payments unchanged")


# Öresavrundning moves a total by at most 50 öre; anything larger left open is not rounding and stays to pay.
MAX_ROUNDING = Decimal("0.50")


def _rounding(receivable: VismaReceivable, ours: ExportedInvoice) -> list[Action]:
    if receivable.is_credit or ours.is_credit or receivable.remaining != ZERO:
        return []
    left = ours.to_pay - ours.credited - ours.paid_manually - paid_from_visma(receivable, ours)
    if not ZERO < left <= MAX_ROUNDING:
        return []
    external_id = f"visma:{receivable.visma_id.lower()}:rounding"
    return [RecordRounding(ours.invoice_id, left, receivable.payment_date, external_id)]


def paid_from_visma(receivable: VismaReceivable, ours: ExportedInvoice) -> Decimal:
    """What the customer paid on this invoice according to Visma, within what is open on our side.

    Visma's paid amount (what it is owed less what is still remaining) also moves when the bookkeeper matches a
    credit invoice against the original, so the settled part of the invoice's credit documents is taken off: a
    matched credit lowered the remaining amount without a payment, and a refunded one gave money back. We count
    the credit itself when it is approved. The cap keeps a payment registered here by hand, and matched again
    in Visma, from paying the invoice twice.
    """
    paid = receivable.paid - ours.credit_settled_in_visma
    open_apart_from_visma = ours.to_pay - ours.credited - ours.paid_manually
    return max(ZERO, min(paid, open_apart_from_visma))


def match(receivables: Iterable[VismaReceivable], exported: Iterable[ExportedInvoice]) -> dict[str, ExportedInvoice]:
    """Visma document id → our invoice, for the documents that are ours (the planner's own matching)."""
    index = _Index(exported)
    found = {}
    for receivable in receivables:
        ours = index.match(receivable)
        if ours is not None:
            found[receivable.visma_id] = ours
    return found


def credit_settled(receivable: VismaReceivable) -> Decimal:
    """The settled part of a credit document (positive): its negative amount moved that far towards zero."""
    return max(ZERO, -receivable.paid) if receivable.is_credit else ZERO
