"""The settings check's rules, on literal facts (no I/O)."""

from __future__ import annotations

from dataclasses import replace

from fakturabro.sync.connection import ExportMode
from fakturabro.sync.preflight import CheckItem, FallbackNames, OurFacts, VismaFacts, evaluate

ALL_ON = VismaFacts(
    app_active=True,
    uses_reverse_construction_vat=True,
    show_prices_excl_vat_for_private=True,
    uses_house_work=True,
    uses_green_technology=True,
    next_invoice_number=1001,
    article_numbers=frozenset({"MINUBA", "MINUBA-ROTRUT", "8000"}),
    customer_types={"1001": True, "1002": False},
)
EVERYTHING_USED = OurFacts(
    mode=ExportMode.DRAFT,
    next_invoice_number=1001,
    reverse_charge=True,
    rot_rut=True,
    green_technology=True,
    private_customers=True,
    customer_types={"1001": True, "1002": False, "1003": True},
)
NOTHING_SPECIAL = OurFacts(mode=ExportMode.VOUCHER, next_invoice_number=1001, customer_types={"1002": False})
ALL_OFF = replace(
    ALL_ON,
    uses_reverse_construction_vat=False,
    show_prices_excl_vat_for_private=False,
    uses_house_work=False,
    uses_green_technology=False,
)


def by_key(items: list[CheckItem]) -> dict[str, CheckItem]:
    return {item.key: item for item in items}


def failing(items: list[CheckItem]) -> set[str]:
    return {item.key for item in items if not item.ok}


def test_everything_right_passes_with_every_item_present() -> None:
    items = evaluate(ALL_ON, EVERYTHING_USED)
    assert [item.key for item in items] == [
        "app_activated",
        "export_mode",
        "reverse_charge",
        "prices_excl_vat",
        "house_work",
        "green_technology",
        "invoice_number_series",
        "fallback_article",
        "house_work_fallback_article",
        "customer_types",
    ]
    assert failing(items) == set()
    assert all(item.fix is None for item in items)


def test_switches_off_fail_only_for_features_in_use() -> None:
    assert failing(evaluate(ALL_OFF, EVERYTHING_USED)) == {
        "reverse_charge",
        "prices_excl_vat",
        "house_work",
        "green_technology",
    }
    assert failing(evaluate(ALL_OFF, NOTHING_SPECIAL)) == set()
    only_rot = replace(NOTHING_SPECIAL, mode=ExportMode.DRAFT, rot_rut=True, private_customers=True)
    assert failing(evaluate(ALL_OFF, only_rot)) == {"prices_excl_vat", "house_work"}


def test_a_failed_switch_says_which_visma_setting_to_tick() -> None:
    item = by_key(evaluate(ALL_OFF, EVERYTHING_USED))["reverse_charge"]
    assert "avslaget i Visma" in item.message
    assert item.fix is not None
    assert "Fakturerar enligt regler för omvänd skattskyldighet" in item.fix
    assert "Fakturerar husarbete" in (by_key(evaluate(ALL_OFF, EVERYTHING_USED))["house_work"].fix or "")


def test_app_not_activated_fails_and_unreadable_settings_fail_only_where_needed() -> None:
    unread = VismaFacts(app_active=False)
    items = by_key(evaluate(unread, EVERYTHING_USED))
    assert not items["app_activated"].ok
    assert "Appar och integrationer" in (items["app_activated"].fix or "")
    assert "Activated" in (items["app_activated"].fix or "")
    assert not items["reverse_charge"].ok
    assert not items["invoice_number_series"].ok
    assert not items["fallback_article"].ok
    assert items["customer_types"].ok  # nothing to compare yet
    relaxed = by_key(evaluate(unread, NOTHING_SPECIAL))
    assert relaxed["reverse_charge"].ok
    assert relaxed["house_work_fallback_article"].ok


def test_number_series_must_agree() -> None:
    ahead = replace(ALL_ON, next_invoice_number=1005)
    item = by_key(evaluate(ahead, EVERYTHING_USED))["invoice_number_series"]
    assert not item.ok
    assert "1005" in item.message
    assert "1001" in item.message
    assert item.fix is not None
    assert "1001" in item.fix
    assert "1005" in item.fix


def test_fallback_articles_by_the_export_numbers_and_configured_names() -> None:
    no_articles = replace(ALL_ON, article_numbers=frozenset({"8000"}))
    items = by_key(evaluate(no_articles, EVERYTHING_USED, FallbackNames("Fakturabro", "Fakturabro husavdrag")))
    assert not items["fallback_article"].ok
    assert "”Fakturabro” (artikelnummer MINUBA)" in items["fallback_article"].message
    assert not items["house_work_fallback_article"].ok
    assert "Fakturabro husavdrag" in items["house_work_fallback_article"].message
    # Without husavdrag invoices only the plain one is required.
    assert failing(evaluate(no_articles, replace(NOTHING_SPECIAL, mode=ExportMode.DRAFT))) == {"fallback_article"}


def test_customer_with_the_other_type_in_visma_is_reported() -> None:
    ours = replace(EVERYTHING_USED, customer_types={"1001": False, "1002": False, "1003": True})
    item = by_key(evaluate(ALL_ON, ours))["customer_types"]
    assert not item.ok
    assert "1001" in item.message
    assert "1002" not in item.message
    assert "privatperson eller företag" in (item.fix or "")
    assert "organisationsnummer exporteras som företag" in item.message


def test_voucher_mode_cannot_carry_husavdrag_or_reverse_charge() -> None:
    item = by_key(evaluate(ALL_ON, replace(EVERYTHING_USED, mode=ExportMode.VOUCHER)))["export_mode"]
    assert not item.ok
    assert "Fakturautkast" in (item.fix or "")
    assert by_key(evaluate(ALL_ON, NOTHING_SPECIAL))["export_mode"].ok
