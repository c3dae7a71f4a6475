"""The production Visma client against the sandbox over real HTTP: OAuth with PKCE, then the calls export and
payment import make. No mocks of our own client here."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from visma_fakes import FakeClock

from fakturabro.visma.client import VismaClient, odata_string
from fakturabro.visma.errors import OAuthError, VismaTimeoutAfterSend, VismaUnavailable, VismaValidationError
from fakturabro.visma.models import (
    Article,
    Customer,
    CustomerInvoiceDraft,
    CustomerInvoiceDraftRow,
    CustomerInvoiceDraftValidation,
    CustomerLedgerItemWithVoucher,
    InvoicePayment,
    PartnerResourceLink,
    Voucher,
    VoucherRow,
)
from fakturabro.visma.oauth import (
    DEFAULT_SCOPES,
    InMemoryTokenStore,
    Pkce,
    TokenSet,
    VismaAuth,
    VismaConnect,
    VismaConnectConfig,
    new_state,
)
from fakturabro.visma.pacing import TokenBucketPacer

REDIRECT_URI = "http://127.0.0.1:8000/integrations/visma/callback"


@dataclass
class Connected:
    client: VismaClient
    store: InMemoryTokenStore
    connect: VismaConnect
    sleeps: list[float]


def connect_config(sandbox_url: str) -> VismaConnectConfig:
    return VismaConnectConfig(
        client_id="fakturabro-dev",
        client_secret="dev-secret",
        redirect_uri=REDIRECT_URI,
        auth_url=f"{sandbox_url}/connect/authorize",
        token_url=f"{sandbox_url}/connect/token",
        # Bank accounts (only needed here, to register a payment like a bookkeeper) need a purchase scope.
        scopes=(*DEFAULT_SCOPES, "ea:purchase_readonly"),
    )


def authorize(control: httpx.Client, connect: VismaConnect) -> tuple[str, str, Pkce]:
    """Run the user's part of the flow through the sandbox's control API; returns code, state, PKCE."""
    pkce, state = Pkce.generate(), new_state()
    answer = control.post(
        "/authorize", json={"url": connect.authorization_url(state=state, code_challenge=pkce.challenge)}
    )
    assert answer.status_code == 200, answer.text
    redirect = urlsplit(answer.json()["redirect_url"])
    assert f"{redirect.scheme}://{redirect.netloc}{redirect.path}" == REDIRECT_URI
    query = {k: v[0] for k, v in parse_qs(redirect.query).items()}
    return query["code"], query["state"], pkce


@pytest.fixture
def visma(sandbox_url: str, control: httpx.Client, sandbox_clock: FakeClock) -> Connected:
    token_http = httpx.Client(timeout=10)
    connect = VismaConnect(connect_config(sandbox_url), token_http, clock=sandbox_clock)
    code, _, pkce = authorize(control, connect)
    store = InMemoryTokenStore(connect.exchange_code(code, pkce.verifier))
    auth = VismaAuth(store, connect.refresh, clock=sandbox_clock)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        sandbox_clock.advance(seconds)

    http = httpx.Client(auth=auth, timeout=10)
    client = VismaClient(http, f"{sandbox_url}/v2", sleep=sleep)
    return Connected(client=client, store=store, connect=connect, sleeps=sleeps)


def new_customer(client: VismaClient, number: str, *, company: bool = False) -> Customer:
    terms = client.list_terms_of_payments()[0]
    assert terms.id is not None
    return Customer(
        customer_number=number,
        name="Bygg AB" if company else "Anna Andersson",
        is_private_person=not company,
        corporate_identity_number="556677-8899" if company else None,
        terms_of_payment_id=terms.id,
        invoice_address1="Storgatan 1",
        invoice_postal_code="11122",
        invoice_city="Stockholm",
    )


def service_article(client: VismaClient, number: str) -> Article:
    coding = next(c for c in client.list_article_account_codings() if c.vat_rate_percent == Decimal("0.25"))
    unit = client.list_units()[0]
    assert coding.id is not None
    assert unit.id is not None
    return client.create_article(Article(number=number, name=f"Artikel {number}", coding_id=coding.id, unit_id=unit.id))


def test_oauth_code_flow_with_pkce_reaches_the_company(visma: Connected) -> None:
    settings = visma.client.get_company_settings()
    assert settings.name
    assert settings.next_customer_invoice_number is not None
    statuses = visma.client.get_appstore_status()
    assert [s.is_active for s in statuses] == [True]
    tokens = visma.store.load()
    assert tokens is not None
    assert tokens.refresh_token


def test_wrong_pkce_verifier_is_refused(sandbox_url: str, control: httpx.Client) -> None:
    connect = VismaConnect(connect_config(sandbox_url), httpx.Client(timeout=10))
    code, _, _ = authorize(control, connect)
    with pytest.raises(OAuthError) as caught:
        connect.exchange_code(code, Pkce.generate().verifier)
    assert caught.value.oauth_error == "invalid_grant"
    assert caught.value.needs_reconnect


def test_replayed_code_is_refused(sandbox_url: str, control: httpx.Client) -> None:
    connect = VismaConnect(connect_config(sandbox_url), httpx.Client(timeout=10))
    code, _, pkce = authorize(control, connect)
    connect.exchange_code(code, pkce.verifier)
    with pytest.raises(OAuthError):
        connect.exchange_code(code, pkce.verifier)


def test_expired_access_token_is_refreshed_and_rotated(visma: Connected, sandbox_clock: FakeClock) -> None:
    before = visma.store.load()
    assert before is not None
    sandbox_clock.advance(3600 + 1)  # the access token is dead on the sandbox too
    visma.client.get_company_settings()
    after = visma.store.load()
    assert after is not None
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token
    with pytest.raises(OAuthError) as caught:  # the old refresh token is single-use and now spent
        visma.connect.refresh(before.refresh_token or "")
    assert caught.value.needs_reconnect


def test_token_that_stops_working_is_refreshed_on_401_and_replayed(visma: Connected) -> None:
    tokens = visma.store.load()
    assert tokens is not None
    # Pretend our clock believes the token is fine while the sandbox no longer knows it.
    visma.store.save(TokenSet("not-a-token", tokens.refresh_token, tokens.expires_at, tokens.scope))
    assert visma.client.list_units()
    fresh = visma.store.load()
    assert fresh is not None
    assert fresh.access_token not in {"not-a-token", tokens.access_token}


def test_revoked_refresh_token_needs_reconnect(visma: Connected, sandbox_clock: FakeClock) -> None:
    tokens = visma.store.load()
    assert tokens is not None
    visma.connect.refresh(tokens.refresh_token or "")  # someone else used it: ours is now spent
    sandbox_clock.advance(3600 + 1)
    with pytest.raises(OAuthError) as caught:
        visma.client.get_company_settings()
    assert caught.value.needs_reconnect


def test_customer_create_find_update(visma: Connected) -> None:
    client = visma.client
    assert client.find_customer_by_number("9001") is None
    created = client.create_customer(new_customer(client, "9001", company=True))
    assert created.id is not None
    found = client.find_customer_by_number("9001")
    assert found is not None
    assert found.id == created.id
    assert found.is_private_person is False
    updated = client.update_customer(created.id, found.model_copy(update={"invoice_city": "Uppsala"}))
    assert updated.invoice_city == "Uppsala"
    assert client.get_customer(created.id).invoice_city == "Uppsala"


def test_refused_write_is_a_validation_error_with_visma_error_id(visma: Connected) -> None:
    service_article(visma.client, "DUP-1")
    with pytest.raises(VismaValidationError) as caught:
        service_article(visma.client, "DUP-1")  # article numbers are unique in Visma
    assert caught.value.status == 400
    assert caught.value.error_id
    assert not caught.value.retriable


def test_article_create_find_and_changed_since(visma: Connected, sandbox_clock: FakeClock) -> None:
    client = visma.client
    before = client.list_articles().server_time_utc
    sandbox_clock.advance(5)
    article = service_article(client, "MAL-01")
    assert article.id is not None
    found = client.find_article_by_number("MAL-01")
    assert found is not None
    assert found.id == article.id
    assert client.find_article_by_number("NOPE") is None
    changed = client.list_articles(changed_since=before)
    assert [a.number for a in changed.items] == ["MAL-01"]


def test_draft_convert_list_modified_since_and_pay(visma: Connected, sandbox_clock: FakeClock) -> None:
    client = visma.client
    customer = client.create_customer(new_customer(client, "9003"))
    article = service_article(client, "MAL-02")
    assert customer.id is not None
    assert article.id is not None
    cursor = client.list_customer_invoices().server_time_utc
    sandbox_clock.advance(5)

    draft = client.create_customer_invoice_draft(
        CustomerInvoiceDraft(
            customer_id=customer.id,
            your_reference="Anna",
            rows=[
                CustomerInvoiceDraftRow(
                    article_id=article.id, text="Målning hall", unit_price=Decimal("100.10"), quantity=Decimal("3")
                ),
                CustomerInvoiceDraftRow(is_text_row=True, text="Utfört vecka 47"),
            ],
        )
    )
    assert draft.id is not None
    # 3 × 100.10 = 300.30 net, 25 % VAT 75.08 (to the öre), total rounded to whole kronor: 375.
    assert draft.total_amount == Decimal("375")
    assert draft.total_vat_amount == Decimal("75.08")
    assert draft.total_roundings == Decimal("-0.38")
    assert client.get_customer_invoice_draft(draft.id).customer_id == customer.id
    assert draft.id in {d.id for d in client.list_customer_invoice_drafts().items}

    invoice = client.convert_customer_invoice_draft(draft.id)
    assert invoice.id is not None
    assert invoice.invoice_number is not None
    assert invoice.created_from_draft_id == draft.id

    changed = client.list_customer_invoices(modified_since=cursor)
    assert [i.id for i in changed.items] == [invoice.id]
    assert changed.server_time_utc > cursor

    bank = client.list_bank_accounts()[0]
    assert bank.id is not None
    total = invoice.total_amount_invoice_currency or invoice.total_amount
    assert total is not None
    client.create_customer_invoice_payment(
        invoice.id,
        InvoicePayment(
            company_bank_account_id=bank.id,
            payment_date=sandbox_clock().date(),
            payment_amount=total,
            payment_type=InvoicePayment.COMPLETE,
        ),
    )
    paid = client.get_customer_invoice(invoice.id)
    assert paid.remaining_amount == Decimal("0")


def test_convert_refuses_wrong_expected_totals(visma: Connected) -> None:
    client = visma.client
    customer = client.create_customer(new_customer(client, "9004"))
    article = service_article(client, "MAL-03")
    assert customer.id is not None
    draft = client.create_customer_invoice_draft(
        CustomerInvoiceDraft(
            customer_id=customer.id,
            rows=[CustomerInvoiceDraftRow(article_id=article.id, unit_price=Decimal("100"), quantity=Decimal("1"))],
        )
    )
    assert draft.id is not None
    with pytest.raises(VismaValidationError):
        client.convert_customer_invoice_draft(
            draft.id, CustomerInvoiceDraftValidation(total_amount_invoice_currency=Decimal("1"))
        )
    client.delete_customer_invoice_draft(draft.id)
    assert draft.id not in {d.id for d in client.list_customer_invoice_drafts().items}


def test_ledger_item_with_voucher_and_partner_link(visma: Connected, sandbox_clock: FakeClock) -> None:
    client = visma.client
    customer = client.create_customer(new_customer(client, "9005"))
    assert customer.id is not None
    today = sandbox_clock().date()
    item = client.create_customer_ledger_item_with_voucher(
        CustomerLedgerItemWithVoucher(
            customer_id=customer.id,
            invoice_number=5001,
            invoice_date=today,
            due_date=today + timedelta(days=30),
            total_amount_invoice_currency=Decimal("1250.00"),
            remaining_amount_invoice_currency=Decimal("1250.00"),
            vat_amount_invoice_currency=Decimal("250.00"),
            voucher=Voucher(
                voucher_date=today,
                voucher_text="Faktura 5001",
                rows=[
                    VoucherRow(account_number=1510, debit_amount=Decimal("1250.00")),
                    VoucherRow(account_number=3001, credit_amount=Decimal("1000.00")),
                    VoucherRow(account_number=2611, credit_amount=Decimal("250.00")),
                ],
            ),
        )
    )
    assert item.invoice_number == 5001
    assert item.remaining_amount_invoice_currency == Decimal("1250.00")
    assert item.id in {i.id for i in client.list_customer_ledger_items().items}
    assert item.id is not None
    assert client.get_customer_ledger_item(item.id).invoice_number == 5001
    by_number = client.list_customer_ledger_items(odata_filter="InvoiceNumber eq 5001")
    assert [i.id for i in by_number.items] == [item.id]

    link = client.create_partner_resource_link(
        PartnerResourceLink(
            resource_id=customer.id,
            resource_type=PartnerResourceLink.CUSTOMER,
            href="https://fakturabro.example/customers/9005",
            partner_company_name="Demo Bygg & Service AB",
            partner_system_name="fakturabro",
        )
    )
    assert link.id in {x.id for x in client.list_partner_resource_links().items}
    linked = client.list_partner_resource_links(odata_filter=f"ResourceId eq {odata_string(str(customer.id))}")
    assert [x.id for x in linked.items] == [link.id]


def test_rate_limit_429_is_waited_out_with_visma_delay(visma: Connected, control: httpx.Client) -> None:
    assert control.put("/faults", json={"rate_limit_per_minute": 2}).status_code == 200
    control.delete("/requests")
    for _ in range(3):
        visma.client.list_units()
    statuses = [r["status"] for r in control.get("/requests").json()["requests"] if r["path"] == "/v2/units"]
    assert statuses == [200, 200, 429, 200]
    assert len(visma.sleeps) == 1
    assert visma.sleeps[0] >= 1


def test_pacing_keeps_clear_of_the_rate_limit(
    sandbox_url: str, visma: Connected, control: httpx.Client, sandbox_clock: FakeClock
) -> None:
    assert control.put("/faults", json={"rate_limit_per_minute": 6}).status_code == 200
    control.delete("/requests")
    monotonic = [0.0]

    def sleep(seconds: float) -> None:
        monotonic[0] += seconds
        sandbox_clock.advance(seconds)

    pacer = TokenBucketPacer(6, clock=lambda: monotonic[0], sleep=sleep)
    http = httpx.Client(auth=VismaAuth(visma.store, visma.connect.refresh, clock=sandbox_clock), timeout=10)
    client = VismaClient(http, f"{sandbox_url}/v2", pacer=pacer, sleep=sleep)
    for _ in range(15):
        client.list_units()
    statuses = [r["status"] for r in control.get("/requests").json()["requests"] if r["path"] == "/v2/units"]
    assert statuses == [200] * 15


def test_concurrent_workers_refresh_once_and_keep_the_connection(
    sandbox_url: str, visma: Connected, sandbox_clock: FakeClock, control: httpx.Client
) -> None:
    sandbox_clock.advance(3600 + 1)  # every worker finds the access token expired
    control.delete("/requests")
    barrier = threading.Barrier(6)
    failures: list[BaseException] = []

    def worker() -> None:
        # Each worker its own HTTP client, all sharing the company's token store (as threads of one process).
        http = httpx.Client(auth=VismaAuth(visma.store, visma.connect.refresh, clock=sandbox_clock), timeout=10)
        client = VismaClient(http, f"{sandbox_url}/v2")
        try:
            barrier.wait()
            client.list_units()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    token_calls = [r for r in control.get("/requests").json()["requests"] if r["path"] == "/connect/token"]
    assert len(token_calls) == 1
    assert visma.client.get_company_settings().name  # the rotated refresh token is the one stored


def test_lost_answer_to_a_write_is_reported_and_the_marker_finds_the_document(
    sandbox_url: str, visma: Connected, control: httpx.Client
) -> None:
    customer = visma.client.create_customer(new_customer(visma.client, "9006"))
    article = service_article(visma.client, "ARB-1")
    assert customer.id is not None
    assert control.put("/faults", json={"timeout_after_commit_rate": 1, "timeout_after_commit_ms": 1500}).is_success
    impatient = httpx.Client(auth=VismaAuth(visma.store, visma.connect.refresh), timeout=httpx.Timeout(10, read=0.3))
    client = VismaClient(impatient, f"{sandbox_url}/v2", sleep=lambda _: None)
    marker = "fakturabro-1042"
    draft = CustomerInvoiceDraft(
        customer_id=customer.id,
        contract_number=marker,
        rows=[
            CustomerInvoiceDraftRow(
                article_id=article.id, text="Arbete", unit_price=Decimal("500"), quantity=Decimal("1")
            )
        ],
    )
    with pytest.raises(VismaTimeoutAfterSend) as caught:
        client.create_customer_invoice_draft(draft)
    assert caught.value.may_have_executed
    assert control.put("/faults", json={"timeout_after_commit_rate": 0}).is_success
    found = visma.client.list_customer_invoice_drafts(odata_filter=f"ContractNumber eq {odata_string(marker)}")
    assert [d.contract_number for d in found.items] == [marker]  # created once, and found again


def test_injected_server_errors_are_retried_on_reads_only(visma: Connected, control: httpx.Client) -> None:
    customer = new_customer(visma.client, "9007")
    assert control.put("/faults", json={"error_rate": 1}).is_success
    with pytest.raises(VismaUnavailable):
        visma.client.list_units()
    assert len(visma.sleeps) == 4  # the default max_retries, then it gives up
    visma.sleeps.clear()
    with pytest.raises(VismaUnavailable) as caught:
        visma.client.create_customer(customer)
    assert caught.value.may_have_executed
    assert visma.sleeps == []
