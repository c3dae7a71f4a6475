"""The settings check ("preflight"): are Visma's settings right for how this company invoices?

Gather → evaluate → store. `gather_*` read both sides (Visma's company settings, app status, articles and
customers; our invoices, customers and invoice number series), `evaluate` is a pure function from those facts to
a checklist in Swedish with what to do in Visma, and `run_check` stores the result with a timestamp. It runs on
connect, on demand, and before a batch export.

The seed's rules behind the items ("Inne i Visma", "Husavdrag och omvänd byggmoms", "Momsen stämmer inte"):
the "Visma Integration" app must be Activated; omvänd byggmoms, prices excl. VAT for private persons,
"Fakturerar husarbete" and grön teknik must be switched on when our invoices use them; Visma numbers invoices
itself, so its next invoice number must equal ours; rows without an identical article number land on the
fallback articles ("fakturabro", "fakturabro ROT/RUT" unless configured); a customer with an org number is a
company, one without is a private person, and a customer that exists in Visma with the other type gets the
wrong VAT treatment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal
from uuid import UUID

import structlog

from fakturabro.domain.customer import CustomerKind, customer_kind
from fakturabro.domain.errors import Conflict
from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.store.company_rounding import remember_company_rounding
from fakturabro.store.connection_repository import ConnectionRepository
from fakturabro.store.database import Database
from fakturabro.store.preflight_repository import PreflightRepository
from fakturabro.store.repositories import CustomerRepository, InvoiceRepository, Transaction
from fakturabro.store.series import INVOICE_SERIES, next_value
from fakturabro.store.visma_models import VismaPreflightResult
from fakturabro.sync.connection import (
    ExportMode,
    VismaContainer,
    VismaSetup,
    as_utc,
    visma_client_for,
    visma_setup_of,
)
from fakturabro.visma import mapping
from fakturabro.visma.client import VismaClient
from fakturabro.visma.errors import VismaError, VismaForbidden

log = structlog.get_logger("fakturabro.sync.preflight")

Trigger = Literal["connect", "manual", "export"]
KEPT_RESULTS = 50
# Visma's menus as the seed names them; the exact path can differ between Visma's product variants.
_SETTINGS = "I Visma eEkonomi: Inställningar → Företagsinställningar"


@dataclass(frozen=True)
class CheckItem:
    key: str
    ok: bool
    message: str
    fix: str | None = None


@dataclass(frozen=True)
class CheckResult:
    checked_at: datetime
    trigger: str
    items: tuple[CheckItem, ...]

    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)


@dataclass(frozen=True)
class FallbackNames:
    """The fallback articles rows land on when Visma has no article with their number (names configurable)."""

    article: str = "Minuba"
    house_work_article: str = "Minuba ROT/RUT"

    def required(self) -> tuple[mapping.FallbackArticle, mapping.FallbackArticle]:
        """The 25 % fallback articles, named and numbered as the export creates and finds them."""
        plain = mapping.fallback_article_for(
            Decimal(25), husavdrag=False, name=self.article, husavdrag_name=self.house_work_article
        )
        house_work = mapping.fallback_article_for(
            Decimal(25), husavdrag=True, name=self.article, husavdrag_name=self.house_work_article
        )
        return plain, house_work


@dataclass(frozen=True)
class VismaFacts:
    """What Visma says. None: could not be read (the app not activated makes Visma refuse most calls)."""

    app_active: bool
    uses_reverse_construction_vat: bool | None = None
    show_prices_excl_vat_for_private: bool | None = None
    uses_house_work: bool | None = None
    uses_green_technology: bool | None = None
    next_invoice_number: int | None = None
    whole_krona_rounding: bool | None = None  # öresavrundning (DomesticCurrencyRounding)
    article_numbers: frozenset[str] | None = None
    # customer number → is a private person
    customer_types: Mapping[str, bool] | None = None


@dataclass(frozen=True)
class OurFacts:
    """How the company invoices with us."""

    mode: ExportMode
    next_invoice_number: int
    reverse_charge: bool = False
    rot_rut: bool = False
    green_technology: bool = False
    private_customers: bool = False
    # customer number → is a private person (no org number)
    customer_types: Mapping[str, bool] = field(default_factory=dict)


# --- evaluate (pure) ------------------------------------------------------------------------------------------


def evaluate(visma: VismaFacts, ours: OurFacts, names: FallbackNames = FallbackNames()) -> list[CheckItem]:
    """The checklist, in the order a person fixes things."""
    items = [_app(visma)]
    items.append(_export_mode(ours))
    items.append(
        _switch(
            "reverse_charge",
            needed=ours.reverse_charge,
            enabled=visma.uses_reverse_construction_vat,
            what="Omvänd byggmoms",
            setting="Fakturerar enligt regler för omvänd skattskyldighet",
            why="fakturor med omvänd byggmoms",
        )
    )
    items.append(
        _switch(
            "prices_excl_vat",
            needed=ours.private_customers or ours.rot_rut or ours.green_technology,
            enabled=visma.show_prices_excl_vat_for_private,
            what="Priser exkl. moms för privatpersoner",
            setting="Visa priser exkl. moms för privatpersoner",
            why="fakturor till privatpersoner (priserna skickas exkl. moms)",
        )
    )
    items.append(
        _switch(
            "house_work",
            needed=ours.rot_rut,
            enabled=visma.uses_house_work,
            what="Husarbete (ROT/RUT)",
            setting="Fakturerar husarbete",
            why="fakturor med ROT- eller RUT-avdrag",
        )
    )
    items.append(
        _switch(
            "green_technology",
            needed=ours.green_technology,
            enabled=visma.uses_green_technology,
            what="Grön teknik",
            setting="Grön teknik (skattereduktion för installation av grön teknik)",
            why="fakturor med avdrag för grön teknik",
        )
    )
    items.append(_number_series(visma, ours))
    plain, house_work = names.required()
    items.append(_fallback("fallback_article", visma, plain, needed=True))
    items.append(
        _fallback("house_work_fallback_article", visma, house_work, needed=ours.rot_rut or ours.green_technology)
    )
    items.append(_customer_types(visma, ours))
    return items


def _app(visma: VismaFacts) -> CheckItem:
    if visma.app_active:
        return CheckItem("app_activated", True, "Integrationen är aktiverad i Visma (status Activated).")
    return CheckItem(
        "app_activated",
        False,
        "Integrationen är inte aktiverad i Visma, så Visma tar inte emot något från fakturabro.",
        "I Visma eEkonomi: gå till Appar och integrationer → Visma Integration och aktivera integrationen så att "
        "statusen blir ”Activated”. Kör sedan kontrollen igen.",
    )


def _export_mode(ours: OurFacts) -> CheckItem:
    if ours.mode is ExportMode.DRAFT:
        return CheckItem(
            "export_mode", True, "Fakturorna exporteras som fakturautkast som du eller din redovisare bokför i Visma."
        )
    if ours.rot_rut or ours.green_technology or ours.reverse_charge:
        return CheckItem(
            "export_mode",
            False,
            "Fakturorna exporteras som verifikationer, men husavdrag och omvänd byggmoms kan bara exporteras som "
            "fakturautkast.",
            "Välj exportläget Fakturautkast här under Inställningar → Integrationer → Visma eEkonomi.",
        )
    return CheckItem(
        "export_mode", True, "Fakturorna exporteras som verifikationer och hamnar under Obetalda kundfakturor i Visma."
    )


def _switch(key: str, *, needed: bool, enabled: bool | None, what: str, setting: str, why: str) -> CheckItem:
    if enabled is None:
        return CheckItem(
            key,
            not needed,
            f"{what}: inställningen kunde inte läsas från Visma."
            + (" Den behövs för " + why + "." if needed else " Den behövs inte för dina fakturor just nu."),
            "Aktivera integrationen i Visma och kör kontrollen igen." if needed else None,
        )
    if enabled:
        return CheckItem(key, True, f"{what}: påslaget i Visma.")
    if not needed:
        return CheckItem(key, True, f"{what}: avslaget i Visma, men dina fakturor använder det inte.")
    return CheckItem(
        key,
        False,
        f"{what}: avslaget i Visma, men behövs för {why}. Sådana fakturor kan inte exporteras förrän det är påslaget.",
        f"{_SETTINGS}: kryssa i ”{setting}” och spara. Kör sedan kontrollen igen.",
    )


def _number_series(visma: VismaFacts, ours: OurFacts) -> CheckItem:
    if visma.next_invoice_number is None:
        return CheckItem(
            "invoice_number_series",
            False,
            "Nästa fakturanummer i Visma kunde inte läsas.",
            "Aktivera integrationen i Visma och kör kontrollen igen.",
        )
    if visma.next_invoice_number == ours.next_invoice_number:
        return CheckItem(
            "invoice_number_series",
            True,
            f"Fakturanumren följer varandra: nästa faktura får nummer {ours.next_invoice_number} i båda systemen.",
        )
    return CheckItem(
        "invoice_number_series",
        False,
        f"Fakturanumren skiljer sig: nästa fakturanummer är {visma.next_invoice_number} i Visma men "
        f"{ours.next_invoice_number} i fakturabro. Visma låter inte fakturabro bestämma fakturanumret, så serierna "
        "måste stämma innan du exporterar – annars får fakturan ett annat nummer i Visma och betalningar kan inte "
        "matchas.",
        _series_advice(ours.next_invoice_number, visma.next_invoice_number),
    )


def _series_advice(ours: int, visma: int) -> str:
    """Where to make the two series agree. fakturabro's number can only move up (a number used stays used), so
    it is offered only when Visma is ahead."""
    advice = f"Ändra nästa fakturanummer i Visma (inställningarna för fakturering) till {ours}"
    if visma > ours:
        advice += f", eller höj nästa fakturanummer i fakturabro till {visma} under Inställningar → Företaget"
    return advice + "."


def _fallback(key: str, visma: VismaFacts, article: mapping.FallbackArticle, *, needed: bool) -> CheckItem:
    label = f"”{article.name}” (artikelnummer {article.number})"
    if visma.article_numbers is None:
        return CheckItem(key, not needed, f"Artikeln {label} kunde inte sökas i Visma.")
    if article.number in visma.article_numbers:
        return CheckItem(key, True, f"Artikeln {label} finns i Visma; rader utan eget artikelnummer hamnar där.")
    if not needed:
        return CheckItem(
            key, True, f"Artikeln {label} saknas i Visma, men behövs först när du fakturerar med husavdrag."
        )
    return CheckItem(
        key,
        False,
        f"Artikeln {label} saknas i Visma. Rader {'på fakturor med husavdrag ' if article.service else ''}vars "
        "artikelnummer inte finns i Visma hamnar på den.",
        "Tryck på ”Skapa artiklarna” så skapar fakturabro den i Visma (25 % moms, enhet st). Kontering "
        "kan sedan ändras på artikeln i Visma – ändringen gäller alla rader som hamnar där.",
    )


def _customer_types(visma: VismaFacts, ours: OurFacts) -> CheckItem:
    rule = "Kunder med organisationsnummer exporteras som företag, kunder utan som privatpersoner."
    if visma.customer_types is None:
        return CheckItem("customer_types", True, rule)
    clashing = sorted(
        number
        for number, private in ours.customer_types.items()
        if number in visma.customer_types and visma.customer_types[number] != private
    )
    if not clashing:
        return CheckItem("customer_types", True, f"{rule} Inga kunder har olika kundtyp i Visma och fakturabro.")
    shown = ", ".join(clashing[:10]) + (f" och {len(clashing) - 10} till" if len(clashing) > 10 else "")
    return CheckItem(
        "customer_types",
        False,
        f"{rule} Kundnummer {shown} finns i Visma med den andra kundtypen, så momsen på deras fakturor blir fel "
        "i Visma.",
        "Kontrollera kunden i Visma: ändra till rätt typ (privatperson eller företag), eller rätta "
        "organisationsnumret på kunden i fakturabro.",
    )


# --- gather ---------------------------------------------------------------------------------------------------


def gather_ours(session: Transaction, company_id: int) -> OurFacts:
    row = ConnectionRepository(session).get(company_id)
    mode = ExportMode(row.mode) if row is not None else ExportMode.DRAFT
    invoices = InvoiceRepository(session, company_id)
    org_numbers = CustomerRepository(session, company_id).org_numbers()
    types = {number: customer_kind(org) is CustomerKind.PRIVATE for number, org in org_numbers.items()}
    return OurFacts(
        mode=mode,
        next_invoice_number=next_value(session, company_id, INVOICE_SERIES),
        reverse_charge=invoices.any_reverse_charge(),
        rot_rut=invoices.any_house_work([HusavdragKind.ROT.value, HusavdragKind.RUT.value]),
        green_technology=invoices.any_house_work([HusavdragKind.GREEN.value]),
        private_customers=any(types.values()),
        customer_types=types,
    )


def gather_visma(client: VismaClient) -> VismaFacts:
    active = any(status.is_active for status in client.get_appstore_status())
    try:
        settings = client.get_company_settings()
    except VismaForbidden:
        return VismaFacts(app_active=active)
    articles = client.list_articles().items
    customers = client.list_customers().items
    return VismaFacts(
        app_active=active,
        uses_reverse_construction_vat=settings.uses_reverse_construction_vat,
        show_prices_excl_vat_for_private=settings.show_prices_excl_vat_pc,
        uses_house_work=settings.uses_rot_reduced_invoicing,
        uses_green_technology=settings.uses_green_technology,
        next_invoice_number=settings.next_customer_invoice_number,
        whole_krona_rounding=mapping.whole_krona_rounding(settings),
        article_numbers=frozenset(article.number for article in articles if article.is_active),
        customer_types={c.customer_number: c.is_private_person for c in customers if c.customer_number},
    )


# --- run and store ---------------------------------------------------------------------------------------------


def fallback_names(container: VismaContainer, setup: VismaSetup | None = None) -> FallbackNames:
    setup = setup or visma_setup_of(container)
    return FallbackNames(setup.fallback_article, setup.house_work_fallback_article)


def run_check(
    container: VismaContainer, company_id: int, trigger: Trigger = "manual", *, setup: VismaSetup | None = None
) -> CheckResult:
    """Read both sides, evaluate, store the result. Raises `NotConnected` / `NeedsReconnect` when there is no
    working connection; a Visma that cannot be reached is reported as one failed item instead."""
    client = visma_client_for(container, company_id, setup=setup)
    db = container.db
    try:
        visma = gather_visma(client)
    except VismaError as exc:
        if getattr(exc, "needs_reconnect", False):
            raise
        log.warning("visma.preflight.unreachable", company_id=company_id, error=type(exc).__name__)
        items: list[CheckItem] = [
            CheckItem(
                "visma_reachable",
                False,
                "Visma eEkonomi svarade inte som väntat, så inställningarna kunde inte kontrolleras.",
                "Försök igen om en stund.",
            )
        ]
    else:
        with db.transaction() as session:
            if visma.whole_krona_rounding is not None:  # drafts are priced as the company rounds from now on
                remember_company_rounding(session, company_id, visma.whole_krona_rounding, db.clock())
            ours = gather_ours(session, company_id)
        items = evaluate(visma, ours, fallback_names(container, setup))
    return store_result(db, company_id, trigger, items)


def check_before_export(
    container: VismaContainer,
    company_id: int,
    *,
    max_age: timedelta = timedelta(minutes=10),
    setup: VismaSetup | None = None,
) -> CheckResult:
    """The check a batch export starts with: the stored result when it is recent, else a fresh run.

    A batch export runs often; re-reading Visma's settings, articles and customers for each batch would spend
    the rate limit on what rarely changes. Raises like `run_check`.
    """
    latest = latest_check(container.db, company_id)
    if latest is not None and latest.checked_at + max_age > container.db.clock():
        return latest
    return run_check(container, company_id, "export", setup=setup)


def store_result(db: Database, company_id: int, trigger: str, items: list[CheckItem]) -> CheckResult:
    result = CheckResult(checked_at=db.clock(), trigger=trigger, items=tuple(items))
    with db.transaction() as session:
        results = PreflightRepository(session, company_id)
        results.add(
            VismaPreflightResult(
                company_id=company_id,
                checked_at=result.checked_at,
                trigger=trigger,
                ok=result.ok,
                items=json.dumps([asdict(item) for item in items], ensure_ascii=False),
            )
        )
        # The check runs before every batch export; keep a short history, not every run forever.
        results.keep_newest(KEPT_RESULTS)
    log.info("visma.preflight.checked", company_id=company_id, trigger=trigger, ok=result.ok)
    return result


def latest_check(db: Database, company_id: int) -> CheckResult | None:
    with db.transaction() as session:
        row = PreflightRepository(session, company_id).latest()
        if row is None:
            return None
        items = tuple(CheckItem(**item) for item in json.loads(row.items))
        return CheckResult(checked_at=as_utc(row.checked_at), trigger=row.trigger, items=items)


# --- the fix we can make ourselves ----------------------------------------------------------------------------


def create_fallback_articles(
    container: VismaContainer, company_id: int, *, setup: VismaSetup | None = None
) -> list[str]:
    """Create the fallback articles Visma lacks (service coding at 25 %, unit "st"); returns the names created."""
    client = visma_client_for(container, company_id, setup=setup)
    existing = {article.number for article in client.list_articles().items}
    missing = [article for article in fallback_names(container, setup).required() if article.number not in existing]
    if not missing:
        return []
    codings = client.list_article_account_codings()
    units = client.list_units()
    unit = next((u for u in units if (u.abbreviation or "").lower() == "st" or (u.code or "").upper() == "ST"), None)
    unit = unit or (units[0] if units else None)
    if unit is None or unit.id is None:
        raise Conflict("Visma eEkonomi har inga enheter. Lägg till enheten st i Visma och försök igen.", "visma_unit")
    created = []
    for article in missing:
        # As the export creates them: the ROT/RUT one on a service coding, since Visma computes husavdrag on services.
        try:
            coding_id = mapping.choose_coding(codings, article.vat_percent, service=article.service)
        except mapping.MappingError as missing_coding:
            raise Conflict(str(missing_coding), "visma_coding_missing") from None
        client.create_article(mapping.fallback_to_visma(article, coding_id, UUID(str(unit.id))))
        created.append(article.name)
    log.info("visma.preflight.fallback_articles_created", company_id=company_id, count=len(created))
    return created
