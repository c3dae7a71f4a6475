"""`preview_totals`: the live totals of a draft are what saving it would give, and nothing is written.

Against the real (SQLite) database, as the use case reads articles and customers; saving the same input is the
oracle, so the preview can never drift from what the invoice will show.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container
from fakturabro.domain.errors import ValidationFailed
from fakturabro.invoicing import articles, customers, invoices
from fakturabro.invoicing.inputs import ArticleInput, CustomerInput, InvoiceInput
from fakturabro.invoicing.invoices import DraftTotals, preview_totals
from fakturabro.invoicing.views import InvoiceView

from .helpers import ANNA

EXAMPLES = int(os.environ.get("FAKTURABRO_PREVIEW_EXAMPLES", "40"))
ROT = {"type": "rot", "persons": [{"personal_number": ANNA}], "property_designation": "Malmö Eken 4"}


class Firm:
    """A fresh company with a private customer, a company customer with reverse charge and three articles."""

    def __init__(self, container: Container) -> None:
        self.db = container.db
        self.id = create_company_with_details(self.db, f"Elfirma {uuid.uuid4().hex[:8]}").id
        self.private = customers.create_customer(self.db, self.id, CustomerInput(name="Villa Ägare")).customer_number
        company = CustomerInput(
            name="Bygg AB", org_number="556036-0793", vat_number="SE556036079301", reverse_charge=True
        )
        self.builder = customers.create_customer(self.db, self.id, company).customer_number
        for number, name, price, kind, work in (
            ("8000", "Montör", "650", "labour", "el"),
            ("M-1", "Golvbrunn", "1234.50", "material", None),
            ("R-12", "Resa", "450", "other", None),
        ):
            article = ArticleInput.model_validate(
                {"number": number, "name": name, "unit_price": price, "kind": kind, "house_work_type": work}
            )
            articles.create_article(self.db, self.id, article)

    def preview(self, **fields: Any) -> DraftTotals:
        return preview_totals(self.db, self.id, InvoiceInput.model_validate(fields))

    def save(self, **fields: Any) -> InvoiceView:
        return invoices.create_invoice(self.db, self.id, InvoiceInput.model_validate(fields))

    def drafts(self) -> int:
        return len(invoices.list_invoices(self.db, self.id))


@pytest.fixture
def firm(container: Container) -> Firm:
    return Firm(container)


def _same_totals(preview: DraftTotals, saved: InvoiceView) -> None:
    assert preview.totals is not None
    assert preview.totals.net == saved.totals.net
    assert preview.totals.vat == saved.totals.vat.total
    assert preview.totals.total == saved.totals.total
    assert preview.totals.husavdrag == saved.totals.house_work_deduction
    assert preview.totals.to_pay == saved.totals.to_pay


def test_article_values_fill_what_the_row_leaves_empty_as_saving_does(firm: Firm) -> None:
    draft = {
        "customer_number": firm.private,
        "invoice_date": "2026-11-24",
        "rows": [
            {"article_number": "8000", "quantity": "7.5", "hours": "7.5"},  # price, VAT, kind, ROT type: the article's
            {"article_number": "M-1", "unit_price": "1000"},  # an explicit price wins; quantity defaults to 1
            {"text": "Arbetet utfört enligt offert"},  # a text row
        ],
        "house_work": ROT,
    }
    preview = firm.preview(**draft)
    assert firm.drafts() == 0  # nothing written
    assert preview.problems == ()
    assert preview.totals is not None
    assert preview.totals.net == Decimal("4875.00") + Decimal("1000.00")
    assert preview.totals.husavdrag > 0  # the article made the labour row ROT work
    _same_totals(preview, firm.save(**draft))


def test_the_customer_decides_reverse_charge_unless_the_draft_says(firm: Firm) -> None:
    rows = [{"article_number": "R-12", "quantity": "2"}]
    preview = firm.preview(customer_number=firm.builder, rows=rows)
    assert preview.totals is not None
    assert preview.totals.vat == 0
    _same_totals(preview, firm.save(customer_number=firm.builder, rows=rows))
    with_vat = firm.preview(customer_number=firm.builder, rows=rows, reverse_charge=False)
    assert with_vat.totals is not None
    assert with_vat.totals.vat == Decimal("225.00")


def test_problems_are_those_saving_and_approval_report_and_totals_still_show(firm: Firm) -> None:
    preview = firm.preview(
        rows=[{"article_number": "X-404", "quantity": "1", "unit_price": "100"}], house_work={"type": "rot"}
    )
    assert "Välj en kund." in preview.problems
    assert "Artikelnummer X-404 finns inte i artikelregistret." in preview.problems
    assert preview.totals is not None
    assert preview.totals.total == Decimal(125)  # the row's own values, 25 % VAT by default

    refused = {"customer_number": firm.private, "rows": [{"article_number": "8000", "quantity": "2"}]}
    refused["house_work"] = {"type": "rot"}  # no buyer, no property
    preview = firm.preview(**refused)
    with pytest.raises(ValidationFailed) as saving:
        firm.save(**refused)
    assert set(preview.problems) == {error.message for error in saving.value.errors}
    assert firm.drafts() == 0


def test_an_empty_draft_has_zero_totals_and_says_what_is_missing(firm: Firm) -> None:
    preview = firm.preview(customer_number=firm.private)
    assert preview.totals is not None
    assert preview.totals.to_pay == 0
    assert preview.problems == ("Fakturan har inga rader med belopp.",)


ROW = st.fixed_dictionaries(
    {},
    optional={
        "article_number": st.sampled_from(["8000", "M-1", "R-12"]),
        "quantity": st.sampled_from(["1", "2.5", "7.5", "12", "0.25"]),
        "unit_price": st.sampled_from(["0", "19.90", "650", "1234.50", "99999.99"]),
        "vat_rate": st.sampled_from(["25", "12", "6", "0"]),
        "kind": st.sampled_from(["labour", "material", "other"]),
        "discount_percent": st.sampled_from(["0", "10", "33.33"]),
    },
)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(ROW, min_size=1, max_size=4),
    rot=st.booleans(),
    reverse_charge=st.sampled_from([None, True, False]),
    company=st.booleans(),
)
def test_the_preview_is_what_saving_gives(
    firm: Firm, rows: list[dict[str, str]], rot: bool, reverse_charge: bool | None, company: bool
) -> None:
    draft: dict[str, Any] = {
        "customer_number": firm.builder if company else firm.private,
        "invoice_date": "2026-11-24",
        "rows": rows,
        "reverse_charge": reverse_charge,
        "house_work": ROT if rot else None,
    }
    preview = firm.preview(**draft)
    refused: set[str] = set()
    try:
        saved = firm.save(**draft)
    except ValidationFailed as error:
        refused = {item.message for item in error.errors}
    if refused:
        assert refused <= set(preview.problems)
    else:
        assert preview.problems == ()
        _same_totals(preview, saved)
