"""Finding 2: one tenant's upload stalls everyone. File imports run off the event loop and stop at a row cap
with a Swedish message; request bodies have size limits (JSON and uploads apart). The 200,000-row figures are
in bench/upload_under_load.py and docs/BENCHMARKS.md."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from tests.registers.samples import csv_bytes, xlsx_bytes

from fakturabro.registers import imports

from .conftest import Script

HEADER = ["Artikelnummer", "Benämning", "Pris"]


@pytest.fixture(scope="module")
def settings_changes() -> dict[str, Any]:
    return {"max_import_rows": 100, "max_json_bytes": 10_000, "max_upload_bytes": 200_000}


def rows(count: int) -> list[list[object]]:
    return [HEADER] + [[str(number), f"Artikel {number}", "10"] for number in range(1, count + 1)]


def preview(script: Script, name: str, data: bytes) -> Any:
    return script.request("POST", "/registers/articles/import/preview", files={"file": (name, data)})


def test_the_rest_preview_parses_off_the_event_loop(script: Script, monkeypatch: pytest.MonkeyPatch) -> None:
    loops: list[bool] = []
    parse = imports.read_table

    def watched(*args: Any, **kwargs: Any) -> Any:
        try:
            asyncio.get_running_loop()
            loops.append(True)
        except RuntimeError:
            loops.append(False)
        return parse(*args, **kwargs)

    monkeypatch.setattr(imports, "read_table", watched)
    assert preview(script, "a.csv", csv_bytes(rows(3))).status_code == 200
    assert loops == [False]


@pytest.mark.parametrize(("name", "write"), [("a.csv", csv_bytes), ("a.xlsx", xlsx_bytes)])
def test_a_file_over_the_row_cap_is_refused_in_swedish(script: Script, name: str, write: Any) -> None:
    assert preview(script, name, write(rows(100))).status_code == 200
    answer = preview(script, name, write(rows(101)))
    assert answer.status_code == 413, answer.text
    assert "fler än 100 rader" in str(answer.json()["detail"])


def test_an_upload_over_its_limit_is_refused(script: Script) -> None:
    answer = preview(script, "a.csv", b"x" * 200_001)
    assert answer.status_code == 413
    assert "större än" in str(answer.json()["detail"])


def test_a_json_body_over_its_limit_is_refused_before_it_is_read(script: Script) -> None:
    body = b'{"name": "' + b"x" * 20_000 + b'"}'
    answer = script.request("POST", "/customers", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "för stor" in str(answer.json()["detail"])


def test_a_chunked_json_body_over_its_limit_is_refused(script: Script) -> None:
    def chunks() -> Any:
        yield b'{"name": "'
        for _ in range(20):
            yield b"x" * 1000
        yield b'"}'

    answer = script.request("POST", "/customers", content=chunks(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 413


def test_an_upload_larger_than_the_json_limit_is_still_accepted(script: Script) -> None:
    assert preview(script, "a.csv", csv_bytes(rows(100)) + b" " * 15_000).status_code == 200
