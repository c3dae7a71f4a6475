"""DBOS executor ids: long-running processes keep theirs across restarts, a one-shot command takes nobody's work."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from fakturabro.sync.executors import one_shot_executor_id, service_executor_id

# A process of the old kind (DBOS's default executor id, `local`) that dies while holding a workflow, and leaves
# another waiting in a queue for the workers.
HOLDING_PROCESS = textwrap.dedent(
    """
    import os, time
    from dbos import DBOS
    from fakturabro.settings import Settings
    from fakturabro.sync import runtime

    DBOS(config=runtime.dbos_config(Settings()))
    DBOS.listen_queues([])

    @DBOS.workflow(name="test.held")
    def held() -> None:
        DBOS.sleep(3600)

    @DBOS.workflow(name="test.queued")
    def queued() -> None:
        pass

    DBOS.launch()
    handle = DBOS.start_workflow(held)
    waiting = DBOS.register_queue("test-queue", polling_interval_sec=0.05).enqueue(queued)
    while handle.get_status().status != "PENDING":
        time.sleep(0.05)
    print(handle.workflow_id, waiting.workflow_id, flush=True)
    os._exit(0)
    """
)

# A one-shot command that stays up long enough to have taken work, if it took any.
LINGERING_ONE_SHOT = textwrap.dedent(
    """
    import time
    from fakturabro.bootstrap import build
    from fakturabro.sync.executors import launch_one_shot, stop_one_shot

    launch_one_shot(build())
    time.sleep(1.5)
    stop_one_shot()
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


def test_export_pending_neither_recovers_nor_runs_other_processes_work(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    environment = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DBOS__VMID")}
    environment |= {"FAKTURABRO_DATA_DIR": str(data_dir), "FAKTURABRO_LOG_LEVEL": "WARNING"}
    fakturabro = str(Path(sys.executable).with_name("fakturabro"))
    subprocess.run([fakturabro, "db", "upgrade"], env=environment, cwd=tmp_path, check=True, capture_output=True)
    held = subprocess.run(
        [sys.executable, "-c", HOLDING_PROCESS], env=environment, cwd=tmp_path, check=True, capture_output=True
    )
    held_id, queued_id = held.stdout.decode().split()[-2:]

    pending = subprocess.run(
        [fakturabro, "export", "pending"], env=environment, cwd=tmp_path, capture_output=True, timeout=120
    )
    lingering = subprocess.run(
        [sys.executable, "-c", LINGERING_ONE_SHOT], env=environment, cwd=tmp_path, capture_output=True, timeout=120
    )

    assert pending.returncode == 0, pending.stderr.decode()[-2000:]
    assert lingering.returncode == 0, lingering.stderr.decode()[-2000:]
    with sqlite3.connect(data_dir / "dbos.sqlite") as dbos_tables:
        rows = dbos_tables.execute("SELECT workflow_uuid, status, executor_id, queue_name FROM workflow_status")
        status = {workflow_id: rest for workflow_id, *rest in rows.fetchall()}
    # Recovered (as under the shared id `local`), the held one would be put on DBOS's internal queue again (and
    # maybe taken by the command); dequeued, the waiting one would be PENDING under the command's id, or failed.
    assert status[held_id] == ["PENDING", "local", None]
    assert status[queued_id][0] == "ENQUEUED"
