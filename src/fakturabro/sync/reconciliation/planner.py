"""The pure part of reconciliation: from both registers to findings, each with the actions that resolve it.

Visma's side arrives page by page (a company may have 20,000 customers): the matchers index *our* records once and
look at each Visma record as it streams past, keeping only what concerns one of ours, so memory follows our
register, never Visma's. No I/O here; tested with literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from fakturabro.domain.customer_identity import (
    CustomerIdentity,
    describe,
    identity_keys,
    mask_identity_number,
    same_customer,
    type_fix,
)
from fakturabro.domain.husavdrag import NoRateForDate, rate_for

NUMBER_COLLISION = "number_collision"
IDENTITY_ELSEWHERE = "identity_elsewhere"
TYPE_MISMATCH = "type_mismatch"
ARTICLE_DIFFERS = "article_differs"

# Resolution actions (the API's "action" values).
LINK = "link"  # link our customer to a chosen Visma customer
RENUMBER = "renumber"  # give our customer a new number, so the export creates it in Visma
CONFIRM_SAME = "confirm_same"  # the two records with the same number are the same customer
USE_VISMA_ARTICLE = "use_visma_article"
USE_FALLBACK = "use_fallback"
CUSTOMER_ACTIONS = frozenset({LINK, RENUMBER, CONFIRM_SAME})
ARTICLE_ACTIONS = frozenset({USE_VISMA_ARTICLE, USE_FALLBACK})


@dataclass(frozen=True)
class OurCustomer:
    customer_id: int
    identity: CustomerIdentity


@dataclass(frozen=True)
class VismaCustomerFacts:
    visma_id: str
    identity: CustomerIdentity


def finding_id(run_id: int, subject: str, number: str) -> str:
    """Unique within a run; a finding of an older run (or another company's) is never current."""
    return f"r{run_id}-{subject}-{number}"


def masked_vat(value: str | None) -> str | None:
    """A sole trader's VAT number holds the personnummer: show the country, the birth date part and the end."""
    if not value:
        return None
    compact = re.sub(r"\s", "", value)
    return f"{compact[:8]}****{compact[-2:]}" if len(compact) >= 12 else "****"


def customer_side(identity: CustomerIdentity) -> dict[str, Any]:
    """One side of a finding as the contract shows it: identity numbers masked."""
    return {
        "number": identity.number,
        "name": identity.name,
        "type": identity.kind.value,
        "identity_number": mask_identity_number(identity.identity_number),
        "vat_number": masked_vat(identity.vat_number),
        "postal_code": identity.postal_code,
    }


@dataclass
class CustomerMatcher:
    """Our customers indexed by number and identity; Visma's customers seen one at a time (`see`)."""

    ours: list[OurCustomer]
    resolved: frozenset[str] = frozenset()  # our customer numbers with a resolution (a link made by the user)
    only_in_visma: int = 0
    seen: int = 0
    _by_number: dict[str, OurCustomer] = field(default_factory=dict)
    _by_key: dict[str, list[OurCustomer]] = field(default_factory=dict)
    _same_number: dict[str, VismaCustomerFacts] = field(default_factory=dict)
    _elsewhere: dict[str, VismaCustomerFacts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for customer in self.ours:
            self._by_number[customer.identity.number] = customer
            for key in identity_keys(customer.identity):
                self._by_key.setdefault(key, []).append(customer)

    def see(self, visma: VismaCustomerFacts) -> None:
        self.seen += 1
        known = False
        ours = self._by_number.get(visma.identity.number)
        if ours is not None:
            self._same_number[ours.identity.number] = visma
            known = True
        for key in identity_keys(visma.identity):
            for candidate in self._by_key.get(key, ()):
                number = candidate.identity.number
                if number == visma.identity.number or number in self._elsewhere:
                    continue
                if same_customer(candidate.identity, visma.identity):
                    self._elsewhere[number] = visma
                    known = True
        if not known:
            self.only_in_visma += 1

    def result(self, run_id: int) -> tuple[int, list[dict[str, Any]]]:
        """(matched, findings), in our customer-number order."""
        matched = 0
        findings = []
        for ours in sorted(self.ours, key=lambda c: _number_order(c.identity.number)):
            number = ours.identity.number
            if number in self.resolved:
                matched += 1
                continue
            finding = customer_finding(run_id, ours, self._same_number.get(number), self._elsewhere.get(number))
            if finding is None:
                matched += number in self._same_number
            else:
                findings.append(finding)
        return matched, findings


def customer_finding(
    run_id: int, ours: OurCustomer, same_number: VismaCustomerFacts | None, elsewhere: VismaCustomerFacts | None
) -> dict[str, Any] | None:
    """The finding for one of our customers, or None when it matches (or is not in Visma at all: created on export)."""
    if same_number is not None and same_customer(ours.identity, same_number.identity):
        if ours.identity.kind is same_number.identity.kind:
            return None
        return _finding(run_id, TYPE_MISMATCH, ours, same_number, _type_mismatch_message(ours, same_number))
    if same_number is not None:
        return _finding(
            run_id,
            NUMBER_COLLISION,
            ours,
            same_number,
            collision_message(ours.identity, same_number.identity),
            elsewhere,
        )
    if elsewhere is not None:
        message = (
            f"Kunden {ours.identity.number} {describe(ours.identity)} finns redan i Visma som kund "
            f"{elsewhere.identity.number}. Länka dem, så bokförs fakturorna på den kunden i stället för att en "
            "dubblett skapas."
        )
        return _finding(run_id, IDENTITY_ELSEWHERE, ours, elsewhere, message)
    return None


def collision_message(ours: CustomerIdentity, theirs: CustomerIdentity) -> str:
    """The Swedish message of a number collision (also the export's `needs_attention` message)."""
    return (
        f"Kundnummer {ours.number} är en annan kund i Visma: {describe(theirs)} där, {describe(ours)} här. "
        "Fakturor till kunden exporteras inte förrän du har valt vad som gäller."
    )


def _type_mismatch_message(ours: OurCustomer, theirs: VismaCustomerFacts) -> str:
    return (
        f"Kunden {ours.identity.number} är {theirs.identity.kind.label.lower()} i Visma men "
        f"{ours.identity.kind.label.lower()} här. {type_fix(ours.identity, theirs.identity)}"
    )


def _finding(
    run_id: int,
    kind: str,
    ours: OurCustomer,
    theirs: VismaCustomerFacts,
    message: str,
    elsewhere: VismaCustomerFacts | None = None,
) -> dict[str, Any]:
    number = ours.identity.number
    return {
        "id": finding_id(run_id, "customer", number),
        "kind": kind,
        "customer_number": number,
        "customer_id": ours.customer_id,
        "visma_id": theirs.visma_id,
        "visma_number": theirs.identity.number,
        "ours": customer_side(ours.identity),
        "visma": customer_side(theirs.identity),
        "elsewhere": (
            {"visma_id": elsewhere.visma_id, **customer_side(elsewhere.identity)} if elsewhere is not None else None
        ),
        "message": message,
        "actions": _customer_actions(kind, theirs, elsewhere),
        "resolution": None,
    }


def _customer_actions(
    kind: str, theirs: VismaCustomerFacts, elsewhere: VismaCustomerFacts | None
) -> list[dict[str, Any]]:
    number = theirs.identity.number
    if kind == IDENTITY_ELSEWHERE:
        return [{"action": LINK, "visma_id": theirs.visma_id, "label": f"Använd Vismas kund {number}"}]
    if kind == TYPE_MISMATCH:
        return [{"action": CONFIRM_SAME, "visma_id": theirs.visma_id, "label": "Samma kund: använd den i Visma"}]
    actions: list[dict[str, Any]] = []
    if elsewhere is not None:
        label = f"Använd Vismas kund {elsewhere.identity.number} (samma identitet)"
        actions.append({"action": LINK, "visma_id": elsewhere.visma_id, "label": label})
    else:
        actions.append({"action": LINK, "visma_id": None, "label": "Välj en kund i Visma"})
    actions.append({"action": RENUMBER, "visma_id": None, "label": "Ge kunden här ett nytt kundnummer"})
    actions.append({"action": CONFIRM_SAME, "visma_id": theirs.visma_id, "label": f"Samma kund som {number} i Visma"})
    return actions


def _number_order(number: str) -> tuple[int, int | str]:
    return (0, int(number)) if number.isdigit() else (1, number)


# --- articles ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArticleFacts:
    """An article as one side has it; ``house_work_type`` in our words (``bygg``, ``solceller``, …) or None."""

    number: str
    name: str
    unit: str
    vat_percent: Decimal | None
    house_work_type: str | None
    visma_id: str | None = None


@dataclass
class ArticleMatcher:
    ours: list[ArticleFacts]
    resolved: frozenset[str] = frozenset()
    seen: int = 0
    _by_number: dict[str, ArticleFacts] = field(default_factory=dict)
    _theirs: dict[str, ArticleFacts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_number = {article.number: article for article in self.ours}

    def see(self, visma: ArticleFacts) -> None:
        self.seen += 1
        if visma.number in self._by_number:
            self._theirs[visma.number] = visma

    def result(self, run_id: int) -> tuple[int, list[dict[str, Any]]]:
        matched = 0
        findings = []
        for number in sorted(self._theirs, key=_number_order):
            ours, theirs = self._by_number[number], self._theirs[number]
            differences = article_differences(ours, theirs)
            if number in self.resolved or not differences:
                matched += 1
                continue
            findings.append(_article_finding(run_id, ours, theirs, differences))
        return matched, findings


def article_differences(ours: ArticleFacts, theirs: ArticleFacts) -> list[str]:
    """What differs, in Swedish; the house-work type only where one side has one."""
    differences = []
    if " ".join(ours.name.casefold().split()) != " ".join(theirs.name.casefold().split()):
        differences.append(f"namn ”{theirs.name}” i Visma, ”{ours.name}” här")
    if ours.unit.strip().casefold() != theirs.unit.strip().casefold():
        differences.append(f"enhet {theirs.unit or '–'} i Visma, {ours.unit or '–'} här")
    if theirs.vat_percent is not None and ours.vat_percent is not None and ours.vat_percent != theirs.vat_percent:
        differences.append(
            f"moms {_percent(theirs.vat_percent)} i Visma (artikelkontering), {_percent(ours.vat_percent)} här"
        )
    if (ours.house_work_type or None) != (theirs.house_work_type or None):
        differences.append(
            f"husarbete {theirs.house_work_type or 'inget'} i Visma, {ours.house_work_type or 'inget'} här"
        )
    return differences


def _percent(value: Decimal) -> str:
    return f"{format(value.normalize(), 'f')} %"


def _article_side(article: ArticleFacts) -> dict[str, Any]:
    return {
        "number": article.number,
        "name": article.name,
        "unit": article.unit,
        "vat_percent": str(article.vat_percent.normalize()) if article.vat_percent is not None else None,
        "house_work_type": article.house_work_type,
    }


def _article_finding(run_id: int, ours: ArticleFacts, theirs: ArticleFacts, differences: list[str]) -> dict[str, Any]:
    message = (
        f"Artikel {ours.number} finns i Visma men skiljer sig: {'; '.join(differences)}. Rader med artikeln "
        "bokförs på Vismas artikel (och dess kontering) tills du väljer annat."
    )
    return {
        "id": finding_id(run_id, "article", ours.number),
        "kind": ARTICLE_DIFFERS,
        "article_number": ours.number,
        "visma_id": theirs.visma_id,
        "visma_number": theirs.number,
        "ours": _article_side(ours),
        "visma": _article_side(theirs),
        "message": message,
        "actions": [
            {"action": USE_VISMA_ARTICLE, "visma_id": theirs.visma_id, "label": "Använd Vismas artikel"},
            {"action": USE_FALLBACK, "visma_id": None, "label": "Exportera på reservartikeln"},
        ],
        "resolution": None,
    }


# --- numbering and settings --------------------------------------------------------------------------------------


def numbering(ours_next: int, visma_next: int | None) -> dict[str, Any]:
    return {
        "ours_next": ours_next,
        "visma_next": visma_next,
        "agrees": visma_next is not None and visma_next == ours_next,
    }


@dataclass(frozen=True)
class SettingsFacts:
    """Visma's company settings that change amounts or block exports, and what our invoices use."""

    rounding: int | None
    uses_house_work: bool | None
    uses_green_technology: bool | None
    reverse_charge: bool | None
    prices_excl_vat_for_private: bool | None
    rot_percent: Decimal | None
    rut_percent: Decimal | None
    terms_of_payment_known: bool
    ours_reverse_charge: bool = False
    ours_house_work: bool = False
    ours_green_technology: bool = False
    ours_private_customers: bool = False


def settings_findings(facts: SettingsFacts, today: date) -> list[dict[str, Any]]:
    """One item per setting: ``kind``, ``ok`` and a Swedish ``message`` saying what it does to our invoices."""
    items = [_rounding(facts.rounding)]
    items.append(
        _switch(
            "reverse_charge",
            facts.reverse_charge,
            facts.ours_reverse_charge,
            "Fakturerar enligt regler för omvänd skattskyldighet",
            "fakturor med omvänd byggmoms",
        )
    )
    items.append(
        _switch(
            "prices_excl_vat_for_private",
            facts.prices_excl_vat_for_private,
            facts.ours_private_customers or facts.ours_house_work,
            "Visa priser exkl. moms för privatpersoner",
            "fakturor till privatpersoner (priserna skickas exkl. moms)",
        )
    )
    items.append(
        _switch(
            "house_work",
            facts.uses_house_work,
            facts.ours_house_work or facts.ours_green_technology,
            "Fakturerar husarbete",
            "fakturor med ROT-, RUT- eller grön teknik-avdrag",
        )
    )
    items.append(_rot_rut(facts, today))
    terms_message = (
        "Företagets standardbetalningsvillkor finns i Visma."
        if facts.terms_of_payment_known
        else "Företaget har inga standardbetalningsvillkor i Visma; nya kunder kan inte skapas. Välj ett under "
        "Inställningar → Företagsinställningar i Visma."
    )
    items.append({"kind": "terms_of_payment", "ok": facts.terms_of_payment_known, "message": terms_message})
    return items


def _rounding(rounding: int | None) -> dict[str, Any]:
    if rounding is None:
        return {"kind": "rounding", "ok": False, "message": "Öresavrundningen i Visma kunde inte läsas."}
    if rounding == 0:
        return {
            "kind": "rounding",
            "ok": True,
            "message": "Öresavrundning är avstängd i Visma, så fakturabro räknar fakturor till företaget i ören, "
            "som Visma: totalbeloppet avrundas inte till hela kronor.",
        }
    return {
        "kind": "rounding",
        "ok": True,
        "message": "Öresavrundning är på i Visma, så fakturabro avrundar totalbeloppet till hela kronor, som Visma.",
    }


def _switch(kind: str, enabled: bool | None, needed: bool, setting: str, why: str) -> dict[str, Any]:
    if enabled is None:
        return {"kind": kind, "ok": not needed, "message": f"”{setting}” kunde inte läsas i Visma."}
    if enabled:
        return {"kind": kind, "ok": True, "message": f"”{setting}” är ikryssat i Visma."}
    if needed:
        return {
            "kind": kind,
            "ok": False,
            "message": f"”{setting}” är inte ikryssat i Visma, men du har {why}: Visma avvisar dem eller räknar "
            "fel. Kryssa i det under Inställningar → Företagsinställningar i Visma.",
        }
    return {
        "kind": kind,
        "ok": True,
        "message": f"”{setting}” är inte ikryssat i Visma (behövs inte för dina fakturor).",
    }


def _rot_rut(facts: SettingsFacts, today: date) -> dict[str, Any]:
    wrong = []
    for scheme, visma_percent in (("rot", facts.rot_percent), ("rut", facts.rut_percent)):
        if visma_percent is None:
            continue
        try:
            ours = rate_for(scheme, today).percent
        except NoRateForDate:
            continue
        theirs = visma_percent * 100 if visma_percent <= 1 else visma_percent
        if theirs.normalize() != ours.normalize():
            wrong.append(f"{scheme.upper()} {_percent(theirs)} i Visma, {_percent(ours)} enligt Skatteverket i dag")
    if wrong:
        return {
            "kind": "rot_rut",
            "ok": not facts.ours_house_work,
            "message": "Procentsatserna för husavdrag skiljer sig: " + "; ".join(wrong) + ". Visma räknar "
            "avdraget med sina satser; ändra dem under Inställningar → Företagsinställningar i Visma.",
        }
    return {"kind": "rot_rut", "ok": True, "message": "ROT- och RUT-satserna i Visma stämmer med Skatteverkets."}
