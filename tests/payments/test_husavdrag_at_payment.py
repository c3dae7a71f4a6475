"""ROT decided by the payment date, end to end: a ROT invoice dated in December 2025 (50 %) is converted and paid
in the sandbox; the import reads Visma's payment date and lists what the company must invoice the buyer."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from payment_helpers import Ours, Visma, run_import, sid
from sqlalchemy import select

from fakturabro.sandbox import seed
from fakturabro.store import models
from fakturabro.store.export_models import InvoiceExport
from fakturabro.sync.payments.service import list_deviations

ANNA = "198803200016"
HOURS, PRICE = 40, 650  # 26 000 kr + 25 % VAT = 32 500 kr labour incl. VAT: ROT 50 % = 16 250, 30 % = 9 750
NBSP = "\u00a0"


def rot_draft_in_visma(visma: Visma, percent: str) -> dict:
    """A ROT draft as Visma prices it with the company's ROT percent then in force (50 % in December 2025)."""
    state = visma.sandbox.state
    with state.lock:
        settings = state.companies[seed.SEED_COMPANY_ID].settings
        settings["CompanyRotRutSettings"] = {**settings["CompanyRotRutSettings"], "RotReducedInvoicingPercent": percent}
    body = {
        "CustomerId": sid("customer:1001"),
        "EuThirdParty": False,
        "RotReducedInvoicingType": 1,
        "RotPropertyType": 2,
        "RotReducedInvoicingPropertyName": "Göteborg Majorna 1:23",
        "RotReducedInvoicingAutomaticDistribution": True,
        "Persons": [{"Ssn": ANNA}],
        "Rows": [
            {
                "ArticleId": sid("article:8000"),
                "Quantity": HOURS,
                "UnitPrice": PRICE,
                "IsTextRow": False,
                "IsWorkCost": True,
                "WorkCostType": 1,
                "WorkHours": HOURS,
                "ReversedConstructionServicesVatFree": False,
            }
        ],
    }
    return dict(visma.post("/customerinvoicedrafts", body))


def exported_rot_invoice(ours: Ours, visma_id: str, number: int, invoice_date: date, to_pay: Decimal) -> int:
    """Our approved ROT invoice as approval freezes it, and the export row the export workflow writes."""
    db = ours.container.db
    now = db.clock()
    with db.transaction() as session:
        invoice = models.Invoice(
            company_id=ours.company_id,
            customer_id=ours.customer_id,
            number=number,
            status="approved",
            invoice_date=invoice_date,
            due_date=date(2026, 1, 19),
            house_work_kind="rot",
            property_designation="Göteborg Majorna 1:23",
            total=Decimal(32500),
            house_work_deduction=Decimal(32500) - to_pay,
            to_pay=to_pay,
            approved_at=now,
            created_at=now,
            updated_at=now,
            rows=[
                models.InvoiceRow(
                    position=0,
                    kind="labour",
                    article_number="8000",
                    text="Montör",
                    quantity=Decimal(HOURS),
                    unit="tim",
                    unit_price=Decimal(PRICE),
                    vat_rate=Decimal(25),
                    discount_percent=Decimal(0),
                    house_work_type="bygg",
                )
            ],
            house_work_persons=[
                models.HouseWorkPerson(
                    position=0,
                    personal_number_encrypted=db.cipher.encrypt(ANNA),
                    share=Decimal(100),
                    deduction=Decimal(32500) - to_pay,
                )
            ],
        )
        session.add(invoice)
        session.flush()
        session.add(
            InvoiceExport(
                invoice_id=invoice.id,
                company_id=ours.company_id,
                state="exported",
                mode="draft",
                visma_document_type="draft",
                visma_id=visma_id,
                updated_at=now,
            )
        )
        return invoice.id


def next_visma_number(visma: Visma) -> int:
    return int(visma.sandbox.state.companies[seed.SEED_COMPANY_ID].settings["NextCustomerInvoiceNumber"])


def payment_dates(ours: Ours, invoice_id: int) -> list[date]:
    with ours.container.db.transaction() as session:
        query = select(models.Payment.payment_date).where(models.Payment.invoice_id == invoice_id)
        return list(session.scalars(query))


def test_rot_at_50_percent_paid_in_january_2026_is_listed_with_the_difference_to_invoice(
    visma: Visma, ours: Ours
) -> None:
    draft = rot_draft_in_visma(visma, "0.5")
    number = next_visma_number(visma)
    invoice_id = exported_rot_invoice(ours, draft["Id"], number, date(2025, 12, 20), Decimal("16250.00"))
    invoice = visma.convert(draft["Id"])
    assert Decimal(str(invoice["RemainingAmount"])) == Decimal("16250.00")  # Visma took 50 % off too
    visma.pay(invoice["Id"], "16250.00", complete=True, paid_on=date(2026, 1, 8))

    result = run_import(visma, ours)
    again = run_import(visma, ours)

    assert (result.paid, result.deviations, again.deviations) == (1, 1, 0)
    assert payment_dates(ours, invoice_id) == [date(2026, 1, 8)]  # Visma's payment date, stored on our payment
    [listed] = list_deviations(ours.container.db, ours.company_id)  # what the Import/Export page shows
    assert (listed.kind, listed.invoice_id, listed.our_invoice_number) == ("husavdrag_rate", invoice_id, number)
    assert listed.amount == Decimal("6500.00")
    assert listed.detail == (
        f"Faktura {number} betalades 2026-01-08, då ROT-avdraget är 30{NBSP}% (fakturan: 50{NBSP}%). "
        f"Skatteverket betalar högst 9{NBSP}750{NBSP}kr; fakturera kunden mellanskillnaden 6{NBSP}500{NBSP}kr."
    )
    assert ANNA not in listed.detail
    assert ANNA[2:] not in listed.detail


def test_rot_paid_in_the_period_it_was_priced_in_is_no_deviation(visma: Visma, ours: Ours) -> None:
    draft = rot_draft_in_visma(visma, "0.3")
    number = next_visma_number(visma)
    invoice_id = exported_rot_invoice(ours, draft["Id"], number, date(2026, 2, 20), Decimal("22750.00"))
    invoice = visma.convert(draft["Id"])
    visma.pay(invoice["Id"], "22750.00", complete=True, paid_on=date(2026, 3, 1))

    result = run_import(visma, ours)

    assert (result.paid, result.deviations) == (1, 0)
    assert ours.invoice(invoice_id).status == "paid"
    assert list_deviations(ours.container.db, ours.company_id) == []
