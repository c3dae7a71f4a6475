"""The layout's message area in a real browser: a refused htmx request says why there, and the next request the
user makes that succeeds takes the message away again."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .conftest import Server
from .test_seed_flow import log_in

pytestmark = pytest.mark.browser


def test_a_refusal_in_the_message_area_goes_away_when_the_next_request_succeeds(page: Page, server: Server) -> None:
    log_in(page, server)
    page.goto(f"{server.url}/invoices/new")
    messages = page.locator("#meddelanden")
    token = page.locator("#editor input[name=csrf]")
    valid = token.input_value()

    token.evaluate("field => { field.value = 'utgången' }")  # as if the form had expired
    page.locator("#r0-text").fill("Elarbete")  # the live totals are asked for, and refused
    expect(messages).to_contain_text("Formuläret har gått ut")

    token.evaluate("(field, value) => { field.value = value }", valid)
    page.locator("#r0-quantity").fill("2")  # the live totals again, answered this time
    expect(page.locator("#totals")).to_contain_text("Totalt")
    expect(messages).to_be_empty()
