"""Request dependencies. Authorisation is decided here, once: every API route gets the company of its
bearer token as ``CompanyId`` and passes it to the use cases, which filter every query by it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from fakturabro.bootstrap import Container
from fakturabro.invoicing.companies import hash_token
from fakturabro.invoicing.tokens import Scope, TokenAccess, token_access
from fakturabro.store.database import Database

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_bearer = HTTPBearer(auto_error=False, description="API-token för ett företag (`fakturabro token create`).")


def get_container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def get_db(container: Annotated[Container, Depends(get_container)]) -> Database:
    return container.db


def get_token_access(
    request: Request,
    db: Annotated[Database, Depends(get_db)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> TokenAccess:
    """The bearer token's company and scopes; a write needs the ``write`` scope, a read ``read``."""
    access = bearer_access(db, credentials.credentials if credentials else None)
    if access is None:
        raise HTTPException(401, "Ogiltig eller saknad API-token.", headers={"WWW-Authenticate": "Bearer"})
    needed = Scope.READ if request.method in READ_METHODS else Scope.WRITE
    if needed not in access.scopes:
        message = f"API-token saknar behörigheten {needed.value}."
        raise HTTPException(403, [{"loc": ["header", "Authorization"], "msg": message, "type": "insufficient_scope"}])
    return access


def bearer_access(db: Database, token: str | None) -> TokenAccess | None:
    return token_access(db, hash_token(token)) if token else None


def get_company_id(access: Annotated[TokenAccess, Depends(get_token_access)]) -> int:
    return access.company_id


ContainerDep = Annotated[Container, Depends(get_container)]
Db = Annotated[Database, Depends(get_db)]
CompanyId = Annotated[int, Depends(get_company_id)]
