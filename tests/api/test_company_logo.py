"""`PUT/GET/DELETE /api/v1/company/logo`: a logo is a picture and nothing else — a PNG or JPEG that decodes, an SVG
kept to drawing only; anything too large, broken or active is refused at the field ``logo`` in Swedish and saves
nothing. The logo then heads the invoice's PDF."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from pypdf import PdfReader
from tests.api.helpers import Api, error_locs

SVG_LOGO = (
    b'<?xml version="1.0"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" '
    b'width="240" height="80" viewBox="0 0 240 80" inkscape:version="1.3">'
    b'<metadata><rdf xmlns="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>'
    b'<rect width="240" height="80" rx="8" fill="#1d4ed8"/>'
    b'<text x="16" y="52" font-size="32" font-family="Helvetica" fill="#fff">ELBOLAGET</text></svg>'
)


def png(width: int = 120, height: int = 40, kind: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (29, 78, 216)).save(out, kind)
    return out.getvalue()


def upload(api: Api, data: bytes, content_type: str) -> httpx.Response:
    headers = {**api.headers, "Content-Type": content_type}
    return api.client.put("/api/v1/company/logo", content=data, headers=headers)


def refused(response: httpx.Response, words: str) -> None:
    assert response.status_code == 422, response.text
    assert error_locs(response) == [["body", "logo"]]
    assert words in response.json()["detail"][0]["msg"]


def pdf_text(api: Api, invoice: dict[str, Any]) -> str:
    content = api.get(f"/invoices/{invoice['id']}/pdf").content
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize(("data", "content_type"), [(png(), "image/png"), (png(kind="JPEG"), "image/jpeg")])
def test_a_png_or_jpeg_is_stored_and_served_as_an_inert_picture(api: Api, data: bytes, content_type: str) -> None:
    # The type comes from the bytes: a sender that calls every file application/octet-stream still gets it right.
    stored = upload(api, data, "application/octet-stream")
    assert stored.status_code == 200, stored.text
    assert stored.json()["logo_content_type"] == content_type
    served = api.get("/company/logo")
    assert served.content == data
    assert served.headers["content-type"] == content_type
    assert served.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in served.headers["content-security-policy"]


def test_an_svg_is_kept_to_its_drawing_and_drawn_into_the_pdf_as_text(api: Api) -> None:
    stored = upload(api, SVG_LOGO, "image/svg+xml")
    assert stored.status_code == 200, stored.text
    served = api.get("/company/logo").content
    assert b"<rect" in served
    assert b"ELBOLAGET" in served
    assert b"inkscape" not in served
    assert b"metadata" not in served
    invoice = api.approved(api.private_customer())
    assert "ELBOLAGET" in pdf_text(api, invoice)  # vectors and real text, not a blurred bitmap


@pytest.mark.parametrize(
    ("svg", "words"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>', "onload"),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
            b'<a xlink:href="javascript:alert(1)"><rect width="9" height="9"/></a></svg>',
            "utanför bilden",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9" '
            b'style="fill:url(https://tracker.example/x.svg#a)"/></svg>',
            "extern adress",
        ),
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p xmlns="http://www.w3.org/1999/xhtml">'
            b"hej</p></foreignObject></svg>",
            "<foreignObject>",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b'<svg xmlns="http://www.w3.org/2000/svg"><text>&lol2;</text></svg>',
            "DOCTYPE",
        ),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9"', "trasig"),
        (b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"/>', "ingen SVG"),
    ],
)
def test_an_svg_that_could_run_or_fetch_anything_is_refused(api: Api, svg: bytes, words: str) -> None:
    refused(upload(api, svg, "image/svg+xml"), words)
    assert api.get("/company").json()["logo_content_type"] is None
    assert api.get("/company/logo").status_code == 404


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (png()[:60], "går inte att läsa som bild"),
        (b"GIF89a" + b"\0" * 40, "går inte att läsa som bild"),
        (b"%PDF-1.7 not a picture", "går inte att läsa som bild"),
        (b"", "Filen är tom"),
    ],
)
def test_a_broken_or_foreign_file_is_refused(api: Api, data: bytes, words: str) -> None:
    refused(upload(api, data, "image/png"), words)


def test_a_20_mb_file_is_refused_at_the_logo_field_before_it_is_read(api: Api) -> None:
    refused(upload(api, b"\x89PNG" + b"\0" * (20 * 1024 * 1024), "image/png"), "högst 1,0 MB")


def test_a_refused_upload_keeps_the_logo_there_was(api: Api) -> None:
    upload(api, png(), "image/png")
    refused(upload(api, b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "image/svg+xml"), "<script>")
    assert api.get("/company/logo").content == png()


def test_delete_takes_the_logo_off_the_invoices(api: Api) -> None:
    upload(api, SVG_LOGO, "image/svg+xml")
    assert api.delete("/company/logo").json()["logo_content_type"] is None
    assert api.get("/company/logo").status_code == 404
    assert "ELBOLAGET" not in pdf_text(api, api.approved(api.private_customer()))


def test_each_company_sees_only_its_own_logo(api: Api, other_api: Api) -> None:
    upload(api, png(), "image/png")
    assert other_api.get("/company/logo").status_code == 404
