"""`fakturabro company show|set|logo`: the company's invoice details from the command line, checked like the page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from fakturabro.bootstrap import build
from fakturabro.cli import app
from fakturabro.invoicing.companies import find_company
from fakturabro.invoicing.company_settings import company_logo, get_company_settings

COMPANY = "Elfirman i Lund AB"


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("FAKTURABRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["company", "create", COMPANY]).exit_code == 0
    return runner


def settings() -> dict[str, object]:
    container = build()
    try:
        return get_company_settings(container.db, find_company(container.db, COMPANY).id).model_dump()
    finally:
        container.close()


def test_set_changes_only_what_is_given_and_show_prints_it(runner: CliRunner) -> None:
    first = ["company", "set", "-c", COMPANY, "--org-number", "5591234561", "--bankgiro", "50501055", "--f-skatt"]
    assert runner.invoke(app, first).exit_code == 0
    second = runner.invoke(app, ["company", "set", "-c", COMPANY, "--city", "Lund", "--payment-terms-days", "20"])
    assert second.exit_code == 0, second.output
    saved = settings()
    assert (saved["org_number"], saved["vat_number"], saved["bankgiro"]) == (
        "559123-4561",
        "SE559123456101",
        "5050-1055",
    )
    assert (saved["city"], saved["payment_terms_days"], saved["f_skatt"]) == ("Lund", 20, True)
    shown = runner.invoke(app, ["company", "show", "--company", COMPANY], terminal_width=200).output
    assert "5050-1055" in shown
    assert "Godkänd för F-skatt" in shown


def test_bad_values_are_named_by_field_and_nothing_is_saved(runner: CliRunner) -> None:
    before = settings()
    result = runner.invoke(
        app,
        ["company", "set", "-c", COMPANY, "--city", "Lund", "--bankgiro", "5050-1056", "--iban", "SE00"],
        terminal_width=200,
    )
    assert result.exit_code == 1
    assert "Inget är sparat" in result.output
    assert "Bankgironumret är ogiltigt" in result.output
    assert "--iban" in result.output
    assert settings() == before


def test_a_logo_is_checked_stored_and_removed(runner: CliRunner, tmp_path: Path) -> None:
    picture = io.BytesIO()
    Image.new("RGB", (60, 20), (0, 0, 0)).save(picture, "PNG")
    (tmp_path / "logo.png").write_bytes(picture.getvalue())
    (tmp_path / "bad.svg").write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')
    refused = runner.invoke(app, ["company", "logo", "-c", COMPANY, str(tmp_path / "bad.svg")], terminal_width=200)
    assert refused.exit_code == 1
    assert "<script>" in refused.output
    assert runner.invoke(app, ["company", "logo", "-c", COMPANY, str(tmp_path / "logo.png")]).exit_code == 0
    container = build()
    company_id = find_company(container.db, COMPANY).id
    assert company_logo(container.db, company_id) == (picture.getvalue(), "image/png")
    assert runner.invoke(app, ["company", "logo", "-c", COMPANY, "--remove"]).exit_code == 0
    assert company_logo(container.db, company_id) is None
    container.close()
    assert runner.invoke(app, ["company", "logo", "-c", COMPANY]).exit_code == 2
