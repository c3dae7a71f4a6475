"""The ROT/RUT claim file against Skatteverket's XSD and samples (shared/tax/skatteverket-begaran-v6/).

Each test builds invoices whose amounts are those of a sample's ärenden, makes the claim with the same code the
product uses (`plan_claim` → `build_claim_file`), and compares the file's ärenden field by field with the sample's.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.husavdrag_claims import (
    ClaimableInvoice,
    ClaimCase,
    ClaimFileContent,
    InvoiceClaim,
    WorkDone,
    plan_claim,
)
from fakturabro.domain.invoice import HusavdragClaim, HusavdragPerson, InvoiceContent, InvoiceRow, RowKind
from fakturabro.skatteverket import begaran
from fakturabro.skatteverket.begaran import build_claim_file, read_claim_file, validation_errors

SAMPLES = Path(__file__).parent / "samples"
SHARED = Path(__file__).resolve().parents[3] / "shared" / "tax" / "skatteverket-begaran-v6"
SCHEMAS = Path(begaran.__file__).parent / "schemas" / "ht"
PINNED = {  # shared/tax/SWEDISH-TAX-RULES.md §3.3: two independent copies agree on these
    SCHEMAS / "begaran" / "V6" / "Begaran.xsd": "98463ee0e36da685502630b9bad3256b8bde55d405d47827cb9703759ccad5c7",
    SCHEMAS
    / "komponent"
    / "V6"
    / "BegaranCOMPONENT.xsd": "b49c36926cd95109741316acc6d366f6b1c9803398c5bc18574dd8ee5b319bec",
}


def row(kind: RowKind, gross: str, work: HouseWorkType | None = None, hours: str | None = None) -> InvoiceRow:
    """One row worth ``gross`` kronor incl. 25 % VAT."""
    return InvoiceRow(
        kind,
        "rad",
        quantity=Decimal(1),
        unit_price=Decimal(gross) / Decimal("1.25"),
        house_work_type=work,
        hours=Decimal(hours) if hours is not None else None,
    )


def paid_invoice(
    invoice_id: int,
    kind: HusavdragKind,
    buyers: list[tuple[str, str]],
    rows: list[InvoiceRow],
    paid_on: str,
    *,
    house: str | None = None,
    coop: str | None = None,
    apartment: str | None = None,
) -> ClaimableInvoice:
    content = InvoiceContent(
        date.fromisoformat(paid_on),
        tuple(rows),
        husavdrag=HusavdragClaim(
            kind,
            tuple(HusavdragPerson(number, Decimal(share)) for number, share in buyers),
            property_designation=house,
            housing_coop_org_number=coop,
            apartment_number=apartment,
        ),
    )
    return ClaimableInvoice(
        invoice_id=invoice_id,
        number=invoice_id,
        content=content,
        status="paid",
        to_pay=Decimal(1),
        paid=Decimal(1),
        last_payment_date=date.fromisoformat(paid_on),
    )


def sample_cases(name: str) -> tuple[ClaimCase, ...]:
    """The sample's ärenden; its empty categories (0 h, 0 kr) say nothing and are not compared."""
    content = read_claim_file((SAMPLES / name).read_bytes())
    return tuple(
        replace(case, work=tuple(w for w in case.work if w.is_schablon or w.hours or w.material))
        for case in content.cases
    )


def file_of(kind: HusavdragKind, invoices: list[ClaimableInvoice]) -> tuple[bytes, tuple[InvoiceClaim, ...]]:
    planned = plan_claim(kind, invoices)
    assert planned.refusals == ()
    cases = tuple(case for item in planned.invoices for case in item.cases)
    return build_claim_file(ClaimFileContent(kind, f"{kind.value.upper()} {planned.year}", cases)), planned.invoices


def without_invoice_number(cases: tuple[ClaimCase, ...]) -> tuple[ClaimCase, ...]:
    return tuple(replace(case, invoice_number=None) for case in cases)


# --- the schema itself ----------------------------------------------------------------------------------------


def test_the_vendored_schemas_are_skatteverkets_unchanged() -> None:
    for path, digest in PINNED.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
        shared = SHARED / path.name
        if shared.exists():  # the reference copy beside the repository, where there is one
            assert shared.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("sample", ["exempel_rot_3st.xml", "exempel_rut_3st.xml"])
def test_skatteverkets_samples_validate(sample: str) -> None:
    assert validation_errors((SAMPLES / sample).read_bytes()) == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<ns2:Kopare>198406012388</ns2:Kopare>", "<ns2:Kopare>8406012388</ns2:Kopare>"),  # 10 digits
        ("<ns2:PrisForArbete>4000</ns2:PrisForArbete>", "<ns2:PrisForArbete>4000.50</ns2:PrisForArbete>"),
        ("<ns2:AntalTimmar>1</ns2:AntalTimmar>", "<ns2:AntalTimmar>1.5</ns2:AntalTimmar>"),
        ("<ns2:Bygg>", "<ns2:Stadning>"),  # a RUT category in a ROT claim
        ("<ns2:BetalningsDatum>2022-03-22", "<ns2:BetalningsDatum>2009-06-30"),  # before ROT/RUT by invoice
    ],
)
def test_the_schema_refuses_what_skatteverket_refuses(old: str, new: str) -> None:
    text = (SAMPLES / "exempel_rot_3st.xml").read_text(encoding="utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    if new == "<ns2:Stadning>":
        broken = broken.replace("</ns2:Bygg>", "</ns2:Stadning>", 1)
    assert validation_errors(broken.encode()) != []


def test_garbage_and_entities_are_an_error_not_a_crash() -> None:
    assert validation_errors(b"not xml") != []
    bomb = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
    assert validation_errors(bomb) != []


def test_a_file_the_schema_refuses_is_never_offered() -> None:
    case = ClaimCase(buyer="8406012388", payment_date=date(2026, 3, 1), labour=4000, paid=2800, requested=1200)
    with pytest.raises(begaran.InvalidClaimFile):
        build_claim_file(ClaimFileContent(HusavdragKind.ROT, "ROT", (case,)))
    with pytest.raises(begaran.InvalidClaimFile):  # NamnPaBegaran is 1–16 characters
        build_claim_file(ClaimFileContent(HusavdragKind.ROT, "x" * 17, (replace(case, buyer="198406012388"),)))


# --- files built from invoices, against the samples --------------------------------------------------------------


def rot_house_invoice(invoice_id: int, buyers: list[tuple[str, str]], scale: int, paid_on: str) -> ClaimableInvoice:
    """The ROT sample's third ärende (8 000 kr labour, four categories, 3 000 kr other costs), ``scale`` times."""
    s = Decimal(scale)
    return paid_invoice(
        invoice_id,
        HusavdragKind.ROT,
        buyers,
        [
            row(RowKind.LABOUR, str(1000 * s), HouseWorkType.MARK_DRANERINGSARBETE, hours=str(2 * s)),
            row(RowKind.LABOUR, str(4000 * s), HouseWorkType.MURNING, hours=str(10 * s)),
            row(RowKind.MATERIAL, str(2500 * s), HouseWorkType.MURNING),
            row(RowKind.LABOUR, str(500 * s), HouseWorkType.MALNING_TAPETSERING, hours=str(1 * s)),
            row(RowKind.MATERIAL, str(200 * s), HouseWorkType.MALNING_TAPETSERING),
            row(RowKind.LABOUR, str(2500 * s), HouseWorkType.VVS, hours=str(5 * s)),
            row(RowKind.OTHER, str(3000 * s)),
        ],
        paid_on,
        house="Test 2",
    )


def test_rot_house_with_two_buyers_gives_each_buyer_the_samples_arende() -> None:
    # twice the sample's third ärende, owned half each: each buyer's ärende is the sample's
    invoice = rot_house_invoice(7, [("194807171899", "50"), ("198502152393", "50")], 2, "2022-03-21")
    xml, planned = file_of(HusavdragKind.ROT, [invoice])
    sample = sample_cases("exempel_rot_3st.xml")[2]
    cases = read_claim_file(xml).cases
    assert len(cases) == 2
    assert cases[0] == replace(sample, invoice_number="7")
    assert cases[1] == replace(sample, invoice_number="7", buyer="198502152393")
    assert planned[0].requested == 4800


def test_rot_in_a_bostadsratt_agrees_with_the_sample() -> None:
    invoice = paid_invoice(
        1,
        HusavdragKind.ROT,
        [("198406012388", "100")],
        [
            row(RowKind.LABOUR, "500", HouseWorkType.EL, hours="1"),
            row(RowKind.MATERIAL, "10", HouseWorkType.EL),
            row(RowKind.LABOUR, "1000", HouseWorkType.MURNING, hours="2"),
            row(RowKind.MATERIAL, "1000", HouseWorkType.MURNING),
            row(RowKind.LABOUR, "1000", HouseWorkType.MALNING_TAPETSERING, hours="2"),
            row(RowKind.MATERIAL, "1000", HouseWorkType.MALNING_TAPETSERING),
            row(RowKind.LABOUR, "1500", HouseWorkType.VVS, hours="2"),
            row(RowKind.MATERIAL, "1000", HouseWorkType.VVS),
            row(RowKind.OTHER, "12"),
        ],
        "2022-03-22",
        coop="799900-0040",
        apartment="0001",
    )
    xml, _ = file_of(HusavdragKind.ROT, [invoice])
    assert without_invoice_number(read_claim_file(xml).cases) == without_invoice_number(
        sample_cases("exempel_rot_3st.xml")[:1]
    )
    root = etree.fromstring(xml)
    assert root.tag == f"{{{begaran.BEGARAN_NS}}}Begaran"
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')


def test_a_rut_batch_over_three_payment_dates_agrees_with_the_sample() -> None:
    invoices = [
        paid_invoice(
            1,
            HusavdragKind.RUT,
            [("199604102393", "100")],
            [row(RowKind.LABOUR, "5100", HouseWorkType.FLYTTJANSTER, hours="9"), row(RowKind.OTHER, "500")],
            "2022-01-03",
        ),
        paid_invoice(
            2,
            HusavdragKind.RUT,
            [("199701052384", "100")],
            [row(RowKind.LABOUR, "1220", HouseWorkType.TVATT_VID_TVATTINRATTNING), row(RowKind.OTHER, "250")],
            "2022-01-02",
        ),
        paid_invoice(
            3,
            HusavdragKind.RUT,
            [("199611142390", "100")],
            [
                row(RowKind.LABOUR, "7000", HouseWorkType.KLAD_OCH_TEXTILVARD, hours="14"),
                row(RowKind.MATERIAL, "3150", HouseWorkType.KLAD_OCH_TEXTILVARD),
                row(RowKind.LABOUR, "1200", HouseWorkType.SNOSKOTTNING, hours="1"),
            ],
            "2022-01-01",
        ),
    ]
    xml, planned = file_of(HusavdragKind.RUT, invoices)
    assert without_invoice_number(read_claim_file(xml).cases) == without_invoice_number(
        sample_cases("exempel_rut_3st.xml")
    )
    assert [item.payment_date.day for item in planned] == [3, 2, 1]
    assert b"HushallBegaran" in xml
    assert b"RotBegaran" not in xml


def test_a_rot_batch_over_two_payment_dates_agrees_with_the_sample() -> None:
    second = paid_invoice(
        2,
        HusavdragKind.ROT,
        [("198502152393", "100")],
        [
            row(RowKind.LABOUR, "2000", HouseWorkType.GLAS_PLATARBETE, hours="4"),
            row(RowKind.MATERIAL, "3000"),  # material without a work type goes with the category's labour
            row(RowKind.OTHER, "500"),
        ],
        "2022-03-20",
        house="TEST 1:7",
    )
    third = rot_house_invoice(3, [("194807171899", "100")], 1, "2022-03-21")
    xml, _ = file_of(HusavdragKind.ROT, [second, third])
    assert without_invoice_number(read_claim_file(xml).cases) == without_invoice_number(
        sample_cases("exempel_rot_3st.xml")[1:]
    )


def test_three_buyers_33_33_34_request_618_618_637_and_the_file_agrees() -> None:
    invoice = paid_invoice(
        9,
        HusavdragKind.ROT,
        [("194807171899", "33"), ("198502152393", "33"), ("198406012388", "34")],
        [row(RowKind.LABOUR, "6250", HouseWorkType.BYGG, hours="10")],
        "2026-05-04",
        house="EXEMPELBY 1:23",
    )
    xml, _ = file_of(HusavdragKind.ROT, [invoice])
    cases = read_claim_file(xml).cases
    assert [c.requested for c in cases] == [618, 618, 637]
    assert [c.labour for c in cases] == [2063, 2062, 2125]  # whole kronor, adding up to 6 250
    assert [c.paid for c in cases] == [1445, 1444, 1488]
    for case, share in zip(cases, ("33", "33", "34"), strict=True):
        assert case.requested <= Decimal("0.30") * case.labour  # Skatteverket's check per ärende
        assert case.requested <= Decimal("0.30") * Decimal("6250") * Decimal(share) / 100  # the buyer's share
    assert [w.hours for c in cases for w in c.work] == [3, 3, 4]
    assert all(c.work == (WorkDone(HouseWorkType.BYGG, c.work[0].hours, 0),) for c in cases)
