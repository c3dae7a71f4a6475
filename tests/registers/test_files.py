"""Reading files and rows: encodings, separators, Swedish decimals, column names, and per-row problems."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fakturabro.domain.article import ArticleKind
from fakturabro.domain.husavdrag import HouseWorkType
from fakturabro.registers.columns import MissingColumns
from fakturabro.registers.files import UnreadableFile, read_table, write_csv, write_xlsx
from fakturabro.registers.rows import BadRow, parse_articles, parse_customers, parse_decimal

from .samples import FILE_SHAPES, csv_bytes

WHOLESALER_ROWS = [
    ["Art.nr", "Benämning", "Enhet", "Nettopris", "Moms %"],
    ["1234567", "Kabel EKK 3x1,5 mm² ÅÄÖ", "m", "18,50", "25"],
    ["1234568", 'Dosa "Öppen"; vit', "st", "1 234,50", "25 %"],
]


@pytest.mark.parametrize("shape", FILE_SHAPES)
def test_every_file_shape_reads_the_same_rows(shape: str) -> None:
    data = FILE_SHAPES[shape](WHOLESALER_ROWS)
    entries, problems = parse_articles(read_table(data, "pris.xlsx" if shape == "xlsx" else "pris.csv"))
    assert problems == []
    assert [(e.record.number, e.record.name, e.record.unit_price) for e in entries] == [
        ("1234567", "Kabel EKK 3x1,5 mm² ÅÄÖ", Decimal("18.50")),
        ("1234568", 'Dosa "Öppen"; vit', Decimal("1234.50")),
    ]
    assert [e.row for e in entries] == [2, 3]


def test_encoding_and_separator_are_reported() -> None:
    table = read_table(csv_bytes(WHOLESALER_ROWS, encoding="cp1252"))
    assert (table.encoding, table.separator) == ("cp1252", ";")
    assert read_table(csv_bytes(WHOLESALER_ROWS, bom=True, separator=",")).encoding == "utf-8-sig"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("18,50", "18.50"),
        ("1 234,5", "1234.5"),
        ("1\u00a0234,50 kr", "1234.50"),
        ("1.234,50", "1234.50"),
        ("1,234.50", "1234.50"),
        ("18.5", "18.5"),
        ("-3", "-3"),
        ("25 %", "25"),
    ],
)
def test_swedish_numbers(text: str, value: str) -> None:
    assert parse_decimal(text, "Priset") == Decimal(value)


@pytest.mark.parametrize("text", ["", "abc", "1,2,3", "NaN", "Infinity"])
def test_not_numbers(text: str) -> None:
    with pytest.raises(BadRow):
        parse_decimal(text, "Priset")


def test_bad_rows_are_reported_one_by_one_and_the_good_ones_kept() -> None:
    rows = [
        ["Artikelnummer", "Benämning", "Pris", "Moms", "Typ", "Husarbete"],
        ["1", "Bra", "10", "12", "Arbete", "Bygg"],
        ["", "Utan nummer", "10", "25", "", ""],
        ["3", "", "10", "25", "", ""],
        ["4", "Dyr", "tio", "25", "", ""],
        ["5", "Moms", "10", "20", "", ""],
        ["6", "Öre", "10,005", "25", "", ""],
        ["7 7", "Mellanslag", "10", "25", "", ""],
        ["8", "Husarbete", "10", "25", "", "Trollkarl"],
    ]
    entries, problems = parse_articles(read_table(csv_bytes(rows)))
    [good] = entries
    assert good.record.kind is ArticleKind.LABOUR
    assert good.record.vat_rate == Decimal(12)
    assert good.record.house_work_type is HouseWorkType.BYGG
    reasons = {problem.row: problem.reason for problem in problems}
    assert reasons == {
        3: "Artikelnumret saknas.",
        4: "Benämningen saknas.",
        5: "Priset är inte ett tal.",
        6: "Momssatsen måste vara 25, 12, 6 eller 0 %.",
        7: "Priset har fler än två decimaler (öre); avrunda det i filen.",
        8: "Artikelnumret får bara innehålla bokstäver, siffror och . _ / - (högst 50 tecken).",
        9: "Typen av husarbete är okänd (t.ex. bygg, el, vvs, stadning).",
    }


def test_visma_coding_column_gives_vat_and_kind() -> None:
    rows = [
        ["Artikelnr", "Benämning", "Försäljningspris", "Artikelkontering"],
        ["8000", "Montör", "650", "Tjänster 25 % moms"],
        ["9000", "Bok", "100", "Varor 6 % moms"],
    ]
    entries, _ = parse_articles(read_table(csv_bytes(rows)))
    assert [(e.record.kind, e.record.vat_rate) for e in entries] == [
        (ArticleKind.LABOUR, Decimal(25)),
        (ArticleKind.MATERIAL, Decimal(6)),
    ]


def test_missing_columns_and_explicit_mapping() -> None:
    table = read_table(csv_bytes([["Kod", "Text", "Kostnad"], ["1", "Skruv", "2,50"]]))
    with pytest.raises(MissingColumns, match="Artikelnummer"):
        parse_articles(table)
    entries, _ = parse_articles(table, {"Kod": "number", "Text": "name", "Kostnad": "unit_price"})
    assert entries[0].record.unit_price == Decimal("2.50")


def test_unreadable_files() -> None:
    with pytest.raises(UnreadableFile):
        read_table(b"")
    with pytest.raises(UnreadableFile):
        read_table(b"PK\x03\x04 not really a zip", "a.xlsx")
    with pytest.raises(UnreadableFile):
        read_table(b"\x81\x8d\x8f", "a.csv")  # bytes Windows-1252 leaves undefined


def test_customer_rows_identity_numbers_and_type() -> None:
    rows = [
        ["Kundnr", "Namn", "Org.nr/Personnr", "Kundtyp", "Momsreg.nr", "Postnr", "Ort"],
        ["1001", "Bygg AB", "556677-8899", "Företag", "SE556677889901", "41101", "Göteborg"],
        ["1002", "Anna Andersson", "19880320-2384", "Privatperson", "", "41101", "Göteborg"],
        ["1003", "Enskild firma", "198803202384", "Företag", "", "", ""],
        ["1004", "Fel", "556677-8890", "Företag", "", "", ""],
        ["1005", "Moms utan org", "", "Privatperson", "SE556677889901", "", ""],
        ["1006", "Felaktig privat", "556036-0793", "Privatperson", "", "", ""],
    ]
    entries, problems = parse_customers(read_table(csv_bytes(rows, separator=",")))
    by_number = {e.record.customer_number: e.record for e in entries}
    assert by_number["1001"].org_number == "556677-8899"
    assert by_number["1001"].vat_number == "SE556677889901"
    assert by_number["1002"].personal_number == "198803202384"
    assert by_number["1002"].org_number is None
    assert by_number["1003"].org_number == "880320-2384"  # a sole trader's org number is the personnummer
    assert by_number["1006"].type_disagrees
    assert not by_number["1001"].type_disagrees
    reasons = {p.row: p.reason for p in problems}
    assert reasons[5] == "Organisationsnumret är ogiltigt (kontrollera siffrorna)."
    assert reasons[6] == "Momsregistreringsnummer kräver organisationsnummer."
    assert all("8899" not in reason and "2384" not in reason for reason in reasons.values())


def test_written_files_read_back() -> None:
    header = ["Artikelnummer", "Benämning", "Pris"]
    rows = [["1", "Å", Decimal("18.50")]]
    csv_table = read_table(write_csv(header, rows))
    assert csv_table.rows == [(2, ["1", "Å", "18,50"])]
    assert csv_table.encoding == "utf-8-sig"
    assert read_table(write_xlsx(header, rows)).rows == [(2, ["1", "Å", "18.5"])]
