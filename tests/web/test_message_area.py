"""The layout loads the script that clears the message area, from our own origin (the CSP allows no other)."""

from __future__ import annotations

from .conftest import User


def test_every_page_loads_the_message_area_script_from_static(user: User) -> None:
    page = user.get("/invoices/new")
    assert '<div id="meddelanden"' in page.text
    assert '<script src="/static/app.js" defer></script>' in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]
    script = user.get("/static/app.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert 'document.getElementById("meddelanden")' in script.text
