"""Skickad e-post (demo): what the embedded SMTP sink received, so a demo shows the invoice e-mail that a real
customer would get, attachment and all. Only there when `fakturabro serve` runs the sink (no SMTP server set)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, Response

from fakturabro.mail.sink import received_mail
from fakturabro.web.deps import ContainerDep
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.rendering import render
from fakturabro.web.views.session import PageCompany

router = APIRouter(include_in_schema=False, route_class=PageRoute)
FileName = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9._-]{1,100}\.eml$")]
SHOWN = 50


def _sink_dir(container: ContainerDep) -> Path:
    directory = container.extras.get("mail_sink_dir")
    if not isinstance(directory, Path):
        raise HTTPException(404, "Sidan finns bara när fakturabro kör sin egen test-e-postserver (demon).")
    return directory


@router.get("/sent-mail", response_class=HTMLResponse)
def sent_mail(request: Request, container: ContainerDep, company_id: PageCompany) -> HTMLResponse:
    mails = received_mail(_sink_dir(container))[:SHOWN]
    return render(request, "sent_mail.html", {"mails": mails})


@router.get("/sent-mail/{file_name}/attachments/{filename}")
def attachment(container: ContainerDep, company_id: PageCompany, file_name: FileName, filename: str) -> Response:
    found = next((mail for mail in received_mail(_sink_dir(container)) if mail.file_name == file_name), None)
    if found is None:
        raise HTTPException(404, "E-postmeddelandet finns inte.")
    try:
        data = found.attachment(filename)
    except KeyError:
        raise HTTPException(404, "Bilagan finns inte.") from None
    kind = next(info.content_type for info in found.attachments if info.filename == filename)
    return Response(
        data, media_type=kind, headers={"Content-Disposition": "attachment", "X-Content-Type-Options": "nosniff"}
    )
