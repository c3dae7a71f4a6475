"""Request dependencies. Authorisation is decided here, once: every API route gets the company of its
bearer token as ``CompanyId`` and passes it to the use cases, which filter every query by it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fakturabro.bootstrap import Container
from fakturabro.invoicing.companies import company_for_token
from fakturabro.store.database import Database

_bearer = HTTPBearer(auto_error=False, description="API-token för ett företag (`fakturabro token create`).")


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_db(container: Annotated[Container, Depends(get_container)]) -> Database:
    return container.db


def get_company_id(
    db: Annotated[Database, Depends(get_db)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> int:
    company_id = company_for_token(db, credentials.credentials) if credentials and credentials.credentials else None
    if company_id is None:
        raise HTTPException(401, "Ogiltig eller saknad API-token.", headers={"WWW-Authenticate": "Bearer"})
    return company_id


ContainerDep = Annotated[Container, Depends(get_container)]
Db = Annotated[Database, Depends(get_db)]
CompanyId = Annotated[int, Depends(get_company_id)]
