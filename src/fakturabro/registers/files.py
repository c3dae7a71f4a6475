"""Reading and writing register files: CSV (any of the encodings and separators Excel produces) and XLSX.

Encodings: a BOM decides (UTF-8, UTF-16); without one, UTF-8 if the bytes are valid UTF-8, else Windows-1252,
which is what Swedish Excel writes for "CSV (semikolonavgränsad)". The separator is the one of ``;``, ``,``
and tab that splits the header line into the most columns. Exports are written the way Swedish Excel reads
them without a wizard: UTF-8 with BOM, ``;`` between columns, decimal commas.

Files are read as a stream of rows that stops at ``max_rows`` (the operator's cap), so a huge file costs the
time and memory of the cap, not of the file. Text cells that Excel would run as a formula (OWASP's
CSV-injection rule: a leading ``=``, ``+``, ``-``, ``@``, tab or carriage return) are written to CSV behind an
apostrophe and to XLSX as text cells; reading a CSV takes our own apostrophe off again.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

XLSX_MAGIC = b"PK\x03\x04"
SEPARATORS = (";", ",", "\t")
DEFAULT_MAX_ROWS = 50_000
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 64 * 1024


class UnreadableFile(ValueError):
    """The file as a whole cannot be read (not a single row); the message is Swedish and meant for the user."""


class TooManyRows(UnreadableFile):
    """The file has more data rows than the operator allows in one import."""

    def __init__(self, max_rows: int) -> None:
        limit = swedish_count(max_rows)
        super().__init__(f"Filen har fler än {limit} rader. Dela upp den i filer med högst {limit} rader var.")


def swedish_count(count: int) -> str:
    return f"{count:,}".replace(",", " ")


def looks_like_formula(text: str) -> bool:
    return text.startswith(FORMULA_LEADS)


def neutralise_formula(text: str) -> str:
    """OWASP's CSV-injection rule: a cell Excel would evaluate gets a leading apostrophe and stays text."""
    return "'" + text if looks_like_formula(text) else text


@dataclass(frozen=True)
class Table:
    """A file's header and data rows; ``rows`` pairs each row's number as the user sees it (1 = header)."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str | None = None
    separator: str | None = None


def read_table(data: bytes, filename: str = "", *, max_rows: int | None = DEFAULT_MAX_ROWS) -> Table:
    """The file's header and rows; ``max_rows`` data rows at most (``None``: no cap, for a file already checked)."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data, max_rows)
    return _read_csv(data, max_rows)


def detect_encoding(data: bytes) -> str:
    """The encoding to read ``data`` with, checked chunk by chunk (no copy of the whole file as text)."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return encoding if _decodes(data, encoding) else _not_text()
    if _decodes(data, "utf-8"):
        return "utf-8"
    # Windows-1252 leaves five bytes undefined; a file using them is not text at all.
    return "cp1252" if _decodes(data, "cp1252") else _not_text()


def decode(data: bytes) -> tuple[str, str]:
    """The text and the name of the encoding it was read with (for small files: the whole text at once)."""
    encoding = detect_encoding(data)
    return data.decode(encoding), encoding


def _decodes(data: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(data), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _not_text() -> str:
    raise UnreadableFile("Filen är inte en textfil (CSV) som går att läsa.")


def _read_csv(data: bytes, max_rows: int | None) -> Table:
    encoding = detect_encoding(data)
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    first_line = next((line for line in text if line.strip()), None)
    if first_line is None:
        raise UnreadableFile("Filen är tom.")
    separator = max(SEPARATORS, key=lambda candidate: len(next(csv.reader([first_line], delimiter=candidate))))
    text.seek(0)
    reader = csv.reader(text, delimiter=separator)
    lines = ((reader.line_num, [_unneutralised(cell) for cell in row]) for row in reader)
    try:
        return _table(lines, max_rows, encoding=encoding, separator=separator)
    except csv.Error as error:
        if "field limit" in str(error):
            limit = swedish_count(csv.field_size_limit())
            raise UnreadableFile(f"Rad {reader.line_num}: en cell är längre än {limit} tecken.") from None
        raise UnreadableFile(f"Filen går inte att läsa som CSV (rad {reader.line_num}).") from None


def _unneutralised(cell: str) -> str:
    """A cell our own export wrote as ``'=…`` reads back as ``=…`` (and is then warned about as a formula)."""
    return cell[1:] if cell.startswith("'") and looks_like_formula(cell[1:]) else cell


def _read_xlsx(data: bytes, max_rows: int | None) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises a zoo of types for a broken file; all mean the same to the user
        raise UnreadableFile("Filen är inte en Excel-fil (XLSX) som går att läsa.") from error
    try:
        if not workbook.worksheets:
            raise UnreadableFile("Excel-filen har inget kalkylblad.")
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        lines = ((number, [_cell_text(cell) for cell in row]) for number, row in enumerate(rows, 1))
        return _table(lines, max_rows)
    except UnreadableFile:
        raise
    except Exception as error:  # a sheet's XML broken half-way: the same to the user as a broken file
        raise UnreadableFile("Filen är inte en Excel-fil (XLSX) som går att läsa.") from error
    finally:
        workbook.close()


def _table(lines: Iterable[tuple[int, list[str]]], max_rows: int | None, **details: Any) -> Table:
    """The first non-empty line is the header; the non-empty lines after it are the rows, at most ``max_rows``."""
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for number, row in lines:
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        if max_rows is not None and len(rows) >= max_rows:
            raise TooManyRows(max_rows)
        rows.append((number, cells))
    if header is None:
        raise UnreadableFile("Filen saknar rubrikrad.")
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
        writer.writerow(
            [swedish_number(cell) if isinstance(cell, Decimal) else neutralise_formula(_plain(cell)) for cell in row]
        )
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


def write_xlsx(header: Sequence[str], rows: Iterator[Sequence[object]] | Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([_text_cell(sheet, name) for name in header])
    for row in rows:
        # Decimals go in as numbers Excel can sum; openpyxl writes a Decimal's exact text, not a float.
        sheet.append([cell if isinstance(cell, Decimal) else _text_cell(sheet, _plain(cell)) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> WriteOnlyCell:
    """A cell that is text whatever it starts with (openpyxl would store ``=…`` as a formula)."""
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell


def _plain(value: object) -> str:
    return "" if value is None else str(value)
