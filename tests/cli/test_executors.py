"""DBOS executor ids: long-running processes keep theirs across restarts, a one-shot command takes nobody's work."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from fakturabro.sync.executors import one_shot_executor_id, service_executor_id

# A process of the old kind (DBOS's default executor id, `local`) that dies while holding a workflow.
HOLDING_PROCESS = textwrap.dedent(
    """
    import os, time
    from dbos import DBOS
    from fakturabro.settings import Settings
    from fakturabro.sync import runtime

    DBOS(config=runtime.dbos_config(Settings()))

    @DBOS.workflow(name="test.held")
    def held() -> None:
        DBOS.sleep(3600)

    DBOS.launch()
    handle = DBOS.start_workflow(held)
    while handle.get_status().status != "PENDING":
        time.sleep(0.05)
    print(handle.workflow_id, flush=True)
    os._exit(0)
    """
)


def test_a_long_running_process_is_named_by_the_setting_or_its_host_and_role() -> None:
    assert service_executor_id("worker", environ={}, hostname="faktura1") == "faktura1-worker"
    assert service_executor_id("web", environ={}, hostname="faktura1") == "faktura1-web"
    assert service_executor_id("worker", environ={"FAKTURABRO_EXECUTOR_ID": " slot-3 "}) == "slot-3"
    assert service_executor_id("web", environ={"FAKTURABRO_EXECUTOR_ID": ""}, hostname="h") == "h-web"


def test_a_one_shot_command_has_an_id_of_its_own() -> None:
    assert one_shot_executor_id(pid=4242, hostname="faktura1") == "cli-faktura1-4242"
    assert one_shot_executor_id() == one_shot_executor_id(pid=os.getpid())
    assert one_shot_executor_id() != service_executor_id("worker", environ={})


def test_export_pending_leaves_another_process_s_unfinished_workflow_alone(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DBOS__VMID")}
    environment |= {"FAKTURABRO_DATA_DIR": str(data_dir), "FAKTURABRO_LOG_LEVEL": "WARNING"}
    fakturabro = str(Path(sys.executable).with_name("fakturabro"))
    subprocess.run([fakturabro, "db", "upgrade"], env=environment, cwd=tmp_path, check=True, capture_output=True)
    held = subprocess.run(
        [sys.executable, "-c", HOLDING_PROCESS], env=environment, cwd=tmp_path, check=True, capture_output=True
    )
    workflow_id = held.stdout.decode().split()[-1]

    pending = subprocess.run(
        [fakturabro, "export", "pending"], env=environment, cwd=tmp_path, capture_output=True, timeout=120
    )

    assert pending.returncode == 0, pending.stderr.decode()[-2000:]
    with sqlite3.connect(data_dir / "dbos.sqlite") as dbos_tables:
        row = dbos_tables.execute(
            "SELECT status, executor_id, queue_name FROM workflow_status WHERE workflow_uuid = ?", (workflow_id,)
        ).fetchone()
    # Recovered, it would be ENQUEUED again on DBOS's internal queue (what the shared default id `local` did).
    assert row == ("PENDING", "local", None)
