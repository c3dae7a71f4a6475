"""Sample register files, written by the tests in every shape users send."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook


def csv_bytes(
    rows: Sequence[Sequence[object]], *, separator: str = ";", encoding: str = "utf-8", bom: bool = False
) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=separator, lineterminator="\r\n").writerows(rows)
    return (codecs.BOM_UTF8 if bom else b"") + buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FILE_SHAPES = {
    "utf8-bom-semicolon": lambda rows: csv_bytes(rows, bom=True),
    "utf8-comma": lambda rows: csv_bytes(rows, separator=","),
    "cp1252-semicolon": lambda rows: csv_bytes(rows, encoding="cp1252"),
    "tab": lambda rows: csv_bytes(rows, separator="\t"),
    "xlsx": xlsx_bytes,
}
