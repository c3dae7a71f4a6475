"""Husavdrag (ROT, RUT, grön teknik), omvänd byggmoms and credit invoices, exported as drafts."""

from __future__ import annotations

from decimal import Decimal

from .export_helpers import BRF_ORG, PRIVATE_PNR, SECOND_PNR, ExportApi, money

ROT_LABOUR = {"text": "Snickeri", "quantity": "10", "unit_price": "600", "kind": "labour", "house_work_type": "bygg"}
MATERIAL = {"text": "Virke", "quantity": "1", "unit_price": "2000", "kind": "material"}
TWO_OWNERS = [{"personal_number": PRIVATE_PNR, "share": "50"}, {"personal_number": SECOND_PNR, "share": "50"}]


def _assert_same_totals(draft: dict, invoice: dict) -> None:
    totals = invoice["totals"]
    assert money(draft["TotalAmount"]) == money(totals["total"])
    assert money(draft["TotalVatAmount"]) == money(totals["vat"]["total"])
    assert money(draft["TotalRoundings"]) == money(totals["rounding"])


def test_rot_on_a_house_with_two_owners(api: ExportApi) -> None:
    customer = api.private_customer()
    house_work = {"type": "rot", "persons": TWO_OWNERS, "property_designation": "Göteborg Majorna 1:23"}
    invoice = api.approve(customer, [ROT_LABOUR, MATERIAL], house_work=house_work)

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    assert export.totals_difference is None
    draft = api.draft_of(invoice["number"])
    _assert_same_totals(draft, invoice)
    assert draft["RotReducedInvoicingType"] == 1
    assert draft["RotPropertyType"] == 2
    assert draft["RotReducedInvoicingPropertyName"] == "Göteborg Majorna 1:23"
    # 30 % of 6 000 + 25 % VAT = 2 250, split evenly
    assert money(draft["RotReducedInvoicingAmount"]) == money(2250)
    assert sorted(money(person["Amount"]) for person in draft["Persons"]) == [money(1125), money(1125)]
    labour = draft["Rows"][0]
    assert labour["IsWorkCost"] is True
    assert labour["WorkCostType"] == 1
    assert money(labour["WorkHours"]) == money(10)
    assert draft["Rows"][1]["IsWorkCost"] is False
    assert draft["Rows"][0]["ArticleNumber"] == "MINUBA-ROTRUT"


def test_rot_in_a_bostadsratt(api: ExportApi) -> None:
    customer = api.private_customer()
    house_work = {
        "type": "rot",
        "persons": TWO_OWNERS,
        "housing_coop_org_number": BRF_ORG,
        "apartment_number": "1102",
    }
    invoice = api.approve(customer, [ROT_LABOUR], house_work=house_work)

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    draft = api.draft_of(invoice["number"])
    assert draft["RotPropertyType"] == 1
    assert draft["RotReducedInvoicingOrgNumber"] == BRF_ORG
    assert draft["RotReducedInvoicingPropertyName"] == "1102"
    assert len(draft["Persons"]) == 2


def test_rut(api: ExportApi) -> None:
    customer = api.private_customer()
    cleaning = {
        "text": "Städning",
        "quantity": "4",
        "unit_price": "400",
        "kind": "labour",
        "house_work_type": "stadning",
    }
    house_work = {"type": "rut", "persons": [{"personal_number": PRIVATE_PNR, "share": "100"}]}
    invoice = api.approve(customer, [cleaning], house_work=house_work)

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    assert export.totals_difference is None
    draft = api.draft_of(invoice["number"])
    assert draft["RotReducedInvoicingType"] == 2
    assert draft["Rows"][0]["WorkCostType"] == 9
    assert money(draft["RotReducedInvoicingAmount"]) == money(1000)  # 50 % of 1 600 + VAT


def test_gron_teknik(api: ExportApi) -> None:
    api.set_visma_settings(UsesGreenTechnology=True)
    customer = api.private_customer()
    rows = [
        {
            "text": "Montage solceller",
            "quantity": "10",
            "unit_price": "800",
            "kind": "labour",
            "house_work_type": "solceller",
        },
        {
            "text": "Solpaneler",
            "quantity": "1",
            "unit_price": "40000",
            "kind": "material",
            "house_work_type": "solceller",
        },
    ]
    house_work = {
        "type": "green",
        "persons": [{"personal_number": PRIVATE_PNR}],
        "property_designation": "Borås Tor 4:2",
    }
    invoice = api.approve(customer, rows, house_work=house_work)

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    assert export.totals_difference is None
    draft = api.draft_of(invoice["number"])
    assert draft["UsesGreenTechnology"] is True
    assert draft["RotReducedInvoicingType"] == 0
    assert [row["GreenTechnologyType"] for row in draft["Rows"]] == [1, 1]
    assert money(draft["RotReducedInvoicingAmount"]) == money(invoice["totals"]["house_work_deduction"])


def test_reverse_charge(api: ExportApi) -> None:
    api.set_visma_settings(UsesReverseConstructionVat=True)
    customer = api.company_customer(reverse_charge=True)
    invoice = api.approve(customer, [ROT_LABOUR | {"house_work_type": None}, MATERIAL], reverse_charge=True)

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    assert export.totals_difference is None
    draft = api.draft_of(invoice["number"])
    assert money(draft["TotalVatAmount"]) == 0
    assert draft["ReverseChargeOnConstructionServices"] is True
    assert all(row["ReversedConstructionServicesVatFree"] for row in draft["Rows"] if not row["IsTextRow"])
    assert api.visma_customer(customer["customer_number"])["ReverseChargeOnConstructionServices"] is True


def test_mixed_vat(api: ExportApi) -> None:
    customer = api.private_customer()
    rows = [
        {"text": "Arbete", "quantity": "1.5", "unit_price": "333.33", "kind": "labour"},
        {"text": "Mat", "quantity": "3", "unit_price": "19.99", "kind": "material", "vat_rate": "12"},
        {"text": "Tidning", "quantity": "1", "unit_price": "49", "kind": "material", "vat_rate": "6"},
        {"text": "Porto", "quantity": "1", "unit_price": "12", "kind": "other", "vat_rate": "0"},
        {"text": "Rabatterat", "quantity": "2", "unit_price": "99.90", "kind": "material", "discount_percent": "12.5"},
    ]
    invoice = api.approve(customer, rows)

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    assert export.totals_difference is None
    _assert_same_totals(api.draft_of(invoice["number"]), invoice)


def test_a_credit_invoice_exports_linked_to_its_original(api: ExportApi) -> None:
    customer = api.private_customer()
    house_work = {"type": "rot", "persons": TWO_OWNERS, "property_designation": "Göteborg Majorna 1:23"}
    original = api.approve(customer, [ROT_LABOUR, MATERIAL], house_work=house_work)
    assert api.wait_exported(original["id"]).state == "exported"

    response = api.post(f"/invoices/{original['id']}/credit", {"approve": True})
    assert response.status_code == 201, response.text
    credit = response.json()
    export = api.wait_exported(credit["id"])

    assert export.state == "exported", export.error
    assert export.totals_difference is None
    draft = api.draft_of(credit["number"])
    assert draft["IsCreditInvoice"] is True
    assert money(draft["TotalAmount"]) == -money(original["totals"]["total"])
    assert draft["Rows"][0]["Text"] == f"Kreditering av faktura {original['number']}"
    assert all(Decimal(str(row["Quantity"])) < 0 for row in draft["Rows"] if not row["IsTextRow"])
