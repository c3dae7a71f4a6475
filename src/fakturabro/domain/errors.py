"""Domain errors: a bad request is one of these, turned into a 4xx in one place by the web layer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

Location = tuple[str | int, ...]


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with the input, at a field path such as ``("rows", 2, "quantity")``.

    ``message`` is Swedish and written for the person who typed the value; ``code`` is stable for machines.
    """

    loc: Location
    message: str
    code: str


class DomainError(Exception):
    """Base of every error the domain and the use cases raise on purpose."""


class ValidationFailed(DomainError):
    """The input breaks one or more rules; nothing was written."""

    def __init__(self, errors: Iterable[FieldError]) -> None:
        self.errors = tuple(errors)
        super().__init__("; ".join(f"{'.'.join(map(str, e.loc))}: {e.message}" for e in self.errors))

    @classmethod
    def single(cls, loc: Location, message: str, code: str) -> ValidationFailed:
        return cls([FieldError(loc, message, code)])


class NotFound(DomainError):
    """The thing asked for does not exist for this company."""

    def __init__(self, what: str, key: object) -> None:
        self.what = what
        self.key = key
        super().__init__(f"{what} {key} finns inte")


class Conflict(DomainError):
    """The request clashes with the current state (a duplicate number, an approved invoice, ...)."""

    def __init__(self, message: str, code: str, loc: Location = ()) -> None:
        self.message = message
        self.code = code
        self.loc = loc
        super().__init__(message)


class ErrorCollector:
    """Gathers field errors so a user sees every problem at once, not one per attempt."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, loc: Location, message: str, code: str) -> None:
        self.errors.append(FieldError(loc, message, code))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)
