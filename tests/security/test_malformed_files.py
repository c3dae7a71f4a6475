"""Finding 3, and the malformed-file corpus: every file a user can send gets an answer, a Swedish 4xx when it
cannot be read, never a 500 — through the REST preview and the page alike."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from tests.registers.samples import csv_bytes, xlsx_bytes

from .conftest import Browser, Script

HEADER = ["Artikelnummer", "Benämning", "Pris"]


def xlsx_members() -> dict[str, bytes]:
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADER, ["1", "Skruv", "1"]])))
    return {info.filename: source.read(info.filename) for info in source.infolist()}


def xlsx_without_worksheet() -> bytes:
    """A workbook listing no sheet at all: openpyxl opens it, ``worksheets`` is empty."""
    members = xlsx_members()
    members["xl/workbook.xml"] = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", members["xl/workbook.xml"])
    return zip_of(members)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def broken_sheet_xml() -> bytes:
    members = xlsx_members()
    members["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c r='A1' t='s'><v>99"
    return zip_of(members)


CORPUS = {
    "csv-1mb-cell": ("a.csv", csv_bytes([HEADER, ["1", "x" * 1_100_000, "1"]])),
    "xlsx-no-worksheet": ("a.xlsx", xlsx_without_worksheet()),
    "xlsx-broken-sheet-xml": ("a.xlsx", broken_sheet_xml()),
    "zip-not-xlsx": ("a.xlsx", zip_of({"hello.txt": b"hej"})),
    "truncated-xlsx": ("a.xlsx", xlsx_bytes([HEADER, ["1", "Skruv", "1"]])[:300]),
    "xlsx-magic-only": ("a.csv", b"PK\x03\x04"),
    "empty": ("a.csv", b""),
    "only-whitespace": ("a.csv", b" \r\n\r\n \t"),
    "header-only": ("a.csv", csv_bytes([HEADER])),
    "no-known-columns": ("a.csv", csv_bytes([["foo", "bar"], ["1", "2"]])),
    "binary": ("a.csv", bytes(range(256)) * 10),
    "nul-bytes": ("a.csv", b"Artikelnummer;Ben\x00\xe4mning;Pris\r\n1;a\x00b;1\r\n"),
    "utf16-odd-length": ("a.csv", b"\xff\xfeA\x00r\x00t"),
    "unclosed-quote": ("a.csv", b'Artikelnummer;Ben\xc3\xa4mning;Pris\r\n1;"Skruv;1\r\n2;x;1'),
    "cr-only-lines": ("a.csv", b"Artikelnummer;Ben\xc3\xa4mning;Pris\r1;Skruv;1\r"),
    "many-columns": ("a.csv", (";".join(["Artikelnummer", "Benämning", "Pris"] + ["k"] * 5000) + "\r\n").encode()),
    "huge-number": ("a.csv", csv_bytes([HEADER, ["1", "Skruv", "9" * 5000]])),
    "exponent-number": ("a.csv", csv_bytes([HEADER, ["1", "Skruv", "1e999999999"]])),
    "formula-cells": ("a.xlsx", xlsx_bytes([HEADER, ["1", "=1+1", "=A1*2"]])),
}


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_the_rest_preview_never_answers_500(script: Script, case: str) -> None:
    name, data = CORPUS[case]
    answer = script.request("POST", "/registers/articles/import/preview", files={"file": (name, data)})
    assert answer.status_code < 500, (case, answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        assert answer.json()["detail"], case


@pytest.mark.parametrize("case", ["csv-1mb-cell", "xlsx-no-worksheet", "xlsx-broken-sheet-xml", "zip-not-xlsx"])
def test_an_unreadable_file_gets_a_swedish_422(script: Script, case: str) -> None:
    name, data = CORPUS[case]
    answer = script.request("POST", "/registers/articles/import/preview", files={"file": (name, data)})
    assert answer.status_code == 422, answer.text
    message = str(answer.json()["detail"]).lower()
    assert "fil" in message or "cell" in message, answer.text


@pytest.mark.parametrize("case", sorted(CORPUS))
def test_the_page_never_answers_500(browser: Browser, case: str) -> None:
    name, data = CORPUS[case]
    answer = browser.post("/registers/articles/preview", files={"file": (name, data)})
    assert answer.status_code < 500, (case, answer.status_code, answer.text[:300])
