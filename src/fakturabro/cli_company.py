"""`fakturabro company show|set|logo`: Inställningar → Företaget from the command line.

The same use cases as the page and ``/api/v1/company``: ``set`` changes only the options given, checks every
field the way a save does and prints each problem at its field, saving nothing when one is wrong.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from fakturabro.bootstrap import build
from fakturabro.documents.logo import MAX_LOGO_BYTES, checked_logo
from fakturabro.domain.errors import DomainError, ValidationFailed
from fakturabro.domain.ocr import OcrMode
from fakturabro.invoicing.companies import find_company
from fakturabro.invoicing.company_settings import (
    CompanySettingsInput,
    CompanySettingsView,
    get_company_settings,
    remove_logo,
    set_logo,
    update_company_settings,
)

CompanyOption = Annotated[str, typer.Option("--company", "-c", help="Företagets id eller exakta namn.")]
Text = Annotated[str | None, typer.Option(help='Tom text ("") tar bort uppgiften.')]

LABELS = {
    "name": "Företagsnamn",
    "org_number": "Organisationsnummer",
    "vat_number": "Momsregistreringsnummer",
    "address_line1": "Gatuadress",
    "address_line2": "Adressrad 2",
    "postal_code": "Postnummer",
    "city": "Ort",
    "phone": "Telefon",
    "email": "E-post",
    "website": "Webbplats",
    "f_skatt": "Godkänd för F-skatt",
    "bankgiro": "Bankgiro",
    "plusgiro": "Plusgiro",
    "iban": "IBAN",
    "bic": "BIC",
    "payment_terms_days": "Betalningsvillkor (dagar)",
    "late_interest_text": "Dröjsmålsränta",
    "next_invoice_number": "Nästa fakturanummer",
    "ocr_mode": "OCR-nummer",
    "logo_content_type": "Logotyp",
}

console = Console()


def register(root: typer.Typer) -> None:
    group = next(info.typer_instance for info in root.registered_groups if info.name == "company")
    assert group is not None
    group.command("show")(show_command)
    group.command("set")(set_command)
    group.command("logo")(logo_command)


def show_command(company: CompanyOption) -> None:
    """What the company's invoices carry, and the number the next one gets."""
    container = build()
    try:
        settings = get_company_settings(container.db, _company_id(container.db, company))
    finally:
        container.close()
    console.print(_table(settings))


def set_command(
    company: CompanyOption,
    name: Annotated[str | None, typer.Option(help="Företagets namn.")] = None,
    org_number: Text = None,
    vat_number: Annotated[str | None, typer.Option(help="Tomt: SE + organisationsnumret + 01.")] = None,
    address_line1: Text = None,
    address_line2: Text = None,
    postal_code: Text = None,
    city: Text = None,
    phone: Text = None,
    email: Text = None,
    website: Text = None,
    f_skatt: Annotated[bool | None, typer.Option("--f-skatt/--no-f-skatt", help="Godkänd för F-skatt.")] = None,
    bankgiro: Text = None,
    plusgiro: Text = None,
    iban: Text = None,
    bic: Text = None,
    payment_terms_days: Annotated[int | None, typer.Option(help="Förvalt på nya fakturor.")] = None,
    late_interest_text: Text = None,
    next_invoice_number: Annotated[int | None, typer.Option(help="Aldrig lägre än ett använt nummer.")] = None,
    ocr_mode: Annotated[OcrMode | None, typer.Option(help="luhn eller luhn_length.")] = None,
) -> None:
    """Change the options given; every other detail stays as it is."""
    # Every parameter but --company is a field of the settings; the ones given replace what is stored.
    given = {key: value for key, value in locals().items() if key != "company" and value is not None}
    container = build()
    try:
        company_id = _company_id(container.db, company)
        current = get_company_settings(container.db, company_id).model_dump(
            exclude={"id", "logo_content_type", "next_invoice_number"}
        )
        try:
            saved = update_company_settings(
                container.db, company_id, CompanySettingsInput.model_validate({**current, **given})
            )
        except (ValidationError, ValidationFailed) as error:
            _print_errors(error)
            raise typer.Exit(1) from None
        except DomainError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
    finally:
        container.close()
    console.print("Företagets uppgifter är sparade.")
    console.print(_table(saved))


def logo_command(
    company: CompanyOption,
    file: Annotated[Path | None, typer.Argument(help="PNG, JPEG eller SVG.", exists=True, dir_okay=False)] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Ta bort logotypen.")] = False,
) -> None:
    """Put a logo on the company's invoices, or take it off with --remove."""
    if (file is None) == (not remove):
        console.print("[red]Ange en bildfil, eller --remove för att ta bort logotypen.[/red]")
        raise typer.Exit(2)
    container = build()
    try:
        company_id = _company_id(container.db, company)
        if remove:
            remove_logo(container.db, company_id)
            console.print("Logotypen är borttagen.")
            return
        assert file is not None
        with file.open("rb") as picture:
            data = picture.read(MAX_LOGO_BYTES + 1)
        try:
            logo = checked_logo(data)
        except ValidationFailed as error:
            _print_errors(error)
            raise typer.Exit(1) from None
        set_logo(container.db, company_id, logo.data, logo.content_type)
        console.print(f"Logotypen ({logo.content_type}) är sparad och syns på fakturorna.")
    finally:
        container.close()


def _company_id(db: Any, company: str) -> int:
    try:
        return find_company(db, company).id
    except DomainError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None


def _print_errors(error: ValidationError | ValidationFailed) -> None:
    console.print("[red]Inget är sparat.[/red]")
    if isinstance(error, ValidationFailed):
        problems = [(".".join(map(str, item.loc)), item.message) for item in error.errors]
    else:
        problems = [(".".join(map(str, item["loc"])), item["msg"]) for item in error.errors()]
    for field, message in problems:
        console.print(f"  [bold]{LABELS.get(field, field)}[/bold] (--{field.replace('_', '-')}): {message}")


def _table(settings: CompanySettingsView) -> Table:
    table = Table(title=f"{settings.name} (id {settings.id})", show_header=False)
    for key, value in settings.model_dump(exclude={"id"}).items():
        if key == "f_skatt":
            value = "ja" if value else "nej"
        elif isinstance(value, OcrMode):
            value = value.value
        table.add_row(LABELS.get(key, key), "–" if value in (None, "") else str(value))
    return table
