"""The article register (materials and labour): what invoice rows default to when they name an article."""

from __future__ import annotations

from fakturabro.domain.article import VAT_RATES
from fakturabro.domain.errors import Conflict, ErrorCollector, NotFound
from fakturabro.domain.invoice import MAX_UNIT_PRICE
from fakturabro.invoicing.inputs import ArticleInput
from fakturabro.invoicing.views import ArticleView
from fakturabro.store.database import Database
from fakturabro.store.external_ids import assign_external_id
from fakturabro.store.models import Article
from fakturabro.store.repositories import ArticleRepository


def create_article(db: Database, company_id: int, data: ArticleInput) -> ArticleView:
    _check(data)
    with db.transaction() as session:
        repository = ArticleRepository(session, company_id)
        _ensure_number_free(repository, data.number)
        now = db.clock()
        article = Article(company_id=company_id, number=data.number, created_at=now, updated_at=now)
        _apply(article, data)
        assign_external_id(session, article, data.external_id)
        repository.add(article)
        return article_view(article)


def update_article(db: Database, company_id: int, article_id: int, data: ArticleInput) -> ArticleView:
    _check(data)
    with db.transaction() as session:
        repository = ArticleRepository(session, company_id)
        article = _load(repository, article_id)
        if data.number != article.number:
            _ensure_number_free(repository, data.number)
            article.number = data.number
        _apply(article, data)
        assign_external_id(session, article, data.external_id)
        article.updated_at = db.clock()
        repository.flush()
        return article_view(article)


def get_article(db: Database, company_id: int, article_id: int) -> ArticleView:
    with db.transaction() as session:
        return article_view(_load(ArticleRepository(session, company_id), article_id))


def list_articles(
    db: Database, company_id: int, search: str | None = None, limit: int = 100, offset: int = 0
) -> list[ArticleView]:
    with db.transaction() as session:
        found = ArticleRepository(session, company_id).search(search, limit, offset)
        return [article_view(article) for article in found]


def article_view(article: Article) -> ArticleView:
    return ArticleView(
        id=article.id,
        external_id=article.external_id,
        number=article.number,
        name=article.name,
        unit=article.unit,
        unit_price=article.unit_price,
        vat_rate=article.vat_rate,
        kind=article.kind,
        house_work_type=article.house_work_type,
    )


def _check(data: ArticleInput) -> None:
    errors = ErrorCollector()
    price = data.unit_price
    if price < 0:
        errors.add(("unit_price",), "À-priset måste vara noll eller mer.", "out_of_range")
    elif price > MAX_UNIT_PRICE:
        errors.add(("unit_price",), "À-priset är orimligt stort.", "out_of_range")
    elif price != round(price, 2):
        errors.add(("unit_price",), "À-priset får ha högst två decimaler.", "too_precise")
    if data.vat_rate not in VAT_RATES:
        errors.add(("vat_rate",), "Momssatsen måste vara 25, 12, 6 eller 0 %.", "invalid_vat_rate")
    errors.raise_if_any()


def _apply(article: Article, data: ArticleInput) -> None:
    article.name = data.name
    article.unit = data.unit
    article.unit_price = data.unit_price
    article.vat_rate = data.vat_rate
    article.kind = data.kind.value
    article.house_work_type = data.house_work_type.value if data.house_work_type else None


def _load(repository: ArticleRepository, article_id: int) -> Article:
    article = repository.get(article_id)
    if article is None:
        raise NotFound("Artikeln", article_id)
    return article


def _ensure_number_free(repository: ArticleRepository, number: str) -> None:
    if repository.number_taken(number):
        raise Conflict(f"Artikelnummer {number} används redan.", "duplicate_article_number", ("number",))
