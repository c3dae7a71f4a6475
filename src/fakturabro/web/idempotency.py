"""``Idempotency-Key`` on every POST, PUT and DELETE under ``/api/v1``, with Stripe's semantics.

The first answer to a key (status and body) is stored per company for ``KEY_LIFETIME`` and replayed, with the
header ``Idempotent-Replayed: true``, to a repeat with the same request (method, path, query and body; a JSON body
compared by content, not spacing or key order). The same key with another request is a 409
``idempotency_key_reused``; a repeat while the first still runs is a 409 ``idempotency_key_in_flight`` — so two
identical requests at the same moment do the thing once. An answer that changed nothing (422: the input was
refused; 5xx or a crash) releases the key, so the corrected or retried request runs.

A pure ASGI middleware: it must see the raw body and the whole answer, which a route or dependency cannot.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakturabro.invoicing.tokens import Scope as TokenScope
from fakturabro.store.database import Database
from fakturabro.store.idempotency_repository import IN_FLIGHT, Claimed, Taken, claim_key, release_key, store_answer
from fakturabro.web.deps import bearer_access

HEADER = "Idempotency-Key"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII: UUIDs, ULIDs, "order-123/attempt"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
API_PREFIX = "/api/v1/"
NOT_STORED = frozenset({422})


class IdempotencyKeys:
    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        if not KEY_PATTERN.fullmatch(key):
            await _refuse(422, _invalid_key_message(key), "idempotency_key_invalid")(scope, receive, send)
            return
        body = await _read_body(receive)
        replay = _Replay(body)
        company_id = await run_in_threadpool(self._writer_company, headers)
        if company_id is None:  # not allowed to write: the route answers 401/403, nothing to remember
            await self.app(scope, replay.receive, send)
            return
        now = self.db.clock()
        fingerprint = _fingerprint(scope, headers, body)
        claim = await run_in_threadpool(claim_key, self.db, company_id, key, fingerprint, now, now + KEY_LIFETIME)
        if isinstance(claim, Taken):
            await _answer_taken(claim)(scope, receive, send)
            return
        await self._run_first(claim, scope, replay, send)

    def _writer_company(self, headers: Headers) -> int | None:
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        access = bearer_access(self.db, token.strip() or None) if scheme.lower() == "bearer" else None
        return access.company_id if access and TokenScope.WRITE in access.scopes else None

    async def _run_first(self, claim: Claimed, scope: Scope, replay: _Replay, send: Send) -> None:
        answer = _Recorded(send)
        try:
            await self.app(scope, replay.receive, answer.send)
        except BaseException:
            await run_in_threadpool(release_key, self.db, claim.row_id)
            raise
        if answer.status is None or answer.status >= 500 or answer.status in NOT_STORED:
            await run_in_threadpool(release_key, self.db, claim.row_id)
            return
        await run_in_threadpool(
            store_answer, self.db, claim.row_id, answer.status, answer.content_type, bytes(answer.body)
        )


def _invalid_key_message(key: str) -> str:
    if len(key) > MAX_KEY_LENGTH:
        return f"Idempotency-Key får vara högst {MAX_KEY_LENGTH} tecken."
    return "Idempotency-Key måste vara 1–255 synliga ASCII-tecken (t.ex. ett UUID)."


def _refuse(status: int, message: str, type_: str) -> JSONResponse:
    return JSONResponse({"detail": [{"loc": ["header", HEADER], "msg": message, "type": type_}]}, status_code=status)


def _answer_taken(taken: Taken) -> Any:
    if not taken.same_request:
        return _refuse(
            409, "Nyckeln har redan använts för en annan begäran; använd en ny nyckel.", "idempotency_key_reused"
        )
    if taken.state == IN_FLIGHT:
        return _refuse(
            409, "En begäran med samma nyckel pågår fortfarande; försök igen om en stund.", "idempotency_key_in_flight"
        )
    return _StoredAnswer(taken)


@dataclass
class _StoredAnswer:
    taken: Taken

    async def __call__(self, _scope: Scope, _receive: Receive, send: Send) -> None:
        headers = [(b"idempotent-replayed", b"true")]
        if self.taken.content_type:
            headers.append((b"content-type", self.taken.content_type.encode("latin-1")))
        body = self.taken.body or b""
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": self.taken.status_code or 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


@dataclass
class _Replay:
    """Hands the body already read to the app, as one message."""

    body: bytes
    sent: bool = False

    async def receive(self) -> Message:
        if self.sent:
            return {"type": "http.disconnect"}
        self.sent = True
        return {"type": "http.request", "body": self.body, "more_body": False}


@dataclass
class _Recorded:
    """Passes the answer on to the client and keeps a copy of its status, type and body."""

    downstream: Send
    status: int | None = None
    content_type: str | None = None
    body: bytearray = field(default_factory=bytearray)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
            self.content_type = Headers(raw=message.get("headers", [])).get("content-type")
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))
        await self.downstream(message)


def _fingerprint(scope: Scope, headers: Headers, body: bytes) -> str:
    """The request as the key remembers it; a JSON body by its content, so spacing or key order do not count."""
    canonical = body
    if "json" in headers.get("content-type", "") and body:
        try:
            canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except ValueError:
            canonical = body
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), canonical):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()
