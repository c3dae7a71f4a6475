"""Which webhook URLs we POST to: https only, never to a private address (so a token cannot make our servers
call into the network they run in); plain http and loopback only while fakturabro itself runs on loopback
(development, where the receiver is a local script)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from fakturabro.domain.errors import ValidationFailed

MAX_URL_LENGTH = 2000
Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (empty when it does not resolve)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return sorted({str(info[4][0]) for info in found})


def is_loopback_host(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def refusal(url: str, *, allow_loopback: bool, resolver: Resolver = resolve) -> str | None:
    """Why ``url`` may not receive webhooks (in Swedish), or None when it may."""
    if len(url) > MAX_URL_LENGTH:
        return f"Adressen får vara högst {MAX_URL_LENGTH} tecken."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "Adressen är inte en giltig URL."
    host = parts.hostname or ""
    if parts.scheme not in ("https", "http") or not host:
        return "Adressen måste vara en https-URL, t.ex. https://exempel.se/webhooks."
    if parts.username or parts.password:
        return "Adressen får inte innehålla användarnamn eller lösenord."
    loopback = allow_loopback and is_loopback_host(host)
    if parts.scheme == "http" and not loopback:
        return "Adressen måste börja med https:// (http går bara till den egna datorn under utveckling)."
    addresses = resolver(host, port or (443 if parts.scheme == "https" else 80))
    if not addresses:
        return f"Adressen {host} går inte att slå upp."
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_loopback and allow_loopback:
            continue
        if not ip.is_global or ip.is_multicast:
            return "Adressen pekar på ett privat eller internt nät; webhooks går bara till publika adresser."
    return None


def check_url(url: str, *, allow_loopback: bool, resolver: Resolver = resolve) -> str:
    """``url`` stripped of surrounding space, or a 422 on ``url`` saying why it cannot be used."""
    clean = url.strip()
    reason = refusal(clean, allow_loopback=allow_loopback, resolver=resolver)
    if reason:
        raise ValidationFailed.single(("url",), reason, "webhook_url_refused")
    return clean
