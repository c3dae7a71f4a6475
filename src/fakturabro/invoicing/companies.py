"""Tenants and who may act for them: companies, users (password logins) and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from fakturabro.domain.errors import Conflict, NotFound, ValidationFailed
from fakturabro.invoicing.tokens import check_expiry, scopes_text, token_access
from fakturabro.invoicing.views import CompanyView, CreatedToken
from fakturabro.store.database import Database
from fakturabro.store.models import ApiToken, Company, User
from fakturabro.store.repositories import CompanyRepository
from fakturabro.store.series import create_series

TOKEN_PREFIX = "fb_"
_hasher = PasswordHasher()


def create_company(db: Database, name: str) -> CompanyView:
    clean = name.strip()
    if not clean or len(clean) > 200:
        raise ValidationFailed.single(("name",), "Företagsnamnet måste vara 1–200 tecken.", "invalid_length")
    with db.transaction() as session:
        companies = CompanyRepository(session)
        if companies.name_taken(clean):
            raise Conflict(f"Företaget {clean} finns redan.", "duplicate_company", ("name",))
        company = Company(name=clean, created_at=db.clock())
        companies.add(company)
        create_series(session, company.id)
        return CompanyView(id=company.id, name=company.name)


def find_company(db: Database, name_or_id: str) -> CompanyView:
    """A company by its id or its exact name (the CLI's ``--company``)."""
    with db.transaction() as session:
        companies = CompanyRepository(session)
        company = None
        if name_or_id.isdigit():
            company = companies.get(int(name_or_id))
        if company is None:
            company = companies.by_name(name_or_id.strip())
        if company is None:
            raise NotFound("Företaget", name_or_id)
        return CompanyView(id=company.id, name=company.name)


def create_user(db: Database, company_id: int, email: str, password: str) -> int:
    clean = email.strip().lower()
    if "@" not in clean or len(clean) > 254:
        raise ValidationFailed.single(("email",), "Ange en giltig e-postadress.", "invalid_email")
    if len(password) < 8:
        raise ValidationFailed.single(("password",), "Lösenordet måste ha minst 8 tecken.", "too_short")
    with db.transaction() as session:
        companies = CompanyRepository(session)
        _company(companies, company_id)
        if companies.email_taken(clean):
            raise Conflict("Det finns redan en användare med den e-postadressen.", "duplicate_user", ("email",))
        user = User(company_id=company_id, email=clean, password_hash=_hasher.hash(password), created_at=db.clock())
        companies.add(user)
        return user.id


def authenticate_user(db: Database, email: str, password: str) -> tuple[int, int] | None:
    """(user id, company id) when the password is right, else None (without saying which part was wrong)."""
    with db.transaction() as session:
        user = CompanyRepository(session).user_by_email(email.strip().lower())
        if user is None:
            _hasher.hash(password)  # spend the same time as a real check, so timing does not reveal users
            return None
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return user.id, user.company_id


def create_api_token(
    db: Database,
    company_id: int,
    name: str = "",
    scopes: Iterable[str] = ("read", "write"),
    expires_at: datetime | None = None,
) -> CreatedToken:
    """A new token; its clear text is in the answer only (the database keeps a hash)."""
    stored_scopes = scopes_text(scopes)
    check_expiry(expires_at, db.clock())
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.transaction() as session:
        companies = CompanyRepository(session)
        _company(companies, company_id)
        row = ApiToken(
            company_id=company_id,
            name=name[:200],
            prefix=token[:10],
            token_hash=hash_token(token),
            scopes=stored_scopes,
            expires_at=expires_at,
            created_at=db.clock(),
        )
        companies.add(row)
        return CreatedToken(id=row.id, company_id=company_id, prefix=row.prefix, token=token)


def company_for_token(db: Database, token: str) -> int | None:
    """The company an API token acts for, or None for an unknown, revoked or expired token."""
    access = token_access(db, hash_token(token))
    return access.company_id if access else None


def company_name(db: Database, company_id: int) -> str:
    with db.transaction() as session:
        return _company(CompanyRepository(session), company_id).name


def hash_token(token: str) -> str:
    # A random 256-bit token needs no slow hash: SHA-256 is enough and allows lookup by hash.
    return hashlib.sha256(token.encode()).hexdigest()


def _company(companies: CompanyRepository, company_id: int) -> Company:
    company = companies.get(company_id)
    if company is None:
        raise NotFound("Företaget", company_id)
    return company
