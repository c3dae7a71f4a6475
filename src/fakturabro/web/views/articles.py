"""Artiklar: the list with search, create and edit; and which articles Visma has with the same number.

As the seed says, a row whose article number also exists in Visma shows that article in Visma; every other row
lands on the fallback article ("fakturabro", or "fakturabro ROT/RUT" with husavdrag; configurable).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from fakturabro.domain.article import VAT_RATES, ArticleKind
from fakturabro.domain.errors import DomainError
from fakturabro.domain.husavdrag import HouseWorkType
from fakturabro.invoicing import articles
from fakturabro.invoicing.inputs import MAX_ID, ArticleInput
from fakturabro.invoicing.views import ArticleView
from fakturabro.store.database import Database
from fakturabro.web.deps import Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.forms import FormData, decimal_text, field_errors, text
from fakturabro.web.views.labels import HOUSE_WORK_TYPES, KINDS
from fakturabro.web.views.rendering import is_htmx, render
from fakturabro.web.views.session import PageCompany, check_csrf
from fakturabro.web.views.visma_state import visma_articles

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/articles", response_class=HTMLResponse)
def article_list(
    request: Request, db: Db, company_id: PageCompany, q: Annotated[str, Query(max_length=100)] = ""
) -> HTMLResponse:
    found = articles.list_articles(db, company_id, q.strip() or None, limit=500)
    settings = request.app.state.container.settings
    context = {
        "articles": found,
        "q": q,
        "visma": visma_articles(db, company_id),
        "fallback_names": (settings.visma_fallback_article, settings.visma_house_work_fallback_article),
    }
    return render(request, "articles.html", context, block="results" if is_htmx(request) else None)


@router.get("/articles/new", response_class=HTMLResponse)
def new_article(request: Request, company_id: PageCompany) -> HTMLResponse:
    return _form(request, None, {"unit": "st", "vat_rate": "25", "kind": "material"}, {})


@router.post("/articles/new", response_class=HTMLResponse)
async def create_article(request: Request, db: Db, company_id: PageCompany) -> Response:
    form = await request.form()
    return await run_in_threadpool(_create_article, request, db, company_id, form)


def _create_article(request: Request, db: Database, company_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    try:
        articles.create_article(db, company_id, _input(form))
    except (DomainError, ValidationError) as error:
        return _form(request, None, dict(form), field_errors(error), status_code=422)
    return RedirectResponse("/articles?sparad=1", status_code=303)


@router.get("/articles/{article_id}/edit", response_class=HTMLResponse)
def edit_article(request: Request, db: Db, company_id: PageCompany, article_id: Id) -> HTMLResponse:
    article = articles.get_article(db, company_id, article_id)
    values = article.model_dump()
    values["unit_price"] = str(article.unit_price).replace(".", ",")
    values["vat_rate"] = f"{article.vat_rate.normalize():f}"
    return _form(request, article, values, {})


@router.post("/articles/{article_id}/edit", response_class=HTMLResponse)
async def update_article(request: Request, db: Db, company_id: PageCompany, article_id: Id) -> Response:
    form = await request.form()
    return await run_in_threadpool(_update_article, request, db, company_id, article_id, form)


def _update_article(request: Request, db: Database, company_id: int, article_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    article = articles.get_article(db, company_id, article_id)
    try:
        articles.update_article(db, company_id, article_id, _input(form))
    except (DomainError, ValidationError) as error:
        return _form(request, article, dict(form), field_errors(error), status_code=422)
    return RedirectResponse("/articles?sparad=1", status_code=303)


def _input(form: FormData) -> ArticleInput:
    data: dict[str, Any] = {
        "number": text(form, "number") or "",
        "name": text(form, "name") or "",
        "unit": text(form, "unit") or "st",
        "unit_price": decimal_text(form, "unit_price") or "",
        "vat_rate": decimal_text(form, "vat_rate") or "25",
        "kind": text(form, "kind") or "material",
        "house_work_type": text(form, "house_work_type"),
    }
    return ArticleInput.model_validate(data)


def _form(
    request: Request,
    article: ArticleView | None,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "article": article,
        "values": values,
        "errors": errors,
        "kinds": [(kind.value, KINDS[kind.value]) for kind in ArticleKind],
        "vat_rates": [f"{rate.normalize():f}" for rate in VAT_RATES],
        "house_work_types": [(t.value, HOUSE_WORK_TYPES[t.value]) for t in HouseWorkType],
    }
    return render(request, "article_form.html", context, status_code=status_code)
