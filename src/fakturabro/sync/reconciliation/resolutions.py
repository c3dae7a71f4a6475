"""The user's resolution of a finding: stored per company, honoured by every later export, and the invoices that
waited on it (``needs_attention``) exported again.

Customers: ``link`` to a chosen Visma customer (it must be the same customer by the identity rule), ``confirm_same``
(the record under our number is our customer after all, whatever differs), ``renumber`` (ours gets a number free
here and in Visma; the export then creates it). Articles: ``use_visma_article`` or ``use_fallback``.

Every check comes before any write: a Visma id that Visma does not know (another company's included), an action the
finding does not offer or a finding no longer current is refused with a 4xx and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import select

from fakturabro.domain.customer_identity import same_customer
from fakturabro.domain.errors import Conflict, NotFound, ValidationFailed
from fakturabro.store import models
from fakturabro.store.export_models import InvoiceExport, VismaCustomerLink
from fakturabro.store.reconciliation_models import VismaResolution
from fakturabro.store.reconciliation_repository import ARTICLE, CUSTOMER, resolution_of
from fakturabro.store.repositories import CustomerRepository
from fakturabro.sync.export import workflow
from fakturabro.sync.export.steps import ExportDeps, ExportState
from fakturabro.sync.reconciliation import planner
from fakturabro.sync.reconciliation.facts import our_identity, visma_identity
from fakturabro.sync.reconciliation.run import CurrentFinding, current_finding, mark_resolved
from fakturabro.visma.errors import VismaNotFound
from fakturabro.visma.models import Customer

log = structlog.get_logger("fakturabro.sync.reconciliation")


@dataclass(frozen=True)
class ResolutionRequest:
    finding: str
    action: str
    visma_id: str | None = None
    customer_number: str | None = None  # for ``renumber``: the new number (else the next one free on both sides)
    visma_number: str | None = None  # for ``link``, instead of ``visma_id``: the Visma customer's number


@dataclass(frozen=True)
class Resolved:
    finding: dict[str, Any]
    exported_again: list[int]


def resolve(deps: ExportDeps, company_id: int, request: ResolutionRequest) -> Resolved:
    try:
        current = current_finding(deps.db, company_id, request.finding)
    except LookupError:
        raise NotFound("Avvikelsen", request.finding) from None
    offered = {item["action"]: item for item in current.finding["actions"]}
    if request.action not in offered:
        choices = ", ".join(sorted(offered))
        raise ValidationFailed.single(
            ("action",), f"Avvikelsen kan inte lösas så. Välj en av: {choices}.", "action_not_offered"
        )
    if current.section == "articles":
        resolution = _resolve_article(deps, company_id, current, request)
        mark_resolved(deps.db, company_id, current, resolution)
        return Resolved({**current.finding, "resolution": resolution}, [])
    resolution = _resolve_customer(deps, company_id, current, request, offered[request.action])
    mark_resolved(deps.db, company_id, current, resolution)
    waiting = export_waiting(deps, company_id, int(current.finding["customer_id"]))
    log.info("visma.reconciliation.resolved", company_id=company_id, action=request.action, exported=len(waiting))
    return Resolved({**current.finding, "resolution": resolution}, waiting)


def _resolve_article(
    deps: ExportDeps, company_id: int, current: CurrentFinding, request: ResolutionRequest
) -> dict[str, Any]:
    number = str(current.finding["article_number"])
    visma_id = current.finding["visma_id"] if request.action == planner.USE_VISMA_ARTICLE else None
    if request.visma_id is not None and request.visma_id != current.finding["visma_id"]:
        raise ValidationFailed.single(
            ("visma_id",), "Artikeln i Visma är inte den som avvikelsen gäller.", "visma_id_not_in_finding"
        )
    _store_resolution(deps, company_id, ARTICLE, number, request.action, current, visma_id, number)
    return {"action": request.action, "visma_id": visma_id, "decided_at": deps.db.clock().isoformat()}


def _resolve_customer(
    deps: ExportDeps, company_id: int, current: CurrentFinding, request: ResolutionRequest, offered: dict[str, Any]
) -> dict[str, Any]:
    customer_id = int(current.finding["customer_id"])
    if request.action == planner.RENUMBER:
        number = _renumber(deps, company_id, customer_id, request.customer_number, current)
        return {"action": request.action, "customer_number": number, "decided_at": deps.db.clock().isoformat()}
    visma_id = request.visma_id or _id_of_number(deps, company_id, request.visma_number) or offered.get("visma_id")
    if not visma_id:
        raise ValidationFailed.single(("visma_id",), "Välj kunden i Visma att länka till.", "visma_id_missing")
    if request.action == planner.CONFIRM_SAME and visma_id != offered.get("visma_id"):
        raise ValidationFailed.single(
            ("visma_id",), "Bekräftelsen gäller kunden med samma kundnummer i Visma.", "visma_id_not_in_finding"
        )
    theirs = _visma_customer(deps, company_id, visma_id)
    with deps.db.transaction() as session:
        ours = our_identity(_customer(session, company_id, customer_id), deps.db.cipher.decrypt)
    if request.action == planner.LINK and not same_customer(ours, visma_identity(theirs)):
        raise ValidationFailed.single(
            ("visma_id",),
            f"Vismas kund {theirs.customer_number} är inte samma kund som {ours.number} här (namn, postnummer "
            "eller organisations-/personnummer skiljer sig). Välj en annan kund, eller ge kunden här ett nytt "
            "kundnummer.",
            "visma_customer_differs",
        )
    with deps.db.transaction() as session:
        link = session.get(VismaCustomerLink, (company_id, customer_id), with_for_update=True)
        if link is None:
            link = VismaCustomerLink(company_id=company_id, customer_id=customer_id)
            session.add(link)
        link.visma_customer_id = str(theirs.id)
        link.is_private_person = theirs.is_private_person
        link.linked_at = deps.db.clock()
        link.contradiction = None
        _add_resolution(
            session,
            deps,
            company_id,
            CUSTOMER,
            ours.number,
            request.action,
            current,
            str(theirs.id),
            theirs.customer_number,
        )
    return {
        "action": request.action,
        "visma_id": str(theirs.id),
        "visma_number": theirs.customer_number,
        "decided_at": deps.db.clock().isoformat(),
    }


def _id_of_number(deps: ExportDeps, company_id: int, number: str | None) -> str | None:
    if not number:
        return None
    found = deps.client_for(company_id).find_customer_by_number(number)
    if found is None or found.id is None:
        raise ValidationFailed.single(
            ("visma_number",),
            f"Kundnummer {number} finns inte i företagets Visma eEkonomi.",
            "visma_customer_not_found",
        )
    return str(found.id)


def _visma_customer(deps: ExportDeps, company_id: int, visma_id: str) -> Customer:
    """The Visma customer the resolution names, read from the company's own Visma: an id of another company's
    Visma (or none at all) is not found there."""
    try:
        parsed = UUID(visma_id)
    except ValueError:
        raise ValidationFailed.single(("visma_id",), "Visma-id:t har fel form.", "visma_id_invalid") from None
    try:
        customer = deps.client_for(company_id).get_customer(parsed)
    except VismaNotFound:
        raise ValidationFailed.single(
            ("visma_id",), "Kunden finns inte i företagets Visma eEkonomi.", "visma_customer_not_found"
        ) from None
    assert customer.id is not None
    return customer


def _renumber(deps: ExportDeps, company_id: int, customer_id: int, wanted: str | None, current: CurrentFinding) -> str:
    """Our customer gets a number free here and in Visma; its invoices then create it in Visma on export."""
    client = deps.client_for(company_id)
    number = wanted.strip() if wanted else _next_free(deps, company_id, client)
    if not number or len(number) > 16 or not number.isalnum():
        raise ValidationFailed.single(
            ("customer_number",), "Kundnumret får bara ha bokstäver och siffror (högst 16).", "customer_number"
        )
    if client.find_customer_by_number(number) is not None:
        raise Conflict(
            f"Kundnummer {number} finns redan i Visma. Välj ett annat.", "visma_number_taken", ("customer_number",)
        )
    with deps.db.transaction() as session:
        customers = CustomerRepository(session, company_id)
        if customers.number_taken(number):
            raise Conflict(f"Kundnummer {number} används redan.", "duplicate_customer_number", ("customer_number",))
        customer = _customer(session, company_id, customer_id)
        customer.customer_number = number
        customer.updated_at = deps.db.clock()
        link = session.get(VismaCustomerLink, (company_id, customer_id))
        if link is not None:
            session.delete(link)
        _add_resolution(session, deps, company_id, CUSTOMER, number, planner.RENUMBER, current, None, None)
    return number


def _next_free(deps: ExportDeps, company_id: int, client: Any) -> str:
    """One above the highest numeric customer number we use and Visma's next customer number."""
    visma_next = client.get_company_settings().next_customer_number or 1
    with deps.db.transaction() as session:
        numbers = session.scalars(
            select(models.Customer.customer_number).where(models.Customer.company_id == company_id)
        ).all()
    highest = max((int(n) for n in numbers if n.isdigit()), default=0)
    candidate = max(highest + 1, int(visma_next))
    while client.find_customer_by_number(str(candidate)) is not None:
        candidate += 1
    return str(candidate)


def _customer(session: Any, company_id: int, customer_id: int) -> models.Customer:
    customer = session.get(models.Customer, customer_id)
    if customer is None or customer.company_id != company_id:
        raise NotFound("Kunden", customer_id)
    return customer


def _store_resolution(
    deps: ExportDeps,
    company_id: int,
    subject: str,
    number: str,
    action: str,
    current: CurrentFinding,
    visma_id: str | None,
    visma_number: str | None,
) -> None:
    with deps.db.transaction() as session:
        _add_resolution(session, deps, company_id, subject, number, action, current, visma_id, visma_number)


def _add_resolution(
    session: Any,
    deps: ExportDeps,
    company_id: int,
    subject: str,
    number: str,
    action: str,
    current: CurrentFinding,
    visma_id: str | None,
    visma_number: str | None,
) -> None:
    row = resolution_of(session, company_id, subject, number)
    if row is None:
        row = VismaResolution(company_id=company_id, subject=subject, number=number)
        session.add(row)
    row.action = action
    row.finding_kind = str(current.finding["kind"])
    row.visma_id = visma_id
    row.visma_number = visma_number
    row.decided_at = deps.db.clock()


def export_waiting(deps: ExportDeps, company_id: int, customer_id: int) -> list[int]:
    """Export again the customer's invoices that waited on the finding (``needs_attention``)."""
    with deps.db.transaction() as session:
        invoice_ids = list(
            session.scalars(
                select(InvoiceExport.invoice_id)
                .join(models.Invoice, models.Invoice.id == InvoiceExport.invoice_id)
                .where(
                    InvoiceExport.company_id == company_id,
                    InvoiceExport.state == ExportState.NEEDS_ATTENTION,
                    models.Invoice.customer_id == customer_id,
                )
                .order_by(InvoiceExport.invoice_id)
            )
        )
    return [invoice_id for invoice_id in invoice_ids if workflow.export_again(company_id, invoice_id)]
