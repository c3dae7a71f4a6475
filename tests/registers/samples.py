"""Sample register files, written by the tests in every shape users send."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx
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


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form" and self.action is None:
            self.action = named.get("action", "")
        elif tag == "input" and named.get("type") == "hidden" and "name" in named:
            self.fields[named["name"]] = named.get("value", "")


def consent_in_sandbox(browser: httpx.Client, authorize_url: str) -> dict[str, str]:
    """Log in to the sandbox's Visma Connect as its seeded user and allow; the callback's query (code, state)."""
    page = browser.get(authorize_url, follow_redirects=True)
    assert page.status_code == 200, page.text
    form = _FormParser()
    form.feed(page.text)
    answer = browser.post(
        str(page.url.join(form.action or "")),
        data={**form.fields, "username": "demo@sandbox.local", "password": "sandbox", "decision": "allow"},
        follow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    return {key: values[0] for key, values in query.items()}
