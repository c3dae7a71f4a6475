"""The planners on literals: every fate a row can have, no I/O."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fakturabro.domain.article import ArticleKind
from fakturabro.registers.plan import (
    Conflict,
    CreateArticle,
    CreateCustomer,
    Decision,
    Entry,
    LinkExisting,
    Rejected,
    RowProblem,
    SkipUnchanged,
    UpdateArticle,
    UpdateCustomer,
    plan_articles,
    plan_customers,
)
from fakturabro.registers.records import ArticleRecord, CustomerRecord


def article(
    number: str = "8000", name: str = "Montör", price: str = "650.00", vat: str = "25", **kw: object
) -> ArticleRecord:
    return ArticleRecord(number, name, kw.pop("unit", "tim"), Decimal(price), Decimal(vat), **kw)  # type: ignore[arg-type]


def test_new_article_is_created_and_an_identical_one_left_alone() -> None:
    plan = plan_articles([Entry(article("8000"), 2), Entry(article("8001"), 3)], {"8001": article("8001")})
    assert plan.actions == [CreateArticle(article("8000"), 2), SkipUnchanged("8001", 3)]
    assert plan.counts()["create"] == 1
    assert plan.counts()["unchanged"] == 1


def test_same_number_other_price_or_unit_is_an_update_of_those_fields_only() -> None:
    ours = {"8000": article(price="600.00", unit="h")}
    [action] = plan_articles([Entry(article(), 2)], ours).actions
    assert isinstance(action, UpdateArticle)
    assert action.changed == ("unit", "unit_price")


def test_same_number_other_name_or_vat_is_a_conflict_never_an_update() -> None:
    ours = {"8000": article(name="Lärling", vat="12", price="1.00")}
    plan = plan_articles([Entry(article(), 7)], ours)
    [conflict] = plan.actions
    assert isinstance(conflict, Conflict)
    assert conflict.fields == ("name", "vat_rate")
    assert conflict.row == 7
    assert plan.writes == []


def test_a_decision_resolves_the_conflict_either_way() -> None:
    ours = {"8000": article(name="Lärling")}
    keep = plan_articles([Entry(article())], ours, decisions={"8000": Decision.KEEP_EXISTING})
    assert keep.actions == [SkipUnchanged("8000")]
    use = plan_articles([Entry(article())], ours, decisions={"8000": Decision.USE_INCOMING})
    [update] = use.actions
    assert isinstance(update, UpdateArticle)
    assert update.changed == ("name",)


def test_names_differing_only_in_case_and_spaces_are_the_same() -> None:
    assert plan_articles([Entry(article(name=" MONTÖR "))], {"8000": article()}).actions == [SkipUnchanged("8000")]


def test_duplicate_numbers_in_the_file_reject_every_such_row() -> None:
    plan = plan_articles([Entry(article(), 2), Entry(article("9000"), 3), Entry(article(name="Annan"), 4)], {})
    rejected = plan.rejected
    assert [(p.row, p.key) for p in rejected] == [(2, "8000"), (4, "8000")]
    assert "även rad 4" in rejected[0].reason
    assert plan.writes == [CreateArticle(article("9000"), 3)]


def test_parser_problems_come_through_as_rejected_rows() -> None:
    problem = RowProblem(5, "X", "Priset saknas.")
    assert plan_articles([], {}, problems=[problem]).actions == [Rejected(problem)]


def test_comparing_on_service_flag_instead_of_kind() -> None:
    other = article(kind=ArticleKind.OTHER)
    material = article(kind=ArticleKind.MATERIAL)
    updatable = ("unit", "unit_price", "is_service", "house_work_type")
    assert plan_articles([Entry(other)], {"8000": material}, updatable=updatable).actions == [SkipUnchanged("8000")]


def customer(number: str = "1001", name: str = "Bygg AB", **kw: object) -> CustomerRecord:
    return CustomerRecord(number, name, **kw)  # type: ignore[arg-type]


def test_customers_match_on_number_then_identity_number() -> None:
    ours = [customer("1001", org_number="556677-8899"), customer("1002", "Anna", personal_number="198803202384")]
    plan = plan_customers(
        [
            Entry(customer("1001", org_number="556677-8899"), 2),
            Entry(customer("77", "Anna A", personal_number="198803202384"), 3),
            Entry(customer("1003", "Ny AB", org_number="556036-0793"), 4),
        ],
        ours,
    )
    assert plan.actions == [
        SkipUnchanged("1001", 2),
        LinkExisting("77", "1002", 3),
        CreateCustomer(customer("1003", "Ny AB", org_number="556036-0793"), 4),
    ]


def test_customer_with_other_identity_number_is_a_conflict_and_empty_cells_do_not_erase() -> None:
    ours = [customer(org_number="556677-8899", email="a@b.se", city="Göteborg")]
    conflict = plan_customers([Entry(customer(org_number="556036-0793"))], ours).actions[0]
    assert isinstance(conflict, Conflict)
    assert conflict.fields == ("org_number",)
    [update] = plan_customers([Entry(customer(org_number="556677-8899", city="Borås"))], ours).actions
    assert isinstance(update, UpdateCustomer)
    assert update.changed == ("city",)


def test_type_that_disagrees_with_the_org_number_rule_is_flagged() -> None:
    plan = plan_customers(
        [
            Entry(customer("1", org_number="556677-8899", claimed_private=True), 2),
            Entry(customer("2", claimed_private=False), 3),
            Entry(customer("3", org_number="556036-0793", claimed_private=False), 4),
        ],
        [],
    )
    assert [(flag.row, flag.key) for flag in plan.flags] == [(2, "1"), (3, "2")]
    assert "privatperson" in plan.flags[0].reason
    assert "företag" in plan.flags[1].reason
    assert len(plan.writes) == 3  # flagged rows are imported (by our rule) and shown to the user


def test_two_rows_with_one_identity_number_are_rejected() -> None:
    plan = plan_customers(
        [Entry(customer("1", org_number="556677-8899"), 2), Entry(customer("2", org_number="556677-8899"), 3)], []
    )
    assert [p.row for p in plan.rejected] == [2, 3]
    assert "556677" not in plan.rejected[0].reason


# --- properties: applying a plan's writes and planning again leaves nothing to do ---------------------------

_articles = st.builds(
    ArticleRecord,
    number=st.sampled_from([str(n) for n in range(8)]),
    name=st.sampled_from(["Montör", "Kabel", "kabel ", "Bok"]),
    unit=st.sampled_from(["st", "m", "tim"]),
    unit_price=st.decimals(min_value=0, max_value=1000, places=2),
    vat_rate=st.sampled_from([Decimal(25), Decimal(12), Decimal(6), Decimal(0)]),
    kind=st.sampled_from(list(ArticleKind)),
)


@given(incoming=st.lists(_articles, max_size=10), existing=st.lists(_articles, max_size=10), overwrite=st.booleans())
def test_a_second_plan_after_applying_the_first_has_no_writes(
    incoming: list[ArticleRecord], existing: list[ArticleRecord], overwrite: bool
) -> None:
    ours = {record.number: record for record in existing}
    decisions = {record.number: Decision.USE_INCOMING for record in incoming} if overwrite else {}
    entries = [Entry(record, row) for row, record in enumerate(incoming, 2)]
    first = plan_articles(entries, ours, decisions=decisions)
    for action in first.writes:
        assert isinstance(action, CreateArticle | UpdateArticle)
        ours[action.record.number] = action.record
    again = plan_articles(entries, ours, decisions=decisions)
    assert again.writes == []
    assert len(again.actions) == len(incoming)  # every row has exactly one fate
    assert {type(action) for action in again.actions} <= {SkipUnchanged, Conflict, Rejected}
