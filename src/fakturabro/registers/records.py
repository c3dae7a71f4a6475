"""Register entries as plain values: what a file row, a Visma resource and our database row become before planning."""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from fakturabro.domain.article import ArticleKind
from fakturabro.domain.customer import CustomerKind, customer_kind
from fakturabro.domain.husavdrag import HouseWorkType


@dataclass(frozen=True)
class ArticleRecord:
    number: str
    name: str
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    kind: ArticleKind = ArticleKind.MATERIAL
    house_work_type: HouseWorkType | None = None

    @property
    def is_service(self) -> bool:
        """Labour is a service in Visma's codings (ROT/RUT is computed on service rows); the rest are goods."""
        return self.kind is ArticleKind.LABOUR


@dataclass(frozen=True)
class CustomerRecord:
    """A customer; ``claimed_private`` is what the source says about the type (Visma's ``IsPrivatePerson``,
    a file's "Kundtyp"), which our org-number rule may contradict. ``personal_number`` is the 12-digit form
    and never leaves this process in a message."""

    customer_number: str
    name: str
    org_number: str | None = None
    personal_number: str | None = None
    vat_number: str | None = None
    email: str | None = None
    phone: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_code: str = "SE"
    reverse_charge: bool = False
    claimed_private: bool | None = None

    @property
    def kind(self) -> CustomerKind:
        return customer_kind(self.org_number)

    @property
    def type_disagrees(self) -> bool:
        """The source calls it a private person but it has an org number, or a company without one."""
        return self.claimed_private is not None and self.claimed_private != (self.kind is CustomerKind.PRIVATE)


ARTICLE_IDENTITY = ("name", "vat_rate")
CUSTOMER_IDENTITY = ("name", "org_number", "personal_number")


def differing(incoming: object, existing: object, names: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The fields (of ``names``, or all) whose values differ; texts compared without case and outer spaces."""
    wanted = names or tuple(f.name for f in fields(incoming))  # type: ignore[arg-type]
    return tuple(name for name in wanted if not _same(getattr(incoming, name), getattr(existing, name)))


def _same(left: object, right: object) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.strip().casefold() == right.strip().casefold()
    return left == right
