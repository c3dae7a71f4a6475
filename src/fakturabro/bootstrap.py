"""The one composition root: everything the web app, the CLI and background workers need, built from settings.

Nothing is constructed at import time; tests pass overrides (a clock, an engine) instead of patching.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from fakturabro.settings import Settings
from fakturabro.store.database import Database, PersonalDataCipher, make_engine, utc_now

OnApproved = Callable[[int, int], None]


@dataclass
class Container:
    settings: Settings
    engine: Engine
    db: Database
    clock: Callable[[], datetime]
    # Called with (company id, invoice id) after an approval commits; the Visma export registers itself here.
    on_approved: list[OnApproved] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings | None = None, **overrides: Any) -> Container:
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine: Engine = overrides.pop("engine", None) or make_engine(settings.resolved_database_url)
    clock: Callable[[], datetime] = overrides.pop("clock", utc_now)
    cipher = overrides.pop("cipher", None) or PersonalDataCipher(settings.fernet_key())
    db = Database(engine=engine, cipher=cipher, clock=clock)
    return Container(
        settings=settings,
        engine=engine,
        db=db,
        clock=clock,
        on_approved=list(overrides.pop("on_approved", [])),
        extras=overrides,
    )
