"""The draft editor's form: its fields, the input the use cases take, and the live totals.

Rows are fields named ``rows-<i>-<field>``; the husavdrag part ``hw_*``. A row left completely empty is ignored,
so the editor can always offer a blank row. The live totals are the use case
`invoicing.invoices.preview_totals` on what is in the form right now (nothing is saved): the content saving would
build, with an article's values filling the fields the user left empty, checked by the same rules. A credit
invoice's draft carries the invoice it credits in a hidden field, so its totals are priced as the original's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from fakturabro.domain.identity import format_personnummer
from fakturabro.domain.invoice import Totals
from fakturabro.domain.swedish_format import format_number, format_price
from fakturabro.invoicing.inputs import InvoiceInput
from fakturabro.invoicing.invoices import DraftTotals
from fakturabro.invoicing.views import ArticleView, InvoiceView
from fakturabro.web.views.forms import FormData, checked, decimal_text, field_errors, text

ROW_FIELDS = ("kind", "article_number", "text", "quantity", "unit", "unit_price", "vat_rate", "hours",
              "discount_percent", "house_work_type")  # fmt: skip
MAX_PERSONS = 2
MAX_ROWS = 200


@dataclass
class EditorValues:
    """What the editor shows: the form's values as typed (strings), so nothing the user wrote is lost."""

    customer_number: str = ""
    credits_invoice_id: str = ""
    invoice_date: str = ""
    due_date: str = ""
    your_reference: str = ""
    our_reference: str = ""
    reverse_charge: bool = False
    rows: list[dict[str, str]] = field(default_factory=list)
    hw_type: str = ""
    hw_home: str = "house"
    hw_property: str = ""
    hw_coop: str = ""
    hw_apartment: str = ""
    persons: list[dict[str, str]] = field(default_factory=list)


def blank_row(kind: str = "labour") -> dict[str, str]:
    row = dict.fromkeys(ROW_FIELDS, "")
    row["kind"] = kind
    return row


def _swedish_number(value: Decimal | None) -> str:
    return "" if value is None else format_number(value)


def _swedish_price(value: Decimal | None) -> str:
    return "" if value is None else format_price(value)


def from_form(form: FormData) -> EditorValues:
    values = EditorValues(
        customer_number=text(form, "customer_number") or "",
        credits_invoice_id=text(form, "credits_invoice_id") or "",
        invoice_date=text(form, "invoice_date") or "",
        due_date=text(form, "due_date") or "",
        your_reference=text(form, "your_reference") or "",
        our_reference=text(form, "our_reference") or "",
        reverse_charge=checked(form, "reverse_charge"),
        hw_type=text(form, "hw_type") or "",
        hw_home=text(form, "hw_home") or "house",
        hw_property=text(form, "hw_property") or "",
        hw_coop=text(form, "hw_coop") or "",
        hw_apartment=text(form, "hw_apartment") or "",
    )
    index = 0
    while index < MAX_ROWS and f"rows-{index}-kind" in form:
        values.rows.append({name: str(form.get(f"rows-{index}-{name}", "")).strip() for name in ROW_FIELDS})
        index += 1
    for person in range(MAX_PERSONS):
        values.persons.append(
            {
                "personal_number": text(form, f"hw_pn_{person}") or "",
                "share": text(form, f"hw_share_{person}") or "",
            }
        )
    return values


def from_invoice(invoice: InvoiceView) -> EditorValues:
    values = EditorValues(
        customer_number=invoice.customer.customer_number,
        credits_invoice_id="" if invoice.credits_invoice_id is None else str(invoice.credits_invoice_id),
        invoice_date=invoice.invoice_date.isoformat(),
        due_date=invoice.due_date.isoformat(),
        your_reference=invoice.your_reference or "",
        our_reference=invoice.our_reference or "",
        reverse_charge=invoice.reverse_charge,
    )
    for row in invoice.rows:
        values.rows.append(
            {
                "kind": row.kind,
                "article_number": row.article_number or "",
                "text": row.text,
                "quantity": "" if row.kind == "text" else _swedish_number(row.quantity),
                "unit": row.unit,
                "unit_price": "" if row.kind == "text" else _swedish_price(row.unit_price),
                "vat_rate": "" if row.kind == "text" else f"{row.vat_rate.normalize():f}",
                "hours": _swedish_number(row.hours),
                "discount_percent": "" if row.discount_percent == 0 else _swedish_number(row.discount_percent),
                "house_work_type": row.house_work_type or "",
            }
        )
    work = invoice.house_work
    if work is not None:
        values.hw_type = work.type
        values.hw_home = "brf" if work.housing_coop_org_number else "house"
        values.hw_property = work.property_designation or ""
        values.hw_coop = work.housing_coop_org_number or ""
        values.hw_apartment = work.apartment_number or ""
        values.persons = [
            {"personal_number": format_personnummer(p.personal_number), "share": _swedish_number(p.share)}
            for p in work.persons
        ]
    values.persons += [{"personal_number": "", "share": ""}] * (MAX_PERSONS - len(values.persons))
    return values


def with_blank_rows(values: EditorValues) -> EditorValues:
    """A new invoice starts with an empty row to type in; a draft with rows gets no extra empty one (the
    buttons add rows), so saving a draft shows it as it was saved. Always the person slots."""
    if not values.rows:
        values.rows.append(blank_row("labour"))
    values.persons += [{"personal_number": "", "share": ""}] * (MAX_PERSONS - len(values.persons))
    return values


def fill_from_article(row: dict[str, str], article: ArticleView | None) -> dict[str, str]:
    """Empty fields take the article's values (what saving would do), so the user sees them."""
    if article is None:
        return row
    filled = dict(row)
    defaults = {
        "text": article.name,
        "unit": article.unit,
        "unit_price": _swedish_price(article.unit_price),
        "vat_rate": f"{article.vat_rate.normalize():f}",
        "house_work_type": article.house_work_type or "",
    }
    for name, value in defaults.items():
        if not filled.get(name):
            filled[name] = value
    if not filled.get("quantity"):
        filled["quantity"] = "1"
    if article.kind in ("labour", "material", "other") and filled.get("kind") in ("", "text"):
        filled["kind"] = article.kind
    return filled


def _is_empty(row: Mapping[str, str]) -> bool:
    return not any(row.get(name) for name in ROW_FIELDS if name != "kind")


def to_input(values: EditorValues) -> InvoiceInput:
    """The use cases' input; raises pydantic's ValidationError with the field paths of the API."""
    rows: list[dict[str, Any]] = []
    for row in values.rows:
        if _is_empty(row):
            continue
        data: dict[str, Any] = {
            "kind": row.get("kind") or None,
            "article_number": row.get("article_number") or None,
            "text": row.get("text") or None,
            "unit": row.get("unit") or None,
            "house_work_type": row.get("house_work_type") or None,
        }
        for name in ("quantity", "unit_price", "vat_rate", "hours", "discount_percent"):
            data[name] = decimal_text(row, name)
        if data["kind"] == "text":
            data.update(quantity=None, unit_price=None, hours=None, discount_percent=None, house_work_type=None)
            data["vat_rate"] = None
        rows.append(data)
    house_work = None
    if values.hw_type:
        brf = values.hw_home == "brf"
        house_work = {
            "type": values.hw_type,
            "persons": [
                {"personal_number": p["personal_number"], "share": decimal_text(p, "share") or "100"}
                for p in values.persons
                if p.get("personal_number")
            ],
            "property_designation": None if brf else (values.hw_property or None),
            "housing_coop_org_number": (values.hw_coop or None) if brf else None,
            "apartment_number": (values.hw_apartment or None) if brf else None,
        }
    return InvoiceInput.model_validate(
        {
            "customer_number": values.customer_number or None,
            "credits_invoice_id": values.credits_invoice_id or None,
            "invoice_date": values.invoice_date or None,
            "due_date": values.due_date or None,
            "your_reference": values.your_reference or None,
            "our_reference": values.our_reference or None,
            "reverse_charge": values.reverse_charge,
            "rows": rows,
            "house_work": house_work,
        }
    )


def input_row_index(values: EditorValues) -> dict[int, int]:
    """Input row position → editor row position (empty editor rows are skipped in the input)."""
    mapping: dict[int, int] = {}
    for position, row in enumerate(values.rows):
        if not _is_empty(row):
            mapping[len(mapping)] = position
    return mapping


def editor_errors(error: Exception, values: EditorValues) -> dict[str, str]:
    """Errors keyed by editor field: ``rows.<editor row>.<field>``."""
    found = field_errors(error)
    positions = input_row_index(values)
    keyed: dict[str, str] = {}
    for key, message in found.items():
        parts = key.split(".")
        if len(parts) >= 2 and parts[0] == "rows" and parts[1].isdigit():
            parts[1] = str(positions.get(int(parts[1]), int(parts[1])))
        keyed.setdefault(".".join(parts), message)
    return keyed


@dataclass(frozen=True)
class Preview:
    """The live totals box: the draft's totals and problems, and which husavdrag the form claims."""

    totals: Totals | None
    problems: tuple[str, ...]
    house_work_kind: str | None


def preview(values: EditorValues, draft: Callable[[InvoiceInput], DraftTotals]) -> Preview:
    """Totals and rule problems for what the form holds now; ``draft`` is the use case that computes them."""
    try:
        data = to_input(values)
    except ValidationError as error:
        return Preview(None, tuple(dict.fromkeys(field_errors(error).values())), values.hw_type or None)
    result = draft(data)
    return Preview(result.totals, result.problems, values.hw_type or None)
