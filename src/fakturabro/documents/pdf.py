"""The invoice document as an A4 PDF, drawn with ReportLab (pure Python, installs with pip alone).

The fonts are the Bitstream Vera family ReportLab ships; they are embedded (subset), so å, ä, ö and the minus
sign print everywhere, and the text stays selectable. Long invoices flow over pages with the row header repeated
and "Sida n av m" in the footer.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from fakturabro.documents.logo import logo_flowable
from fakturabro.documents.model import InvoiceDocument, Line

FONT = "FakturabroSans"
FONT_BOLD = "FakturabroSans-Bold"
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
GREY = colors.HexColor("#555555")
RULE = colors.HexColor("#BBBBBB")


@cache
def _fonts() -> None:
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)


def _style(size: float = 9, bold: bool = False, color: colors.Color = colors.black, align: int = 0) -> ParagraphStyle:
    return ParagraphStyle(
        "s", fontName=FONT_BOLD if bold else FONT, fontSize=size, leading=size * 1.3, textColor=color, alignment=align
    )


def _p(text: str, **style: object) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), _style(**style))  # type: ignore[arg-type]


def render_pdf(document: InvoiceDocument) -> bytes:
    _fonts()
    buffer = io.BytesIO()
    title = f"{document.title} {document.number or ''}".strip()
    template = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 12 * mm,
        title=f"{title} – {document.seller_name}",
        author=document.seller_name,
        lang="sv-SE",
    )
    story = [
        *_head(document),
        Spacer(0, 6 * mm),
        _rows(document),
        Spacer(0, 4 * mm),
        _sums(document),
    ]
    for note in document.notes:
        story += [Spacer(0, 3 * mm), _p(note, bold=True)]
    if document.husavdrag:
        story += [Spacer(0, 5 * mm), _husavdrag(document)]
    story += [Spacer(0, 5 * mm), _payment(document)]
    if document.late_interest:
        story += [Spacer(0, 3 * mm), _p(document.late_interest, size=8, color=GREY)]
    footer = _footer_lines(document)
    template.build(story, canvasmaker=_numbered_canvas(footer))
    return buffer.getvalue()


def _head(document: InvoiceDocument) -> list[Flowable]:
    seller: list[Flowable] = []
    logo = logo_flowable(document.logo, max_width=60 * mm, max_height=22 * mm) if document.logo else None
    if logo is not None:
        seller += [logo, Spacer(0, 2 * mm)]
    seller.append(_p(document.seller_name, size=13, bold=True))
    seller += [_p(line) for line in document.seller_address]
    heading = document.title + (f" {document.number}" if document.number else "")
    facts = Table(
        [[_p(line.label, color=GREY), _p(line.value, bold=line.strong)] for line in document.facts],
        colWidths=[30 * mm, 45 * mm],
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]),
    )
    right = [_p(heading, size=18, bold=True), Spacer(0, 2 * mm), facts]
    top = Table([[seller, right]], colWidths=[WIDTH - 80 * mm, 80 * mm])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    buyer = Table([[[_p("Faktureras till", size=8, color=GREY), *[_p(line) for line in document.buyer]]]])
    buyer.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return [top, Spacer(0, 6 * mm), buyer]


def _rows(document: InvoiceDocument) -> Table:
    header = ["Art.nr", "Benämning", "Antal", "À-pris exkl. moms", "Rabatt", "Moms", "Belopp exkl. moms"]
    data: list[list[object]] = [
        [_p(text, size=7.5, bold=True, align=2 if i >= 2 else 0) for i, text in enumerate(header)]
    ]
    for row in document.rows:
        if row.is_text:
            data.append(["", _p(row.text), "", "", "", "", ""])
            continue
        cells = [row.quantity, row.unit_price, row.discount, row.vat_rate, row.amount]
        data.append([_p(row.article_number, size=8), _p(row.text), *[_p(c, align=2) for c in cells]])
    widths = [16 * mm, WIDTH - 127 * mm, 20 * mm, 26 * mm, 15 * mm, 14 * mm, 36 * mm]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _lines_table(lines: list[Line], label_width: float, value_width: float) -> Table:
    data = [[_p(line.label, bold=line.strong, align=2), _p(line.value, bold=line.strong, align=2)] for line in lines]
    table = Table(data, colWidths=[label_width, value_width], hAlign="RIGHT")
    table.setStyle(TableStyle([("BOTTOMPADDING", (0, 0), (-1, -1), 1), ("TOPPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _sums(document: InvoiceDocument) -> KeepTogether:
    return KeepTogether(
        [
            _lines_table(document.vat_summary, 90 * mm, 36 * mm),
            Spacer(0, 2 * mm),
            _lines_table(document.totals, 90 * mm, 36 * mm),
        ]
    )


def _husavdrag(document: InvoiceDocument) -> KeepTogether:
    section = document.husavdrag
    assert section is not None
    parts: list[Flowable] = [_p(section.heading, size=10, bold=True), Spacer(0, 1 * mm)]
    parts.append(_left_lines(section.costs))
    if section.buyers:
        parts += [Spacer(0, 1 * mm), _left_lines(section.buyers)]
    if section.place:
        parts += [Spacer(0, 1 * mm), _p(section.place)]
    parts += [Spacer(0, 1 * mm), _p(section.note, size=8)]
    return KeepTogether(parts)


def _left_lines(lines: list[Line]) -> Table:
    table = Table(
        [[_p(line.label), _p(line.value, align=2)] for line in lines], colWidths=[90 * mm, 36 * mm], hAlign="LEFT"
    )
    table.setStyle(TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def _payment(document: InvoiceDocument) -> KeepTogether:
    box = Table(
        [[_p(line.label, color=GREY), _p(line.value, bold=line.strong)] for line in document.payment],
        colWidths=[35 * mm, 60 * mm],
        hAlign="LEFT",
    )
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 0.8, colors.black), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return KeepTogether([_p("Betalning", size=10, bold=True), Spacer(0, 1 * mm), box])


def _footer_lines(document: InvoiceDocument) -> list[str]:
    """The seller's legal details on one line, its address and contact on the next."""
    return [" · ".join(document.footer), " · ".join([*document.seller_address, *document.seller_contact])]


def _numbered_canvas(footer: list[str]) -> type[Canvas]:
    """A canvas that draws the footer and "Sida n av m" on every page once the page count is known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, object]] = []

        def showPage(self) -> None:  # noqa: N802 - ReportLab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            count = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._draw_footer(number, count)
                super().showPage()
            super().save()

        def _draw_footer(self, number: int, count: int) -> None:
            self.setFont(FONT, 7)
            self.setFillColor(GREY)
            self.setStrokeColor(RULE)
            self.line(MARGIN, MARGIN + 8 * mm, A4[0] - MARGIN, MARGIN + 8 * mm)
            for index, text in enumerate(footer):
                self.drawCentredString(A4[0] / 2, MARGIN + (4 - 3.5 * index) * mm, text)
            self.drawRightString(A4[0] - MARGIN, MARGIN - 4 * mm, f"Sida {number} av {count}")

    return NumberedCanvas
