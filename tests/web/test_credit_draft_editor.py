"""A credit invoice's draft in the editor: its live totals are the credit's own (the original's rates, negated),
not a new invoice's at the draft's date."""

from __future__ import annotations

import re
from datetime import date

import httpx

from fakturabro.bootstrap import Container
from fakturabro.domain.money import format_sek
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput

from .conftest import User

PERSONNUMMER = "19811218-9876"  # a test number with a valid checksum, not a real person


def _money(response: httpx.Response, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]+)<', response.text)
    assert match is not None, response.text
    return match.group(1)


def _form_of(page: str) -> dict[str, str]:
    """What the editor's form sends: its text inputs and hidden fields with their values, its selects' choices."""
    form: dict[str, str] = {}
    for tag in re.finditer(r"<input[^>]*>", page):
        name = re.search(r'\bname="([^"]+)"', tag.group(0))
        value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
        kind = re.search(r'\btype="([^"]+)"', tag.group(0))
        if name is None or (kind is not None and kind.group(1) in ("radio", "checkbox")):
            continue
        form[name.group(1)] = value.group(1) if value else ""
    for select in re.finditer(r'<select[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>', page, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', select.group(2))
        form[select.group(1)] = chosen.group(1) if chosen else ""
    form.pop("csrf", None)
    return form


def _credit_draft_of_a_2025_rot_invoice(container: Container, company_id: int) -> tuple[int, int]:
    """An approved ROT invoice of 2025 (50 % ROT then) and a credit draft of it written today (30 % ROT now)."""
    db = container.db
    customer = customers.create_customer(
        db, company_id, CustomerInput(name="Villa Ägare", personal_number=PERSONNUMMER)
    )
    original = invoices.create_invoice(
        db,
        company_id,
        InvoiceInput.model_validate(
            {
                "customer_number": customer.customer_number,
                "invoice_date": "2025-06-02",
                "rows": [
                    {
                        "kind": "labour",
                        "text": "Elarbete",
                        "quantity": "10",
                        "unit_price": "800",
                        "hours": "10",
                        "house_work_type": "el",
                    }
                ],
                "house_work": {
                    "type": "rot",
                    "persons": [{"personal_number": PERSONNUMMER}],
                    "property_designation": "Malmö Eken 4",
                },
            }
        ),
    )
    invoices.approve_invoice(db, company_id, original.id)
    credit = invoices.credit_invoice(db, company_id, original.id)
    return original.id, credit.id


def test_a_credit_drafts_live_totals_are_the_credits_own(user: User, web_container: Container) -> None:
    original_id, credit_id = _credit_draft_of_a_2025_rot_invoice(web_container, user.company.id)
    credit = invoices.get_invoice(web_container.db, user.company.id, credit_id)
    assert credit.invoice_date != date(2025, 6, 2)  # the draft is dated today, after the 50 % ROT ended
    assert credit.totals.house_work_deduction < 0  # the stored credit: the original's 50 %, negated

    editor = user.get(f"/invoices/{credit_id}")
    assert editor.status_code == 200
    assert f'name="credits_invoice_id" value="{original_id}"' in editor.text
    assert _money(editor, "to-pay") == format_sek(credit.totals.to_pay)

    form = _form_of(editor.text)
    assert form["credits_invoice_id"] == str(original_id)
    preview = user.post("/invoices/preview", form, headers={"HX-Request": "true"})
    assert preview.status_code == 200
    assert _money(preview, "total-amount") == format_sek(credit.totals.total)
    # A credit gives the reduction back: shown as an addition, not as a minus before a negative amount.
    assert _money(preview, "deduction-amount") == "+" + format_sek(-credit.totals.house_work_deduction)
    assert _money(preview, "to-pay") == format_sek(credit.totals.to_pay)

    # What the form sent before: the same rows priced as a new invoice of today, a different amount to pay.
    without = user.post("/invoices/preview", {k: v for k, v in form.items() if k != "credits_invoice_id"})
    assert _money(without, "to-pay") != format_sek(credit.totals.to_pay)


def test_saving_a_credit_draft_from_the_editor_keeps_what_it_credits(user: User, web_container: Container) -> None:
    original_id, credit_id = _credit_draft_of_a_2025_rot_invoice(web_container, user.company.id)
    form = _form_of(user.get(f"/invoices/{credit_id}").text)
    form["your_reference"] = "Reklamation"
    saved = user.post(f"/invoices/{credit_id}", {**form, "action": "save"})
    assert saved.status_code == 303, saved.text
    credit = invoices.get_invoice(web_container.db, user.company.id, credit_id)
    assert (credit.credits_invoice_id, credit.your_reference) == (original_id, "Reklamation")

    form["credits_invoice_id"] = str(original_id + 1000)  # a tampered form cannot move the credit
    refused = user.post(f"/invoices/{credit_id}", {**form, "action": "save"})
    assert refused.status_code == 422
    assert "Vilken faktura som krediteras kan inte ändras." in refused.text
    assert f'name="credits_invoice_id" value="{original_id}"' in refused.text  # the form is set right again
    assert invoices.get_invoice(web_container.db, user.company.id, credit_id).credits_invoice_id == original_id
