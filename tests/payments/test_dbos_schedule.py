"""The scheduled import under DBOS, in a worker-like subprocess: the schedule exists with the configured
interval, a tick imports each connected company once under the id ``payments-import-<company>-<tick>``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from payment_helpers import Connected, Visma, paid_in_visma

from fakturabro.sync.payments import schedule


def test_a_dbos_tick_imports_each_connected_company_once(visma: Visma, connected: Connected) -> None:
    invoice_id = paid_in_visma(visma, connected.ours)
    env = {**os.environ, **connected.settings_env, schedule.INTERVAL_ENV: "10"}
    script = Path(__file__).with_name("dbos_tick.py")

    done = subprocess.run(
        [sys.executable, str(script), str(connected.ours.company_id)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["cron"] == "0 */10 * * * *"
    first, second = answer["outcomes"]
    assert first == second  # the second start of the same tick returned the first run's result
    assert (first["status"], first["paid"], first["api_calls"]) == ("succeeded", 1, 1)
    assert connected.ours.invoice(invoice_id).status == "paid"
    assert len(connected.ours.payments(invoice_id)) == 1
