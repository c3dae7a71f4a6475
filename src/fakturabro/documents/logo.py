"""The company's logo: checked when it is uploaded, and scaled into the head of the invoice.

An upload is trusted for nothing. A PNG or JPEG must decode completely (Pillow) and be of a sane size; its type
is read from its bytes, not from what the sender claims. An SVG is parsed without entities, DTDs or network,
must not carry anything that runs or fetches (``<script>``, ``on…`` handlers, ``javascript:``, external
``href``/``url()``, ``<foreignObject>``), and is rewritten to an allow-list of drawing elements and attributes,
so what is stored, served and drawn is only a picture.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass
from typing import NoReturn

from lxml import etree
from PIL import Image as PilImage
from reportlab.graphics.shapes import Drawing
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image
from svglib.svglib import svg2rlg

from fakturabro.documents.model import Logo
from fakturabro.domain.errors import FieldError, ValidationFailed

MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 4000 * 4000
RASTER_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg"}
SVG_TYPE = "image/svg+xml"
LOGO_TYPES = (*RASTER_TYPES.values(), SVG_TYPE)

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_DRAWING_ELEMENTS = frozenset(
    [
        "svg",
        "g",
        "defs",
        "symbol",
        "use",
        "title",
        "desc",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "linearGradient",
        "radialGradient",
        "stop",
        "clipPath",
        "mask",
        "pattern",
    ]
)
_DRAWING_ATTRIBUTES = frozenset(
    [
        "id",
        "class",
        "version",
        "width",
        "height",
        "viewBox",
        "preserveAspectRatio",
        "x",
        "y",
        "x1",
        "y1",
        "x2",
        "y2",
        "cx",
        "cy",
        "r",
        "rx",
        "ry",
        "fx",
        "fy",
        "d",
        "points",
        "transform",
        "fill",
        "fill-opacity",
        "fill-rule",
        "stroke",
        "stroke-width",
        "stroke-opacity",
        "stroke-linecap",
        "stroke-linejoin",
        "stroke-miterlimit",
        "stroke-dasharray",
        "stroke-dashoffset",
        "opacity",
        "color",
        "display",
        "visibility",
        "clip-path",
        "clip-rule",
        "mask",
        "font-family",
        "font-size",
        "font-weight",
        "font-style",
        "text-anchor",
        "dominant-baseline",
        "letter-spacing",
        "dx",
        "dy",
        "offset",
        "stop-color",
        "stop-opacity",
        "gradientUnits",
        "gradientTransform",
        "spreadMethod",
        "patternUnits",
        "patternContentUnits",
        "patternTransform",
        "clipPathUnits",
        "maskUnits",
        "maskContentUnits",
        "style",
        "href",
    ]
)
_ACTIVE_ELEMENTS = frozenset(["script", "foreignObject", "iframe", "embed", "object", "handler", "listener"])
_EXTERNAL_URL = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)
_ACTIVE_TEXT = re.compile(r"javascript:|expression\s*\(|@import", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedLogo:
    data: bytes
    content_type: str


def checked_logo(data: bytes) -> CheckedLogo:
    """The upload as a logo safe to store, or ``ValidationFailed`` at ``logo`` with a Swedish message."""
    check_logo_size(len(data))
    if not data:
        _refuse("Filen är tom. Välj en PNG-, JPEG- eller SVG-fil.", "logo_empty")
    if _looks_like_svg(data):
        return CheckedLogo(_sanitised_svg(data), SVG_TYPE)
    return CheckedLogo(data, _raster_type(data))


def check_logo_size(size: int) -> None:
    """Refuse at ``logo`` a file larger than a logo may be, before more of it is read."""
    if size > MAX_LOGO_BYTES:
        raise oversized_logo(size)


def oversized_logo(size: int | None) -> ValidationFailed:
    """The refusal of a logo of ``size`` bytes (None: too large to have been counted)."""
    found = f"Logotypen är {_size(size)}" if size is not None else "Filen är för stor för en logotyp"
    message = f"{found}; den får vara högst {_size(MAX_LOGO_BYTES)}. Spara den mindre och ladda upp den igen."
    return ValidationFailed([FieldError(("logo",), message, "logo_too_large")])


def logo_flowable(logo: Logo, *, max_width: float, max_height: float) -> Flowable | None:
    """The logo as a ReportLab flowable no larger than the box, or None when it cannot be drawn."""
    if logo.content_type == SVG_TYPE:
        return _svg_flowable(logo.data, max_width, max_height)
    if logo.content_type not in RASTER_TYPES.values():
        return None
    width, height = ImageReader(io.BytesIO(logo.data)).getSize()
    scale = min(max_width / width, max_height / height, 1.0)
    return Image(io.BytesIO(logo.data), width=width * scale, height=height * scale, hAlign="LEFT")


def _svg_flowable(data: bytes, max_width: float, max_height: float) -> Flowable | None:
    drawing = _svg_drawing(data)
    if drawing is None or not drawing.width or not drawing.height:
        return None
    scale = min(max_width / drawing.width, max_height / drawing.height)
    drawing.scale(scale, scale)
    drawing.width, drawing.height = drawing.width * scale, drawing.height * scale
    drawing.hAlign = "LEFT"
    return drawing


def _svg_drawing(data: bytes) -> Drawing | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # svglib warns about SVG features it leaves out; the picture stays
        try:
            return svg2rlg(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - a logo that cannot be drawn leaves the head without it, never the PDF
            return None


def _raster_type(data: bytes) -> str:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PilImage.DecompressionBombWarning)
            with PilImage.open(io.BytesIO(data)) as image:
                kind, (width, height) = image.format, image.size
                image.verify()
            with PilImage.open(io.BytesIO(data)) as image:
                image.load()  # verify() checks the structure; only decoding finds a truncated picture
    except (OSError, SyntaxError, ValueError, PilImage.DecompressionBombWarning, PilImage.DecompressionBombError):
        _refuse("Filen går inte att läsa som bild. Välj en PNG-, JPEG- eller SVG-fil.", "logo_unreadable")
    if kind not in RASTER_TYPES:
        _refuse(f"Bilder i formatet {kind} går inte att använda. Välj en PNG-, JPEG- eller SVG-fil.", "logo_type")
    if width * height > MAX_LOGO_PIXELS:
        _refuse(f"Bilden är {width} × {height} pixlar; gör den mindre (högst 4000 × 4000).", "logo_too_large")
    return RASTER_TYPES[kind]


def _looks_like_svg(data: bytes) -> bool:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(b"<?xml") or head.startswith(b"<svg") or (head.startswith(b"<!--") and b"<svg" in head)


def _sanitised_svg(data: bytes) -> bytes:
    root = _parsed_svg(data)
    active = _active_content(root)
    if active:
        _refuse(
            f"SVG-filen innehåller {active}, som kan köra kod eller hämta innehåll. "
            "Spara logotypen som en ren bild (till exempel ”Vanlig SVG” eller PNG) och ladda upp den igen.",
            "logo_active_content",
        )
    _keep_only_drawing(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _parsed_svg(data: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        tree = etree.parse(io.BytesIO(data), parser)
    except etree.XMLSyntaxError:
        _refuse("SVG-filen är trasig och går inte att läsa. Välj en annan fil.", "logo_unreadable")
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        _refuse("SVG-filen har en DOCTYPE-deklaration, som inte tillåts. Spara den utan.", "logo_active_content")
    root = tree.getroot()
    if etree.QName(root).localname != "svg" or etree.QName(root).namespace not in (_SVG, None):
        _refuse("Filen är ingen SVG-bild. Välj en PNG-, JPEG- eller SVG-fil.", "logo_type")
    return root


def _active_content(root: etree._Element) -> str | None:
    """What in the SVG could run or fetch, named for the message; None when nothing could."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in _ACTIVE_ELEMENTS:
            return f"<{name}>"
        if name == "style" and _active_style(element.text or ""):
            return "en stilmall som hämtar innehåll"
        if name == "image":
            return "en inbäddad bild (<image>)"
        for attribute, value in element.attrib.items():
            local = etree.QName(attribute).localname
            if local.lower().startswith("on"):
                return f"attributet {local}"
            if local == "href" and not value.strip().startswith("#"):
                return "en länk till något utanför bilden"
            if _active_style(value):
                return f"attributet {local} med en extern adress"
    return None


def _active_style(text: str) -> bool:
    return bool(_EXTERNAL_URL.search(text) or _ACTIVE_TEXT.search(text))


def _keep_only_drawing(root: etree._Element) -> None:
    """Drop every element and attribute that is not plain SVG drawing (editor metadata, foreign namespaces)."""
    for element in list(root.iter()):
        if element is root or not isinstance(element.tag, str):
            continue
        qname = etree.QName(element)
        if qname.namespace not in (_SVG, None) or qname.localname not in _DRAWING_ELEMENTS | {"style"}:
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
    for element in root.iter():
        for attribute in list(element.attrib):
            qname = etree.QName(attribute)
            allowed = qname.localname in _DRAWING_ATTRIBUTES and qname.namespace in (None, _XLINK)
            if not allowed:
                del element.attrib[attribute]
    etree.cleanup_namespaces(root)


def _size(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB".replace(".", ",") if size >= 1024 * 1024 else f"{size // 1024} kB"


def _refuse(message: str, code: str) -> NoReturn:
    raise ValidationFailed([FieldError(("logo",), message, code)])
