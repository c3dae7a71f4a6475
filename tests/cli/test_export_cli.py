"""`fakturabro export pending`: every approved invoice not in Visma yet is queued for the workers.

The command launches DBOS, which is one per process, so it runs as a real subprocess here. It only enqueues
(the workers run the exports), so what it queued is read back from DBOS's tables.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing import invoices
from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput, RowInput
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade

FAKTURABRO = str(Path(sys.executable).with_name("fakturabro"))


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("FAKTURABRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return {key: value for key, value in os.environ.items() if key != "DBOS__VMID"} | {
        "FAKTURABRO_LOG_LEVEL": "WARNING"
    }


@pytest.fixture
def container(environment: dict[str, str]) -> Iterator[Container]:
    built = build(Settings())
    upgrade(built.engine)
    yield built
    built.close()


def _invoice(container: Container, company_id: int, *, approve: bool) -> int:
    customer = create_customer(container.db, company_id, CustomerInput(name="Kund i Lund"))
    row = RowInput(text="Byte av elcentral", quantity=1, unit_price=4800, kind="other")
    draft = invoices.create_invoice(
        container.db, company_id, InvoiceInput(customer_number=customer.customer_number, rows=[row])
    )
    if approve:
        invoices.approve_invoice(container.db, company_id, draft.id, [])  # no export hook: it waits for "pending"
    return draft.id


def _export_pending(environment: dict[str, str], *options: str) -> str:
    done = subprocess.run(
        [FAKTURABRO, "export", "pending", *options], env=environment, capture_output=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert "Traceback" not in done.stderr.decode()  # launched and stopped cleanly
    return done.stdout.decode()


def _queued_exports(data_dir: Path) -> set[str]:
    with sqlite3.connect(data_dir / "dbos.sqlite") as dbos_tables:
        rows = dbos_tables.execute("SELECT workflow_uuid FROM workflow_status WHERE status = 'ENQUEUED'")
        return {workflow_id for (workflow_id,) in rows.fetchall()}


def test_export_pending_queues_the_approved_invoices_waiting_for_visma(
    container: Container, environment: dict[str, str]
) -> None:
    elfirman = create_company_with_details(container.db, "Elfirman i Lund AB").id
    ror = create_company_with_details(container.db, "Rör AB").id
    waiting = _invoice(container, elfirman, approve=True)
    _invoice(container, elfirman, approve=False)  # a draft is not exported
    other = _invoice(container, ror, approve=True)

    only_elfirman = _export_pending(environment, "--company", str(elfirman))

    assert "1 fakturor köade för export till Visma." in only_elfirman
    queued = _queued_exports(Path(environment["FAKTURABRO_DATA_DIR"]))
    assert any(workflow_id.startswith(f"export-{waiting}-") for workflow_id in queued)
    assert not any(workflow_id.startswith(f"export-{other}-") for workflow_id in queued)

    everyone = _export_pending(environment)

    assert "fakturor köade för export till Visma." in everyone
    queued = _queued_exports(Path(environment["FAKTURABRO_DATA_DIR"]))
    assert any(workflow_id.startswith(f"export-{other}-") for workflow_id in queued)


def test_export_pending_with_nothing_waiting_queues_none(container: Container, environment: dict[str, str]) -> None:
    company = create_company_with_details(container.db, "Tom AB").id
    _invoice(container, company, approve=False)

    assert "0 fakturor köade för export till Visma." in _export_pending(environment)
