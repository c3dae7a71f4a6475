"""Storage of husavdrag claims: the claims, each invoice's claim state and buyers, its history and the setting."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import func, select

from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.husavdrag_models import (
    HusavdragClaimBuyer,
    HusavdragClaimRecord,
    HusavdragEvent,
    HusavdragInvoiceClaim,
    HusavdragSettings,
)
from fakturabro.store.models import Invoice
from fakturabro.store.repositories import CompanyScoped

CLAIMS_IN_VISMA = "visma"
HusavdragRow = HusavdragClaimRecord | HusavdragInvoiceClaim | HusavdragClaimBuyer | HusavdragEvent | HusavdragSettings


class HusavdragRepository(CompanyScoped):
    """The company's husavdrag claims and the invoices they are about."""

    def add(self, row: HusavdragRow) -> None:
        self.session.add(row)
        self.session.flush()

    def invoices(self, invoice_ids: Collection[int], for_update: bool = False) -> list[Invoice]:
        """The company's invoices among ``invoice_ids`` (others' are simply not found), locked when asked."""
        if not invoice_ids:
            return []
        query = select(Invoice).where(Invoice.company_id == self.company_id, Invoice.id.in_(invoice_ids))
        if for_update:
            query = query.with_for_update(of=Invoice)
        return list(self.session.scalars(query.order_by(Invoice.id)))

    def husavdrag_invoices(self, kind: str | None = None, since: date | None = None) -> list[Invoice]:
        """Approved invoices with husavdrag (not credit invoices), oldest first; ``since`` by invoice date."""
        query = select(Invoice).where(
            Invoice.company_id == self.company_id,
            Invoice.house_work_kind.is_not(None),
            Invoice.credits_invoice_id.is_(None),
            Invoice.number.is_not(None),
        )
        if kind is not None:
            query = query.where(Invoice.house_work_kind == kind)
        if since is not None:
            query = query.where(Invoice.invoice_date >= since)
        return list(self.session.scalars(query.order_by(Invoice.id)))

    def exported(self, invoice_ids: Collection[int]) -> set[int]:
        """Those of ``invoice_ids`` that the export to Visma has taken on (sent, or on their way)."""
        if not invoice_ids:
            return set()
        query = select(InvoiceExport.invoice_id).where(
            InvoiceExport.company_id == self.company_id, InvoiceExport.invoice_id.in_(invoice_ids)
        )
        return set(self.session.scalars(query))

    def states(self, invoice_ids: Collection[int], for_update: bool = False) -> dict[int, HusavdragInvoiceClaim]:
        if not invoice_ids:
            return {}
        query = select(HusavdragInvoiceClaim).where(
            HusavdragInvoiceClaim.company_id == self.company_id, HusavdragInvoiceClaim.invoice_id.in_(invoice_ids)
        )
        if for_update:
            query = query.with_for_update(of=HusavdragInvoiceClaim)
        return {row.invoice_id: row for row in self.session.scalars(query)}

    def states_of_claim(self, claim_id: int) -> list[HusavdragInvoiceClaim]:
        query = select(HusavdragInvoiceClaim).where(
            HusavdragInvoiceClaim.company_id == self.company_id, HusavdragInvoiceClaim.claim_id == claim_id
        )
        return list(self.session.scalars(query.order_by(HusavdragInvoiceClaim.invoice_id)))

    def all_states(self) -> list[HusavdragInvoiceClaim]:
        query = select(HusavdragInvoiceClaim).where(HusavdragInvoiceClaim.company_id == self.company_id)
        return list(self.session.scalars(query))

    def buyers(self, invoice_claim_ids: Collection[int]) -> dict[int, list[HusavdragClaimBuyer]]:
        if not invoice_claim_ids:
            return {}
        query = select(HusavdragClaimBuyer).where(HusavdragClaimBuyer.invoice_claim_id.in_(invoice_claim_ids))
        found: dict[int, list[HusavdragClaimBuyer]] = {}
        for row in self.session.scalars(query.order_by(HusavdragClaimBuyer.position)):
            found.setdefault(row.invoice_claim_id, []).append(row)
        return found

    def claim(self, claim_id: int, for_update: bool = False) -> HusavdragClaimRecord | None:
        query = select(HusavdragClaimRecord).where(
            HusavdragClaimRecord.company_id == self.company_id, HusavdragClaimRecord.id == claim_id
        )
        if for_update:
            query = query.with_for_update(of=HusavdragClaimRecord)
        return self.session.scalar(query)

    def claim_by_name(self, name: str) -> HusavdragClaimRecord | None:
        query = select(HusavdragClaimRecord).where(
            HusavdragClaimRecord.company_id == self.company_id, HusavdragClaimRecord.name == name
        )
        return self.session.scalar(query)

    def draft_with_reference(self, customer_id: int, reference: str) -> int | None:
        """A draft of the customer's with ``your_reference``: what an interrupted invoice back left behind."""
        query = select(Invoice.id).where(
            Invoice.company_id == self.company_id,
            Invoice.customer_id == customer_id,
            Invoice.your_reference == reference,
            Invoice.status == "draft",
        )
        return self.session.scalar(query.order_by(Invoice.id).limit(1))

    def claims(self, limit: int = 100, offset: int = 0) -> Sequence[HusavdragClaimRecord]:
        query = select(HusavdragClaimRecord).where(HusavdragClaimRecord.company_id == self.company_id)
        return list(self.session.scalars(query.order_by(HusavdragClaimRecord.id.desc()).limit(limit).offset(offset)))

    def claim_count(self) -> int:
        query = select(func.count(HusavdragClaimRecord.id)).where(HusavdragClaimRecord.company_id == self.company_id)
        return int(self.session.scalar(query) or 0)

    def events(self, invoice_id: int) -> list[HusavdragEvent]:
        query = select(HusavdragEvent).where(
            HusavdragEvent.company_id == self.company_id, HusavdragEvent.invoice_id == invoice_id
        )
        return list(self.session.scalars(query.order_by(HusavdragEvent.id)))

    def record(self, invoice_id: int, at: datetime, step: str, message: str) -> None:
        self.session.add(
            HusavdragEvent(company_id=self.company_id, invoice_id=invoice_id, at=at, step=step, message=message)
        )

    def claims_in(self) -> str:
        row = self.session.get(HusavdragSettings, self.company_id)
        return row.claims_in if row is not None else CLAIMS_IN_VISMA

    def set_claims_in(self, value: str, now: datetime) -> None:
        row = self.session.get(HusavdragSettings, self.company_id)
        if row is None:
            self.session.add(HusavdragSettings(company_id=self.company_id, claims_in=value, updated_at=now))
        else:
            row.claims_in, row.updated_at = value, now
        self.session.flush()
