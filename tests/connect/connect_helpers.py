"""A browser, as far as Visma Connect's login and consent pages need one: GET the form, POST it back."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx

SEED_EMAIL = "demo@sandbox.local"
SEED_PASSWORD = "sandbox"


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {key: value or "" for key, value in attrs}
        if tag == "form" and self.action is None:
            self.action = named.get("action", "")
            self.method = named.get("method", "get").lower()
        elif tag == "input" and named.get("type") == "hidden" and "name" in named:
            self.fields[named["name"]] = named.get("value", "")


def parse_form(page: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(page)
    assert parser.action is not None, "no form on the page"
    return parser


def login_and_consent(
    browser: httpx.Client, authorize_url: str, *, email: str = SEED_EMAIL, password: str = SEED_PASSWORD
) -> str:
    """Open the authorization URL, log in and allow; return where Visma sends the browser back to (the
    callback URL with `code` and `state`), without following it."""
    page = browser.get(authorize_url, follow_redirects=True)
    assert page.status_code == 200, page.text
    form = parse_form(page.text)
    assert form.method == "post"
    answer = browser.post(
        str(page.url.join(form.action or "")),
        data={**form.fields, "username": email, "password": password, "decision": "allow"},
        follow_redirects=False,
    )
    assert answer.status_code in (302, 303), answer.text
    return str(answer.headers["location"])


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}
