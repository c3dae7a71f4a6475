"""The payment import as the web app, the CLI and the scheduler call it: by company, through the connection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fakturabro.domain.errors import Conflict
from fakturabro.store.connection_repository import ConnectionRepository
from fakturabro.store.database import Database
from fakturabro.store.payment_repository import PaymentImportRepository
from fakturabro.sync.connection import NeedsReconnect, VismaContainer, visma_client_for
from fakturabro.sync.payments.importer import ImportResult, import_payments
from fakturabro.sync.payments.reading import VismaReader
from fakturabro.visma.oauth import NotConnected


class NotConnectedToVisma(Conflict):
    def __init__(self, *, reconnect: bool) -> None:
        message = (
            "Kopplingen till Visma eEkonomi måste förnyas: koppla till Visma igen."
            if reconnect
            else "Företaget är inte kopplat till Visma eEkonomi."
        )
        super().__init__(message, "needs_reconnect" if reconnect else "not_connected", ())


def import_payments_for(container: VismaContainer, company_id: int, *, trigger: str) -> ImportResult:
    """Import the company's payments from its connected Visma company (`ImportResult.message` for the user)."""
    try:
        client = visma_client_for(container, company_id)
    except NeedsReconnect:
        raise NotConnectedToVisma(reconnect=True) from None
    except NotConnected:
        raise NotConnectedToVisma(reconnect=False) from None
    return import_payments(container.db, VismaReader(client), company_id, trigger=trigger)


def connected_companies(db: Database) -> list[int]:
    """Companies whose payments the schedule imports: activated, connected, not waiting for a reconnect."""
    with db.transaction() as session:
        return ConnectionRepository(session).importing_company_ids()


@dataclass(frozen=True)
class DeviationView:
    id: int
    kind: str
    visma_id: str
    invoice_id: int | None
    visma_invoice_number: int | None
    our_invoice_number: int | None
    amount: Decimal | None
    detail: str
    created_at: datetime


@dataclass(frozen=True)
class RunView:
    id: int
    trigger: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    paid: int
    partially_paid: int
    deviations: int
    api_calls: int
    error: str | None


def list_deviations(db: Database, company_id: int, limit: int = 100) -> list[DeviationView]:
    """What the imports found for a person to look at, newest first."""
    with db.transaction() as session:
        rows = PaymentImportRepository(session, company_id).newest_deviations(limit)
        return [
            DeviationView(
                id=row.id,
                kind=row.kind,
                visma_id=row.visma_id,
                invoice_id=row.invoice_id,
                visma_invoice_number=row.visma_invoice_number,
                our_invoice_number=row.our_invoice_number,
                amount=row.amount,
                detail=row.detail,
                created_at=row.created_at,
            )
            for row in rows
        ]


def list_runs(db: Database, company_id: int, limit: int = 20) -> list[RunView]:
    with db.transaction() as session:
        rows = PaymentImportRepository(session, company_id).newest_runs(limit)
        return [
            RunView(
                id=row.id,
                trigger=row.trigger,
                status=row.status,
                started_at=row.started_at,
                finished_at=row.finished_at,
                paid=row.paid,
                partially_paid=row.partially_paid,
                deviations=row.deviations,
                api_calls=row.api_calls,
                error=row.error,
            )
            for row in rows
        ]
