"""Customers and the customer-type rule.

There are no customer groups: an organisation number makes the customer a company, its absence a private
person (the seed article's "Momsen stämmer inte"). Visma's VAT handling and husavdrag depend on this.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CustomerKind(StrEnum):
    COMPANY = "company"
    PRIVATE = "private"

    @property
    def label(self) -> str:
        return "Företag" if self is CustomerKind.COMPANY else "Privatperson"


def customer_kind(org_number: str | None) -> CustomerKind:
    return CustomerKind.COMPANY if org_number else CustomerKind.PRIVATE


@dataclass(frozen=True)
class CustomerFacts:
    """What the invoice rules need to know about the buyer."""

    kind: CustomerKind
    vat_number: str | None = None
    reverse_charge: bool = False
