"""Our side of the registers: read our articles and customers as records, and apply a plan's writes to them.

Used by the file import and by the pull from Visma alike. Writes go in batches, one transaction each, and the
run's progress counter moves inside the same transaction, so a crash leaves whole batches and a true count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from decimal import Decimal

from fakturabro.domain.article import ArticleKind
from fakturabro.domain.husavdrag import HouseWorkType
from fakturabro.invoicing.customers import customer_view
from fakturabro.registers.plan import Action, CreateArticle, CreateCustomer, UpdateArticle, UpdateCustomer
from fakturabro.registers.records import ArticleRecord, CustomerRecord
from fakturabro.registers.runs import record_progress
from fakturabro.store.database import Database, PersonalDataCipher
from fakturabro.store.models import Article, Customer
from fakturabro.store.register_repository import RegisterRepository

Progress = Callable[[int, int], None]
DEFAULT_BATCH_SIZE = 500


def our_articles(db: Database, company_id: int) -> dict[str, ArticleRecord]:
    with db.transaction() as session:
        found = RegisterRepository(session, company_id).articles()
        return {article.number: article_record(article) for article in found}


def article_record(article: Article) -> ArticleRecord:
    return ArticleRecord(
        number=article.number,
        name=article.name,
        unit=article.unit,
        unit_price=article.unit_price,
        vat_rate=article.vat_rate.normalize() if article.vat_rate else Decimal(0),
        kind=ArticleKind(article.kind),
        house_work_type=HouseWorkType(article.house_work_type) if article.house_work_type else None,
    )


def our_customers(db: Database, company_id: int) -> list[CustomerRecord]:
    with db.transaction() as session:
        found = RegisterRepository(session, company_id).customers()
        return [customer_record(customer, db.cipher) for customer in found]


def customer_record(customer: Customer, cipher: PersonalDataCipher) -> CustomerRecord:
    """Our customer as a register record: derived from the invoicing view of the same row, so a new customer field
    is projected in one place (``invoicing.customers.customer_view``)."""
    view = customer_view(customer, cipher)
    return CustomerRecord(**view.model_dump(include=set(RECORD_FIELDS)))


RECORD_FIELDS = frozenset(f.name for f in fields(CustomerRecord)) - {"claimed_private"}
"""What a register record takes from our customer; ``claimed_private`` is what a source says, never ours."""


def apply_to_register(
    db: Database,
    company_id: int,
    run_id: int,
    writes: Sequence[Action],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> int:
    """Apply creates and updates in batches; returns how many were written."""
    written = 0
    for start in range(0, len(writes), batch_size):
        batch = writes[start : start + batch_size]
        with db.transaction() as session:
            register = RegisterRepository(session, company_id)
            numbers = _existing_rows(register, batch)
            for action in batch:
                _write(register, action, numbers, db)
            record_progress(session, company_id, run_id, len(batch), 0, db.clock())
        written += len(batch)
        if progress is not None:
            progress(written, len(writes))
    return written


def _existing_rows(register: RegisterRepository, batch: Sequence[Action]) -> dict[str, Article | Customer]:
    article_numbers = {a.record.number for a in batch if isinstance(a, UpdateArticle)}
    customer_numbers = {a.record.customer_number for a in batch if isinstance(a, UpdateCustomer)}
    rows: dict[str, Article | Customer] = {}
    rows.update(register.articles_by_number(article_numbers))
    rows.update(register.customers_by_number(customer_numbers))
    return rows


def _write(register: RegisterRepository, action: Action, rows: dict[str, Article | Customer], db: Database) -> None:
    now, company_id = db.clock(), register.company_id
    if isinstance(action, CreateArticle):
        article = Article(company_id=company_id, number=action.record.number, created_at=now, updated_at=now)
        _set_article(article, action.record, ("name", "unit", "unit_price", "vat_rate", "kind", "house_work_type"))
        register.add(article)
    elif isinstance(action, UpdateArticle):
        found = rows[action.record.number]
        assert isinstance(found, Article)
        _set_article(found, action.record, action.changed)
        found.updated_at = now
    elif isinstance(action, CreateCustomer):
        customer = Customer(
            company_id=company_id, customer_number=action.record.customer_number, created_at=now, updated_at=now
        )
        _set_customer(customer, action.record, _CUSTOMER_FIELDS, db.cipher)
        register.add(customer)
    elif isinstance(action, UpdateCustomer):
        existing = rows[action.record.customer_number]
        assert isinstance(existing, Customer)
        _set_customer(existing, action.record, action.changed, db.cipher)
        existing.updated_at = now
    else:  # the planner hands the applier writes only
        raise TypeError(f"not a write: {action!r}")


def _set_article(article: Article, record: ArticleRecord, names: Sequence[str]) -> None:
    for name in names:
        value = getattr(record, name)
        if name == "kind":
            value = record.kind.value
        elif name == "house_work_type":
            value = record.house_work_type.value if record.house_work_type else None
        setattr(article, name, value)


_CUSTOMER_FIELDS = tuple(f.name for f in fields(CustomerRecord) if f.name in RECORD_FIELDS - {"customer_number"})


def _set_customer(customer: Customer, record: CustomerRecord, names: Sequence[str], cipher: PersonalDataCipher) -> None:
    for name in names:
        value = getattr(record, name)
        if name == "personal_number":
            customer.personal_number_encrypted = cipher.encrypt(value) if value else None
        else:
            setattr(customer, name, value)
