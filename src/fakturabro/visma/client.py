"""The HTTP client for Visma eAccounting API v2: typed methods named like the API's resources.

The `httpx.Client` comes from outside (with `VismaAuth` attached in production, a `MockTransport` or the sandbox
in tests); this class adds pacing, error mapping, retries and pagination on top of it.

Retries are a small loop rather than tenacity: whether to retry depends on the HTTP method *and* the error kind
*and* a delay the server sends in its message, which reads more plainly as twenty lines here than as a stack of
tenacity predicates. Reads are retried on retriable errors; writes are never retried blindly, because Visma has
no idempotency keys: only a 429 (which provably did not execute) or a failure before the request left us is
retried. Everything else is raised for the caller to reconcile; durable retries belong to the workflow layer.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote, urlsplit
from uuid import UUID

import httpx
import structlog

from fakturabro.visma import wire
from fakturabro.visma.errors import (
    VismaError,
    VismaPaginationError,
    VismaProtocolError,
    VismaRateLimited,
    error_from_response,
    error_from_transport,
)
from fakturabro.visma.models import (
    AppStoreActivationStatus,
    Article,
    ArticleAccountCoding,
    BankAccount,
    CompanySettings,
    Customer,
    CustomerInvoice,
    CustomerInvoiceDraft,
    CustomerInvoiceDraftValidation,
    CustomerLedgerItem,
    CustomerLedgerItemWithVoucher,
    ElectronicInvoiceRequest,
    FiscalYear,
    InvoiceEmail,
    InvoicePayment,
    InvoiceUrl,
    PaginationMeta,
    PartnerResourceLink,
    TermsOfPayment,
    Unit,
    VatCode,
    VismaModel,
    Voucher,
)
from fakturabro.visma.pacing import NoPacing, RatePacer

log = structlog.get_logger("fakturabro.visma.client")

M = TypeVar("M", bound=VismaModel)

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Visma documents `$pagesize` with a default of 50; 1000 is the largest size reported to work (unconfirmed).
# The iterator trusts `Meta`, so a server that caps the size lower is still paged correctly.
DEFAULT_PAGE_SIZE = 1000
# The invoice PDF is fetched from the URL Visma gives (its file storage, possibly another host).
PDF_DOWNLOAD_TIMEOUT_SECONDS = 30.0
_PDF_PATH = "/customerinvoices/{invoice_id}/pdf"


@dataclass(frozen=True)
class Page(Generic[M]):
    items: list[M]
    meta: PaginationMeta


@dataclass(frozen=True)
class Listing(Generic[M]):
    """All items of a list, and Visma's clock when the listing started: the safe upper bound for a cursor."""

    items: list[M]
    server_time_utc: datetime


def odata_string(value: str) -> str:
    """An OData string literal: single quotes, with embedded quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def utc_timestamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("a cursor time must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class VismaClient:
    def __init__(
        self,
        http: httpx.Client,
        base_url: str,
        *,
        pacer: RatePacer | None = None,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_retry_after: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        max_pages: int = 10_000,
    ) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._pacer: RatePacer = pacer or NoPacing()
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_retry_after = max_retry_after
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._page_size = page_size
        self._max_pages = max_pages

    # --- transport ---------------------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_template: str,
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, str | int | bool] | None = None,
        body: VismaModel | None = None,
    ) -> Any:
        """Send one call (with pacing and retries) and return the decoded JSON, Decimal for non-integers."""
        path = path_template.format(**{k: quote(str(v), safe="") for k, v in (path_params or {}).items()})
        content = wire.dumps(body.to_visma()) if body is not None else None
        headers = {"Accept": "application/json"}
        if content is not None:
            headers["Content-Type"] = "application/json"
        query = {k: _query_value(v) for k, v in (params or {}).items()}
        attempt = 0
        while True:
            self._pacer.acquire(path_template)
            outcome, sent = self._attempt(method, path_template, path, query, content, headers, attempt)
            if isinstance(outcome, httpx.Response):
                return _decode(outcome, method, path_template)
            error = outcome
            if attempt >= self._max_retries or not self._should_retry(error, method, sent):
                raise error
            delay = self._delay(error, attempt)
            if delay is None:
                raise error
            log.warning("visma.retry", method=method, path=path_template, attempt=attempt + 1, delay_s=delay)
            self._sleep(delay)
            attempt += 1

    def _attempt(
        self,
        method: str,
        path_template: str,
        path: str,
        query: dict[str, str],
        content: str | None,
        headers: dict[str, str],
        attempt: int,
    ) -> tuple[httpx.Response | VismaError, bool]:
        """One try. Returns the successful response, or the error and whether the request reached Visma."""
        started = time.perf_counter()
        try:
            response = self._http.request(method, self._base_url + path, params=query, content=content, headers=headers)
        except httpx.TransportError as exc:
            error = error_from_transport(exc, method=method, path=path_template)
            self._log(method, path_template, None, started, attempt, type(exc).__name__)
            return error, error.may_have_executed
        except VismaError as exc:
            # Raised by VismaAuth while getting a token: the API request itself was never executed.
            self._log(method, path_template, None, started, attempt, type(exc).__name__)
            return exc, False
        self._log(method, path_template, response.status_code, started, attempt, None)
        if response.is_success:
            return response, True
        return error_from_response(response, path=path_template), True

    @staticmethod
    def _log(method: str, path: str, status: int | None, started: float, attempt: int, failure: str | None) -> None:
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        log.info(
            "visma.request",
            method=method,
            path=path,
            status=status,
            duration_ms=duration_ms,
            attempt=attempt,
            failure=failure,
        )

    @staticmethod
    def _should_retry(error: VismaError, method: str, sent: bool) -> bool:
        if not error.retriable:
            return False
        # A write is retried only when it provably did not execute: a 429, or it never reached Visma.
        return method in _SAFE_METHODS or isinstance(error, VismaRateLimited) or not sent

    def _delay(self, error: VismaError, attempt: int) -> float | None:
        backoff = min(self._backoff_cap, self._backoff_base * 2**attempt)
        if isinstance(error, VismaRateLimited) and error.retry_after_seconds is not None:
            if error.retry_after_seconds > self._max_retry_after:
                return None  # too long to block a worker; the caller reschedules
            # Visma's own delay, plus a little jitter so paced workers do not return in lockstep.
            return error.retry_after_seconds + self._rng.uniform(0, min(1.0, backoff))
        return self._rng.uniform(backoff / 2, backoff)

    # --- pagination --------------------------------------------------------------------------------------------

    def pages(
        self,
        path_template: str,
        model: type[M],
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, str | int | bool] | None = None,
    ) -> Iterator[Page[M]]:
        """Every page of a list endpoint, in order, with guards against a server that pages in circles."""
        page_number = 1
        previous_data: list[Any] | None = None
        while True:
            if page_number > self._max_pages:
                raise VismaPaginationError(
                    f"more than {self._max_pages} pages from {path_template}", path=path_template
                )
            query = {**(params or {}), "$page": page_number, "$pagesize": self._page_size}
            raw = self.request("GET", path_template, path_params=path_params, params=query)
            meta, data = _page_parts(raw, path_template)
            if meta.current_page != page_number:
                raise VismaPaginationError(
                    f"asked {path_template} for page {page_number}, got page {meta.current_page}",
                    path=path_template,
                )
            if data and data == previous_data:
                raise VismaPaginationError(f"{path_template} returned the same page twice", path=path_template)
            yield Page(items=[model.model_validate(item) for item in data], meta=meta)
            if not data or page_number >= meta.total_number_of_pages:
                return
            previous_data = data
            page_number += 1

    def list_all(
        self,
        path_template: str,
        model: type[M],
        *,
        path_params: Mapping[str, object] | None = None,
        params: Mapping[str, str | int | bool] | None = None,
    ) -> Listing[M]:
        items: list[M] = []
        server_time: datetime | None = None
        for page in self.pages(path_template, model, path_params=path_params, params=params):
            if server_time is None:
                server_time = page.meta.server_time_utc
            items.extend(page.items)
        assert server_time is not None  # pages() always yields at least one page
        return Listing(items=items, server_time_utc=server_time)

    def _get(self, model: type[M], path_template: str, **path_params: object) -> M:
        return model.model_validate(self.request("GET", path_template, path_params=path_params))

    def _write(
        self,
        method: str,
        model: type[M],
        path_template: str,
        body: VismaModel | None,
        *,
        params: Mapping[str, str | int | bool] | None = None,
        **path_params: object,
    ) -> M:
        raw = self.request(method, path_template, path_params=path_params, params=params, body=body)
        return model.model_validate(raw)

    # --- company ---------------------------------------------------------------------------------------------

    def get_company_settings(self) -> CompanySettings:
        return self._get(CompanySettings, "/companysettings")

    def get_appstore_status(self) -> list[AppStoreActivationStatus]:
        return self.list_all("/appstore/status", AppStoreActivationStatus).items

    def list_bank_accounts(self) -> list[BankAccount]:
        """Needs the `ea:purchase` or `ea:purchase_readonly` scope (not in the default scopes)."""
        return self.list_all("/bankaccounts", BankAccount).items

    def list_terms_of_payments(self) -> list[TermsOfPayment]:
        return self.list_all("/termsofpayments", TermsOfPayment).items

    def list_units(self) -> list[Unit]:
        return self.list_all("/units", Unit).items

    def list_article_account_codings(self) -> list[ArticleAccountCoding]:
        return self.list_all("/articleaccountcodings", ArticleAccountCoding).items

    def list_vat_codes(self) -> list[VatCode]:
        return self.list_all("/vatcodes", VatCode).items

    def list_fiscal_years(self) -> list[FiscalYear]:
        return self.list_all("/fiscalyears", FiscalYear).items

    # --- customers --------------------------------------------------------------------------------------------

    def list_customers(self, *, odata_filter: str | None = None) -> Listing[Customer]:
        params = {"$filter": odata_filter} if odata_filter else None
        return self.list_all("/customers", Customer, params=params)

    def customer_pages(self, *, changed_since: datetime | None = None) -> Iterator[Page[Customer]]:
        """The customers page by page (a company may have tens of thousands), or those changed after
        ``changed_since`` (by ``ChangedUtc``, filtered here again as `list_articles` does)."""
        if changed_since is None:
            yield from self.pages("/customers", Customer)
            return
        params = {"$filter": f"ChangedUtc gt {odata_string(utc_timestamp(changed_since))}"}
        for page in self.pages("/customers", Customer, params=params):
            changed = [c for c in page.items if c.changed_utc is None or c.changed_utc > changed_since]
            yield Page(items=changed, meta=page.meta)

    def article_pages(self) -> Iterator[Page[Article]]:
        return self.pages("/articles", Article)

    def find_customer_by_number(self, customer_number: str) -> Customer | None:
        listing = self.list_customers(odata_filter=f"CustomerNumber eq {odata_string(customer_number)}")
        # Compare again here: a server that ignores or loosens the filter must not hand us the wrong customer.
        return next((c for c in listing.items if c.customer_number == customer_number), None)

    def get_customer(self, customer_id: UUID) -> Customer:
        return self._get(Customer, "/customers/{customer_id}", customer_id=customer_id)

    def create_customer(self, customer: Customer) -> Customer:
        return self._write("POST", Customer, "/customers", customer)

    def update_customer(self, customer_id: UUID, customer: Customer) -> Customer:
        return self._write("PUT", Customer, "/customers/{customer_id}", customer, customer_id=customer_id)

    # --- articles ---------------------------------------------------------------------------------------------

    def list_articles(self, *, changed_since: datetime | None = None) -> Listing[Article]:
        """All articles, or those changed after `changed_since` (by `ChangedUtc`).

        The spec lists no query parameter for this; Visma's OData `$filter` on `ChangedUtc` is reported to work
        (unconfirmed), and the result is filtered here as well so the answer is right either way.
        """
        if changed_since is None:
            return self.list_all("/articles", Article)
        params = {"$filter": f"ChangedUtc gt {odata_string(utc_timestamp(changed_since))}"}
        listing = self.list_all("/articles", Article, params=params)
        changed = [a for a in listing.items if a.changed_utc is None or a.changed_utc > changed_since]
        return Listing(items=changed, server_time_utc=listing.server_time_utc)

    def find_article_by_number(self, number: str) -> Article | None:
        listing = self.list_all("/articles", Article, params={"$filter": f"Number eq {odata_string(number)}"})
        return next((a for a in listing.items if a.number == number), None)

    def get_article(self, article_id: UUID) -> Article:
        return self._get(Article, "/articles/{article_id}", article_id=article_id)

    def create_article(self, article: Article) -> Article:
        return self._write("POST", Article, "/articles", article)

    def update_article(self, article_id: UUID, article: Article) -> Article:
        return self._write("PUT", Article, "/articles/{article_id}", article, article_id=article_id)

    # --- customer invoice drafts ----------------------------------------------------------------------------

    def create_customer_invoice_draft(
        self, draft: CustomerInvoiceDraft, *, override_customer_is_private_person: bool = False
    ) -> CustomerInvoiceDraft:
        params = {"overrideCustomerIsPrivatePerson": True} if override_customer_is_private_person else None
        return self._write("POST", CustomerInvoiceDraft, "/customerinvoicedrafts", draft, params=params)

    def get_customer_invoice_draft(self, draft_id: UUID) -> CustomerInvoiceDraft:
        return self._get(CustomerInvoiceDraft, "/customerinvoicedrafts/{draft_id}", draft_id=draft_id)

    def list_customer_invoice_drafts(self, *, odata_filter: str | None = None) -> Listing[CustomerInvoiceDraft]:
        """All drafts, or those matching an OData filter, e.g. `f"ContractNumber eq {odata_string(marker)}"`."""
        params = {"$filter": odata_filter} if odata_filter else None
        return self.list_all("/customerinvoicedrafts", CustomerInvoiceDraft, params=params)

    def update_customer_invoice_draft(self, draft_id: UUID, draft: CustomerInvoiceDraft) -> CustomerInvoiceDraft:
        return self._write("PUT", CustomerInvoiceDraft, "/customerinvoicedrafts/{draft_id}", draft, draft_id=draft_id)

    def delete_customer_invoice_draft(self, draft_id: UUID) -> None:
        self.request("DELETE", "/customerinvoicedrafts/{draft_id}", path_params={"draft_id": draft_id})

    def convert_customer_invoice_draft(
        self,
        draft_id: UUID,
        expected: CustomerInvoiceDraftValidation | None = None,
        *,
        keep_original_draft_date: bool = False,
    ) -> CustomerInvoice:
        """Turn a draft into a bookkept invoice; Visma gives it its number and checks `expected` totals."""
        params = {"keepOriginalDraftDate": True} if keep_original_draft_date else None
        return self._write(
            "POST",
            CustomerInvoice,
            "/customerinvoicedrafts/{draft_id}/convert",
            expected or CustomerInvoiceDraftValidation(),
            params=params,
            draft_id=draft_id,
        )

    # --- customer invoices ----------------------------------------------------------------------------------

    def get_customer_invoice(self, invoice_id: UUID) -> CustomerInvoice:
        return self._get(CustomerInvoice, "/customerinvoices/{invoice_id}", invoice_id=invoice_id)

    def customer_invoice_pages(self, *, modified_since: datetime | None = None) -> Iterator[Page[CustomerInvoice]]:
        """Invoices page by page, for imports that apply and move their cursor one page at a time."""
        params = {"modifiedSinceUtc": utc_timestamp(modified_since)} if modified_since else None
        return self.pages("/customerinvoices", CustomerInvoice, params=params)

    def list_customer_invoices(
        self, *, modified_since: datetime | None = None, odata_filter: str | None = None
    ) -> Listing[CustomerInvoice]:
        params: dict[str, str | int | bool] = {}
        if modified_since is not None:
            params["modifiedSinceUtc"] = utc_timestamp(modified_since)
        if odata_filter:
            params["$filter"] = odata_filter
        return self.list_all("/customerinvoices", CustomerInvoice, params=params)

    def create_customer_invoice(
        self, invoice: CustomerInvoice, *, rot_reduced_automatic_distribution: bool = False
    ) -> CustomerInvoice:
        params = {"rotReducedAutomaticDistribution": True} if rot_reduced_automatic_distribution else None
        return self._write("POST", CustomerInvoice, "/customerinvoices", invoice, params=params)

    def create_customer_invoice_payment(self, invoice_id: UUID, payment: InvoicePayment) -> InvoicePayment:
        return self._write(
            "POST", InvoicePayment, "/customerinvoices/{invoice_id}/payments", payment, invoice_id=invoice_id
        )

    def email_customer_invoice(
        self,
        invoice_id: UUID,
        *,
        to: str | None = None,
        cc: list[str] | None = None,
        subject: str | None = None,
        message: str | None = None,
    ) -> None:
        """Have Visma e-mail a bookkept invoice. What is None takes Visma's default: the customer's e-mail
        address and CC addresses (an empty ``cc`` too), the company's subject and text; `####` in ``subject``
        becomes the invoice number. A POST: once sent it is not retried (a lost answer may hide a sent mail)."""
        body = InvoiceEmail(email=to, cc_recipients=cc, subject=subject, message=message)
        self.request("POST", "/customerinvoices/{invoice_id}/email", path_params={"invoice_id": invoice_id}, body=body)

    def einvoice_customer_invoice(self, invoice_id: UUID, send_type: int = 1) -> None:
        """Have Visma send a bookkept invoice through Autoinvoice; ``send_type`` as `ElectronicInvoiceRequest`
        (1 e-invoice to the customer's electronic address, 2 print and post, 3 B2C, 4 Kivra). Not retried once
        sent, like every write."""
        body = ElectronicInvoiceRequest(send_type=send_type)
        self.request(
            "POST", "/customerinvoices/{invoice_id}/einvoice", path_params={"invoice_id": invoice_id}, body=body
        )

    def customer_invoice_pdf(self, invoice_id: UUID) -> bytes:
        """The invoice as Visma's PDF: ask Visma for its URL, then download it from there.

        The download goes through the same `httpx.Client` (its transport, proxies, TLS settings) but without
        the bearer token (``auth=None``): the URL may be on another host and carries its own credential. It is
        not paced (not an API call) and not retried here; failures are `VismaError`s as for API calls.
        """
        raw = self.request("GET", _PDF_PATH, path_params={"invoice_id": invoice_id})
        if not isinstance(raw, dict):
            raise VismaProtocolError(f"GET {_PDF_PATH} did not answer with an InvoiceUrlApi", path=_PDF_PATH)
        url = InvoiceUrl.model_validate(raw).url
        if not url or urlsplit(url).scheme not in ("http", "https"):
            raise VismaProtocolError(f"GET {_PDF_PATH} answered without a usable Url", path=_PDF_PATH)
        return self._download_pdf(url)

    def _download_pdf(self, url: str) -> bytes:
        path = f"{_PDF_PATH} (download)"  # the URL itself is never logged: it is a credential
        started = time.perf_counter()
        try:
            request = self._http.build_request(
                "GET", url, headers={"Accept": "application/pdf"}, timeout=PDF_DOWNLOAD_TIMEOUT_SECONDS
            )
            response = self._http.send(request, auth=None, follow_redirects=True)
        except httpx.TransportError as exc:
            self._log("GET", path, None, started, 0, type(exc).__name__)
            raise error_from_transport(exc, method="GET", path=path) from exc
        self._log("GET", path, response.status_code, started, 0, None)
        if not response.is_success:
            raise error_from_response(response, path=path)
        if not response.content.startswith(b"%PDF-"):
            raise VismaProtocolError(
                f"the invoice PDF download answered {response.status_code} with something that is not a PDF",
                status=response.status_code,
                method="GET",
                path=path,
            )
        return response.content

    # --- ledger and vouchers -------------------------------------------------------------------------------

    def list_customer_ledger_items(self, *, odata_filter: str | None = None) -> Listing[CustomerLedgerItem]:
        """All ledger items, or those matching an OData filter, e.g. `InvoiceNumber eq 1042`."""
        params = {"$filter": odata_filter} if odata_filter else None
        return self.list_all("/customerledgeritems", CustomerLedgerItem, params=params)

    def customer_ledger_item_pages(
        self, *, modified_since: datetime | None = None
    ) -> Iterator[Page[CustomerLedgerItem]]:
        """Ledger items page by page. The spec has no `modifiedSinceUtc` here, so a `$filter` on the modification
        time narrows the listing (Visma's OData support for it is unconfirmed: callers re-check `modified_utc`)."""
        params = None
        if modified_since is not None:
            params = {"$filter": f"ModifiedUtc ge {odata_string(utc_timestamp(modified_since))}"}
        return self.pages("/customerledgeritems", CustomerLedgerItem, params=params)

    def get_customer_ledger_item(self, item_id: UUID) -> CustomerLedgerItem:
        return self._get(CustomerLedgerItem, "/customerledgeritems/{item_id}", item_id=item_id)

    def create_customer_ledger_item_with_voucher(
        self, item: CustomerLedgerItemWithVoucher, *, use_default_voucher_series: bool = True
    ) -> CustomerLedgerItem:
        return self._write(
            "POST",
            CustomerLedgerItem,
            "/customerledgeritems/customerledgeritemswithvoucher",
            item,
            params={"useDefaultVoucherSeries": use_default_voucher_series},
        )

    def list_vouchers(self, *, fiscal_year_id: UUID | None = None) -> Listing[Voucher]:
        if fiscal_year_id is None:
            return self.list_all("/vouchers", Voucher)
        return self.list_all("/vouchers/{fiscal_year_id}", Voucher, path_params={"fiscal_year_id": fiscal_year_id})

    def get_voucher(self, fiscal_year_id: UUID, voucher_id: UUID) -> Voucher:
        return self._get(
            Voucher, "/vouchers/{fiscal_year_id}/{voucher_id}", fiscal_year_id=fiscal_year_id, voucher_id=voucher_id
        )

    def create_voucher(self, voucher: Voucher, *, use_default_voucher_series: bool = True) -> Voucher:
        params = {"useDefaultVoucherSeries": use_default_voucher_series}
        return self._write("POST", Voucher, "/vouchers", voucher, params=params)

    # --- links back to fakturabro ------------------------------------------------------------------------------

    def list_partner_resource_links(self, *, odata_filter: str | None = None) -> Listing[PartnerResourceLink]:
        params = {"$filter": odata_filter} if odata_filter else None
        return self.list_all("/partnerresourcelinks", PartnerResourceLink, params=params)

    def create_partner_resource_link(self, link: PartnerResourceLink) -> PartnerResourceLink:
        return self._write("POST", PartnerResourceLink, "/partnerresourcelinks", link)


def _query_value(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _decode(response: httpx.Response, method: str, path_template: str) -> Any:
    if not response.content:
        return None
    try:
        return wire.loads(response.content)
    except ValueError:
        raise VismaProtocolError(
            f"Visma {method} {path_template} answered {response.status_code} with a body that is not JSON",
            status=response.status_code,
            method=method,
            path=path_template,
        ) from None


def _page_parts(raw: Any, path_template: str) -> tuple[PaginationMeta, list[Any]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("Data"), list) or "Meta" not in raw:
        raise VismaProtocolError(f"{path_template} did not answer with Meta and Data", path=path_template)
    return PaginationMeta.model_validate(raw["Meta"]), raw["Data"]
