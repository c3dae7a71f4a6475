"""Visma Connect, emulated: `/connect/authorize` (HTML login + consent) and `/connect/token`.

Authorization code flow with `state` and PKCE (S256, or plain per RFC 7636), form-encoded token requests,
client authentication by HTTP Basic (client_secret_basic) or form fields (client_secret_post). Access tokens
expire after the configured TTL; a refresh token (only with `offline_access`) is single-use: refreshing
returns a new pair and the used one answers `invalid_grant` ever after, as Visma's does. Every token is bound
to the company of the user who consented. Errors follow RFC 6749 (`{"error": ..., "error_description": ...}`).

Clients: the seeded `fakturabro-dev` / `dev-secret` accepts any loopback redirect URI
(`http://localhost:*`, `http://127.0.0.1:*`); more clients via `POST /_sandbox/clients`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from fakturabro.sandbox.deps import get_state
from fakturabro.sandbox.state import OAuthClient, SandboxState, format_utc, parse_utc

router = APIRouter(prefix="/connect", tags=["Visma Connect (emulated)"])

SUPPORTED_SCOPES = {
    "ea:api",
    "ea:sales",
    "ea:sales_readonly",
    "ea:accounting",
    "ea:accounting_readonly",
    "ea:purchase",
    "ea:purchase_readonly",
    "offline_access",
}
DEFAULT_SCOPES = ("ea:api", "ea:sales", "ea:accounting", "ea:purchase", "offline_access")
AUTH_CODE_TTL = timedelta(minutes=5)
StateDep = Annotated[SandboxState, Depends(get_state)]


class OAuthError(Exception):
    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code

    def response(self) -> JSONResponse:
        headers = {"Cache-Control": "no-store"}
        if self.error == "invalid_client":
            headers["WWW-Authenticate"] = 'Basic realm="connect"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status_code,
            headers=headers,
        )


# -- shared helpers (also used by the control API) ---------------------------------------------------------------
def redirect_uri_allowed(client: OAuthClient, redirect_uri: str) -> bool:
    if redirect_uri in client.redirect_uris:
        return True
    parts = urlsplit(redirect_uri)
    return client.allow_loopback and parts.scheme == "http" and parts.hostname in ("localhost", "127.0.0.1")


def issue_tokens(state: SandboxState, client_id: str, company_id: str, scopes: list[str]) -> dict[str, Any]:
    """A fresh access token (and refresh token with `offline_access`) bound to one company."""
    with state.lock:
        access_token = secrets.token_urlsafe(32)
        expires_at = state.now() + timedelta(seconds=state.access_token_ttl_seconds)
        state.access_tokens.add(
            access_token,
            {"company_id": company_id, "client_id": client_id, "scopes": scopes, "expires_at": format_utc(expires_at)},
        )
        answer: dict[str, Any] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": state.access_token_ttl_seconds,
            "scope": " ".join(scopes),
        }
        if "offline_access" in scopes:
            refresh_token = secrets.token_urlsafe(32)
            state.refresh_tokens.add(
                refresh_token, {"company_id": company_id, "client_id": client_id, "scopes": scopes}
            )
            answer["refresh_token"] = refresh_token
        return answer


def parse_scopes(raw: str | None) -> list[str]:
    scopes = (raw or "").split()
    unknown = [scope for scope in scopes if scope not in SUPPORTED_SCOPES]
    if unknown:
        raise OAuthError("invalid_scope", f"Unknown scope(s): {' '.join(unknown)}")
    return scopes or list(DEFAULT_SCOPES)


def _with_query(url: str, params: dict[str, str]) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True) + list(params.items())
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


class AuthorizeRequest:
    """A validated authorization request; `error_redirect` is safe once client and redirect URI are valid."""

    def __init__(self, state: SandboxState, params: dict[str, str]) -> None:
        client_id = params.get("client_id", "")
        client = state.clients.get(client_id)
        redirect_uri = params.get("redirect_uri", "")
        if client is None:
            raise OAuthError("invalid_client", "Unknown client_id.")
        if not redirect_uri or not redirect_uri_allowed(client, redirect_uri):
            raise OAuthError("invalid_request", "The redirect_uri is not registered for this client.")
        self.client = client
        self.redirect_uri = redirect_uri
        self.state_param = params.get("state", "")
        self.params = params
        if params.get("response_type") != "code":
            raise self.error_redirect("unsupported_response_type", "Only response_type=code is supported.")
        self.scopes = self._scopes(params.get("scope"))
        self.code_challenge = params.get("code_challenge") or None
        self.code_challenge_method = params.get("code_challenge_method") or ("plain" if self.code_challenge else None)
        if self.code_challenge_method not in (None, "S256", "plain"):
            raise self.error_redirect("invalid_request", "code_challenge_method must be S256 or plain.")

    def _scopes(self, raw: str | None) -> list[str]:
        try:
            return parse_scopes(raw)
        except OAuthError as exc:
            raise self.error_redirect(exc.error, exc.description) from None

    def error_redirect(self, error: str, description: str) -> RedirectError:
        params = {"error": error, "error_description": description}
        if self.state_param:
            params["state"] = self.state_param
        return RedirectError(_with_query(self.redirect_uri, params))

    def approve(self, state: SandboxState, company_id: str) -> str:
        """Issue a code for the company and return the redirect URL with `code` and `state`."""
        code = secrets.token_urlsafe(24)
        with state.lock:
            state.auth_codes.add(
                code,
                {
                    "client_id": self.client.client_id,
                    "redirect_uri": self.redirect_uri,
                    "company_id": company_id,
                    "scopes": self.scopes,
                    "code_challenge": self.code_challenge,
                    "code_challenge_method": self.code_challenge_method,
                    "expires_at": format_utc(state.now() + AUTH_CODE_TTL),
                },
            )
        params = {"code": code}
        if self.state_param:
            params["state"] = self.state_param
        return _with_query(self.redirect_uri, params)


class RedirectError(Exception):
    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.url = url


def authorize_params_from_url(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# -- HTML login + consent ----------------------------------------------------------------------------------------
_PAGE = """<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Visma eEkonomi sandbox – logga in</title>
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto}}label{{display:block;margin:.6rem 0}}
input[type=email],input[type=password]{{width:100%}}.error{{color:#b00}}</style></head>
<body><h1>Visma eEkonomi (sandbox)</h1>
<p>Appen <strong>{client}</strong> vill komma åt ditt företag med behörigheterna: <code>{scopes}</code></p>
{error}
<form method="post" action="{action}">
{hidden}
<label>E-post <input type="email" name="username" value="{username}" required></label>
<label>Lösenord <input type="password" name="password" required></label>
<button type="submit" name="decision" value="allow">Logga in och godkänn</button>
<button type="submit" name="decision" value="deny" formnovalidate>Neka</button>
</form><p><small>Testmiljö: inloggning {hint}.</small></p></body></html>"""

_AUTHORIZE_FIELDS = (
    "client_id",
    "redirect_uri",
    "response_type",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _login_page(request: Request, auth: AuthorizeRequest, error: str = "", username: str = "") -> HTMLResponse:
    from fakturabro.sandbox.seed import SEED_USER_EMAIL, SEED_USER_PASSWORD

    hidden = "\n".join(
        f'<input type="hidden" name="{name}" value="{html.escape(auth.params[name])}">'
        for name in _AUTHORIZE_FIELDS
        if name in auth.params
    )
    page = _PAGE.format(
        client=html.escape(auth.client.client_id),
        scopes=html.escape(" ".join(auth.scopes)),
        error=f'<p class="error">{html.escape(error)}</p>' if error else "",
        action=html.escape(str(request.url_for("authorize_submit"))),
        hidden=hidden,
        username=html.escape(username),
        hint=html.escape(f"{SEED_USER_EMAIL} / {SEED_USER_PASSWORD}"),
    )
    return HTMLResponse(page, status_code=401 if error else 200)


def _error_page(error: OAuthError) -> HTMLResponse:
    body = f"<!doctype html><h1>Fel: {html.escape(error.error)}</h1><p>{html.escape(error.description)}</p>"
    return HTMLResponse(body, status_code=400)


@router.get("/authorize", name="authorize")
async def authorize(request: Request, state: StateDep) -> Response:
    try:
        auth = AuthorizeRequest(state, dict(request.query_params))
    except OAuthError as exc:
        return _error_page(exc)
    except RedirectError as redirect:
        return RedirectResponse(redirect.url, status_code=302)
    return _login_page(request, auth)


@router.post("/authorize", name="authorize_submit")
async def authorize_submit(request: Request, state: StateDep) -> Response:
    form = await request.form()
    params = {key: str(value) for key, value in form.items()}
    try:
        auth = AuthorizeRequest(state, params)
    except OAuthError as exc:
        return _error_page(exc)
    except RedirectError as redirect:
        return RedirectResponse(redirect.url, status_code=302)
    if params.get("decision") == "deny":
        return RedirectResponse(auth.error_redirect("access_denied", "The user denied access.").url, 302)
    username = params.get("username", "").strip().lower()
    user = state.users.get(username)
    if user is None or not user.password_matches(params.get("password", "")):
        return _login_page(request, auth, "Fel e-post eller lösenord.", username)
    return RedirectResponse(auth.approve(state, user.company_id), status_code=302)


# -- token endpoint ----------------------------------------------------------------------------------------------
def _authenticate_client(state: SandboxState, request: Request, form: dict[str, str]) -> OAuthClient:
    header = request.headers.get("authorization", "")
    client_id = form.get("client_id", "")
    secret = form.get("client_secret", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip()).decode()
        except ValueError:
            raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from None
        basic_id, _, basic_secret = decoded.partition(":")
        client_id, secret = unquote_plus(basic_id), unquote_plus(basic_secret)
    client = state.clients.get(client_id)
    if client is None or not client.secret_matches(secret):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    return client


def _verify_pkce(record: dict[str, Any], verifier: str | None) -> None:
    challenge = record.get("code_challenge")
    if challenge is None:
        return
    if not verifier:
        raise OAuthError("invalid_grant", "code_verifier is required (PKCE).")
    if record.get("code_challenge_method") == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        computed = verifier
    if not secrets.compare_digest(computed, challenge):
        raise OAuthError("invalid_grant", "The code_verifier does not match the code_challenge.")


def _grant_authorization_code(state: SandboxState, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
    code = form.get("code", "")
    with state.lock:
        record = state.auth_codes.pop(code)  # single use, whatever happens next
    if record is None or record["client_id"] != client.client_id:
        raise OAuthError("invalid_grant", "The authorization code is invalid, expired or already used.")
    if parse_utc(record["expires_at"]) <= state.now():
        raise OAuthError("invalid_grant", "The authorization code has expired.")
    if form.get("redirect_uri", "") != record["redirect_uri"]:
        raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request.")
    _verify_pkce(record, form.get("code_verifier"))
    return issue_tokens(state, client.client_id, record["company_id"], list(record["scopes"]))


def _grant_refresh_token(state: SandboxState, client: OAuthClient, form: dict[str, str]) -> dict[str, Any]:
    token = form.get("refresh_token", "")
    with state.lock:
        record = state.refresh_tokens.get(token)
        if record is None or record["client_id"] != client.client_id:
            raise OAuthError("invalid_grant", "The refresh token is invalid or was already used.")
        state.refresh_tokens.pop(token)  # rotation: a used refresh token dies
        scopes = list(record["scopes"])
        requested = form.get("scope")
        if requested:
            narrowed = parse_scopes(requested)
            if not set(narrowed) <= set(scopes):
                raise OAuthError("invalid_scope", "A refresh cannot widen the granted scopes.")
            scopes = narrowed
        return issue_tokens(state, client.client_id, record["company_id"], scopes)


@router.post("/token", name="token")
async def token(request: Request, state: StateDep) -> JSONResponse:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("application/x-www-form-urlencoded"):
        return OAuthError("invalid_request", "The token request must be form-encoded.").response()
    form = {key: str(value) for key, value in (await request.form()).items()}
    try:
        client = _authenticate_client(state, request, form)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            answer = _grant_authorization_code(state, client, form)
        elif grant_type == "refresh_token":
            answer = _grant_refresh_token(state, client, form)
        else:
            raise OAuthError("unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
    except OAuthError as exc:
        return exc.response()
    return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
