"""The planners: pure functions from both sides' entries to the list of what a bulk operation will do.

No I/O: the caller gathers (a file, our database, Visma), the planner decides, the preview shows the plan and
the applier executes only ``CreateArticle``/``UpdateArticle``/``CreateCustomer``/``UpdateCustomer``.

- Same number, different name or VAT rate (for customers: name or identity number) is a ``Conflict``, shown
  for a decision and never overwritten unless the user decided ``Decision.USE_INCOMING`` for that number.
- Only fields the incoming side actually has are compared and written: an empty cell never erases our data.
- A number that occurs more than once in the incoming rows rejects every one of those rows: which of them is
  right is the user's call, not ours.
- Customers are matched on customer number first, then on organisation number or personnummer; a customer we
  already have under another number is ``LinkExisting`` (nothing written).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from fakturabro.registers.records import (
    ARTICLE_IDENTITY,
    CUSTOMER_IDENTITY,
    ArticleRecord,
    CustomerRecord,
    differing,
)

R = TypeVar("R", ArticleRecord, CustomerRecord)

ARTICLE_UPDATABLE = ("unit", "unit_price", "kind", "house_work_type")
CUSTOMER_UPDATABLE = (
    "vat_number",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country_code",
    "reverse_charge",
)


class Decision(StrEnum):
    """The user's answer to a conflict."""

    USE_INCOMING = "use_incoming"  # overwrite the existing entry
    KEEP_EXISTING = "keep_existing"  # leave it alone


@dataclass(frozen=True)
class Entry(Generic[R]):
    """An incoming entry: a parsed file row (``row`` is its line or sheet row) or a resource from the other side."""

    record: R
    row: int | None = None

    @property
    def key(self) -> str:
        return _key(self.record)


@dataclass(frozen=True)
class RowProblem:
    """A row that cannot be used, with the reason in Swedish (never the row's personal data)."""

    row: int | None
    key: str | None
    reason: str


@dataclass(frozen=True)
class CreateArticle:
    record: ArticleRecord
    row: int | None = None


@dataclass(frozen=True)
class UpdateArticle:
    record: ArticleRecord
    existing: ArticleRecord
    changed: tuple[str, ...]
    row: int | None = None


@dataclass(frozen=True)
class CreateCustomer:
    record: CustomerRecord
    row: int | None = None


@dataclass(frozen=True)
class UpdateCustomer:
    record: CustomerRecord
    existing: CustomerRecord
    changed: tuple[str, ...]
    row: int | None = None


@dataclass(frozen=True)
class SkipUnchanged:
    key: str
    row: int | None = None


@dataclass(frozen=True)
class LinkExisting:
    """The customer is already in the register under ``existing_key`` (same org number or personnummer)."""

    key: str
    existing_key: str
    row: int | None = None


@dataclass(frozen=True)
class Conflict:
    key: str
    fields: tuple[str, ...]
    incoming: ArticleRecord | CustomerRecord
    existing: ArticleRecord | CustomerRecord
    row: int | None = None


@dataclass(frozen=True)
class Rejected:
    problem: RowProblem


Action = (
    CreateArticle | UpdateArticle | CreateCustomer | UpdateCustomer | SkipUnchanged | LinkExisting | Conflict | Rejected
)
WRITES = (CreateArticle, UpdateArticle, CreateCustomer, UpdateCustomer)

ACTION_NAMES: Mapping[type, str] = {
    CreateArticle: "create",
    CreateCustomer: "create",
    UpdateArticle: "update",
    UpdateCustomer: "update",
    SkipUnchanged: "unchanged",
    LinkExisting: "linked",
    Conflict: "conflict",
    Rejected: "rejected",
}


@dataclass
class Plan:
    actions: list[Action] = field(default_factory=list)
    flags: list[RowProblem] = field(default_factory=list)  # applied anyway, but the user must look

    @property
    def writes(self) -> list[Action]:
        return [action for action in self.actions if isinstance(action, WRITES)]

    @property
    def conflicts(self) -> list[Conflict]:
        return [action for action in self.actions if isinstance(action, Conflict)]

    @property
    def rejected(self) -> list[RowProblem]:
        return [action.problem for action in self.actions if isinstance(action, Rejected)]

    def counts(self) -> dict[str, int]:
        counted = Counter(ACTION_NAMES[type(action)] for action in self.actions)
        return {name: counted.get(name, 0) for name in dict.fromkeys(ACTION_NAMES.values())} | {
            "flagged": len(self.flags)
        }


def plan_articles(
    incoming: Sequence[Entry[ArticleRecord]],
    existing: Mapping[str, ArticleRecord],
    *,
    decisions: Mapping[str, Decision] | None = None,
    problems: Iterable[RowProblem] = (),
    updatable: tuple[str, ...] = ARTICLE_UPDATABLE,
) -> Plan:
    """``existing`` is keyed by article number; ``problems`` are rows the parser already refused."""
    plan = Plan(actions=[Rejected(problem) for problem in problems])
    for entry in _unique(incoming, plan, "Artikelnummer"):
        match = existing.get(entry.key)
        if match is None:
            plan.actions.append(CreateArticle(entry.record, entry.row))
            continue
        plan.actions.append(_compare(entry, match, ARTICLE_IDENTITY, updatable, decisions or {}, UpdateArticle))
    return plan


def plan_customers(
    incoming: Sequence[Entry[CustomerRecord]],
    existing: Sequence[CustomerRecord],
    *,
    decisions: Mapping[str, Decision] | None = None,
    problems: Iterable[RowProblem] = (),
    updatable: tuple[str, ...] = CUSTOMER_UPDATABLE,
    identity: tuple[str, ...] = CUSTOMER_IDENTITY,
) -> Plan:
    """``identity`` are the fields whose difference is a conflict (a push leaves out the personnummer,
    which Visma never gets from us)."""
    plan = Plan(actions=[Rejected(problem) for problem in problems])
    by_number = {customer.customer_number: customer for customer in existing}
    by_identity = {known: customer for customer in existing if (known := _identity(customer))}
    for entry in _unique(_unique_identities(incoming, plan), plan, "Kundnummer"):
        record = entry.record
        if record.type_disagrees:
            plan.flags.append(RowProblem(entry.row, entry.key, _type_warning(record)))
        match = by_number.get(entry.key)
        number = _identity(record)
        if match is not None:
            plan.actions.append(_compare(entry, match, identity, updatable, decisions or {}, UpdateCustomer))
        elif number and number in by_identity:
            plan.actions.append(LinkExisting(entry.key, by_identity[number].customer_number, entry.row))
        else:
            plan.actions.append(CreateCustomer(record, entry.row))
    return plan


def _compare(
    entry: Entry[R],
    match: R,
    identity: tuple[str, ...],
    updatable: tuple[str, ...],
    decisions: Mapping[str, Decision],
    update: type[UpdateArticle] | type[UpdateCustomer],
) -> Action:
    decision = decisions.get(entry.key)
    clashing = _present_differences(entry.record, match, identity)
    if clashing and decision is None:
        return Conflict(entry.key, clashing, entry.record, match, entry.row)
    if clashing and decision is Decision.KEEP_EXISTING:
        return SkipUnchanged(entry.key, entry.row)
    changed = clashing + _present_differences(entry.record, match, updatable)
    if not changed:
        return SkipUnchanged(entry.key, entry.row)
    return update(entry.record, match, changed, entry.row)  # type: ignore[arg-type]


def _present_differences(incoming: R, existing: R, names: tuple[str, ...]) -> tuple[str, ...]:
    """Differences in fields the incoming side has a value for (``None`` means "not given")."""
    return tuple(name for name in differing(incoming, existing, names) if getattr(incoming, name) is not None)


def _unique(incoming: Sequence[Entry[R]], plan: Plan, what: str) -> list[Entry[R]]:
    rows_by_key: dict[str, list[int | None]] = defaultdict(list)
    for entry in incoming:
        rows_by_key[entry.key].append(entry.row)
    unique: list[Entry[R]] = []
    for entry in incoming:
        rows = rows_by_key[entry.key]
        if len(rows) == 1:
            unique.append(entry)
            continue
        others = ", ".join(str(row) for row in rows if row != entry.row)
        reason = f"{what} {entry.key} förekommer flera gånger i filen (även rad {others})."
        plan.actions.append(Rejected(RowProblem(entry.row, entry.key, reason)))
    return unique


def _unique_identities(incoming: Sequence[Entry[CustomerRecord]], plan: Plan) -> list[Entry[CustomerRecord]]:
    rows_by_identity: dict[str, list[int | None]] = defaultdict(list)
    for entry in incoming:
        if identity := _identity(entry.record):
            rows_by_identity[identity].append(entry.row)
    unique: list[Entry[CustomerRecord]] = []
    for entry in incoming:
        identity = _identity(entry.record)
        rows = rows_by_identity[identity] if identity else []
        if len(rows) <= 1:
            unique.append(entry)
            continue
        others = ", ".join(str(row) for row in rows if row != entry.row)
        reason = f"Samma organisations- eller personnummer som rad {others}: en kund kan bara finnas en gång."
        plan.actions.append(Rejected(RowProblem(entry.row, entry.key, reason)))
    return unique


def _identity(customer: CustomerRecord) -> str | None:
    return customer.org_number or customer.personal_number


def _key(record: ArticleRecord | CustomerRecord) -> str:
    return record.number if isinstance(record, ArticleRecord) else record.customer_number


def _type_warning(record: CustomerRecord) -> str:
    if record.claimed_private:
        return (
            "Kunden är markerad som privatperson men har organisationsnummer: den blir företagskund här "
            "(organisationsnumret avgör). Rätta kundtypen i Visma, annars blir momsen fel."
        )
    return (
        "Kunden är markerad som företag men saknar organisationsnummer: den blir privatperson här. "
        "Lägg till organisationsnumret eller rätta kundtypen i Visma, annars blir momsen fel."
    )
