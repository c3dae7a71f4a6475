"""`/articles`: list (with `$filter`, e.g. on `Number` or `ChangedUtc`), get, create, update.

Visma's rules kept here: article `Number` is unique (400 Conflict/4000); `CodingId` and `UnitId` must exist
(400 ResourceNotFound/3000); `HouseWorkType` must be one of the spec's values (400 2000). Names and the
service flag are derived from the coding and unit, as Visma answers them.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from fakturabro.sandbox import spec
from fakturabro.sandbox.deps import ListDep, StateDep, apply_filter, apply_orderby, company_for, paginate
from fakturabro.sandbox.errors import (
    DATA_MODEL_VALIDATION_ERROR,
    bad_request,
    conflict,
    not_found,
    unknown_reference,
)
from fakturabro.sandbox.state import CompanyState

router = APIRouter(tags=["Articles"])

Reader = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
Writer = Annotated[CompanyState, Depends(company_for("ea:sales"))]
JsonBody = Annotated[dict[str, Any], Body()]
SCHEMA = "ArticleApi"
# The spec's HouseWorkType values: 0 none, 1-7 ROT kinds, 9-29 RUT (and newer ROT) kinds, with gaps.
HOUSE_WORK_TYPES = frozenset(
    {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}
)


@router.get("/articles")
async def list_articles(company: Reader, listing: ListDep, state: StateDep) -> dict[str, Any]:
    rows = apply_orderby(apply_filter(company.articles.values(), listing.filter), listing.orderby)
    return paginate(rows, listing, server_time=state.timestamp())


@router.get("/articles/{articleId}")
async def get_article(company: Reader, articleId: str) -> dict[str, Any]:
    article = company.articles.get(articleId)
    if article is None:
        raise not_found("Article", articleId)
    return article


@router.post("/articles", status_code=201)
async def create_article(company: Writer, state: StateDep, body: JsonBody) -> dict[str, Any]:
    with state.lock:
        stamp = state.timestamp()
        article = _build(company, stamp, body, str(uuid.uuid4()), {"CreatedUtc": stamp})
        company.articles[article["Id"]] = article
    return article


@router.put("/articles/{articleId}")
async def update_article(company: Writer, state: StateDep, articleId: str, body: JsonBody) -> dict[str, Any]:
    with state.lock:
        existing = company.articles.get(articleId)
        if existing is None:
            raise not_found("Article", articleId)
        kept = {key: value for key, value in existing.items() if key in spec.read_only_fields(SCHEMA)}
        article = _build(company, state.timestamp(), body, articleId, kept)
        company.articles[articleId] = article
    return article


def _build(
    company: CompanyState, stamp: str, body: dict[str, Any], article_id: str, kept: dict[str, Any]
) -> dict[str, Any]:
    fields = spec.writable(SCHEMA, body)
    coding = company.article_account_codings.get(fields["CodingId"])
    if coding is None:
        raise unknown_reference("CodingId", "Article account coding", fields["CodingId"])
    unit = company.units.get(fields["UnitId"])
    if unit is None:
        raise unknown_reference("UnitId", "Unit", fields["UnitId"])
    house_work = fields.get("HouseWorkType")
    if house_work is not None and house_work not in HOUSE_WORK_TYPES:
        raise bad_request(DATA_MODEL_VALIDATION_ERROR, f"HouseWorkType {house_work} is not valid.", "HouseWorkType")
    for other in company.articles.values():
        if other["Id"] != article_id and other.get("Number") == fields["Number"]:
            raise conflict(f"An article with Number {fields['Number']} already exists.", "Number")
    net_price = float(fields.get("NetPrice") or 0.0)
    return spec.with_defaults(
        SCHEMA,
        {
            "NetPriceWithDiscount": net_price,
            "GrossPrice": round(net_price * (1 + float(coding.get("VatRatePercent") or 0)), 2),
            "CurrencyCode": company.settings.get("CurrencyCode"),
            "ArticleLabels": [],
            "MessageThreads": [],
            "Notes": [],
            **kept,
            **fields,
            "Id": article_id,
            "CodingName": coding.get("Name"),
            "UnitName": unit.get("Name"),
            "UnitAbbreviation": unit.get("Abbreviation"),
            "IsServiceArticle": coding.get("Type") == "Service",
            "ChangedUtc": stamp,
        },
    )
