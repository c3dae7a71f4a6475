"""End to end: documents and payments made in the sandbox, imported over real HTTP into a migrated database."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from payment_helpers import Ours, Visma, later, run_import
from sqlalchemy import select

from fakturabro.store.payment_sync_models import (
    PaymentImportCursor,
    PaymentImportDeviation,
    PaymentImportLease,
    PaymentImportRun,
)
from fakturabro.sync.payments.importer import ImportAlreadyRunning, ImportResult, import_payments
from fakturabro.sync.payments.plan import DocumentKind
from fakturabro.sync.payments.reading import VismaPage, VismaReader
from fakturabro.visma.errors import VismaUnavailable

D = Decimal


def converted_invoice(visma: Visma, ours: Ours, *, quantity: int = 2, price: int = 500) -> tuple[int, dict]:
    """Draft exported (our export row), then converted by the bookkeeper in Visma."""
    draft = visma.draft(quantity, price)
    number = visma.sandbox.state.companies[next(iter(visma.sandbox.state.companies))].settings[
        "NextCustomerInvoiceNumber"
    ]
    invoice_id = ours.exported(draft["Id"], D(str(draft["TotalAmount"])), number=int(number))
    return invoice_id, visma.convert(draft["Id"])


def deviations(ours: Ours) -> list[PaymentImportDeviation]:
    with ours.container.db.transaction() as session:
        return list(
            session.scalars(
                select(PaymentImportDeviation)
                .where(PaymentImportDeviation.company_id == ours.company_id)
                .order_by(PaymentImportDeviation.id)
            )
        )


def test_a_converted_draft_paid_in_full_in_visma_is_paid_here(visma: Visma, ours: Ours) -> None:
    invoice_id, invoice = converted_invoice(visma, ours)
    visma.pay(invoice["Id"], str(invoice["RemainingAmount"]), complete=True)

    result = run_import(visma, ours)

    assert (result.paid, result.partially_paid, result.deviations) == (1, 0, 0)
    assert result.message == "1 faktura betald, 0 delbetalda, 0 nya avvikelser"
    assert ours.invoice(invoice_id).status == "paid"
    assert ours.payments(invoice_id) == [(D("1250.00"), "visma", f"visma:{invoice['Id']}:1")]


def test_partial_payments_in_two_steps(visma: Visma, ours: Ours) -> None:
    invoice_id, invoice = converted_invoice(visma, ours)
    visma.pay(invoice["Id"], "400.10")
    first = run_import(visma, ours)
    assert (first.paid, first.partially_paid) == (0, 1)
    assert ours.invoice(invoice_id).status == "partially_paid"

    later(visma)
    visma.pay(invoice["Id"], "849.90", complete=True)
    second = run_import(visma, ours)

    assert (second.paid, second.partially_paid) == (1, 0)
    assert ours.invoice(invoice_id).status == "paid"
    assert [amount for amount, _, _ in ours.payments(invoice_id)] == [D("400.10"), D("849.90")]


def test_a_payment_undone_in_visma_is_reflected(visma: Visma, ours: Ours) -> None:
    invoice_id, invoice = converted_invoice(visma, ours)
    visma.pay(invoice["Id"], "1250.00", complete=True)
    run_import(visma, ours)
    later(visma)

    visma.bookkeeper_edits("invoice", invoice["Id"], D("250.00"))
    result = run_import(visma, ours)

    assert result.partially_paid == 1
    assert ours.invoice(invoice_id).status == "partially_paid"
    assert [amount for amount, _, _ in ours.payments(invoice_id)] == [D("1250.00"), D("-250.00")]


def test_a_verifikation_paid_in_visma_is_paid_here(visma: Visma, ours: Ours) -> None:
    item = visma.ledger_item(4711, D("812.50"))
    invoice_id = ours.exported(item["Id"], "812.50", number=4711, document_type="voucher")
    later(visma)
    visma.bookkeeper_edits("ledger_item", item["Id"], D("0.00"))

    result = run_import(visma, ours)

    assert result.paid == 1
    assert ours.invoice(invoice_id).status == "paid"
    assert ours.payments(invoice_id) == [(D("812.50"), "visma", f"visma:{item['Id']}:1")]


def test_a_credit_invoice_settles_its_original_without_a_payment(visma: Visma, ours: Ours) -> None:
    original_id, original = converted_invoice(visma, ours)
    credit = visma.invoice(quantity=-1, price=500, IsCreditInvoice=True)  # -625.00 with VAT
    credit_id = ours.exported(credit["Id"], "-625.00", number=credit["InvoiceNumber"], credits=original_id)
    assert ours.invoice(original_id).status == "partially_paid"  # credited, not yet paid
    # The bookkeeper matches the credit against the original, the customer pays the rest.
    visma.bookkeeper_edits("invoice", credit["Id"], D("0.00"))
    visma.bookkeeper_edits("invoice", original["Id"], D("625.00"))
    visma.pay(original["Id"], "625.00", complete=True)

    result = run_import(visma, ours)

    assert ours.invoice(original_id).status == "paid"
    assert ours.payments(original_id) == [(D("625.00"), "visma", f"visma:{original['Id']}:1")]
    assert ours.payments(credit_id) == []
    assert result.paid == 1


def test_a_partial_payment_after_a_credit_matched_in_visma_counts_only_the_payment(visma: Visma, ours: Ours) -> None:
    original_id, original = converted_invoice(visma, ours)
    credit = visma.invoice(quantity=-1, price=500, IsCreditInvoice=True)  # -625.00 with VAT
    ours.exported(credit["Id"], "-625.00", number=credit["InvoiceNumber"], credits=original_id)
    visma.bookkeeper_edits("invoice", credit["Id"], D("0.00"))  # matched against the original …
    visma.bookkeeper_edits("invoice", original["Id"], D("625.00"))  # … which now owes 625
    later(visma)
    first = run_import(visma, ours)
    assert (first.paid, first.partially_paid, ours.payments(original_id)) == (0, 0, [])
    later(visma)
    visma.pay(original["Id"], "300.00")

    result = run_import(visma, ours)  # the credit's document is not in this run: its state was remembered

    assert (result.partially_paid, result.documents) == (1, 1)
    assert [amount for amount, _, _ in ours.payments(original_id)] == [D("300.00")]
    assert ours.invoice(original_id).status == "partially_paid"


def test_a_payment_on_an_invoice_we_do_not_know_is_listed(visma: Visma, ours: Ours) -> None:
    stranger = visma.invoice(quantity=1, price=200)
    visma.invoice(quantity=1, price=300)  # unknown and unpaid: not our business
    visma.pay(stranger["Id"], "100.00")

    result = run_import(visma, ours)

    assert result.deviations == 1
    [deviation] = deviations(ours)
    assert (deviation.kind, deviation.visma_invoice_number, deviation.amount) == (
        "unknown_invoice",
        stranger["InvoiceNumber"],
        D("100.00"),
    )
    later(visma)
    assert run_import(visma, ours).deviations == 0  # read again in the overlap: listed once


def test_a_number_visma_gave_differently_is_flagged_once(visma: Visma, ours: Ours) -> None:
    draft = visma.draft()
    invoice_id = ours.exported(draft["Id"], D(str(draft["TotalAmount"])), number=1)  # Visma's series is elsewhere
    invoice = visma.convert(draft["Id"])
    visma.pay(invoice["Id"], "100.00")

    result = run_import(visma, ours)
    again = run_import(visma, ours)

    assert (result.deviations, again.deviations) == (1, 0)
    [deviation] = deviations(ours)
    assert (deviation.kind, deviation.invoice_id, deviation.visma_invoice_number, deviation.our_invoice_number) == (
        "number_mismatch",
        invoice_id,
        invoice["InvoiceNumber"],
        1,
    )
    assert ours.invoice(invoice_id).status == "partially_paid"  # matched by id all the same


def test_running_twice_registers_nothing_twice(visma: Visma, ours: Ours) -> None:
    invoice_id, invoice = converted_invoice(visma, ours)
    visma.pay(invoice["Id"], "1250.00", complete=True)

    first = run_import(visma, ours)
    second = run_import(visma, ours)  # same clock: everything is inside the overlap and read again

    assert (first.paid, second.paid, second.partially_paid) == (1, 0, 0)
    assert len(ours.payments(invoice_id)) == 1


def test_two_runs_at_once_register_nothing_twice(visma: Visma, ours: Ours) -> None:
    invoices = [converted_invoice(visma, ours) for _ in range(5)]
    for _, invoice in invoices:
        visma.pay(invoice["Id"], "1250.00", complete=True)
    outcomes: list[ImportResult | Exception] = []
    start = threading.Barrier(2)

    def run() -> None:
        start.wait()
        try:
            outcomes.append(run_import(visma, ours))
        except ImportAlreadyRunning as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sum(outcome.paid for outcome in outcomes if isinstance(outcome, ImportResult)) == 5
    for invoice_id, _ in invoices:
        assert len(ours.payments(invoice_id)) == 1
        assert ours.invoice(invoice_id).status == "paid"


def test_a_run_records_what_it_did(visma: Visma, ours: Ours) -> None:
    _, invoice = converted_invoice(visma, ours)
    visma.pay(invoice["Id"], "1250.00", complete=True)
    result = run_import(visma, ours, trigger="cli")
    with ours.container.db.transaction() as session:
        run = session.get(PaymentImportRun, result.run_id)
        assert run is not None
        assert (run.status, run.trigger, run.paid, run.api_calls, run.registered) == ("succeeded", "cli", 1, 1, 1)


@pytest.mark.parametrize("open_invoices", [100, int(os.environ.get("FAKTURABRO_PAYMENTS_OPEN_INVOICES", "2000"))])
def test_the_call_count_stays_flat_as_open_invoices_grow(visma: Visma, ours: Ours, open_invoices: int) -> None:
    booked = visma.book_directly(open_invoices)
    ours.exported_many([(d["Id"], D(str(d["RemainingAmount"])), d["InvoiceNumber"]) for d in booked])
    later(visma)
    first = run_import(visma, ours)  # the first run reads everything once
    assert first.api_calls == -(-open_invoices // 1000)
    later(visma)
    for document in booked[:5]:
        visma.pay(document["Id"], str(document["RemainingAmount"]), complete=True)
    later(visma)
    visma.clear_requests()

    result = run_import(visma, ours)

    assert (result.paid, result.api_calls) == (5, 1)
    log = visma.requests()
    assert log["total"] == 1, log["counts"]
    assert [entry["path_template"] for entry in log["requests"]] == ["/v2/customerinvoices"]


class _DiesAfterFirstPage(VismaReader):
    """A reader whose process 'dies' after handing out its first page (a network error on the second)."""

    def pages(self, source: DocumentKind, since: datetime | None) -> Iterator[VismaPage]:
        pages = super().pages(source, since)
        yield next(pages)
        raise VismaUnavailable("connection reset", path="/customerinvoices")


def cursor_of(ours: Ours) -> PaymentImportCursor | None:
    with ours.container.db.transaction() as session:
        return session.get(PaymentImportCursor, (ours.company_id, "invoice"))


def test_a_run_that_dies_between_pages_keeps_the_cursor_and_the_next_run_finishes_the_job(
    visma: Visma, ours: Ours
) -> None:
    invoices = [converted_invoice(visma, ours) for _ in range(5)]
    for _, invoice in invoices:
        visma.pay(invoice["Id"], "1250.00", complete=True)

    with pytest.raises(VismaUnavailable):
        import_payments(ours.container.db, _DiesAfterFirstPage(visma.client(page_size=2)), ours.company_id)
    cursor = cursor_of(ours)
    assert cursor is not None
    assert (cursor.cursor_utc, cursor.upper_bound_utc is not None) == (None, True)  # page 1 applied, no cursor yet
    assert sum(len(ours.payments(invoice_id)) for invoice_id, _ in invoices) == 2
    with ours.container.db.transaction() as session:
        runs = session.scalars(select(PaymentImportRun).where(PaymentImportRun.company_id == ours.company_id)).all()
        assert [(run.status, run.error, run.paid, run.api_calls) for run in runs] == [
            ("failed", "VismaUnavailable", 2, 1)
        ]

    result = run_import(visma, ours)  # the lease was given back: the next run starts at once

    assert result.paid == 3
    for invoice_id, _ in invoices:
        assert len(ours.payments(invoice_id)) == 1
        assert ours.invoice(invoice_id).status == "paid"
    cursor = cursor_of(ours)
    assert cursor is not None
    assert cursor.upper_bound_utc is None
    assert cursor.cursor_utc is not None
    assert cursor.cursor_utc.replace(tzinfo=UTC) == visma.clock()


def test_the_cursor_skips_what_did_not_change(visma: Visma, ours: Ours) -> None:
    first_id, first = converted_invoice(visma, ours)
    visma.pay(first["Id"], "1250.00", complete=True)
    later(visma, minutes=10)
    run_import(visma, ours)  # cursor: 10 minutes after the first invoice changed
    later(visma, minutes=10)
    second_id, second = converted_invoice(visma, ours)
    visma.pay(second["Id"], "100.00")

    result = run_import(visma, ours)

    with ours.container.db.transaction() as session:
        run = session.get(PaymentImportRun, result.run_id)
        assert run is not None
        assert run.documents == 1  # only the second invoice was read
    assert (result.paid, result.partially_paid) == (0, 1)
    assert ours.invoice(first_id).status == "paid"
    assert ours.invoice(second_id).status == "partially_paid"


def test_a_lease_left_by_a_dead_run_expires(visma: Visma, ours: Ours) -> None:
    with ours.container.db.transaction() as session:
        session.add(
            PaymentImportLease(
                company_id=ours.company_id, run_id=999_999, expires_at=ours.container.db.clock() + timedelta(minutes=1)
            )
        )
    with pytest.raises(ImportAlreadyRunning):
        run_import(visma, ours)
    with ours.container.db.transaction() as session:
        lease = session.get(PaymentImportLease, ours.company_id)
        assert lease is not None
        lease.expires_at = ours.container.db.clock() - timedelta(seconds=1)
    assert run_import(visma, ours).paid == 0
