"""The Visma company's settings that change our amounts, kept as last read.

Every read of Visma's company settings (the settings check before exports, the reconciliation, the export's
reference cache) refreshes the stored öresavrundning, so drafts are priced as the company rounds today.
"""

from __future__ import annotations

import structlog

from fakturabro.store.company_rounding import remember_company_rounding
from fakturabro.store.database import Database
from fakturabro.visma import mapping
from fakturabro.visma.models import CompanySettings

log = structlog.get_logger("fakturabro.sync.company_settings")


def remember_settings(db: Database, company_id: int, settings: CompanySettings) -> bool | None:
    """Store the company's öresavrundning as Visma reports it; returns it (None: Visma did not say)."""
    whole_kronor = mapping.whole_krona_rounding(settings)
    if whole_kronor is None:
        return None
    with db.transaction() as session:
        changed = remember_company_rounding(session, company_id, whole_kronor, db.clock())
    if changed:
        log.info("visma.company_rounding.changed", company_id=company_id, whole_kronor=whole_kronor)
    return whole_kronor
