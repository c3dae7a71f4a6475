"""File rows → register records, each row on its own: a bad row becomes a ``RowProblem`` with its reason,
never an exception that stops the good rows, and never half a record.

Numbers are read the Swedish way: decimal comma, spaces (also non-breaking) as thousands separators, and
"kr" or "%" after the figure; a point works as the decimal mark too (XLSX cells, English files).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from fakturabro.domain.article import VAT_RATES, ArticleKind
from fakturabro.domain.husavdrag import HouseWorkType
from fakturabro.domain.identity import (
    InvalidIdentityNumber,
    normalize_orgnr,
    normalize_personnummer,
    normalize_vat_number,
    vat_number_matches_orgnr,
)
from fakturabro.domain.invoice import MAX_UNIT_PRICE
from fakturabro.registers.columns import ARTICLE_COLUMNS, CUSTOMER_COLUMNS, map_columns
from fakturabro.registers.files import Table
from fakturabro.registers.plan import Entry, RowProblem
from fakturabro.registers.records import ArticleRecord, CustomerRecord

R = TypeVar("R", ArticleRecord, CustomerRecord)

NUMBER_PATTERN = re.compile(r"^[0-9A-Za-z._/-]{1,50}$")
NAME_LENGTH, SHORT_LENGTH = 200, 50
_TRUE = {"ja", "j", "yes", "true", "1", "x", "sant"}
_FALSE = {"nej", "n", "no", "false", "0", "", "falskt"}


class BadRow(ValueError):
    """One row's problem, in Swedish."""


def parse_decimal(text: str, what: str) -> Decimal:
    cleaned = re.sub(r"(?i)\s|\u00a0|kr|sek|%", "", text)
    if "," in cleaned and "." in cleaned:  # the last mark is the decimal mark: "1.234,50" or "1,234.50"
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise BadRow(f"{what} är inte ett tal.") from None
    if not value.is_finite():
        raise BadRow(f"{what} är inte ett tal.")
    return value


def parse_articles(
    table: Table, columns: Mapping[str, str] | None = None
) -> tuple[list[Entry[ArticleRecord]], list[RowProblem]]:
    found = map_columns(table.header, ARTICLE_COLUMNS, ("number", "name", "unit_price"), columns)
    return _parse(table, found, _article)


def parse_customers(
    table: Table, columns: Mapping[str, str] | None = None
) -> tuple[list[Entry[CustomerRecord]], list[RowProblem]]:
    found = map_columns(table.header, CUSTOMER_COLUMNS, ("customer_number", "name"), columns)
    return _parse(table, found, _customer)


def _parse(
    table: Table, found: Mapping[str, int], build: Callable[[Mapping[str, str]], R]
) -> tuple[list[Entry[R]], list[RowProblem]]:
    entries: list[Entry[R]] = []
    problems: list[RowProblem] = []
    for row_number, cells in table.rows:
        values = {field: cells[index].strip() if index < len(cells) else "" for field, index in found.items()}
        try:
            entries.append(Entry(build(values), row_number))
        except BadRow as error:
            problems.append(RowProblem(row_number, values.get("number") or values.get("customer_number"), str(error)))
    return entries, problems


# --- articles --------------------------------------------------------------------------------------------


def _article(values: Mapping[str, str]) -> ArticleRecord:
    number = _number(values.get("number", ""), "Artikelnumret")
    name = _text(values.get("name", ""), "Benämningen", NAME_LENGTH, required=True)
    unit = _text(values.get("unit", ""), "Enheten", SHORT_LENGTH) or "st"
    price = parse_decimal(values.get("unit_price", ""), "Priset") if values.get("unit_price") else None
    if price is None:
        raise BadRow("Priset saknas.")
    if price < 0 or price > MAX_UNIT_PRICE:
        raise BadRow("Priset måste vara mellan 0 och 100 000 000 kr.")
    if price != price.quantize(Decimal("0.01")):
        raise BadRow("Priset har fler än två decimaler (öre); avrunda det i filen.")
    coding = values.get("coding", "")
    vat_text = values.get("vat_rate") or _percent_in(coding)
    vat_rate = _vat_rate(vat_text) if vat_text else Decimal(25)
    kind = _kind(values.get("kind", ""), coding)
    return ArticleRecord(
        number=number,
        name=name,
        unit=unit,
        unit_price=price.quantize(Decimal("0.01")),
        vat_rate=vat_rate,
        kind=kind,
        house_work_type=_house_work_type(values.get("house_work_type", "")),
    )


def _vat_rate(text: str) -> Decimal:
    rate = parse_decimal(text, "Momssatsen")
    if 0 < rate < 1:  # written as a fraction (0,25), as Visma's codings do
        rate *= 100
    for allowed in VAT_RATES:
        if rate == allowed:
            return allowed
    raise BadRow("Momssatsen måste vara 25, 12, 6 eller 0 %.")


def _percent_in(coding: str) -> str:
    match = re.search(r"(\d+(?:[,.]\d+)?)\s*%", coding)
    return match.group(1) if match else ""


_KINDS = {
    "labour": ArticleKind.LABOUR,
    "arbete": ArticleKind.LABOUR,
    "tjanst": ArticleKind.LABOUR,
    "tjanster": ArticleKind.LABOUR,
    "service": ArticleKind.LABOUR,
    "arbetstid": ArticleKind.LABOUR,
    "material": ArticleKind.MATERIAL,
    "vara": ArticleKind.MATERIAL,
    "varor": ArticleKind.MATERIAL,
    "goods": ArticleKind.MATERIAL,
    "other": ArticleKind.OTHER,
    "ovrigt": ArticleKind.OTHER,
}


def _kind(text: str, coding: str) -> ArticleKind:
    if text:
        kind = _KINDS.get(_plain_letters(text))
        if kind is None:
            raise BadRow("Typen ska vara arbete, material eller övrigt.")
        return kind
    coding_word = _plain_letters(coding.split()[0]) if coding.strip() else ""
    return _KINDS.get(coding_word, ArticleKind.MATERIAL)


def _house_work_type(text: str) -> HouseWorkType | None:
    if not text or _plain_letters(text) in {"", "ingen", "none", "nej", "0"}:
        return None
    wanted = _plain_letters(text)
    for kind in HouseWorkType:
        if _plain_letters(kind.value) == wanted:
            return kind
    raise BadRow("Typen av husarbete är okänd (t.ex. bygg, el, vvs, stadning).")


def _plain_letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold().translate(str.maketrans("åäöé", "aaoe")))


# --- customers -------------------------------------------------------------------------------------------


def _customer(values: Mapping[str, str]) -> CustomerRecord:
    number = _number(values.get("customer_number", ""), "Kundnumret")
    name = _text(values.get("name", ""), "Namnet", NAME_LENGTH, required=True)
    claimed_private = _claimed_private(values.get("kind", ""))
    org, person = _identity(values, claimed_private)
    vat = _identity_value(values.get("vat_number", ""), normalize_vat_number)
    if vat and not org:
        raise BadRow("Momsregistreringsnummer kräver organisationsnummer.")
    if vat and org and not vat_number_matches_orgnr(vat, org):
        raise BadRow("Momsregistreringsnumret hör inte till organisationsnumret.")
    reverse_charge = _yes_no(values.get("reverse_charge", ""), "Omvänd byggmoms")
    if reverse_charge and not vat:
        raise BadRow("Omvänd byggmoms kräver kundens momsregistreringsnummer.")
    country = (values.get("country_code") or "SE").upper()
    if country in {"SVERIGE", "SWEDEN"}:
        country = "SE"
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise BadRow("Landskoden ska vara två bokstäver, t.ex. SE.")
    return CustomerRecord(
        customer_number=number,
        name=name,
        org_number=org,
        personal_number=person,
        vat_number=vat,
        email=_text(values.get("email", ""), "E-postadressen", 254) or None,
        phone=_text(values.get("phone", ""), "Telefonnumret", SHORT_LENGTH) or None,
        address_line1=_text(values.get("address_line1", ""), "Adressen", NAME_LENGTH) or None,
        address_line2=_text(values.get("address_line2", ""), "Adressrad 2", NAME_LENGTH) or None,
        postal_code=_text(values.get("postal_code", ""), "Postnumret", SHORT_LENGTH) or None,
        city=_text(values.get("city", ""), "Orten", NAME_LENGTH) or None,
        country_code=country,
        reverse_charge=reverse_charge,
        claimed_private=claimed_private,
    )


def _identity(values: Mapping[str, str], claimed_private: bool | None) -> tuple[str | None, str | None]:
    org = _identity_value(values.get("org_number", ""), normalize_orgnr)
    person = _identity_value(values.get("personal_number", ""), normalize_personnummer)
    either = values.get("identity_number", "")
    if either and not org and not person:
        org, person = classify_identity(either, claimed_private)
    if org and person:
        raise BadRow("En kund med organisationsnummer är ett företag och har inget personnummer.")
    return org, person


def classify_identity(text: str, claimed_private: bool | None) -> tuple[str | None, str | None]:
    """(org number, personnummer) from a column that may hold either, as Visma's single field does.

    A legal person's number has 20 or more in the month position; a personnummer-shaped number is a sole
    trader's org number when the row says company, and a private person's personnummer otherwise.
    """
    digits = re.sub(r"\D", "", text)
    ten = digits[2:] if len(digits) == 12 else digits
    if len(ten) == 10 and int(ten[2:4]) >= 20:
        return _identity_value(text, normalize_orgnr), None
    if claimed_private is False:
        return _identity_value(ten, normalize_orgnr), None
    return None, _identity_value(text, normalize_personnummer)


def _identity_value(text: str, normalize: Callable[[str], str]) -> str | None:
    if not text.strip():
        return None
    try:
        return normalize(text)
    except InvalidIdentityNumber as error:
        raise BadRow(str(error)) from None


def _claimed_private(text: str) -> bool | None:
    word = _plain_letters(text)
    if not word:
        return None
    if word in {"privatperson", "privat", "private", "person"} or word in _TRUE:
        return True
    if word in {"foretag", "company", "organisation"} or word in _FALSE:
        return False
    raise BadRow("Kundtypen ska vara Privatperson eller Företag.")


def _yes_no(text: str, what: str) -> bool:
    word = _plain_letters(text)
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise BadRow(f"{what} ska vara Ja eller Nej.")


# --- shared ----------------------------------------------------------------------------------------------


def _number(text: str, what: str) -> str:
    if not text:
        raise BadRow(f"{what} saknas.")
    if not NUMBER_PATTERN.match(text):
        raise BadRow(f"{what} får bara innehålla bokstäver, siffror och . _ / - (högst 50 tecken).")
    return text


def _text(text: str, what: str, length: int, *, required: bool = False) -> str:
    if required and not text:
        raise BadRow(f"{what} saknas.")
    if len(text) > length:
        raise BadRow(f"{what} är längre än {length} tecken.")
    if any(ord(char) < 32 and char not in "\t\n\r" for char in text):
        raise BadRow(f"{what} innehåller styrtecken.")
    return text


__all__: Sequence[str] = ("BadRow", "classify_identity", "parse_articles", "parse_customers", "parse_decimal")
