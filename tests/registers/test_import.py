"""Importing and exporting the registers through files, on a real migrated database (SQLite, and PostgreSQL
when configured): dry run, apply, re-run no-op, conflicts with decisions, resume after a crash, 20,000 rows."""

from __future__ import annotations

import os
import time
from decimal import Decimal

import pytest

from fakturabro.bootstrap import Container
from fakturabro.invoicing.articles import create_article, list_articles
from fakturabro.invoicing.customers import list_customers
from fakturabro.invoicing.inputs import ArticleInput
from fakturabro.registers.files import read_table
from fakturabro.registers.imports import apply_import, export_articles, import_file, preview_import, start_import
from fakturabro.registers.plan import Decision
from fakturabro.registers.runs import get_run

from .samples import FILE_SHAPES, csv_bytes

HEADER = ["Artikelnummer", "Benämning", "Enhet", "Pris", "Moms"]


def articles_file(count: int, start: int = 1, shape: str = "utf8-bom-semicolon") -> bytes:
    rows = [[str(n), f"Artikel {n}", "st", f"{n},50", "25"] for n in range(start, start + count)]
    return FILE_SHAPES[shape]([HEADER, *rows])


def numbers(container: Container, company_id: int) -> list[str]:
    return sorted(a.number for a in list_articles(container.db, company_id, limit=500))


@pytest.mark.parametrize("shape", FILE_SHAPES)
def test_dry_run_writes_nothing_then_import_and_rerun_is_a_noop(
    container: Container, company_id: int, shape: str
) -> None:
    data = articles_file(3, shape=shape)
    name = "a.xlsx" if shape == "xlsx" else "a.csv"
    preview = preview_import(container.db, company_id, "articles", data, name)
    assert [(r.row, r.key, r.fate) for r in preview.rows()] == [
        (2, "1", "create"),
        (3, "2", "create"),
        (4, "3", "create"),
    ]
    assert numbers(container, company_id) == []

    outcome = import_file(container.db, company_id, "articles", data, name)
    assert outcome.written == 3
    assert outcome.run.status == "succeeded"
    assert numbers(container, company_id) == ["1", "2", "3"]
    assert list_articles(container.db, company_id)[1].unit_price == Decimal("2.50")

    again = import_file(container.db, company_id, "articles", data, name)
    assert again.written == 0
    assert again.preview.counts["unchanged"] == 3


def test_conflicts_are_shown_and_only_a_decision_overwrites(container: Container, company_id: int) -> None:
    db = container.db
    create_article(db, company_id, ArticleInput(number="8000", name="Lärling", unit_price=Decimal(100)))
    create_article(db, company_id, ArticleInput(number="8001", name="Elektriker", unit_price=Decimal(700)))
    data = csv_bytes([HEADER, ["8000", "Montör", "tim", "650", "25"], ["8001", "Elektriker", "tim", "720", "25"]])

    outcome = import_file(db, company_id, "articles", data, "a.csv")
    assert [(c.key, c.fields) for c in outcome.conflicts] == [("8000", ("name",))]
    by_number = {a.number: a for a in list_articles(db, company_id)}
    assert by_number["8000"].name == "Lärling"  # never overwritten silently
    assert by_number["8001"].unit_price == Decimal(720)  # the rest still applied

    run_id, preview = start_import(db, company_id, "articles", data, "a.csv", decisions={"8000": Decision.USE_INCOMING})
    assert preview.counts["update"] == 1
    apply_import(db, company_id, "articles", run_id)
    assert {a.number: a.name for a in list_articles(db, company_id)}["8000"] == "Montör"


def test_a_crash_midway_keeps_whole_batches_and_the_run_resumes(container: Container, company_id: int) -> None:
    db = container.db
    data = articles_file(25)
    run_id, _ = start_import(db, company_id, "articles", data, "a.csv")

    def crash_after_two_batches(done: int, _total: int) -> None:
        if done >= 10:
            raise RuntimeError("the process died")

    with pytest.raises(RuntimeError):
        apply_import(db, company_id, "articles", run_id, batch_size=5, progress=crash_after_two_batches)
    failed = get_run(db, company_id, run_id)
    assert (failed.status, failed.done) == ("failed", 10)
    assert len(numbers(container, company_id)) == 10

    resumed = apply_import(db, company_id, "articles", run_id, batch_size=5)
    assert resumed.written == 15
    assert resumed.preview.counts["unchanged"] == 10
    assert (resumed.run.status, resumed.run.done, resumed.run.total) == ("succeeded", 25, 25)
    assert len(numbers(container, company_id)) == 25


def test_bad_rows_are_reported_and_good_rows_imported(container: Container, company_id: int) -> None:
    data = csv_bytes(
        [
            HEADER,
            ["1", "Bra", "st", "10", "25"],
            ["2", "", "st", "10", "25"],
            ["3", "Dubbel", "st", "1", "25"],
            ["3", "Dubbel igen", "st", "2", "25"],
        ],
        encoding="cp1252",
    )
    outcome = import_file(container.db, company_id, "articles", data, "a.csv")
    assert numbers(container, company_id) == ["1"]
    fates = {(r.row, r.fate) for r in outcome.preview.rows()}
    assert fates == {(2, "create"), (3, "rejected"), (4, "rejected"), (5, "rejected")}
    assert [p["row"] for p in outcome.run.problems] == [3, 4, 5]


def test_export_reads_back_as_unchanged(container: Container, company_id: int) -> None:
    db = container.db
    import_file(db, company_id, "articles", articles_file(4), "a.csv")
    for file_format in ("csv", "xlsx"):
        exported = export_articles(db, company_id, file_format)
        assert len(read_table(exported, f"x.{file_format}").rows) == 4
        assert preview_import(db, company_id, "articles", exported, f"x.{file_format}").counts["unchanged"] == 4


def test_customer_file_import_dedupes_and_flags(container: Container, company_id: int) -> None:
    rows = [
        ["Kundnummer", "Namn", "Organisationsnummer", "Personnummer", "Kundtyp", "Postnummer", "Ort"],
        ["1001", "Bygg AB", "556677-8899", "", "Privatperson", "41101", "Göteborg"],
        ["1002", "Anna", "", "19880320-2384", "Privatperson", "41101", "Göteborg"],
        ["1003", "Bygg AB igen", "556677-8899", "", "Företag", "41101", "Göteborg"],
    ]
    outcome = import_file(container.db, company_id, "customers", xlsx_rows(rows), "kunder.xlsx")
    fates = {r.key: (r.fate, r.detail) for r in outcome.preview.rows()}
    assert fates["1001"][0] == "rejected"  # two rows, one org number
    assert fates["1002"][0] == "create"
    customers = list_customers(container.db, company_id)
    assert [(c.customer_number, c.kind, c.personal_number) for c in customers] == [("1002", "private", "198803202384")]
    flagged = import_file(container.db, company_id, "customers", xlsx_rows([rows[0], rows[1]]), "kunder.xlsx")
    assert "privatperson" in flagged.preview.rows()[0].detail
    assert {c.customer_number: c.kind for c in list_customers(container.db, company_id)}["1001"] == "company"


def xlsx_rows(rows: list[list[str]]) -> bytes:
    return FILE_SHAPES["xlsx"](rows)


def test_twenty_thousand_rows_with_progress(container: Container, company_id: int) -> None:
    count = int(os.environ.get("FAKTURABRO_REGISTER_ROWS", "20000"))
    data = articles_file(count)
    seen: list[tuple[int, int]] = []
    started = time.perf_counter()
    outcome = import_file(
        container.db, company_id, "articles", data, "stor.csv", progress=lambda d, t: seen.append((d, t))
    )
    elapsed = time.perf_counter() - started
    assert outcome.written == count
    assert seen[-1] == (count, count)
    assert len(seen) == -(-count // 500)
    assert elapsed < 60
