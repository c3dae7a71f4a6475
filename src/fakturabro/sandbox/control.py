"""The test-only control API under `/_sandbox` (not part of Visma). See docs/SANDBOX.md."""

from __future__ import annotations

import copy
import functools
import uuid
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from fastapi.responses import JSONResponse
from jsonschema import Draft202012Validator

from fakturabro.sandbox import seed, spec
from fakturabro.sandbox.deps import get_state
from fakturabro.sandbox.oauth import (
    AuthorizeRequest,
    OAuthError,
    RedirectError,
    authorize_params_from_url,
    issue_tokens,
    parse_scopes,
)
from fakturabro.sandbox.resources import invoices
from fakturabro.sandbox.state import CompanyState, Faults, OAuthClient, SandboxState, SandboxUser

router = APIRouter(prefix="/_sandbox", tags=["sandbox control (test only)"])
StateDep = Annotated[SandboxState, Depends(get_state)]
JsonBody = Annotated[dict[str, Any], Body()]
OptionalJsonBody = Annotated[dict[str, Any] | None, Body()]


def _company(state: SandboxState, company_id: str | None) -> CompanyState:
    company = state.company(company_id or seed.SEED_COMPANY_ID)
    if company is None:
        raise HTTPException(404, f"Unknown company {company_id}")
    return company


@router.post("/reset")
async def reset(state: StateDep) -> dict[str, Any]:
    state.reset()
    return {"status": "reset", "company_id": seed.SEED_COMPANY_ID}


@router.post("/token")
async def token(state: StateDep, body: OptionalJsonBody = None) -> dict[str, Any]:
    """An access token without the browser flow; body (all optional): company_id, scopes, client_id."""
    body = body or {}
    company = _company(state, body.get("company_id"))
    client_id = body.get("client_id") or seed.DEV_CLIENT_ID
    raw_scopes = body.get("scopes")
    try:
        scopes = parse_scopes(" ".join(raw_scopes) if isinstance(raw_scopes, list) else raw_scopes)
    except OAuthError as exc:
        raise HTTPException(400, exc.description) from None
    return {**issue_tokens(state, client_id, company.id, scopes), "company_id": company.id}


@router.post("/revoke")
async def revoke(state: StateDep, body: OptionalJsonBody = None) -> dict[str, Any]:
    """Kill every access and refresh token of a company, as a Visma password change does (the integration
    must then ask the user to reconnect). Body optional: `company_id` (default: the seeded company)."""
    company = _company(state, (body or {}).get("company_id"))
    with state.lock:
        access = state.access_tokens.remove_where(lambda record: record["company_id"] == company.id)
        refresh = state.refresh_tokens.remove_where(lambda record: record["company_id"] == company.id)
    return {"company_id": company.id, "access_tokens": access, "refresh_tokens": refresh}


@router.get("/companysettings")
async def get_company_settings(state: StateDep, company_id: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    return _company(state, company_id).settings


@router.put("/companysettings")
async def put_company_settings(
    state: StateDep, body: JsonBody, company_id: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """Change any `CompanySettingsApi` fields (read-only ones too); nested objects are merged."""
    company = _company(state, company_id)
    with state.lock:
        merged = dict(company.settings)
        for key, value in body.items():
            if isinstance(value, dict) and isinstance(merged.get(key), dict):
                merged[key] = {**merged[key], **value}
            else:
                merged[key] = value
        errors = sorted(_settings_validator().iter_errors(merged), key=lambda error: error.message)
        if errors:
            raise HTTPException(400, [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in errors])
        company.settings = merged
    return merged


@router.put("/appstatus")
async def put_app_status(
    state: StateDep, body: JsonBody, company_id: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """Activate (0) or deactivate (1) the 'Visma Integration' app: `{"ActivationStatus": 1}`."""
    company = _company(state, company_id)
    status = body.get("ActivationStatus")
    if status not in (0, 1):
        raise HTTPException(400, "ActivationStatus must be 0 (Active) or 1 (Inactive)")
    with state.lock:
        company.app_status = {**company.app_status, "ActivationStatus": status, "ModifiedUtc": state.timestamp()}
    return company.app_status


@router.get("/faults")
async def get_faults(state: StateDep) -> dict[str, Any]:
    return asdict(state.faults)


@router.put("/faults")
async def put_faults(state: StateDep, body: JsonBody) -> dict[str, Any]:
    """Set any of latency_ms, error_rate, timeout_after_commit_rate, timeout_after_commit_ms,
    rate_limit_per_minute, seed (reseeds the fault randomness). Unnamed knobs keep their value."""
    known = set(asdict(Faults()))
    unknown = set(body) - known
    if unknown:
        raise HTTPException(400, f"Unknown fault knobs: {sorted(unknown)}")
    merged = {**asdict(state.faults), **body}
    for rate in ("error_rate", "timeout_after_commit_rate"):
        if not isinstance(merged[rate], int | float) or not 0 <= merged[rate] <= 1:
            raise HTTPException(400, f"{rate} must be between 0 and 1")
    for whole in ("latency_ms", "timeout_after_commit_ms", "rate_limit_per_minute"):
        if not isinstance(merged[whole], int) or merged[whole] < 0:
            raise HTTPException(400, f"{whole} must be a non-negative integer")
    with state.lock:
        state.faults = Faults(**merged)
        if "seed" in body and body["seed"] is not None:
            state.rng.seed(body["seed"])
        state.rate_windows = {}
    return asdict(state.faults)


@router.post("/authorize")
async def authorize(state: StateDep, body: JsonBody) -> JSONResponse:
    """Approve an authorization URL as the seeded user would (or the user of `company_id`)."""
    url = body.get("url")
    if not isinstance(url, str):
        raise HTTPException(400, 'Body must be {"url": <authorize URL>}')
    try:
        auth = AuthorizeRequest(state, authorize_params_from_url(url))
    except OAuthError as exc:
        return exc.response()
    except RedirectError as redirect:
        return JSONResponse({"redirect_url": redirect.url})
    company = _company(state, body.get("company_id"))
    return JSONResponse({"redirect_url": auth.approve(state, company.id)})


@router.get("/requests")
async def requests(state: StateDep) -> dict[str, Any]:
    with state.lock:
        entries = [asdict(entry) for entry in state.request_log]
        counts = dict(state.request_counts)
    return {"requests": entries, "counts": counts, "total": sum(counts.values())}


@router.delete("/requests")
async def clear_requests(state: StateDep) -> dict[str, Any]:
    with state.lock:
        state.request_log = []
        state.request_counts = {}
    return {"requests": [], "counts": {}, "total": 0}


@router.post("/companies", status_code=201)
async def create_company(state: StateDep, body: OptionalJsonBody = None) -> dict[str, Any]:
    """A further seeded company with its own user (for isolation tests): body `name`, `email`, `password`."""
    body = body or {}
    company_id = str(uuid.uuid4())
    name = body.get("name") or f"Sandbox AB {company_id[:8]}"
    email = (body.get("email") or f"user-{company_id[:8]}@sandbox.local").lower()
    password = body.get("password") or "sandbox"
    with state.lock:
        if email in state.users:
            raise HTTPException(409, f"User {email} exists")
        state.companies[company_id] = seed.seed_company(company_id, name, state.now())
        state.users[email] = SandboxUser.with_password(email, password, company_id)
    return {"company_id": company_id, "name": name, "email": email, "password": password}


@router.post("/clients", status_code=201)
async def create_client(state: StateDep, body: JsonBody) -> dict[str, Any]:
    """Register an OAuth client: `client_id`, `client_secret`, `redirect_uris` (list), `allow_loopback`."""
    client_id = body.get("client_id")
    secret = body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id or not secret:
        raise HTTPException(400, "client_id and client_secret are required")
    client = OAuthClient.with_secret(
        client_id, secret, list(body.get("redirect_uris") or []), allow_loopback=bool(body.get("allow_loopback", True))
    )
    with state.lock:
        state.clients[client_id] = client
    return {"client_id": client.client_id, "redirect_uris": client.redirect_uris}


@router.put("/customerinvoices/{invoice_id}/taxdeduction")
async def put_tax_deduction(
    invoice_id: str, state: StateDep, body: JsonBody, company_id: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """What the user and Skatteverket do in Visma's UI: claim the invoice's tax reduction
    (`{"TaxDeductionStatus": 2}`) and refuse it (`3`). The change moves `ModifiedUtc`, as any change does."""
    company = _company(state, company_id)
    status = body.get("TaxDeductionStatus")
    if not isinstance(status, int) or isinstance(status, bool):
        raise HTTPException(400, "TaxDeductionStatus must be 2 or 3")
    with state.lock:
        invoice = company.invoices.get(invoice_id)
        if invoice is None:
            raise HTTPException(404, f"Unknown invoice {invoice_id}")
        refusal = invoices.set_tax_deduction_status(invoice, status, state.timestamp())
        if refusal:
            raise HTTPException(409, refusal)
        state.save()
    return {"Id": invoice_id, "TaxDeductionStatus": status}


@router.get("/sent")
async def sent(state: StateDep, company_id: Annotated[str | None, Query()] = None) -> dict[str, Any]:
    """Every e-mail and e-invoice the company "sent" (`POST /v2/customerinvoices/{id}/email` and `/einvoice`),
    per invoice Id, oldest first: `{"company_id", "emails": {Id: [...]}, "einvoices": {Id: [...]}}`."""
    company = _company(state, company_id)
    with state.lock:
        return {
            "company_id": company.id,
            "emails": copy.deepcopy(company.sent_emails),
            "einvoices": copy.deepcopy(company.sent_einvoices),
        }


@router.get("/customerinvoices/{invoice_id}/sent")
async def sent_for_invoice(
    invoice_id: str, state: StateDep, company_id: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """What was sent for one invoice: `{"invoice_id", "invoice_number", "emails": [...], "einvoices": [...]}`."""
    company = _company(state, company_id)
    with state.lock:
        invoice = company.invoices.get(invoice_id)
        if invoice is None:
            raise HTTPException(404, f"Unknown invoice {invoice_id}")
        return {
            "invoice_id": invoice_id,
            "invoice_number": invoice.get("InvoiceNumber"),
            "emails": copy.deepcopy(company.sent_emails.get(invoice_id, [])),
            "einvoices": copy.deepcopy(company.sent_einvoices.get(invoice_id, [])),
        }


@functools.cache
def _settings_validator() -> Draft202012Validator:
    """`CompanySettingsApi` from the official spec, for settings changed through the control API."""
    schema = {"$ref": "#/components/schemas/CompanySettingsApi", "components": spec.official_spec()["components"]}
    return Draft202012Validator(schema)
