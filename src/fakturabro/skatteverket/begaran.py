"""Skatteverket's claim file for ROT and RUT: "Begäran om utbetalning", HUS schema version 6.

The only place that knows the file's element names. Built with lxml and validated against Skatteverket's own
XSD (``schemas/``, unchanged copies of Begaran.xsd and BegaranCOMPONENT.xsd, SHA-256 pinned in the tests and laid
out as the published URLs so the schema's relative import resolves) before anyone is offered the file: a file
the schema refuses is a bug, and `InvalidClaimFile` stops it visibly.

Element order, prefixes and formats follow Skatteverket's samples (exempel_rot_3st.xml, exempel_rut_3st.xml):
root ``Begaran`` in the begaran namespace, everything below it in the komponent namespace, whole kronor, dates
``YYYY-MM-DD``, buyers as 12 digits.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

from lxml import etree

from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.husavdrag_claims import ClaimCase, ClaimFileContent, WorkDone

BEGARAN_NS = "http://xmls.skatteverket.se/se/skatteverket/ht/begaran/6.0"
KOMPONENT_NS = "http://xmls.skatteverket.se/se/skatteverket/ht/komponent/begaran/6.0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "ht" / "begaran" / "V6" / "Begaran.xsd"

# The work categories' elements, in the order the XSD's sequences fix (ROT: 7, RUT: 13).
ELEMENTS: dict[HouseWorkType, str] = {
    HouseWorkType.BYGG: "Bygg",
    HouseWorkType.EL: "El",
    HouseWorkType.GLAS_PLATARBETE: "GlasPlatarbete",
    HouseWorkType.MARK_DRANERINGSARBETE: "MarkDraneringarbete",
    HouseWorkType.MURNING: "Murning",
    HouseWorkType.MALNING_TAPETSERING: "MalningTapetsering",
    HouseWorkType.VVS: "Vvs",
    HouseWorkType.STADNING: "Stadning",
    HouseWorkType.KLAD_OCH_TEXTILVARD: "KladOchTextilvard",
    HouseWorkType.SNOSKOTTNING: "Snoskottning",
    HouseWorkType.TRADGARDSARBETE: "Tradgardsarbete",
    HouseWorkType.BARNPASSNING: "Barnpassning",
    HouseWorkType.PERSONLIG_OMSORG: "Personligomsorg",
    HouseWorkType.FLYTTJANSTER: "Flyttjanster",
    HouseWorkType.IT_TJANSTER: "ItTjanster",
    HouseWorkType.REPARATION_AV_VITVAROR: "ReparationAvVitvaror",
    HouseWorkType.MOBLERING: "Moblering",
    HouseWorkType.TILLSYN_AV_BOSTAD: "TillsynAvBostad",
    HouseWorkType.TRANSPORT_TILL_FORSALJNING: "TransportTillForsaljning",
    HouseWorkType.TVATT_VID_TVATTINRATTNING: "TvattVidTvattinrattning",
}
WORK_TYPE_OF = {element: work_type for work_type, element in ELEMENTS.items()}
_ORDER = list(ELEMENTS)


class InvalidClaimFile(Exception):
    """The built file breaks Skatteverket's schema (a bug in fakturabro, never offered to the user)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


class UnsupportedClaimKind(ValueError):
    """Grön teknik is claimed in another e-tjänst with another schema, which fakturabro does not have."""


@functools.cache
def schema() -> etree.XMLSchema:
    # no_network: the schema's import is a relative path beside it; nothing is ever fetched.
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH), parser))


def validation_errors(xml: bytes) -> list[str]:
    """What Skatteverket's XSD says about ``xml`` (empty when it validates); unparsable XML is one error."""
    try:
        document = etree.fromstring(xml, _safe_parser())
    except etree.XMLSyntaxError as error:
        return [f"Inte giltig XML: {error}"]
    checker = schema()
    if checker.validate(document):
        return []
    return [f"rad {entry.line}: {entry.message}" for entry in checker.error_log]


def build_claim_file(content: ClaimFileContent) -> bytes:
    """The claim file as UTF-8 bytes, validated against the XSD. Raises `InvalidClaimFile` if it does not."""
    if content.kind is HusavdragKind.GREEN:
        raise UnsupportedClaimKind("Grön teknik har en egen fil och e-tjänst hos Skatteverket.")
    root = etree.Element(_b("Begaran"), nsmap={"xsi": XSI_NS, "ns1": BEGARAN_NS, "ns2": KOMPONENT_NS})
    _text(root, "NamnPaBegaran", content.name)
    wrapper = etree.SubElement(root, _k("RotBegaran" if content.kind is HusavdragKind.ROT else "HushallBegaran"))
    for case in content.cases:
        _case(wrapper, case, rot=content.kind is HusavdragKind.ROT)
    # The declaration as Skatteverket's samples write it (lxml's own uses single quotes).
    xml = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="UTF-8", pretty_print=True)
    errors = validation_errors(xml)
    if errors:
        raise InvalidClaimFile(errors)
    return xml


def _case(parent: etree._Element, case: ClaimCase, *, rot: bool) -> None:
    element = etree.SubElement(parent, _k("Arenden"))
    _text(element, "Kopare", case.buyer)
    _text(element, "BetalningsDatum", case.payment_date.isoformat())
    _text(element, "PrisForArbete", str(case.labour))
    _text(element, "BetaltBelopp", str(case.paid))
    _text(element, "BegartBelopp", str(case.requested))
    if case.invoice_number is not None:
        _text(element, "FakturaNr", case.invoice_number)
    # The schema: other costs "ska fyllas i om timmar eller material angetts för någon tjänst".
    if case.other_costs or any(not done.is_schablon for done in case.work):
        _text(element, "Ovrigkostnad", str(case.other_costs))
    if rot:
        if case.property_designation:
            _text(element, "Fastighetsbeteckning", case.property_designation)
        if case.housing_coop_org_number:
            _text(element, "LagenhetsNr", case.apartment_number or "")
            _text(element, "BrfOrgNr", case.housing_coop_org_number)
    if case.work:
        work = etree.SubElement(element, _k("UtfortArbete"))
        for done in sorted(case.work, key=lambda d: _ORDER.index(d.work_type)):
            _work(work, done)


def _work(parent: etree._Element, done: WorkDone) -> None:
    element = etree.SubElement(parent, _k(ELEMENTS[done.work_type]))
    if done.is_schablon:
        _text(element, "Utfort", "true")
        return
    _text(element, "AntalTimmar", str(done.hours))
    _text(element, "Materialkostnad", str(done.material))


def read_claim_file(xml: bytes) -> ClaimFileContent:
    """A claim file back as `ClaimFileContent` (validated first): to compare files field by field."""
    errors = validation_errors(xml)
    if errors:
        raise InvalidClaimFile(errors)
    root = etree.fromstring(xml, _safe_parser())
    rot = root.find(_k("RotBegaran"))
    wrapper = rot if rot is not None else root.find(_k("HushallBegaran"))
    cases = tuple(_read_case(element) for element in (wrapper if wrapper is not None else []))
    kind = HusavdragKind.ROT if rot is not None else HusavdragKind.RUT
    return ClaimFileContent(kind=kind, name=_get(root, "NamnPaBegaran") or "", cases=cases)


def _read_case(element: etree._Element) -> ClaimCase:
    work: list[WorkDone] = []
    done_element = element.find(_k("UtfortArbete"))
    for child in done_element if done_element is not None else []:
        work_type = WORK_TYPE_OF[etree.QName(child).localname]
        work.append(WorkDone(work_type, int(_get(child, "AntalTimmar") or 0), int(_get(child, "Materialkostnad") or 0)))
    return ClaimCase(
        buyer=_get(element, "Kopare") or "",
        payment_date=date.fromisoformat(_get(element, "BetalningsDatum") or ""),
        labour=int(_get(element, "PrisForArbete") or 0),
        paid=int(_get(element, "BetaltBelopp") or 0),
        requested=int(_get(element, "BegartBelopp") or 0),
        invoice_number=_get(element, "FakturaNr"),
        other_costs=int(_get(element, "Ovrigkostnad") or 0),
        property_designation=_get(element, "Fastighetsbeteckning"),
        apartment_number=_get(element, "LagenhetsNr"),
        housing_coop_org_number=_get(element, "BrfOrgNr"),
        work=tuple(work),
    )


def _get(element: etree._Element, name: str) -> str | None:
    found = element.find(_k(name))
    if found is None:
        return None
    return found.text or ""


def _text(parent: etree._Element, name: str, value: str) -> None:
    etree.SubElement(parent, _k(name)).text = value


def _b(name: str) -> str:
    return f"{{{BEGARAN_NS}}}{name}"


def _k(name: str) -> str:
    return f"{{{KOMPONENT_NS}}}{name}"


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False, huge_tree=False)
