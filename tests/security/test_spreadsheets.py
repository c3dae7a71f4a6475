"""Finding 1: formula injection. A cell a user controls never reaches Excel as a live formula: the CSV export
neutralises formula-leading cells by OWASP's CSV-injection rule (a leading apostrophe), the XLSX export writes
them as text cells, and an import warns about such values in its preview."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook
from tests.registers.samples import csv_bytes

from .conftest import Script

FORMULAS = ["=cmd|' /C calc'!A0", "+1+cmd", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1"]


def create_articles(script: Script) -> None:
    for number, name in enumerate(FORMULAS, 1):
        body = {"number": f"F{number}", "name": name, "unit_price": "10"}
        assert script.request("POST", "/articles", json=body).status_code == 201


def test_xlsx_export_writes_formula_leading_names_as_text(script: Script) -> None:
    create_articles(script)
    answer = script.request("GET", "/registers/articles/export", params={"format": "xlsx"})
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).worksheets[0]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    for number, name in enumerate(FORMULAS, 1):
        cell = cells[f"F{number}"]
        assert cell.data_type == "s", (name, cell.data_type)
        assert cell.value == name  # kept exactly, as text


def test_csv_export_neutralises_formula_leading_cells(script: Script) -> None:
    create_articles(script)
    answer = script.request("GET", "/registers/articles/export", params={"format": "csv"})
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    names = {row[0]: row[1] for row in rows[1:]}
    for number, name in enumerate(FORMULAS, 1):
        assert names[f"F{number}"] == "'" + name


def test_csv_export_reads_back_unchanged(script: Script) -> None:
    """The apostrophe is ours: importing our own export changes nothing."""
    create_articles(script)
    exported = script.request("GET", "/registers/articles/export", params={"format": "csv"}).content
    files = {"file": ("artiklar.csv", exported, "text/csv")}
    preview = script.request("POST", "/registers/articles/import/preview", files=files).json()
    assert preview["counts"]["unchanged"] == len(FORMULAS), preview["counts"]


@pytest.mark.parametrize("name", FORMULAS)
def test_import_preview_warns_about_formula_values(script: Script, name: str) -> None:
    data = csv_bytes([["Artikelnummer", "Benämning", "Pris"], ["1", name, "10"], ["2", "Skruv", "1"]])
    files = {"file": ("artiklar.csv", data, "text/csv")}
    preview = script.request("POST", "/registers/articles/import/preview", files=files).json()
    rows = {row["key"]: row for row in preview["rows"]}
    assert "formel" in rows["1"]["detail"], rows["1"]
    assert "formel" not in rows["2"]["detail"]
