"""What the sandbox keeps of its secrets: digests, never the secrets, so a leaked state file grants nothing.

Tokens, authorization codes and client secrets are long random strings (or, for the seeded dev client, public
anyway): a SHA-256 digest is enough to recognise one and useless to present. A login password is chosen by a
person, so it gets a slow, salted hash (argon2id).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from collections.abc import Callable, Iterator
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

Record = dict[str, Any]

_passwords = PasswordHasher()


def digest(secret: str) -> str:
    """The SHA-256 of a token, code or client secret, as stored in place of it."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def digest_matches(stored: str, presented: str) -> bool:
    return hmac.compare_digest(stored, digest(presented))


def hash_password(password: str) -> str:
    return _passwords.hash(password)


@functools.cache
def seed_password_hash(password: str) -> str:
    """The seeded user's hash, once per process: every reset would otherwise pay argon2's cost again."""
    return hash_password(password)


def password_matches(stored_hash: str, presented: str) -> bool:
    try:
        return _passwords.verify(stored_hash, presented)
    except (VerificationError, InvalidHashError):
        return False


class SecretTable:
    """Records keyed by a secret (an access or refresh token, an authorization code) that is stored as its digest.

    Look-ups take the secret as presented. Iterating gives the secrets this process issued and still holds (they
    are never written anywhere; after a restart the earlier ones are known only by digest, and still work).
    """

    def __init__(self, records_by_digest: dict[str, Record] | None = None) -> None:
        self._records: dict[str, Record] = dict(records_by_digest or {})
        self._issued: dict[str, str] = {}

    def add(self, secret: str, record: Record) -> None:
        key = digest(secret)
        self._records[key] = record
        self._issued[key] = secret

    def get(self, secret: str) -> Record | None:
        return self._records.get(digest(secret))

    def pop(self, secret: str) -> Record | None:
        key = digest(secret)
        self._issued.pop(key, None)
        return self._records.pop(key, None)

    def remove_where(self, matches: Callable[[Record], bool]) -> int:
        """Drop every record ``matches`` accepts; returns how many."""
        doomed = [key for key, record in self._records.items() if matches(record)]
        for key in doomed:
            del self._records[key]
            self._issued.pop(key, None)
        return len(doomed)

    def clear(self) -> None:
        self._records.clear()
        self._issued.clear()

    def to_json(self) -> dict[str, Record]:
        return dict(self._records)

    def __contains__(self, secret: object) -> bool:
        return isinstance(secret, str) and digest(secret) in self._records

    def __len__(self) -> int:
        return len(self._records)

    def __iter__(self) -> Iterator[str]:
        return iter([secret for key, secret in self._issued.items() if key in self._records])
