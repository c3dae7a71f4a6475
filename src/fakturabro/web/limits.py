"""Request body limits, as one pure ASGI middleware: a file upload (``multipart/form-data``) may be up to
``max_upload_bytes``, any other body (JSON, forms) up to ``max_json_bytes``.

A body that declares a larger ``Content-Length`` is refused at the route's first read, before a byte of it is
read; a chunked body is counted as it arrives and refused as soon as it passes the limit. The refusal is an
``HTTPException(413)`` raised where the route reads, so the API answers it in its JSON shape and the pages as a
Swedish page, like every other error.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB" if size >= 1024 * 1024 else f"{size // 1024} kB"


class BodyLimits:
    def __init__(self, app: ASGIApp, *, max_json_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_json_bytes = max_json_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data")
        limit = self.max_upload_bytes if upload else self.max_json_bytes
        declared = headers.get(b"content-length", b"")
        too_large = _refusal(upload, limit)
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared.isdigit() and int(declared) > limit:
                raise too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_large
            return message

        await self.app(scope, limited_receive, send)


def _refusal(upload: bool, limit: int) -> HTTPException:
    if upload:
        message = f"Filen är större än {_megabytes(limit)}. Dela upp den i mindre filer."
    else:
        message = f"Förfrågan är för stor (högst {_megabytes(limit)})."
    return HTTPException(413, [{"loc": ["body"], "msg": message, "type": "body_too_large"}])
