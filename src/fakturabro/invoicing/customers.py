"""The customer register: private persons and companies (an organisation number makes a company)."""

from __future__ import annotations

from collections.abc import Callable

from fakturabro.domain.customer import CustomerKind, customer_kind
from fakturabro.domain.errors import Conflict, ErrorCollector, NotFound
from fakturabro.domain.identity import (
    InvalidIdentityNumber,
    normalize_orgnr,
    normalize_personnummer,
    normalize_vat_number,
    vat_number_matches_orgnr,
)
from fakturabro.invoicing.inputs import CustomerInput
from fakturabro.invoicing.views import CustomerView
from fakturabro.store.database import Database, PersonalDataCipher
from fakturabro.store.external_ids import assign_external_id
from fakturabro.store.models import Customer
from fakturabro.store.repositories import CustomerRepository, Transaction
from fakturabro.store.series import CUSTOMER_SERIES, next_value, set_next, take_next


def create_customer(db: Database, company_id: int, data: CustomerInput) -> CustomerView:
    identity = _checked_identity(data)
    with db.transaction() as session:
        customers = CustomerRepository(session, company_id)
        number = data.customer_number or _next_free_number(customers)
        _ensure_number_free(customers, number)
        now = db.clock()
        customer = Customer(company_id=company_id, customer_number=number, created_at=now, updated_at=now)
        _apply(customer, data, identity, db.cipher)
        assign_external_id(session, customer, data.external_id)
        customers.add(customer)
        return customer_view(customer, db.cipher)


def update_customer(db: Database, company_id: int, customer_id: int, data: CustomerInput) -> CustomerView:
    identity = _checked_identity(data)
    with db.transaction() as session:
        customers = CustomerRepository(session, company_id)
        customer = load_customer(session, company_id, customer_id)
        if data.customer_number and data.customer_number != customer.customer_number:
            _ensure_number_free(customers, data.customer_number)
            customer.customer_number = data.customer_number
        _apply(customer, data, identity, db.cipher)
        assign_external_id(session, customer, data.external_id)
        customer.updated_at = db.clock()
        customers.flush()
        return customer_view(customer, db.cipher)


def get_customer(db: Database, company_id: int, customer_id: int) -> CustomerView:
    with db.transaction() as session:
        return customer_view(load_customer(session, company_id, customer_id), db.cipher)


def list_customers(
    db: Database, company_id: int, search: str | None = None, limit: int = 100, offset: int = 0
) -> list[CustomerView]:
    with db.transaction() as session:
        customers = CustomerRepository(session, company_id).search(search, limit, offset)
        return [customer_view(customer, db.cipher) for customer in customers]


def load_customer(session: Transaction, company_id: int, customer_id: int) -> Customer:
    customer = CustomerRepository(session, company_id).get(customer_id)
    if customer is None:
        raise NotFound("Kunden", customer_id)
    return customer


def customer_view(customer: Customer, cipher: PersonalDataCipher) -> CustomerView:
    encrypted = customer.personal_number_encrypted
    return CustomerView(
        id=customer.id,
        external_id=customer.external_id,
        customer_number=customer.customer_number,
        name=customer.name,
        kind=customer_kind(customer.org_number).value,
        org_number=customer.org_number,
        personal_number=cipher.decrypt(encrypted) if encrypted else None,
        vat_number=customer.vat_number,
        email=customer.email,
        einvoice_address=customer.einvoice_address,
        phone=customer.phone,
        address_line1=customer.address_line1,
        address_line2=customer.address_line2,
        postal_code=customer.postal_code,
        city=customer.city,
        country_code=customer.country_code,
        reverse_charge=customer.reverse_charge,
    )


_Identity = tuple[str | None, str | None, str | None]


def _checked_identity(data: CustomerInput) -> _Identity:
    """(org number, personnummer, VAT number) in stored form, or every problem at once as a 422."""
    errors = ErrorCollector()
    org = _normalized(data.org_number, normalize_orgnr, "org_number", "invalid_org_number", errors)
    person = _normalized(
        data.personal_number, normalize_personnummer, "personal_number", "invalid_personal_number", errors
    )
    vat = _normalized(data.vat_number, normalize_vat_number, "vat_number", "invalid_vat_number", errors)
    if org and person:
        errors.add(
            ("personal_number",),
            "En kund med organisationsnummer är ett företag och har inget personnummer.",
            "company_with_personal_number",
        )
    if vat and not data.org_number:
        errors.add(
            ("vat_number",), "Momsregistreringsnummer kräver organisationsnummer.", "vat_number_needs_org_number"
        )
    elif vat and org and not vat_number_matches_orgnr(vat, org):
        errors.add(("vat_number",), "Momsregistreringsnumret hör inte till organisationsnumret.", "vat_number_mismatch")
    if data.reverse_charge and customer_kind(data.org_number) is not CustomerKind.COMPANY:
        errors.add(("reverse_charge",), "Omvänd byggmoms gäller bara företagskunder.", "reverse_charge_needs_company")
    elif data.reverse_charge and not data.vat_number:
        errors.add(
            ("reverse_charge",),
            "Omvänd byggmoms kräver kundens momsregistreringsnummer.",
            "reverse_charge_needs_vat_number",
        )
    errors.raise_if_any()
    return org, person, vat


def _normalized(
    value: str | None, normalize: Callable[[str], str], field: str, code: str, errors: ErrorCollector
) -> str | None:
    if value is None or not value.strip():
        return None
    try:
        return normalize(value)
    except InvalidIdentityNumber as error:
        errors.add((field,), str(error), code)
        return None


def _apply(customer: Customer, data: CustomerInput, identity: _Identity, cipher: PersonalDataCipher) -> None:
    org, person, vat = identity
    customer.name = data.name
    customer.org_number = org
    customer.personal_number_encrypted = cipher.encrypt(person) if person else None
    customer.vat_number = vat
    customer.email = data.email
    customer.einvoice_address = data.einvoice_address
    customer.phone = data.phone
    customer.address_line1 = data.address_line1
    customer.address_line2 = data.address_line2
    customer.postal_code = data.postal_code
    customer.city = data.city
    customer.country_code = data.country_code
    customer.reverse_charge = data.reverse_charge


def _ensure_number_free(customers: CustomerRepository, number: str) -> None:
    if customers.number_taken(number):
        raise Conflict(f"Kundnummer {number} används redan.", "duplicate_customer_number", ("customer_number",))


def _next_free_number(customers: CustomerRepository) -> str:
    """The series' next number, after the highest plain number already in the register (given by hand or
    imported), skipping any taken."""
    highest = customers.highest_plain_number()
    if next_value(customers.session, customers.company_id, CUSTOMER_SERIES) <= highest:
        set_next(customers.session, customers.company_id, CUSTOMER_SERIES, highest + 1)
    while True:
        candidate = str(take_next(customers.session, customers.company_id, CUSTOMER_SERIES))
        if not customers.number_taken(candidate):
            return candidate
