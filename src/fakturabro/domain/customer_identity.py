"""Whether two customer records are the same customer: the business rule behind reconciliation and the export.

A customer number says where a record sits in one register; it says nothing about who the customer is. Two
records are the same customer when their identities agree, in this order of evidence:

1. the org number or personnummer, where both sides have one (Visma keeps either in one field; a sole trader's
   org number *is* the personnummer's ten digits, so the last ten digits are compared);
2. else the VAT number, where both have one;
3. else the normalised name and the postal code.

The type (company or private person) is not identity: the same customer with the other type is a *type
mismatch*, and which side is wrong follows from the identity numbers (`type_fix`). Identity numbers are personal
data for private persons: only `mask_identity_number` may appear in messages and logs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from fakturabro.domain.customer import CustomerKind

# Legal forms dropped from the end of a name before comparing ("Byggbolaget i Väst AB" = "Byggbolaget i Väst").
_LEGAL_FORMS = frozenset({"ab", "aktiebolag", "hb", "handelsbolag", "kb", "kommanditbolag", "publ", "ef"})


@dataclass(frozen=True)
class CustomerIdentity:
    """One side's record of a customer, as far as identity goes."""

    number: str
    name: str
    kind: CustomerKind
    identity_number: str | None = None  # org number or personnummer, in any form
    vat_number: str | None = None
    postal_code: str | None = None


def identity_digits(value: str | None) -> str | None:
    """The ten digits that identify a person or organisation (``16`` / century prefix dropped), or None."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 12:
        digits = digits[2:]
    return digits if len(digits) == 10 else None


def compact_vat(value: str | None) -> str | None:
    compact = re.sub(r"[\s.-]", "", value or "").upper()
    return compact or None


def normalised_name(name: str) -> str:
    """Case, accents of the same letter, punctuation, spacing and a trailing legal form do not make another name."""
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", " och ")
    words = re.sub(r"[^\w]+", " ", text).split()
    while words and words[-1] in _LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def compact_postal_code(value: str | None) -> str | None:
    compact = re.sub(r"\s", "", value or "")
    return compact or None


def same_customer(ours: CustomerIdentity, theirs: CustomerIdentity) -> bool:
    """The rule of the module docstring: the strongest evidence both sides have decides."""
    our_id, their_id = identity_digits(ours.identity_number), identity_digits(theirs.identity_number)
    if our_id and their_id:
        return our_id == their_id
    our_vat, their_vat = compact_vat(ours.vat_number), compact_vat(theirs.vat_number)
    if our_vat and their_vat:
        return our_vat == their_vat
    if normalised_name(ours.name) != normalised_name(theirs.name):
        return False
    our_postal, their_postal = compact_postal_code(ours.postal_code), compact_postal_code(theirs.postal_code)
    return our_postal is None or their_postal is None or our_postal == their_postal


def numbers_contradict(ours: CustomerIdentity, theirs: CustomerIdentity) -> bool:
    """Both sides have an identity number and they differ: not the same customer, whatever else agrees."""
    our_id, their_id = identity_digits(ours.identity_number), identity_digits(theirs.identity_number)
    return bool(our_id and their_id and our_id != their_id)


def identity_keys(customer: CustomerIdentity) -> tuple[str, ...]:
    """Keys under which the same customer is found in the other register, strongest first."""
    keys = []
    if digits := identity_digits(customer.identity_number):
        keys.append(f"id:{digits}")
    if vat := compact_vat(customer.vat_number):
        keys.append(f"vat:{vat}")
    if name := normalised_name(customer.name):
        keys.append(f"name:{name}|{compact_postal_code(customer.postal_code) or ''}")
    return tuple(keys)


def is_legal_person_number(value: str | None) -> bool:
    """An org number of a legal person: 20 or more in the month position (a personnummer's month is 01–12)."""
    digits = identity_digits(value)
    return digits is not None and int(digits[2:4]) >= 20


def mask_identity_number(value: str | None) -> str | None:
    """``YYMMDD-****``: enough to tell two numbers apart on a screen, never the whole number."""
    digits = identity_digits(value)
    if digits is None:
        return "****" if value else None
    return f"{digits[:6]}-****"


def describe(customer: CustomerIdentity) -> str:
    """``Anna Andersson (privatperson, 811218-****)``: a record as a person reads it, numbers masked."""
    parts = [customer.kind.label.lower()]
    if masked := mask_identity_number(customer.identity_number):
        parts.append(masked)
    elif customer.postal_code:
        parts.append(f"postnummer {customer.postal_code}")
    return f"{customer.name} ({', '.join(parts)})"


def type_fix(ours: CustomerIdentity, theirs: CustomerIdentity) -> str:
    """What to change when the same customer has the other type on one side, as the identity numbers show it.

    A legal person's org number on either side settles it: the customer is a company, and the side that says
    private person is wrong. A personnummer-shaped number (or none) does not: the buyer may be a private person
    or a sole trader, and only the user knows which, so both fixes are named and neither is pressed."""
    legal = is_legal_person_number(ours.identity_number) or is_legal_person_number(theirs.identity_number)
    if legal and theirs.kind is CustomerKind.PRIVATE:
        return (
            "Organisationsnumret visar att kunden är ett företag: ändra kundtypen till företag på kunden i Visma, "
            "så stämmer moms och husavdrag."
        )
    if legal and ours.kind is CustomerKind.PRIVATE:
        return (
            "Organisationsnumret i Visma visar att kunden är ett företag: lägg in organisationsnumret på kunden "
            "här, så blir den företag även här."
        )
    return (
        "Identitetsnumren avgör inte vem som har rätt. Köper kunden som privatperson: ändra kundtypen i Visma "
        "till privatperson (husavdrag kräver det). Köper kunden som enskild firma: lägg in organisationsnumret "
        "på kunden här."
    )
