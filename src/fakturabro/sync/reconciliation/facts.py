"""Both sides' records as the identity rule sees them (`domain.customer_identity.CustomerIdentity`).

Visma keeps an org number or a personnummer in one field; ours are two (the personnummer encrypted). The export
and the reconciliation read both through these two functions, so they can never disagree about who a customer is.
"""

from __future__ import annotations

from collections.abc import Callable

from fakturabro.domain.customer import CustomerKind, customer_kind
from fakturabro.domain.customer_identity import CustomerIdentity
from fakturabro.store import models
from fakturabro.visma.models import Customer


def our_identity(customer: models.Customer, decrypt: Callable[[str], str]) -> CustomerIdentity:
    encrypted = customer.personal_number_encrypted
    return CustomerIdentity(
        number=customer.customer_number,
        name=customer.name,
        kind=customer_kind(customer.org_number),
        identity_number=customer.org_number or (decrypt(encrypted) if encrypted else None),
        vat_number=customer.vat_number,
        postal_code=customer.postal_code,
    )


def visma_identity(customer: Customer) -> CustomerIdentity:
    return CustomerIdentity(
        number=customer.customer_number or "",
        name=customer.name,
        kind=CustomerKind.PRIVATE if customer.is_private_person else CustomerKind.COMPANY,
        identity_number=customer.corporate_identity_number or None,
        vat_number=customer.vat_number or None,
        postal_code=customer.invoice_postal_code or None,
    )
