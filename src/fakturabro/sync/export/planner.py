"""The pure decisions of an export: which customer to use, what a totals difference most likely means, and how a
Visma refusal reads in Swedish. Tested with literals; no I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from fakturabro.domain.customer import CustomerKind
from fakturabro.domain.invoice import InvoiceContent, RowKind, Totals
from fakturabro.domain.money import format_sek
from fakturabro.visma.errors import VismaError
from fakturabro.visma.mapping import DocumentTotals


@dataclass(frozen=True)
class CreateCustomer:
    """The customer number is not in Visma: create it."""


@dataclass(frozen=True)
class UseExistingCustomer:
    """The customer number exists in Visma; ``type_mismatch`` explains a customer of the other type."""

    visma_id: str
    is_private_person: bool
    type_mismatch: str | None = None


CustomerAction = CreateCustomer | UseExistingCustomer


def plan_customer(
    number: str, ours: CustomerKind, found_id: str | None, found_is_private: bool | None
) -> CustomerAction:
    if found_id is None or found_is_private is None:
        return CreateCustomer()
    return UseExistingCustomer(found_id, found_is_private, customer_type_mismatch(number, ours, found_is_private))


class ExportLane(StrEnum):
    """The queue an export runs in. Visma does not promise unique customer or article numbers, so whatever may
    *create* one is serialised with everything else that may create the same one: an export that may create its
    customer runs in that customer's lane (one export at a time per customer: exports of different new customers
    go side by side), one that may create a fallback article in the company's serial lane (one at a time per
    company: the articles are shared); an export that only POSTs its document runs in the parallel lane (several
    at once per company). An export never creates what its lane does not serialise: it hands itself over."""

    CUSTOMER = "customer"
    SERIAL = "serial"
    PARALLEL = "parallel"


@dataclass(frozen=True)
class RowArticles:
    """The articles a priced row can go to: its own number when Visma has it, else the fallback for its VAT rate."""

    own: str | None
    fallback: str


def choose_lane(customer_linked: bool, rows: Sequence[RowArticles], cached: Collection[str]) -> ExportLane:
    """Parallel only when nothing needs creating: the customer is linked and every row's article is cached; the
    customer's lane when the customer is not linked (its articles, if missing too, are handed on from there).

    ``rows`` is empty when the export mode sends no articles (verifikation). The decision can go stale before the
    export runs; the lane then hands the export over instead of creating (see workflow.py)."""
    if not customer_linked:
        return ExportLane.CUSTOMER
    for row in rows:
        if not ((row.own is not None and row.own in cached) or row.fallback in cached):
            return ExportLane.SERIAL
    return ExportLane.PARALLEL


def customer_type_mismatch(number: str, ours: CustomerKind, visma_is_private: bool) -> str | None:
    """The seed's "Momsen stämmer inte": Visma decides VAT and husavdrag from its own customer type."""
    theirs = CustomerKind.PRIVATE if visma_is_private else CustomerKind.COMPANY
    if theirs is ours:
        return None
    return (
        f"Kunden {number} är {theirs.label.lower()} i Visma men {ours.label.lower()} här "
        f"({'organisationsnummer saknas' if ours is CustomerKind.PRIVATE else 'kunden har organisationsnummer'}). "
        f"Ändra kundtypen på kunden i Visma till {ours.label.lower()}, så stämmer moms och husavdrag."
    )


@dataclass(frozen=True)
class RowVat:
    """A priced row as both sides see it: our VAT rate, the VAT of the article Visma used, its number."""

    ours: Decimal
    visma: Decimal | None
    article_number: str | None


def totals_difference(
    ours: Totals,
    visma: DocumentTotals,
    *,
    type_mismatch: str | None,
    rows: Sequence[RowVat],
    reverse_charge: bool,
) -> str | None:
    """None when Visma's totals equal ours to the öre; otherwise what differs and the likely cause, in Swedish."""
    pairs = (
        ("totalbelopp", ours.total, visma.total),
        ("moms", ours.vat, visma.vat),
        ("öresavrundning", ours.rounding, visma.rounding),
        ("husavdrag", ours.husavdrag, visma.husavdrag),
    )
    different = [
        f"{name} {format_sek(visma_value)} i Visma, {format_sek(our_value)} här"
        for name, our_value, visma_value in pairs
        if our_value != visma_value
    ]
    if not different:
        return None
    return "Beloppen skiljer sig: " + "; ".join(different) + ". " + likely_cause(type_mismatch, rows, reverse_charge)


def likely_cause(type_mismatch: str | None, rows: Sequence[RowVat], reverse_charge: bool) -> str:
    if type_mismatch:
        return "Trolig orsak: " + type_mismatch
    if not reverse_charge:
        coded = [(row, row.visma) for row in rows if row.visma is not None and row.visma != row.ours]
        if coded:
            row, visma_rate = coded[0]
            article = f"artikel {row.article_number}" if row.article_number else "artikeln"
            theirs, ours = format(visma_rate.normalize(), "f"), format(row.ours.normalize(), "f")
            return (
                f"Trolig orsak: {article} har artikelkontering med {theirs} % moms i Visma men raden har {ours} % "
                "här. Ändra artikelkonteringen i Visma eller momsen på raden."
            )
    return (
        "Trolig orsak: en inställning i Visma (Fakturerar husarbete, Visa priser exkl. moms för privatpersoner, "
        "Fakturerar enligt regler för omvänd skattskyldighet eller avrundning). Kör inställningskontrollen."
    )


def priced_row_vats(content: InvoiceContent) -> list[Decimal]:
    return [row.vat_rate for row in content.rows if row.kind is not RowKind.TEXT]


def explain_refusal(error: VismaError, type_mismatch: str | None = None) -> str:
    """Visma's refusal in Swedish, with Visma's own message and ErrorId for support."""
    detail = error.developer_message or ""
    fields = ", ".join(f"{item.field}: {item.message}" for item in error.errors if item.field or item.message)
    hint = _hint(error, detail + " " + fields)
    parts = [f"Visma avvisade exporten{': ' + hint if hint else '.'}"]
    if type_mismatch:
        parts.append(type_mismatch)
    if detail or fields:
        parts.append(f"Vismas meddelande: {detail}{' (' + fields + ')' if fields else ''}".strip())
    if error.error_id:
        parts.append(f"ErrorId {error.error_id}.")
    return " ".join(parts)


def _hint(error: VismaError, text: str) -> str:
    lowered = text.lower()
    if error.status == 403:
        return (
            "Integrationen är inte aktiverad i Visma. Aktivera ”Visma Integration” under Appar och integrationer "
            "i Visma eEkonomi."
        )
    if error.status == 404:
        return (
            "dokumentet eller kunden som exporten byggde på finns inte längre i Visma (borttaget där?). Välj "
            "”Exportera igen” om fakturan ska skickas på nytt."
        )
    if error.error_code == 4002 or "mandatory" in lowered or "required" in lowered:
        return "ett obligatoriskt fält saknas (ofta kundens postnummer eller ort)."
    if "reverse" in lowered or "omvänd" in lowered:
        return (
            "omvänd byggmoms godtogs inte. Kryssa i ”Fakturerar enligt regler för omvänd skattskyldighet” i Visma "
            "och kontrollera att kunden har momsregistreringsnummer."
        )
    if "rot" in lowered or "rut" in lowered or "green" in lowered or "person" in lowered:
        return (
            "husavdraget godtogs inte. Kontrollera att ”Fakturerar husarbete” är ikryssat i Visma och att kunden "
            "är privatperson."
        )
    if "invoicenumber" in lowered:
        return "fakturanumret finns redan i Visma."
    return "innehållet godtogs inte."
