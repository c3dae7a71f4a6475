"""`/v2/partnerresourcelinks`: links from a Visma resource back to the partner's own page.

Our reading of Visma (unconfirmed): the linked resource must exist; the sandbox holds articles, customers,
customer invoices and drafts, so links to supplier resources (types 2, 4, 6) are refused as unknown.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from fakturabro.sandbox.deps import ListDep, StateDep, apply_filter, apply_orderby, company_for, paginate
from fakturabro.sandbox.errors import not_found, unknown_reference
from fakturabro.sandbox.state import CompanyState, Resource

router = APIRouter()

Reader = Annotated[
    CompanyState,
    Depends(company_for("ea:sales", "ea:sales_readonly", "ea:purchase", "ea:purchase_readonly")),
]
Writer = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:purchase"))]

# ResourceType → (the company's collection, the resource's name in errors)
RESOURCE_TYPES = {
    0: ("articles", "Article"),
    1: ("customers", "Customer"),
    2: (None, "Supplier"),
    3: ("invoices", "CustomerInvoice"),
    4: (None, "SupplierInvoice"),
    5: ("invoice_drafts", "CustomerInvoiceDraft"),
    6: (None, "SupplierInvoiceDraft"),
}


def check_target(company: CompanyState, body: Mapping[str, Any]) -> None:
    collection, name = RESOURCE_TYPES.get(int(body["ResourceType"]), (None, "Resource"))
    resources: dict[str, Resource] = getattr(company, collection) if collection else {}
    if str(body["ResourceId"]) not in resources:
        raise unknown_reference("ResourceId", name, body["ResourceId"])


def link(body: Mapping[str, Any], link_id: str) -> Resource:
    return {
        "Id": link_id,
        "ResourceId": body["ResourceId"],
        "ResourceType": int(body["ResourceType"]),
        "Href": body["Href"],
        "PartnerCompanyName": body["PartnerCompanyName"],
        "PartnerSystemName": body["PartnerSystemName"],
    }


def link_or_404(company: CompanyState, link_id: str) -> Resource:
    found = company.partner_resource_links.get(link_id)
    if found is None:
        raise not_found("PartnerResourceLink", link_id)
    return found


@router.get("/partnerresourcelinks")
async def list_links(company: Reader, listing: ListDep, state: StateDep) -> dict[str, Any]:
    rows = apply_orderby(apply_filter(company.partner_resource_links.values(), listing.filter), listing.orderby)
    return paginate(rows, listing, server_time=state.timestamp())


@router.post("/partnerresourcelinks", status_code=201)
async def create_link(company: Writer, state: StateDep, body: dict[str, Any]) -> Resource:
    with state.lock:
        check_target(company, body)
        created = link(body, str(uuid.uuid4()))
        company.partner_resource_links[created["Id"]] = created
        state.save()
    return created


@router.get("/partnerresourcelinks/{partnerResourceLinkId}")
async def get_link(partnerResourceLinkId: str, company: Reader) -> Resource:  # noqa: N803 - Visma's name
    return link_or_404(company, partnerResourceLinkId)


@router.put("/partnerresourcelinks/{partnerResourceLinkId}")
async def update_link(
    partnerResourceLinkId: str,  # noqa: N803 - Visma's name
    company: Writer,
    state: StateDep,
    body: dict[str, Any],
) -> Resource:
    with state.lock:
        link_or_404(company, partnerResourceLinkId)
        check_target(company, body)
        updated = link(body, partnerResourceLinkId)
        company.partner_resource_links[partnerResourceLinkId] = updated
        state.save()
    return updated


@router.delete("/partnerresourcelinks/{partnerResourceLinkId}")
async def delete_link(partnerResourceLinkId: str, company: Writer, state: StateDep) -> Response:  # noqa: N803
    with state.lock:
        link_or_404(company, partnerResourceLinkId)
        del company.partner_resource_links[partnerResourceLinkId]
        state.save()
    return Response(status_code=200)
