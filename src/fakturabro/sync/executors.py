"""Which process owns a durable workflow: DBOS executor ids for `serve`, `worker` and one-shot commands.

DBOS tags every workflow with the id of the executor running it, and a process recovers (runs again from its last
finished step) at launch only the PENDING workflows tagged with its own id. Its default id is the same ``local``
in every process, so any process starting up would take over the unfinished work of every other, alive or not.

- ``serve`` and ``worker`` are long-running: their id stays the same across restarts, so a restarted process
  finishes what it held. ``FAKTURABRO_EXECUTOR_ID`` (or ``worker --executor-id``) names it; by default it is the
  host name and the role (``<host>-web``, ``<host>-worker``). Two workers on one machine need ids of their own.
- A one-shot command (``fakturabro export pending``) gets an id no other process has (``cli-<host>-<pid>``), so
  it recovers nobody's work; it only enqueues (it takes no work from our queues, the workers run it) and on exit
  waits a while for anything DBOS's internal queue handed it (a scheduled pick-up), so nothing is left pending
  under an id that never starts again.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from dbos import DBOS

from fakturabro.bootstrap import Container

ENVIRONMENT_VARIABLE = "FAKTURABRO_EXECUTOR_ID"
ONE_SHOT_DRAIN_SECONDS = 30


def service_executor_id(role: str, environ: Mapping[str, str] | None = None, hostname: str | None = None) -> str:
    """The stable id of a long-running process: ``FAKTURABRO_EXECUTOR_ID``, else ``<host>-<role>``."""
    configured = (environ if environ is not None else os.environ).get(ENVIRONMENT_VARIABLE, "").strip()
    return configured or f"{hostname or socket.gethostname()}-{role}"


def one_shot_executor_id(pid: int | None = None, hostname: str | None = None) -> str:
    """An id only this process has: a one-shot command neither recovers nor leaves work for another process."""
    return f"cli-{hostname or socket.gethostname()}-{pid if pid is not None else os.getpid()}"


def launch_one_shot(container: Container) -> str:
    """Launch DBOS for a command that only enqueues; returns its executor id. Stop it with `stop_one_shot`."""
    from fakturabro.sync import runtime

    executor_id = one_shot_executor_id()
    # `runtime.launch` constructs DBOS with this same configuration and gets this instance back (DBOS is one per
    # process); the queue filter has to be set between construction and launch.
    DBOS(config=runtime.dbos_config(container.settings, executor_id=executor_id))
    DBOS.listen_queues([])
    runtime.launch(
        container.settings, runtime.production_deps(container), executor_id=executor_id, schedule_pending=False
    )
    return executor_id


def stop_one_shot() -> None:
    DBOS.destroy(workflow_completion_timeout_sec=ONE_SHOT_DRAIN_SECONDS)
