"""One projection of a stored customer: the register record is derived from the invoicing view, field for field."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime

from cryptography.fernet import Fernet

from fakturabro.invoicing.customers import customer_view
from fakturabro.invoicing.views import CustomerView
from fakturabro.registers.local import RECORD_FIELDS, customer_record
from fakturabro.registers.records import CustomerRecord
from fakturabro.store.database import PersonalDataCipher
from fakturabro.store.models import Customer

PERSONNUMMER = "198112189876"  # a test number with a valid checksum, not a real person


def _stored(cipher: PersonalDataCipher, **overrides: object) -> Customer:
    now = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "id": 7,
        "company_id": 1,
        "customer_number": "1001",
        "name": "Villa Ägare",
        "org_number": None,
        "personal_number_encrypted": cipher.encrypt(PERSONNUMMER),
        "vat_number": None,
        "email": "villa@example.se",
        "phone": "070-123 45 67",
        "address_line1": "Ekvägen 4",
        "address_line2": "Lgh 1102",
        "postal_code": "211 45",
        "city": "Malmö",
        "country_code": "SE",
        "reverse_charge": False,
        "created_at": now,
        "updated_at": now,
    }
    return Customer(**(values | overrides))


def test_the_record_is_the_view_without_what_only_the_view_has() -> None:
    cipher = PersonalDataCipher(Fernet.generate_key())
    stored = _stored(cipher)
    record = customer_record(stored, cipher)
    assert record == CustomerRecord(
        customer_number="1001",
        name="Villa Ägare",
        personal_number=PERSONNUMMER,
        email="villa@example.se",
        phone="070-123 45 67",
        address_line1="Ekvägen 4",
        address_line2="Lgh 1102",
        postal_code="211 45",
        city="Malmö",
    )
    view = customer_view(stored, cipher)
    assert {name: getattr(record, name) for name in RECORD_FIELDS} == view.model_dump(include=set(RECORD_FIELDS))
    assert record.claimed_private is None  # what a source claims, never ours


def test_a_company_keeps_its_identity_and_reverse_charge() -> None:
    cipher = PersonalDataCipher(Fernet.generate_key())
    stored = _stored(
        cipher,
        org_number="556036-0793",
        personal_number_encrypted=None,
        vat_number="SE556036079301",
        reverse_charge=True,
    )
    record = customer_record(stored, cipher)
    assert (record.org_number, record.personal_number, record.vat_number) == ("556036-0793", None, "SE556036079301")
    assert record.reverse_charge is True
    assert record.kind.value == customer_view(stored, cipher).kind


def test_every_record_field_comes_from_the_view() -> None:
    """A field added to the record but not to the view would silently stay at its default."""
    record_fields = {f.name for f in fields(CustomerRecord)}
    assert record_fields - {"claimed_private"} == RECORD_FIELDS
    assert set(CustomerView.model_fields) >= RECORD_FIELDS
