"""``/api/v1/tokens``: the company's API tokens — list, create (shown once), revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from fakturabro.invoicing import tokens
from fakturabro.invoicing.companies import create_api_token
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.invoicing.tokens import Scope, TokenView
from fakturabro.web.deps import CompanyId, Db

router = APIRouter(prefix="/api/v1", tags=["tokens"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class TokenInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(max_length=200)] = ""
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=2)] = Field(
        default_factory=lambda: [Scope.READ, Scope.WRITE]
    )
    expires_at: datetime | None = Field(default=None, description="With a time zone; must lie in the future.")


class CreatedTokenView(TokenView):
    token: str = Field(description="The token in clear text; shown only in this answer.")


@router.get("/tokens")
def list_tokens(db: Db, company_id: CompanyId) -> list[TokenView]:
    return tokens.list_tokens(db, company_id)


@router.post("/tokens", status_code=201)
def create_token(body: TokenInput, db: Db, company_id: CompanyId) -> CreatedTokenView:
    created = create_api_token(db, company_id, body.name, [s.value for s in body.scopes], body.expires_at)
    view = next(t for t in tokens.list_tokens(db, company_id) if t.id == created.id)
    return CreatedTokenView(**view.model_dump(), token=created.token)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: Id, db: Db, company_id: CompanyId) -> Response:
    """Revoke a token: its next request answers 401, in every process."""
    tokens.revoke_token(db, company_id, token_id)
    return Response(status_code=204)
