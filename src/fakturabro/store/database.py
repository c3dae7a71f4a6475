"""The engine, transactions (one unit of work per command) and the cipher for personal data at rest."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

ConstraintViolated = IntegrityError
"""A unique or foreign-key constraint refused a write (raised when the transaction flushes or commits), for use
cases that expect one and know no SQL."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (below); pysqlite's own transaction handling would defer it.
    dbapi_connection.isolation_level = None
    # SQLite's own lower() folds only ASCII, so a search for "ägare" would miss "Villa Ägare"; Python's folds
    # every letter, as PostgreSQL's does.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin_immediate(connection: Any) -> None:
    """Take SQLite's write lock at BEGIN: a deferred transaction that reads, then writes, can fail with
    "database is locked" when another writer got there first; an immediate one waits its turn instead."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class PersonalDataCipher:
    """Fernet encryption for personnummer stored in the database; the key lives outside it."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise RuntimeError("personal data cannot be decrypted: wrong FAKTURABRO_TOKEN_KEY?") from error


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Database:
    """What a use case needs from storage: transactions, the cipher and the clock."""

    engine: Engine
    cipher: PersonalDataCipher
    clock: Callable[[], datetime] = utc_now
    sessions: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits when the block ends, rolls everything back on any exception."""
        with self.sessions.begin() as session:
            yield session
