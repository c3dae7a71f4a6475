"""The buttons that start exports ("Exportera igen", "Exportera alla väntande") over the export's use cases.

The export runs in DBOS workflows started by the process that serves the app; when the export is not running in
this process (DBOS not launched, e.g. a web-only process or a test), the user is told in Swedish instead of an
error page, and the invoices stay waiting for a worker.
"""

from __future__ import annotations

import structlog
from dbos._error import DBOSException

from fakturabro.domain.swedish_format import plural
from fakturabro.sync.export import workflow

log = structlog.get_logger(__name__)

NOT_RUNNING = "Exporten är inte igång just nu. Fakturan står kvar som väntande och exporteras när den startar."


def export_again(company_id: int, invoice_id: int) -> str:
    try:
        started = workflow.export_again(company_id, invoice_id)
    except (RuntimeError, DBOSException) as error:  # not configured here, or DBOS not launched
        log.warning("export.not_running", company_id=company_id, error=type(error).__name__, detail=str(error)[:200])
        return NOT_RUNNING
    if not started:
        return "Fakturan exporteras redan eller är redan exporterad."
    return "Exporten är startad igen."


def export_all_pending(company_id: int) -> tuple[int, str]:
    """Start every waiting, failed or reconnect-waiting export of the company; (count, message)."""
    try:
        started = workflow.export_pending([company_id], include_failed=True)
    except (RuntimeError, DBOSException) as error:
        log.warning("export.not_running", company_id=company_id, error=type(error).__name__, detail=str(error)[:200])
        return 0, NOT_RUNNING
    if not started:
        return 0, "Det finns inga fakturor som väntar på export."
    return len(started), f"{plural(len(started), 'faktura skickas', 'fakturor skickas')} till Visma eEkonomi nu."
