"""The Husavdrag page: claimable invoices with reasons, a claim and its file, a decision with a partial refusal,
the confirmed invoice back to the buyer, and the overview; bad choices get a Swedish message and change nothing."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from fakturabro.bootstrap import Container
from fakturabro.husavdrag import claims
from fakturabro.invoicing import customers, invoices, payments
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput, PaymentInput
from fakturabro.skatteverket.begaran import validation_errors

from .conftest import User

BUYER = "19811218-9876"  # test personnummer (valid checksum)


def rot_invoice(container: Container, company_id: int, *, paid: bool = True) -> int:
    """A ROT invoice of 10 h × 500 kr labour and 800 kr material: 1 875 kr husavdrag, paid in March 2026."""
    db = container.db
    customer = customers.create_customer(db, company_id, CustomerInput(name="Anna Andersson", personal_number=BUYER))
    rows = [
        {
            "kind": "labour",
            "text": "Elarbete",
            "quantity": "10",
            "unit": "tim",
            "unit_price": "500",
            "house_work_type": "el",
        },
        {"kind": "material", "text": "Kabel", "quantity": "1", "unit": "st", "unit_price": "800"},
    ]
    house_work = {
        "type": "rot",
        "persons": [{"personal_number": BUYER, "share": "100"}],
        "property_designation": "Malmö Kungsten 3:12",
    }
    body = {"customer_number": customer.customer_number, "rows": rows, "house_work": house_work}
    draft = invoices.create_invoice(db, company_id, InvoiceInput.model_validate(body))
    invoice = invoices.approve_invoice(db, company_id, draft.id)
    if paid:
        payment = PaymentInput(amount=invoice.totals.to_pay, payment_date=date(2026, 3, 20))
        payments.register_payment(db, company_id, invoice.id, payment)
    return invoice.id


def test_a_claim_from_the_page_offers_the_file_and_refuses_an_unpaid_invoice(
    user: User, web_container: Container
) -> None:
    company_id = user.company.id
    paid_id = rot_invoice(web_container, company_id)
    unpaid_id = rot_invoice(web_container, company_id, paid=False)

    page = user.get("/husavdrag")
    assert page.status_code == 200
    assert 'href="/husavdrag" aria-current="page"' in page.text
    assert f'value="{paid_id}"' in page.text
    assert f'value="{unpaid_id}"' not in page.text  # no checkbox: it cannot be claimed yet
    assert "inte betald" in page.text

    refused = user.post("/husavdrag/claims", {"type": "rot", "invoice": [str(paid_id), str(unpaid_id)]})
    assert refused.status_code == 422
    assert "Begäran skapades inte" in refused.text
    assert "inte betald" in refused.text
    assert claims.list_claims(web_container.db, company_id) == []

    created = user.post("/husavdrag/claims", {"type": "rot", "invoice": [str(paid_id)]})
    assert created.status_code == 303, created.text
    claim_path = created.headers["location"].split("?")[0]
    claim_page = user.get(claim_path)
    assert "1\xa0875,00\xa0kr" in claim_page.text
    xml = user.get(f"{claim_path}/file")
    assert xml.headers["content-type"].startswith("application/xml")
    assert "attachment" in xml.headers["content-disposition"]
    assert validation_errors(xml.content) == []

    shown = user.get(f"/invoices/{paid_id}")
    assert re.search(r'id="claim-state">Begärd<', shown.text)
    assert f'href="{claim_path}"' in shown.text


def test_a_partial_refusal_is_invoiced_back_when_the_user_confirms(user: User, web_container: Container) -> None:
    company_id = user.company.id
    invoice_id = rot_invoice(web_container, company_id)
    claim = claims.create_claim(web_container.db, company_id, claims.HusavdragKind.ROT, [invoice_id])
    path = f"/husavdrag/claims/{claim.id}"

    bad = user.post(f"{path}/decision", {"decided_at": "2026-04-20", f"approved-{invoice_id}": "tusen"})
    assert bad.status_code == 422
    assert "Skriv det godkända beloppet" in bad.text
    too_much = user.post(f"{path}/decision", {"decided_at": "2026-04-20", f"approved-{invoice_id}": "5000"})
    assert too_much.status_code == 422
    assert "inget har ändrats" in too_much.text
    assert claims.get_claim(web_container.db, company_id, claim.id).invoices[0].decided_at is None

    decided = user.post(
        f"{path}/decision",
        {"decided_at": "2026-04-20", f"approved-{invoice_id}": "1 000,00", f"reason-{invoice_id}": "Takbeloppet nått"},
    )
    assert decided.status_code == 303, decided.text
    assert "Takbeloppet nått" in user.get(path).text

    confirm = user.get(f"/husavdrag/invoices/{invoice_id}/invoice-back")
    assert confirm.status_code == 200
    assert "875,00" in confirm.text
    assert "0 %" in confirm.text
    back = user.post(f"/husavdrag/invoices/{invoice_id}/invoice-back", {})
    assert back.status_code == 303, back.text
    back_id = int(back.headers["location"].split("/")[2])
    back_invoice = invoices.get_invoice(web_container.db, company_id, back_id)
    assert back_invoice.totals.to_pay == Decimal("875.00")
    assert f'href="/invoices/{back_id}"' in user.get(f"/invoices/{invoice_id}").text
    again = user.post(f"/husavdrag/invoices/{invoice_id}/invoice-back", {})
    assert again.status_code == 409
    assert "redan" in again.text

    overview = user.get("/husavdrag?ar=2026").text
    assert re.search(r'id="refused"[^>]*>875,00\xa0kr<', overview)
    assert re.search(r'id="invoiced-back"[^>]*>875,00\xa0kr<', overview)
    assert "1\xa0000,00\xa0kr" in overview  # the buyer's used ROT is what Skatteverket approved


def test_a_bad_decision_file_is_refused_in_swedish(user: User, web_container: Container) -> None:
    files = {"file": ("beslut.json", b"{inte json", "application/json")}
    response = user.client.post("/husavdrag/decision-file", data={"csrf": user.csrf("/husavdrag")}, files=files)
    assert response.status_code == 422
    assert "Beslutsfilen lästes inte in, inget har ändrats" in response.text
    empty = user.client.post("/husavdrag/decision-file", data={"csrf": user.csrf("/husavdrag")})
    assert empty.status_code == 422
    assert "Välj Skatteverkets beslutsfil" in empty.text
