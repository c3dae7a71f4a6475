"""The öresavrundning of the Visma company an invoice goes to, as last read from Visma.

Visma's company setting ``DomesticCurrencyRounding`` decides whether its totals are rounded to whole kronor. Our
drafts are priced the same way, and an approved invoice keeps the rounding it was priced with
(``invoices.whole_krona_rounding``). Until the company's settings have been read, whole kronor: Visma's default.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fakturabro.store.export_models import VismaCompanyCache

DEFAULT_WHOLE_KRONA_ROUNDING = True


def company_whole_krona_rounding(session: Session, company_id: int) -> bool:
    cache = session.get(VismaCompanyCache, company_id)
    if cache is None or cache.whole_krona_rounding is None:
        return DEFAULT_WHOLE_KRONA_ROUNDING
    return cache.whole_krona_rounding


def remember_company_rounding(session: Session, company_id: int, whole_kronor: bool, read_at: datetime) -> bool:
    """Store the setting as just read from Visma; returns whether it changed from what was stored."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(VismaCompanyCache).values(company_id=company_id).on_conflict_do_nothing())
    cache = session.get(VismaCompanyCache, company_id, with_for_update=True, populate_existing=True)
    assert cache is not None
    changed = cache.whole_krona_rounding is not None and cache.whole_krona_rounding != whole_kronor
    cache.whole_krona_rounding = whole_kronor
    cache.settings_read_at = read_at
    return changed


def known_company_rounding(session: Session, company_id: int) -> tuple[bool | None, datetime | None]:
    """The setting as last read from Visma and when it was read; (None, None) when it has never been read."""
    cache = session.get(VismaCompanyCache, company_id)
    return (None, None) if cache is None else (cache.whole_krona_rounding, cache.settings_read_at)
