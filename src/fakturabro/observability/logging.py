"""Structured logging: one JSON (or console) line per event, with the request id and company id on every line.

structlog and the standard library (uvicorn, httpx, DBOS, SQLAlchemy) go through the same processors, so the
redaction in ``redaction.py`` sees every line whoever wrote it, and Visma calls, retries and token refreshes
are counted for ``/metrics`` from the events the Visma adapter already logs (``metrics.count_event``).

The request context is a mutable holder in a context variable: the middleware sets it per request, and code
deeper down (the API-token dependency) fills in the company, which then shows on every later line of that
request even when it runs in another thread of FastAPI's pool (the context is copied, the holder is shared).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import structlog

from fakturabro.observability import metrics
from fakturabro.observability.redaction import redact_event


@dataclass
class RequestContext:
    request_id: str
    company_id: int | None = None
    scope: MutableMapping[str, Any] = field(default_factory=dict)

    def company(self) -> int | None:
        if self.company_id is not None:
            return self.company_id
        session = self.scope.get("session")  # a logged-in page: Starlette's session carries the company
        company = session.get("company_id") if isinstance(session, dict) else None
        return company if isinstance(company, int) else None


_current: ContextVar[RequestContext | None] = ContextVar("fakturabro_request", default=None)


def begin_request(context: RequestContext) -> object:
    return _current.set(context)


def end_request(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def note_company(company_id: int) -> None:
    """The company the current request acts for (after its credentials were checked)."""
    context = _current.get()
    if context is not None:
        context.company_id = company_id


def current_request() -> RequestContext | None:
    return _current.get()


def add_request_context(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    context = _current.get()
    event.setdefault("request_id", context.request_id if context else None)
    if event.get("company_id") is None:
        event["company_id"] = context.company() if context else None
    return event


def _count_for_metrics(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    metrics.count_event(event)
    return event


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        add_request_context,
        _count_for_metrics,
    ]


def configure_logging(*, level: str | None = None, json: bool | None = None) -> None:
    """Route structlog and the standard library's logging through one redacting formatter on stderr.

    ``FAKTURABRO_LOG_LEVEL`` (default INFO) and ``FAKTURABRO_LOG_FORMAT`` (``json``, the default, or
    ``console``) choose when the arguments are not given. Safe to call more than once.
    """
    level = (level or os.environ.get("FAKTURABRO_LOG_LEVEL") or "INFO").upper()
    if json is None:
        json = os.environ.get("FAKTURABRO_LOG_FORMAT", "json").lower() != "console"
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    shared = _shared_processors()
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_event,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    handler.set_name("fakturabro")
    root = logging.getLogger()
    for existing in list(root.handlers):
        if existing.get_name() == "fakturabro":
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # Alembic announces each of its plugins at INFO on every start; its migration lines stay.
    logging.getLogger("alembic.runtime.plugins").setLevel(max(logging.WARNING, root.level))
    # uvicorn installs its own handlers; let its lines reach ours instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
