"""Browser tests: Debian's Chromium (headless) driven by Playwright against a real `fakturabro serve` subprocess
on a free port with a temporary data directory and the embedded Visma sandbox.

Chromium missing locally: the tests skip with the reason. In CI (``CI=true``) a missing Chromium fails.
Screenshots go to ``test-artifacts/screenshots/`` (``FAKTURABRO_SCREENSHOTS`` to change it).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("FAKTURABRO_SCREENSHOTS", ROOT / "test-artifacts" / "screenshots"))
START_TIMEOUT = 60.0


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if Path(path).exists():
        return path
    reason = f"Chromium not found at {path} (apt-get install chromium, or set CHROMIUM_PATH)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}; browser tests must run in CI", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    log: Path

    @property
    def sandbox(self) -> str:
        return f"{self.url}/visma-sandbox"


def _fakturabro() -> list[str]:
    script = Path(sys.executable).parent / "fakturabro"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from fakturabro.cli import app; app()"]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`fakturabro serve` (demo company seeded, sandbox mounted) until the session ends."""
    with serve(tmp_path_factory.mktemp("fakturabro-browser")) as running:
        yield running


@contextmanager
def serve(data_dir: Path) -> Iterator[Server]:
    """`fakturabro serve` on a free port with its own data directory: a module that needs a company nobody else
    has touched (Visma not connected, no invoices of other tests) starts its own."""
    port = free_port()
    env = {
        **os.environ,
        "FAKTURABRO_DATA_DIR": str(data_dir),
        "FAKTURABRO_TOKEN_KEY": Fernet.generate_key().decode(),
        "FAKTURABRO_SECRET_KEY": "browser-test-session-secret",
        "FAKTURABRO_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    for name in ("DATABASE_URL", "VISMA_CLIENT_ID", "VISMA_CLIENT_SECRET", "VISMA_API_BASE_URL"):
        env.pop(name, None)
    log = data_dir / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*_fakturabro(), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=data_dir,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, process, log)
            yield Server(url, data_dir, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"fakturabro serve exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"fakturabro serve did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-4000:]}")


# Module scope, not session: Playwright's sync API keeps an asyncio loop running on the main thread while it is
# alive, and DBOS refuses its sync calls there (`register_queue() was called while an event loop is running`), so
# a session-wide browser broke the export tests that xdist put after a browser test on the same worker.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="sv-SE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
