"""Reading and writing register files: CSV (any of the encodings and separators Excel produces) and XLSX.

Encodings: a BOM decides (UTF-8, UTF-16); without one, UTF-8 if the bytes are valid UTF-8, else Windows-1252,
which is what Swedish Excel writes for "CSV (semikolonavgränsad)". The separator is the one of ``;``, ``,``
and tab that splits the header line into the most columns. Exports are written the way Swedish Excel reads
them without a wizard: UTF-8 with BOM, ``;`` between columns, decimal commas.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook

XLSX_MAGIC = b"PK\x03\x04"
SEPARATORS = (";", ",", "\t")


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not a single row); the message is Swedish and meant for the user."""


@dataclass(frozen=True)
class Table:
    """A file's header and data rows; ``rows`` pairs each row's number as the user sees it (1 = header)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str | None = None
    separator: str | None = None


def read_table(data: bytes, filename: str = "") -> Table:
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    return _read_csv(data)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of the encoding it was read with."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        # Windows-1252 leaves five bytes undefined; a file using them is not text at all.
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as error:
            raise UnreadableFile("Filen är inte en textfil (CSV) som går att läsa.") from error


def _read_csv(data: bytes) -> Table:
    text, encoding = decode(data)
    if not text.strip():
        raise UnreadableFile("Filen är tom.")
    first_line = text.lstrip("\r\n").splitlines()[0]
    separator = max(SEPARATORS, key=lambda candidate: len(next(csv.reader([first_line], delimiter=candidate))))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    lines = [(reader.line_num, row) for row in reader]
    return _table(lines, encoding=encoding, separator=separator)


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises a zoo of types for a broken file; all mean the same to the user
        raise UnreadableFile("Filen är inte en Excel-fil (XLSX) som går att läsa.") from error
    try:
        sheet = workbook.worksheets[0]
        lines = [
            (number, [_cell_text(cell) for cell in row])
            for number, row in enumerate(sheet.iter_rows(values_only=True), 1)
        ]
    finally:
        workbook.close()
    return _table(lines)


def _table(lines: Sequence[tuple[int, list[str]]], **details: Any) -> Table:
    filled = [(number, [cell.strip() for cell in row]) for number, row in lines if any(cell.strip() for cell in row)]
    if not filled:
        raise UnreadableFile("Filen saknar rubrikrad.")
    (_, header), *rows = filled
    return Table(header=header, rows=rows, **details)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # repr of a float is the shortest text that reads back as the same float: 18.5, not 18.499999…
        return repr(value) if not value.is_integer() else str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


# --- writing -------------------------------------------------------------------------------------------------


def swedish_number(value: Decimal) -> str:
    return format(value, "f").replace(".", ",")


def write_csv(header: Sequence[str], rows: Iterator[Sequence[object]] | Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([swedish_number(cell) if isinstance(cell, Decimal) else _plain(cell) for cell in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def write_xlsx(header: Sequence[str], rows: Iterator[Sequence[object]] | Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(header))
    for row in rows:
        # Decimals go in as numbers Excel can sum; openpyxl writes a Decimal's exact text, not a float.
        sheet.append([cell if isinstance(cell, Decimal) else _plain(cell) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _plain(value: object) -> str:
    return "" if value is None else str(value)
