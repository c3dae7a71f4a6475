"""The identity rule and the reconciliation planner, with literals (no I/O)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fakturabro.domain.customer import CustomerKind
from fakturabro.domain.customer_identity import (
    CustomerIdentity,
    mask_identity_number,
    normalised_name,
    numbers_contradict,
    same_customer,
    type_fix,
)
from fakturabro.sync.reconciliation.planner import (
    ArticleFacts,
    ArticleMatcher,
    CustomerMatcher,
    OurCustomer,
    SettingsFacts,
    VismaCustomerFacts,
    numbering,
    settings_findings,
)

PRIVATE, COMPANY = CustomerKind.PRIVATE, CustomerKind.COMPANY


def person(number: str, name: str, pnr: str | None = None, postal: str | None = "41101") -> CustomerIdentity:
    return CustomerIdentity(number, name, PRIVATE, pnr, None, postal)


def firm(
    number: str, name: str, org: str | None, vat: str | None = None, kind: CustomerKind = COMPANY
) -> CustomerIdentity:
    return CustomerIdentity(number, name, kind, org, vat, "42130")


def test_identity_numbers_decide_over_names_where_both_sides_have_one() -> None:
    assert same_customer(person("1", "Anna", "19811218-9876"), person("2", "Anna Svensson", "8112189876"))
    assert not same_customer(
        person("1", "Anna Andersson", "19811218-9876"), person("1", "Anna Andersson", "198502032397")
    )
    # a sole trader's org number is the personnummer's ten digits
    assert same_customer(person("1", "Erik", "19850203-2397"), firm("1", "Eriks Bygg", "850203-2397"))


def test_vat_number_then_name_and_postal_code_when_identity_numbers_are_missing() -> None:
    assert same_customer(firm("1", "A AB", None, "SE556036079301"), firm("1", "B AB", None, "se 5560360793 01"))
    assert not same_customer(firm("1", "A AB", None, "SE556036079301"), firm("1", "A AB", None, "SE556123456701"))
    assert same_customer(person("1", "Anna  Andersson"), person("1", "anna andersson", postal="411 01"))
    assert not same_customer(
        person("1", "Anna Andersson", postal="41301"), person("1", "Anna Andersson", postal="41101")
    )
    assert not same_customer(person("1", "Anna Svensson"), person("1", "Anna Andersson"))
    assert normalised_name("Byggbolaget i Väst AB") == normalised_name("byggbolaget i väst")


def test_masking_keeps_the_birth_date_part_only() -> None:
    assert mask_identity_number("19811218-9876") == "811218-****"
    assert mask_identity_number("556036-0793") == "556036-****"
    assert mask_identity_number("12") == "****"
    assert mask_identity_number(None) is None
    assert numbers_contradict(person("1", "A", "19811218-9876"), person("1", "A", "19850203-2397"))
    assert not numbers_contradict(person("1", "A", "19811218-9876"), person("1", "B"))


def test_the_type_fix_follows_a_legal_persons_org_number() -> None:
    ours = firm("1", "Bygg AB", "556036-0793")
    visma_private = firm("1", "Bygg AB", "556036-0793", kind=PRIVATE)
    assert "ändra kundtypen till företag på kunden i Visma" in type_fix(ours, visma_private)
    assert "lägg in organisationsnumret på kunden här" in type_fix(
        person("1", "Bygg AB"), firm("1", "Bygg AB", "556036-0793")
    )
    undecided = type_fix(person("1", "Erik", "19850203-2397"), firm("1", "Erik", "850203-2397"))
    assert "avgör inte" in undecided


def matcher(*ours: CustomerIdentity, resolved: frozenset[str] = frozenset()) -> CustomerMatcher:
    return CustomerMatcher([OurCustomer(i, c) for i, c in enumerate(ours, 1)], resolved=resolved)


def test_the_planner_finds_collisions_identities_elsewhere_type_mismatches_and_matches() -> None:
    m = matcher(
        person("1001", "Anna Svensson", "19811218-9876"),  # 1001 in Visma is another person
        person("1002", "Erik Johansson", "19850203-2397"),  # Erik is 5001 in Visma
        firm("1003", "Bygg AB", "556036-0793"),  # private person in Visma
        person("1004", "Karin Berg"),  # the same in Visma
        person("1005", "Ny Kund"),  # not in Visma: created on export
    )
    for visma_id, identity in (
        ("v1", person("1001", "Anna Andersson", postal="41301")),
        ("v2", firm("1002", "Byggbolaget i Väst AB", "556123-4567")),
        ("v5", person("5001", "Erik Johansson", "850203-2397")),
        ("v3", firm("1003", "Bygg AB", "556036-0793", kind=PRIVATE)),
        ("v4", person("1004", "Karin Berg")),
        ("v9", person("9000", "Bara i Visma")),
    ):
        m.see(VismaCustomerFacts(visma_id, identity))

    matched, findings = m.result(run_id=7)

    kinds = {f["customer_number"]: f["kind"] for f in findings}
    assert kinds == {"1001": "number_collision", "1002": "number_collision", "1003": "type_mismatch"}
    assert matched == 1
    assert m.only_in_visma == 1
    erik = next(f for f in findings if f["customer_number"] == "1002")
    assert erik["id"] == "r7-customer-1002"
    assert erik["elsewhere"]["number"] == "5001"
    assert erik["actions"][0] == {
        "action": "link",
        "visma_id": "v5",
        "label": "Använd Vismas kund 5001 (samma identitet)",
    }
    assert erik["ours"]["identity_number"] == "850203-****"
    assert "19850203" not in str(erik)
    anna = next(f for f in findings if f["customer_number"] == "1001")
    assert anna["actions"][0]["visma_id"] is None  # no same identity elsewhere: the user picks one


def test_a_customer_only_under_another_number_is_identity_elsewhere_and_resolutions_count_as_matched() -> None:
    m = matcher(person("77", "Karin Berg", "19811218-9876"), person("1001", "Anna"), resolved=frozenset({"1001"}))
    m.see(VismaCustomerFacts("v1", person("3001", "Karin Berg", "811218-9876")))
    m.see(VismaCustomerFacts("v2", person("1001", "Someone Else")))

    matched, findings = m.result(run_id=1)

    assert [(f["kind"], f["visma_number"]) for f in findings] == [("identity_elsewhere", "3001")]
    assert findings[0]["actions"] == [{"action": "link", "visma_id": "v1", "label": "Använd Vismas kund 3001"}]
    assert matched == 1


def test_articles_differ_by_name_unit_vat_and_house_work() -> None:
    ours = [
        ArticleFacts("100", "Montör", "tim", Decimal(25), "bygg"),
        ArticleFacts("200", "Skruv", "st", Decimal(25), None),
        ArticleFacts("300", "Kabel", "m", Decimal(25), None),
    ]
    m = ArticleMatcher(ours, resolved=frozenset({"300"}))
    m.see(ArticleFacts("100", "Montör", "h", Decimal(12), None, "a1"))
    m.see(ArticleFacts("200", "skruv ", "ST", Decimal(25), None, "a2"))
    m.see(ArticleFacts("300", "Annat", "m", Decimal(6), None, "a3"))
    m.see(ArticleFacts("999", "Bara i Visma", "st", Decimal(25), None, "a9"))

    matched, findings = m.result(run_id=2)

    assert matched == 2
    (montor,) = findings
    assert montor["kind"] == "article_differs"
    assert "enhet h i Visma, tim här" in montor["message"]
    assert "moms 12 % i Visma (artikelkontering), 25 % här" in montor["message"]
    assert "husarbete inget i Visma, bygg här" in montor["message"]
    assert [a["action"] for a in montor["actions"]] == ["use_visma_article", "use_fallback"]


def test_numbering_and_the_settings_that_change_amounts() -> None:
    assert numbering(4, 2) == {"ours_next": 4, "visma_next": 2, "agrees": False}
    assert numbering(4, 4)["agrees"] is True
    facts = SettingsFacts(
        rounding=0,
        uses_house_work=False,
        uses_green_technology=False,
        reverse_charge=True,
        prices_excl_vat_for_private=None,
        rot_percent=Decimal("0.50"),  # Visma still at 2025's temporary raise
        rut_percent=Decimal("0.50"),
        terms_of_payment_known=True,
        ours_house_work=True,
    )

    items = {item["kind"]: item for item in settings_findings(facts, date(2026, 3, 1))}

    assert items["rounding"]["ok"] is True  # amounts follow the company: no rounding means totals in öre here too
    assert "Öresavrundning är avstängd" in items["rounding"]["message"]
    assert "i ören" in items["rounding"]["message"]
    assert items["house_work"]["ok"] is False
    assert "Fakturerar husarbete" in items["house_work"]["message"]
    assert items["reverse_charge"]["ok"] is True
    assert items["prices_excl_vat_for_private"]["ok"] is False  # needed and unreadable
    assert items["rot_rut"]["ok"] is False
    assert "ROT 50 % i Visma, 30 % enligt Skatteverket i dag" in items["rot_rut"]["message"]
    assert items["terms_of_payment"]["ok"] is True
