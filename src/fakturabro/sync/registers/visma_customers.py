"""Visma's customers as register records: the identity number and Visma's own claim about the customer type.

Visma keeps a private person's personnummer and a company's org number in the same field
(``CorporateIdentityNumber``); which one it is follows from the number's shape and Visma's
``IsPrivatePerson`` (``registers.rows.classify_identity``). ``claimed_private`` keeps Visma's claim so the plan
can flag customers whose type disagrees with the org-number rule.

Visma's PUT replaces the whole customer, so an update is our fields over the customer as the planning read
found it (``customer_update``): what we do not model (delivery address, notes, price list, e-invoice address,
...), what we leave empty, and the customer's own terms of payment, currency and active flag stay as they are
in Visma.
"""

from __future__ import annotations

from uuid import UUID

from fakturabro.domain.identity import InvalidIdentityNumber, normalize_vat_number
from fakturabro.registers.plan import RowProblem
from fakturabro.registers.records import CustomerRecord
from fakturabro.registers.rows import NUMBER_PATTERN, BadRow, classify_identity
from fakturabro.visma.client import VismaClient
from fakturabro.visma.mapping import CustomerToExport, customer_to_visma
from fakturabro.visma.models import Customer


def gather_visma_customers(
    client: VismaClient,
) -> tuple[dict[str, tuple[Customer, CustomerRecord]], list[RowProblem]]:
    """Visma's customers by number, each as Visma has it and as a record."""
    found: dict[str, tuple[Customer, CustomerRecord]] = {}
    problems: list[RowProblem] = []
    for customer in client.list_customers().items:
        number = customer.customer_number or ""
        try:
            found[number] = (customer, customer_from_visma(customer))
        except BadRow as error:
            problems.append(RowProblem(None, number or None, str(error)))
    return found, problems


def customer_from_visma(customer: Customer) -> CustomerRecord:
    number = customer.customer_number or ""
    if not NUMBER_PATTERN.match(number):
        raise BadRow("Kundnumret i Visma saknas eller har tecken som fakturabro inte tar emot.")
    identity = customer.corporate_identity_number or ""
    org, person = classify_identity(identity, customer.is_private_person) if identity.strip() else (None, None)
    vat = None
    if customer.vat_number and org:
        try:
            vat = normalize_vat_number(customer.vat_number)
        except InvalidIdentityNumber as error:
            raise BadRow(str(error)) from None
    return CustomerRecord(
        customer_number=number,
        name=customer.name[:200],
        org_number=org,
        personal_number=person,
        vat_number=vat,
        email=customer.email_address,
        phone=customer.telephone or customer.mobile_phone,
        address_line1=customer.invoice_address1,
        address_line2=customer.invoice_address2,
        postal_code=customer.invoice_postal_code,
        city=customer.invoice_city,
        country_code=(customer.invoice_country_code or "SE")[:2],
        reverse_charge=bool(customer.reverse_charge_on_construction_services),
        claimed_private=customer.is_private_person,
    )


def customer_to_push(record: CustomerRecord, terms_of_payment_id: UUID) -> Customer:
    """Our customer as a Visma body, through the export's mapping (the personnummer is never sent)."""
    export = CustomerToExport(
        number=record.customer_number,
        name=record.name,
        kind=record.kind,
        org_number=record.org_number,
        vat_number=record.vat_number,
        reverse_charge=record.reverse_charge,
        address_line1=record.address_line1,
        address_line2=record.address_line2,
        postal_code=record.postal_code,
        city=record.city,
        country_code=record.country_code,
        email=record.email,
        phone=record.phone,
    )
    return customer_to_visma(export, terms_of_payment_id)


def customer_update(current: Customer, record: CustomerRecord) -> Customer:
    """The PUT body for a customer Visma has: ours over Visma's whole customer, keeping its terms of payment,
    currency and active flag (the push sets those only on a new customer)."""
    ours = customer_to_push(record, current.terms_of_payment_id)
    return current.overlaid_with(ours.model_copy(update={"currency_code": None, "is_active": current.is_active}))
