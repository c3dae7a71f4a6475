"""Our articles as Visma articles and back: the article mapping the register sync needs beyond ``visma.mapping``.

To Visma: the account coding is chosen by VAT rate and kind (labour → a service coding, so Visma computes
ROT/RUT on it; the rest → goods) with ``visma.mapping.choose_coding``; the unit is matched on abbreviation,
code or name; house-work types use the export's table. From Visma: the VAT rate and kind come from the
article's coding, the unit from its abbreviation.

Visma has ``/articles/batch`` in its spec only as an empty path (no operation, no schema), so every create is
one ``POST /articles`` and every update one ``PUT /articles/{articleId}``, paced by the client. A PUT replaces
Visma's whole article, so an update is our fields over the article as the planning read found it
(``article_update``): price lists, stock, notes and the rest the user keeps in Visma stay as they are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from fakturabro.domain.article import VAT_RATES, ArticleKind
from fakturabro.registers.plan import RowProblem
from fakturabro.registers.records import ArticleRecord
from fakturabro.registers.rows import NUMBER_PATTERN
from fakturabro.visma.client import VismaClient
from fakturabro.visma.mapping import (
    HOUSE_WORK_TYPE_FROM_VISMA,
    VISMA_GREEN_TECHNOLOGY_TYPE,
    VISMA_WORK_COST_TYPE,
    MappingError,
    choose_coding,
    coding_vat_percent,
)
from fakturabro.visma.models import Article, ArticleAccountCoding, Unit

# Compared on a push: Visma knows service/goods, not our three kinds, so "kind" is compared as the service flag.
PUSH_UPDATABLE = ("unit", "unit_price", "is_service", "house_work_type")
GREEN_FROM_VISMA = {number: kind for kind, number in VISMA_GREEN_TECHNOLOGY_TYPE.items()}


@dataclass(frozen=True)
class VismaArticles:
    """Visma's side of the article register: articles by number (as Visma has them, and as records), codings
    and units."""

    by_number: dict[str, tuple[Article, ArticleRecord]]
    problems: list[RowProblem]
    codings: list[ArticleAccountCoding]
    units: list[Unit]

    @property
    def records(self) -> dict[str, ArticleRecord]:
        return {number: record for number, (_, record) in self.by_number.items()}


def gather_visma_articles(client: VismaClient) -> VismaArticles:
    codings = client.list_article_account_codings()
    units = client.list_units()
    by_number: dict[str, tuple[Article, ArticleRecord]] = {}
    problems: list[RowProblem] = []
    codings_by_id = {coding.id: coding for coding in codings}
    for article in client.list_articles().items:
        try:
            by_number[article.number] = (article, article_from_visma(article, codings_by_id.get(article.coding_id)))
        except MappingError as error:
            problems.append(RowProblem(None, article.number, str(error)))
    return VismaArticles(by_number, problems, codings, units)


def article_from_visma(article: Article, coding: ArticleAccountCoding | None) -> ArticleRecord:
    if not NUMBER_PATTERN.match(article.number):
        raise MappingError("Artikelnumret i Visma har tecken som fakturabro inte tar emot.")
    vat = coding_vat_percent(coding) if coding is not None else None
    rate = next((allowed for allowed in VAT_RATES if vat is not None and vat == allowed), None)
    if rate is None:
        raise MappingError("Artikelns kontering i Visma har ingen momssats som fakturabro känner (25, 12, 6, 0 %).")
    service = coding is not None and coding.type == "Service"
    house_work = HOUSE_WORK_TYPE_FROM_VISMA.get(article.house_work_type or 0) or GREEN_FROM_VISMA.get(
        article.green_technology_type or 0
    )
    return ArticleRecord(
        number=article.number,
        name=article.name[:200],
        unit=(article.unit_abbreviation or article.unit_name or "st")[:50],
        unit_price=(article.net_price or Decimal(0)).quantize(Decimal("0.01")),
        vat_rate=rate,
        kind=ArticleKind.LABOUR if service else ArticleKind.MATERIAL,
        house_work_type=house_work,
    )


def article_to_visma(record: ArticleRecord, codings: Sequence[ArticleAccountCoding], units: Sequence[Unit]) -> Article:
    coding_id = choose_coding(codings, record.vat_rate, service=record.is_service)
    house_work = record.house_work_type
    return Article(
        number=record.number,
        name=record.name,
        is_active=True,
        coding_id=coding_id,
        unit_id=unit_id_for(record.unit, units),
        net_price=record.unit_price,
        house_work_type=VISMA_WORK_COST_TYPE.get(house_work) if house_work else None,
        green_technology_type=VISMA_GREEN_TECHNOLOGY_TYPE.get(house_work) if house_work else None,
    )


def article_update(
    current: Article, record: ArticleRecord, codings: Sequence[ArticleAccountCoding], units: Sequence[Unit]
) -> Article:
    """The PUT body for an article Visma has: ours over Visma's whole article (a field we leave empty keeps
    Visma's value, as the planner compares only the fields we have; an article made inactive in Visma stays so)."""
    ours = article_to_visma(record, codings, units)
    return current.overlaid_with(ours.model_copy(update={"is_active": current.is_active}))


def unit_id_for(unit: str, units: Sequence[Unit]) -> UUID:
    wanted = unit.strip().casefold()
    for candidate in units:
        names = {(value or "").casefold() for value in (candidate.abbreviation, candidate.code, candidate.name)}
        if wanted in names and candidate.id is not None:
            return candidate.id
    raise MappingError(f"Enheten ”{unit}” finns inte i Visma. Lägg till den under Inställningar → Enheter i Visma.")
