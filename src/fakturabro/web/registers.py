"""Registers in bulk over the web: the REST API (``/api/v1/registers``) and the pages' "Importera/Exportera".

Every operation is a preview first. A file preview records a run (the file kept, encrypted) whose id the apply
call names; a Visma preview records nothing, its apply records the run. Apply answers at once with the run
(``wait=false``, the pages always) and works in a background task; the run's record shows progress
(``done``/``total``) and the outcome. Applying the same run again after a failure resumes it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, File, Form, HTTPException, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as FormFile

from fakturabro.domain.errors import Conflict, DomainError, NotFound
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.registers.columns import MissingColumns
from fakturabro.registers.files import TooManyRows, UnreadableFile
from fakturabro.registers.imports import Kind, Preview, export_articles, start_import
from fakturabro.registers.plan import Conflict as PlanConflict
from fakturabro.registers.plan import Decision
from fakturabro.registers.runs import Operation, RunStatus, RunView, get_run, list_runs, set_decisions
from fakturabro.sync.registers.runner import (
    VISMA_OPERATIONS,
    apply_run,
    apply_run_in_background,
    preview_visma,
    start_visma_run,
)
from fakturabro.visma.errors import VismaError
from fakturabro.web.deps import CompanyId, ContainerDep, Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.forms import FormData
from fakturabro.web.views.rendering import is_htmx, render
from fakturabro.web.views.session import PageCompany, check_csrf

router = APIRouter()
pages = APIRouter(include_in_schema=False, route_class=PageRoute)  # HTML: errors as Swedish pages, not JSON
RunId = Annotated[int, Path(ge=1, le=MAX_ID)]
VismaOperation = Literal["articles_push", "articles_pull", "customers_pull", "customers_push"]
FILE_TYPES = {
    "csv": ("text/csv; charset=utf-8", "artiklar.csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "artiklar.xlsx"),
}


class RowView(BaseModel):
    row: int | None
    key: str | None
    fate: str
    detail: str


class ConflictView(BaseModel):
    key: str
    fields: list[str]
    incoming: dict[str, str | None]
    existing: dict[str, str | None]


class PreviewView(BaseModel):
    run_id: int | None = None
    counts: dict[str, int]
    encoding: str | None = None
    separator: str | None = None
    conflicts: list[ConflictView]
    rows: list[RowView]


class RunOut(BaseModel):
    id: int
    operation: str
    status: str
    total: int
    done: int
    api_calls: int
    counts: dict[str, int]
    problems: list[dict[str, Any]]
    error: str | None


class ApplyInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decisions: dict[Annotated[str, Field(max_length=50)], Decision] = Field(default_factory=dict)


# --- REST ---------------------------------------------------------------------------------------------------


@router.post("/api/v1/registers/{kind}/import/preview", tags=["registers"])
def preview_file(
    kind: Kind,
    container: ContainerDep,
    company_id: CompanyId,
    file: Annotated[UploadFile, File(description="CSV (UTF-8, Windows-1252; ; , eller tab) eller XLSX.")],
    columns: Annotated[str | None, Form(description='JSON: {"Rubrik": "fält"}')] = None,
    decisions: Annotated[str | None, Form(description='JSON: {"nummer": "use_incoming"|"keep_existing"}')] = None,
) -> PreviewView:
    """The dry run of a file import: every row's fate. Records a run to apply with `/runs/{run_id}/apply`.

    A plain ``def``: FastAPI runs it in its thread pool, so parsing a big file never holds up other requests."""
    limit = container.settings.max_upload_bytes
    data = file.file.read(limit + 1)
    _check_size(data, limit)
    run_id, preview = _start_import(
        container, company_id, kind, data, file.filename or "", _json_form(columns), _decisions_form(decisions)
    )
    return preview_view(preview, run_id)


@router.post("/api/v1/registers/visma/{operation}/preview", tags=["registers"])
def preview_visma_operation(
    operation: VismaOperation, container: ContainerDep, company_id: CompanyId, body: ApplyInput | None = None
) -> PreviewView:
    """What a push or pull would do, read from both sides now; nothing is written."""
    try:
        preview = preview_visma(container, company_id, Operation(operation), (body or ApplyInput()).decisions)
    except VismaError as error:
        raise _visma_conflict(error) from error
    return preview_view(preview)


@router.post("/api/v1/registers/visma/{operation}/apply", tags=["registers"])
def apply_visma_operation(
    operation: VismaOperation,
    container: ContainerDep,
    company_id: CompanyId,
    tasks: BackgroundTasks,
    response: Response,
    body: ApplyInput | None = None,
    wait: bool = True,
) -> RunOut:
    try:
        run_id = start_visma_run(container, company_id, Operation(operation), (body or ApplyInput()).decisions)
    except VismaError as error:
        raise _visma_conflict(error) from error
    return _apply(container, company_id, run_id, None, tasks, response, wait)


@router.post("/api/v1/registers/runs/{run_id}/apply", tags=["registers"])
def apply_recorded_run(
    run_id: RunId,
    container: ContainerDep,
    company_id: CompanyId,
    tasks: BackgroundTasks,
    response: Response,
    body: ApplyInput | None = None,
    wait: bool = True,
) -> RunOut:
    """Apply a previewed run, or resume one that stopped; `wait=false` answers 202 at once."""
    return _apply(container, company_id, run_id, (body or ApplyInput()).decisions, tasks, response, wait)


@router.get("/api/v1/registers/runs", tags=["registers"])
def runs(db: Db, company_id: CompanyId, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[RunOut]:
    return [run_out(run) for run in list_runs(db, company_id, limit)]


@router.get("/api/v1/registers/runs/{run_id}", tags=["registers"])
def run(run_id: RunId, db: Db, company_id: CompanyId) -> RunOut:
    return run_out(get_run(db, company_id, run_id))


@router.get("/api/v1/registers/articles/export", tags=["registers"])
def export(db: Db, company_id: CompanyId, format: Literal["csv", "xlsx"] = "csv") -> Response:  # noqa: A002
    return _export(db, company_id, format)


def _apply(
    container: ContainerDep,
    company_id: int,
    run_id: int,
    decisions: dict[str, Decision] | None,
    tasks: BackgroundTasks,
    response: Response,
    wait: bool,
) -> RunOut:
    if wait:
        try:
            return run_out(apply_run(container, company_id, run_id, decisions))
        except VismaError as error:
            raise _visma_conflict(error) from error
    get_run(container.db, company_id, run_id)  # 404 now, not in the background
    if decisions:
        set_decisions(container.db, company_id, run_id, decisions)
    tasks.add_task(apply_run_in_background, container, company_id, run_id)
    response.status_code = 202
    return run_out(get_run(container.db, company_id, run_id))


# --- pages --------------------------------------------------------------------------------------------------

PAGE_KINDS: dict[str, str] = {"articles": "Artiklar", "customers": "Kunder"}


@pages.get("/registers/{kind}", response_class=HTMLResponse)
def register_page(request: Request, kind: Kind, db: Db, company_id: PageCompany) -> HTMLResponse:
    return _page(request, kind, db, company_id)


@pages.post("/registers/{kind}/preview", response_class=HTMLResponse)
async def page_preview(request: Request, kind: Kind, container: ContainerDep, company_id: PageCompany) -> Response:
    """A file's or Visma's preview on the page; a refused file is told at the file field, Visma's refusal in its
    section. Nothing is recorded unless the preview succeeds."""
    form = await request.form()
    check_csrf(request, _form_text(form.get("csrf")))
    action = _form_text(form.get("action"))
    if action in {"push", "pull"}:
        operation = Operation(f"{kind}_{action}")
        try:
            preview = await run_in_threadpool(preview_visma, container, company_id, operation)
        except VismaError as error:
            errors = {"visma": _visma_conflict(error).message}
            return _page(request, kind, container.db, company_id, errors=errors, status_code=409)
        return _page(request, kind, container.db, company_id, preview=preview, operation=operation.value)
    upload = form.get("file")
    try:
        if not isinstance(upload, FormFile) or not upload.filename:
            raise HTTPException(422, "Välj en fil att importera.")
        data = await _read_upload(upload, container.settings.max_upload_bytes)
        run_id, preview = await run_in_threadpool(
            _start_import, container, company_id, kind, data, upload.filename, None, None
        )
    except HTTPException as error:
        errors = {"file": str(error.detail)}
        return _page(request, kind, container.db, company_id, errors=errors, status_code=error.status_code)
    return _page(request, kind, container.db, company_id, preview=preview, run_id=run_id)


@pages.post("/registers/{kind}/apply")
async def page_apply(
    request: Request, kind: Kind, container: ContainerDep, company_id: PageCompany, tasks: BackgroundTasks
) -> Response:
    form = await request.form()
    check_csrf(request, _form_text(form.get("csrf")))
    decisions = {
        str(name).removeprefix("decide:"): Decision(value)
        for name, value in form.items()
        if str(name).startswith("decide:") and value in {d.value for d in Decision}
    }
    try:
        run_id = await run_in_threadpool(_run_to_apply, container, company_id, kind, form, decisions)
    except VismaError as error:
        errors = {"visma": _visma_conflict(error).message}
        return _page(request, kind, container.db, company_id, errors=errors, status_code=409)
    except DomainError as error:
        status, message = (404, "Körningen finns inte.") if isinstance(error, NotFound) else (409, str(error))
        return _page(request, kind, container.db, company_id, error=message, status_code=status)
    tasks.add_task(apply_run_in_background, container, company_id, run_id)
    return RedirectResponse(f"/registers/{kind}/runs/{run_id}", status_code=303)


def _run_to_apply(
    container: ContainerDep, company_id: int, kind: Kind, form: FormData, decisions: dict[str, Decision]
) -> int:
    """The previewed file run the form names (its decisions recorded), or a new run of this page's Visma
    operation. A finished run is refused before anything is written."""
    run_text = _form_text(form.get("run_id"))
    if run_text:
        if not run_text.isdigit() or not 1 <= int(run_text) <= MAX_ID:
            raise NotFound("Körningen", run_text)
        run_id = int(run_text)
        if get_run(container.db, company_id, run_id).status == RunStatus.SUCCEEDED.value:
            raise Conflict(f"Körning {run_id} är redan genomförd.", "run_finished", ("run_id",))
        if decisions:
            set_decisions(container.db, company_id, run_id, decisions)
        return run_id
    operation = _form_text(form.get("operation"))
    if operation not in {o.value for o in VISMA_OPERATIONS} or not operation.startswith(kind):
        raise Conflict("Förhandsgranska först, och genomför sedan därifrån.", "no_preview", ("operation",))
    return start_visma_run(container, company_id, Operation(operation), decisions)


@pages.get("/registers/{kind}/runs/{run_id}", response_class=HTMLResponse)
def page_run(request: Request, kind: Kind, run_id: RunId, db: Db, company_id: PageCompany) -> HTMLResponse:
    context = {"kind": kind, "title": PAGE_KINDS[kind], "run": get_run(db, company_id, run_id)}
    return render(request, "registers_run.html", context, block="status" if is_htmx(request) else None)


@pages.get("/registers/articles/export.{file_format}")
def page_export(file_format: Literal["csv", "xlsx"], db: Db, company_id: PageCompany) -> Response:
    return _export(db, company_id, file_format)


def _page(
    request: Request,
    kind: Kind,
    db: Db,
    company_id: int,
    *,
    preview: Preview | None = None,
    run_id: int | None = None,
    operation: str | None = None,
    error: str | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page; ``errors`` by where they are shown (``file``: the file field, ``visma``: the Visma section)."""
    rows = (
        [row for row in preview.rows() if row.fate != "unchanged" or row.detail != "Redan likadan."] if preview else []
    )
    context = {
        "kind": kind,
        "title": PAGE_KINDS[kind],
        "preview": preview,
        "rows": rows[:500],
        "more_rows": max(0, len(rows) - 500),
        "run_id": run_id,
        "operation": operation,
        "error": error,
        "errors": errors or {},
        "runs": [run for run in list_runs(db, company_id, 10) if run.operation.startswith(kind)],
    }
    return render(request, "registers.html", context, status_code=status_code)


# --- shared -------------------------------------------------------------------------------------------------


async def _read_upload(upload: FormFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    _check_size(data, limit)
    return data


def _check_size(data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise HTTPException(413, f"Filen är större än {limit // (1024 * 1024) or 1} MB. Dela upp den.")


def _start_import(
    container: ContainerDep,
    company_id: int,
    kind: Kind,
    data: bytes,
    filename: str,
    columns: dict[str, str] | None,
    decisions: dict[str, Decision] | None,
) -> tuple[int, Preview]:
    max_rows = container.settings.max_import_rows
    try:
        return start_import(
            container.db, company_id, kind, data, filename, columns=columns, decisions=decisions, max_rows=max_rows
        )
    except TooManyRows as error:
        raise HTTPException(413, str(error)) from error
    except (UnreadableFile, MissingColumns) as error:
        raise HTTPException(422, str(error)) from error


def _json_form(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise HTTPException(422, "columns ska vara ett JSON-objekt.") from None
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise HTTPException(422, "columns ska vara ett JSON-objekt med texter.")
    return value


def _decisions_form(text: str | None) -> dict[str, Decision] | None:
    values = _json_form(text)
    try:
        return {key: Decision(value) for key, value in (values or {}).items()}
    except ValueError:
        raise HTTPException(422, "Beslut ska vara use_incoming eller keep_existing.") from None


def _form_text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _export(db: Db, company_id: int, file_format: Literal["csv", "xlsx"]) -> Response:
    media_type, filename = FILE_TYPES[file_format]
    return Response(
        export_articles(db, company_id, file_format),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _visma_conflict(error: VismaError) -> Conflict:
    """Never Visma's own text in the answer (it may echo personal data)."""
    if getattr(error, "needs_reconnect", False):
        return Conflict("Företaget är inte kopplat till Visma eEkonomi, eller kopplingen har gått ut.", "not_connected")
    return Conflict("Visma eEkonomi svarade inte som väntat. Försök igen om en stund.", "visma_unavailable")


router.include_router(pages)  # the pages' routes are all defined above; including copies them


def preview_view(preview: Preview, run_id: int | None = None) -> PreviewView:
    return PreviewView(
        run_id=run_id,
        counts=preview.counts,
        encoding=preview.encoding,
        separator=preview.separator,
        conflicts=[_conflict_view(conflict) for conflict in preview.plan.conflicts],
        rows=[RowView(row=r.row, key=r.key, fate=r.fate, detail=r.detail) for r in preview.rows()],
    )


def _conflict_view(conflict: PlanConflict) -> ConflictView:
    # Only the clashing fields, and never a personnummer: it is shown as "(olika)".
    def shown(record: object, name: str) -> str | None:
        value = getattr(record, name)
        if name == "personal_number":
            return "(olika)" if value else None
        return None if value is None else str(value)

    return ConflictView(
        key=conflict.key,
        fields=list(conflict.fields),
        incoming={name: shown(conflict.incoming, name) for name in conflict.fields},
        existing={name: shown(conflict.existing, name) for name in conflict.fields},
    )


def run_out(run: RunView) -> RunOut:
    return RunOut(
        id=run.id,
        operation=run.operation,
        status=run.status,
        total=run.total,
        done=run.done,
        api_calls=run.api_calls,
        counts=run.counts,
        problems=run.problems,
        error=run.error,
    )
