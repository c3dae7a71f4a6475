"""Rotating the token-encryption key (``FAKTURABRO_TOKEN_KEY``) without losing a Visma connection.

Every value encrypted at rest — Visma access and refresh tokens, PKCE verifiers, personnummer, uploaded register
files — lives in a column named ``*_encrypted``. `rotate` re-encrypts each of them with the new key through
``MultiFernet([new, old]).rotate``, which also accepts values already under the new key, so an interrupted
rotation is simply run again. All rows change in one transaction: either everything is under the new key or
nothing changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Engine, MetaData, Table, select, update

ENCRYPTED_SUFFIX = "_encrypted"


@dataclass(frozen=True)
class RotationResult:
    values: int
    columns: tuple[str, ...]


def encrypted_columns(engine: Engine) -> list[tuple[Table, str]]:
    """Every ``(table, column)`` holding Fernet tokens, read from the database itself (so no table is missed)."""
    metadata = MetaData()
    metadata.reflect(engine)
    return [
        (table, column.name)
        for table in metadata.sorted_tables
        for column in table.columns
        if column.name.endswith(ENCRYPTED_SUFFIX)
    ]


def rotate(engine: Engine, old_keys: list[bytes], new_key: bytes) -> RotationResult:
    """Re-encrypt every encrypted value under ``new_key``; ``old_keys`` are the keys it may be under now."""
    fernet = MultiFernet([Fernet(new_key), *(Fernet(key) for key in old_keys)])
    count = 0
    columns = encrypted_columns(engine)
    with engine.begin() as connection:
        for table, name in columns:
            primary_key = list(table.primary_key.columns)
            if not primary_key:
                raise RuntimeError(f"{table.name} has no primary key; cannot rotate {name}")
            column = table.c[name]
            rows = connection.execute(select(*primary_key, column).where(column.is_not(None))).all()
            for row in rows:
                try:
                    rotated = fernet.rotate(row[-1].encode()).decode()
                except InvalidToken as error:
                    raise RuntimeError(
                        f"a value in {table.name}.{name} is under none of the given keys; nothing was changed"
                    ) from error
                where = [key_column == row[i] for i, key_column in enumerate(primary_key)]
                connection.execute(update(table).where(*where).values({name: rotated}))
                count += 1
    return RotationResult(values=count, columns=tuple(f"{table.name}.{name}" for table, name in columns))
