"""A writer process for the event-feed test: creates and approves invoices for one company until told how many
(or until SIGKILLed). Usage: python event_writer.py <config.json> <name> <count>."""

from __future__ import annotations

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from fakturabro.bootstrap import build
from fakturabro.invoicing.inputs import InvoiceInput, RowInput
from fakturabro.invoicing.invoices import approve_invoice, create_invoice
from fakturabro.settings import Settings


def main(config_path: str, name: str, count: int) -> None:
    config = json.loads(Path(config_path).read_text())
    settings = Settings(
        data_dir=Path(config["data_dir"]),
        database_url=config["database_url"],
        token_key=config["token_key"],
        secret_key="event-writer",
    )
    container = build(settings)
    draft = InvoiceInput(
        customer_number=config["customer_number"],
        invoice_date=date(2026, 3, 2),
        your_reference=name,
        rows=[RowInput(text="Arbete", quantity=Decimal(1), unit_price=Decimal(100), kind="labour")],
    )
    print("ready", flush=True)
    for _ in range(count):
        invoice = create_invoice(container.db, config["company_id"], draft)
        approve_invoice(container.db, config["company_id"], invoice.id)
    container.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
