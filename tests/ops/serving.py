"""Real `fakturabro serve` / `fakturabro worker` processes for the ops tests, and a browser-like Visma connect.

Each process writes every log line to its own file; processes are SIGKILLed at the end of a test whatever happens.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Processes:
    """Named fakturabro processes sharing one environment (database, keys, public URL)."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = {**os.environ, **env}
        if "DATABASE_URL" not in env:
            self.env.pop("DATABASE_URL", None)
        self.log_dir = log_dir
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.arguments: dict[str, list[str]] = {}

    def start(self, name: str, *arguments: str) -> None:
        self.arguments[name] = list(arguments) or self.arguments[name]
        with (self.log_dir / f"{name}.log").open("ab") as sink:
            self.running[name] = subprocess.Popen(
                [sys.executable, "-m", "fakturabro.cli", *self.arguments[name]],
                stdout=sink,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.log_dir,
            )

    def log(self, name: str) -> str:
        return (self.log_dir / f"{name}.log").read_text()

    def wait_healthy(self, name: str, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.running[name].poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{name} did not start:\n{self.log(name)[-5000:]}")
            time.sleep(0.2)

    def kill(self, name: str) -> None:
        process = self.running[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)

    def stop(self, name: str) -> None:
        process = self.running[name]
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill(name)

    def kill_all(self) -> None:
        for name, process in self.running.items():
            if process.poll() is None:
                self.kill(name)


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form" and self.action is None:
            self.action = named.get("action", "")
        elif tag == "input" and named.get("type") == "hidden" and "name" in named:
            self.fields[named["name"]] = named.get("value", "")


def ok(response: httpx.Response, *expected: int) -> Any:
    assert response.status_code in (expected or (200,)), f"{response.request.url}: {response.text}"
    return response.json()


def connect_through_the_sandbox(api: httpx.Client, url: str) -> str:
    """Activate, connect through the embedded sandbox's login and consent like a browser, fix the settings
    checklist; return the authorization code (a secret the logs must not show)."""
    ok(api.put("/integrations/visma", json={"activated": True, "mode": "draft"}))
    authorize = ok(api.post("/integrations/visma/connect"))["authorization_url"]
    with httpx.Client(timeout=30) as browser:
        page = browser.get(authorize, follow_redirects=True)
        form = _Form()
        form.feed(page.text)
        fields = {**form.fields, "username": "demo@sandbox.local", "password": "sandbox", "decision": "allow"}
        answer = browser.post(str(page.url.join(form.action or "")), data=fields)
        callback = answer.headers["location"]
        browser.get(callback, follow_redirects=True)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    assert ok(api.get("/integrations/visma"))["connected"] is True
    with httpx.Client(base_url=f"{url}/visma-sandbox/_sandbox", timeout=30) as sandbox:
        ok(sandbox.put("/companysettings", json={"ShowPricesExclVatPC": True, "NextCustomerInvoiceNumber": 1}))
    ok(api.post("/integrations/visma/fallback-articles"))
    return code


def metric(text: str, name: str) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(name + " "))
