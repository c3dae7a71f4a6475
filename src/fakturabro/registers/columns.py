"""Which column holds what: header names from Visma's exports, wholesalers' price lists and our own files.

Headers are compared without case, accents on å/ä/ö kept, and punctuation and spaces ignored
("Art.nr", "ART NR" and "artnr" are one name). A user's explicit mapping (``{"Lev. benämning": "name"}``)
wins over the built-in names. Our own export uses the first name of each list, so it always reads back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

ARTICLE_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "number": (
        "Artikelnummer",
        "Artikelnr",
        "Artnr",
        "Art.nr",
        "Nummer",
        "Number",
        "ArticleNumber",
        "Varunummer",
        "E-nummer",
        "Enummer",
        "RSK-nummer",
        "RSK",
        "Lev artnr",
        "Leverantörens artikelnummer",
    ),
    "name": (
        "Benämning",
        "Artikelnamn",
        "Namn",
        "Name",
        "Artikelbenämning",
        "Beskrivning",
        "Varubenämning",
        "Produktnamn",
        "Description",
    ),
    "unit": ("Enhet", "Unit", "Enh", "Förpackningsenhet", "Säljenhet"),
    "unit_price": (
        "Pris",
        "Försäljningspris",
        "À-pris",
        "A-pris",
        "Apris",
        "Pris exkl moms",
        "Nettopris",
        "NetPrice",
        "Price",
        "Utpris",
        "Listpris",
        "Bruttopris",
        "Ert pris",
    ),
    "vat_rate": ("Moms", "Momssats", "Moms %", "Moms (%)", "VAT", "VatRate", "Momskod"),
    "kind": ("Typ", "Artikeltyp", "Kind", "Varutyp"),
    "coding": ("Artikelkontering", "Kontering", "Coding", "CodingName"),
    "house_work_type": ("Husarbete", "Husavdragstyp", "Typ av husarbete", "ROT/RUT", "HouseWorkType"),
}

CUSTOMER_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "customer_number": ("Kundnummer", "Kundnr", "Kund nr", "CustomerNumber", "Nummer"),
    "name": ("Namn", "Kundnamn", "Name", "Företagsnamn", "Företag"),
    "kind": ("Kundtyp", "Typ", "Privatperson", "IsPrivatePerson"),
    "org_number": ("Organisationsnummer", "Orgnr", "Org.nr", "Org nr", "CorporateIdentityNumber"),
    "personal_number": ("Personnummer", "Personnr"),
    "identity_number": (
        "Org.nr/Personnr",
        "Organisationsnummer/Personnummer",
        "Org-/personnummer",
        "Identitetsnummer",
        "Person-/organisationsnummer",
    ),
    "vat_number": ("Momsregistreringsnummer", "Momsreg.nr", "Momsregnr", "VAT-nummer", "Vatnummer", "VatNumber"),
    "email": ("E-post", "Epost", "E-postadress", "Email", "EmailAddress"),
    "phone": ("Telefon", "Tel", "Telefonnummer", "Mobil", "Mobiltelefon", "Telephone"),
    "address_line1": (
        "Adress",
        "Adress 1",
        "Fakturaadress",
        "Fakturaadress 1",
        "Utdelningsadress",
        "Gatuadress",
        "InvoiceAddress1",
    ),
    "address_line2": ("Adress 2", "Fakturaadress 2", "c/o", "Co-adress", "InvoiceAddress2"),
    "postal_code": ("Postnummer", "Postnr", "Fakturapostnummer", "InvoicePostalCode"),
    "city": ("Ort", "Postort", "Stad", "Fakturaort", "InvoiceCity"),
    "country_code": ("Landskod", "Land", "CountryCode", "InvoiceCountryCode"),
    "reverse_charge": ("Omvänd byggmoms", "Omvänd skattskyldighet", "ReverseChargeOnConstructionServices"),
}


class MissingColumns(ValueError):
    """The file lacks a column every row needs; the message names them in Swedish."""


def normalized(header: str) -> str:
    return re.sub(r"[^0-9a-zåäöéü]", "", header.casefold())


def map_columns(
    header: Sequence[str],
    known: Mapping[str, tuple[str, ...]],
    required: Sequence[str],
    explicit: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Field → column index. Raises ``MissingColumns`` naming the required fields not found."""
    names = {normalized(alias): field for field, aliases in known.items() for alias in aliases}
    names.update({normalized(column): field for column, field in (explicit or {}).items()})
    found: dict[str, int] = {}
    for index, column in enumerate(header):
        field = names.get(normalized(column))
        if field is not None and field not in found:
            found[field] = index
    missing = [field for field in required if field not in found]
    if missing:
        wanted = ", ".join(f"{known[field][0]} ({field})" for field in missing)
        raise MissingColumns(f"Filen saknar kolumn för: {wanted}. Ange vilken kolumn som är vilken.")
    return found
