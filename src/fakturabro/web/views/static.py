"""The app's own static files (CSS, the vendored htmx), served from the package; no CDN, no build step."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parent.parent / "static"
_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
}

router = APIRouter(include_in_schema=False)


@router.get("/static/{name}")
def static_file(name: str) -> FileResponse:
    path = STATIC / name
    # Only plain files directly in the folder: no "..", no sub paths, no other types.
    if "/" in name or name.startswith(".") or path.suffix not in _TYPES or not path.is_file():
        raise HTTPException(404, "Filen finns inte.")
    return FileResponse(path, media_type=_TYPES[path.suffix], headers={"Cache-Control": "public, max-age=3600"})


@router.get("/favicon.ico")
def favicon() -> FileResponse:
    """Browsers ask for /favicon.ico on every page whatever the page links; the SVG icon answers (issue 20)."""
    return FileResponse(
        STATIC / "favicon.svg", media_type=_TYPES[".svg"], headers={"Cache-Control": "public, max-age=86400"}
    )
