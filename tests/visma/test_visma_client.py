import bisect
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from structlog.testing import capture_logs

from fakturabro.visma import wire
from fakturabro.visma.client import VismaClient
from fakturabro.visma.errors import (
    VismaPaginationError,
    VismaRateLimited,
    VismaTimeoutAfterSend,
    VismaUnavailable,
    VismaValidationError,
)
from fakturabro.visma.models import Customer, CustomerInvoiceDraft, CustomerInvoiceDraftRow
from fakturabro.visma.pacing import TokenBucketPacer

RATE_LIMITED = {
    "ErrorCode": 4010,
    "DeveloperErrorMessage": "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 7 seconds.",
    "ErrorId": "e-429",
}
TERMS = "11111111-1111-1111-1111-111111111111"


class Script:
    """Answers requests from a list of responses (or exceptions) and records what was sent."""

    def __init__(self, *answers: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        if callable(answer):
            return answer(request)
        return answer


def client_for(script: Script, **kwargs: object) -> tuple[VismaClient, list[float]]:
    sleeps: list[float] = []
    http = httpx.Client(transport=httpx.MockTransport(script))
    client = VismaClient(
        http,
        "https://visma.test/v2/",
        sleep=sleeps.append,
        rng=random.Random(1),
        **kwargs,  # type: ignore[arg-type]
    )
    return client, sleeps


def customer_json(number: str = "1001") -> dict[str, object]:
    return {
        "Id": str(uuid4()),
        "CustomerNumber": number,
        "Name": "Anna Andersson",
        "IsPrivatePerson": True,
        "IsActive": True,
        "TermsOfPaymentId": TERMS,
        "InvoicePostalCode": "11122",
        "InvoiceCity": "Stockholm",
        "SomethingNew": "ignored",
    }


def page(data: list[object], current: int, total: int) -> httpx.Response:
    meta = {
        "CurrentPage": current,
        "PageSize": 2,
        "TotalNumberOfPages": total,
        "TotalNumberOfResults": total * 2,
        "ServerTimeUtc": f"2026-11-24T12:00:0{current}Z",
    }
    return httpx.Response(200, json={"Meta": meta, "Data": data})


def new_customer() -> Customer:
    return Customer(
        customer_number="1001",
        name="Anna Andersson",
        is_private_person=True,
        terms_of_payment_id=UUID(TERMS),
        invoice_postal_code="11122",
        invoice_city="Stockholm",
    )


def test_get_is_retried_on_server_errors_with_growing_backoff() -> None:
    script = Script(httpx.Response(503), httpx.ReadTimeout("slow"), httpx.Response(200, json=customer_json()))
    client, sleeps = client_for(script)
    customer = client.get_customer(uuid4())
    assert customer.name == "Anna Andersson"
    assert len(script.requests) == 3
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5
    assert 0.5 <= sleeps[1] <= 1.0


def test_get_gives_up_after_max_retries() -> None:
    script = Script(*[httpx.Response(500) for _ in range(3)])
    client, sleeps = client_for(script, max_retries=2)
    with pytest.raises(VismaUnavailable):
        client.get_company_settings()
    assert len(script.requests) == 3
    assert len(sleeps) == 2


def test_validation_error_is_not_retried() -> None:
    script = Script(httpx.Response(400, json={"ErrorCode": 4002, "DeveloperErrorMessage": "InvoiceCity missing"}))
    client, sleeps = client_for(script)
    with pytest.raises(VismaValidationError) as caught:
        client.create_customer(new_customer())
    assert caught.value.error_code == 4002
    assert sleeps == []


def test_post_is_not_retried_on_server_error() -> None:
    script = Script(httpx.Response(500))
    client, sleeps = client_for(script)
    with pytest.raises(VismaUnavailable) as caught:
        client.create_customer(new_customer())
    assert caught.value.may_have_executed
    assert len(script.requests) == 1
    assert sleeps == []


def test_post_whose_answer_is_lost_is_not_retried_and_says_so() -> None:
    script = Script(httpx.ReadTimeout("answer lost"))
    client, _ = client_for(script)
    with pytest.raises(VismaTimeoutAfterSend) as caught:
        client.create_customer_invoice_draft(CustomerInvoiceDraft(customer_id=uuid4()))
    assert caught.value.may_have_executed
    assert len(script.requests) == 1


def test_post_is_retried_after_429_with_visma_delay() -> None:
    created = customer_json()
    script = Script(httpx.Response(429, json=RATE_LIMITED), httpx.Response(201, json=created))
    client, sleeps = client_for(script)
    customer = client.create_customer(new_customer())
    assert str(customer.id) == created["Id"]
    assert len(script.requests) == 2
    assert len(sleeps) == 1
    assert 7 <= sleeps[0] < 8


def test_post_is_retried_when_the_connection_never_opened() -> None:
    script = Script(httpx.ConnectError("refused"), httpx.Response(201, json=customer_json()))
    client, sleeps = client_for(script)
    client.create_customer(new_customer())
    assert len(script.requests) == 2
    assert len(sleeps) == 1


def test_too_long_a_wait_is_left_to_the_caller() -> None:
    body = dict(RATE_LIMITED, DeveloperErrorMessage="Quota exceeded. Try again in 600 seconds.")
    client, sleeps = client_for(Script(httpx.Response(429, json=body)), max_retry_after=120)
    with pytest.raises(VismaRateLimited) as caught:
        client.get_company_settings()
    assert caught.value.retry_after_seconds == 600
    assert sleeps == []


def test_pagination_reads_all_pages_and_keeps_first_server_time() -> None:
    script = Script(
        page([customer_json("1"), customer_json("2")], 1, 3),
        page([customer_json("3"), customer_json("4")], 2, 3),
        page([customer_json("5")], 3, 3),
    )
    client, _ = client_for(script, page_size=2)
    listing = client.list_customers()
    assert [c.customer_number for c in listing.items] == ["1", "2", "3", "4", "5"]
    assert listing.server_time_utc == datetime(2026, 11, 24, 12, 0, 1, tzinfo=UTC)
    assert [r.url.params["$page"] for r in script.requests] == ["1", "2", "3"]
    assert {r.url.params["$pagesize"] for r in script.requests} == {"2"}


def test_pagination_guard_same_page_twice() -> None:
    same = [customer_json("1"), customer_json("2")]
    script = Script(page(same, 1, 5), lambda r: page(same, 2, 5))
    client, _ = client_for(script)
    with pytest.raises(VismaPaginationError):
        client.list_customers()


def test_pagination_guard_ignored_page_number() -> None:
    script = Script(page([customer_json("1")], 1, 5), page([customer_json("2")], 1, 5))
    client, _ = client_for(script)
    with pytest.raises(VismaPaginationError):
        client.list_customers()


def test_pagination_guard_page_count_without_end() -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        n = int(request.url.params["$page"])
        return page([customer_json(str(n))], n, n + 1)  # always one more page

    script = Script(*[endless] * 10)
    client, _ = client_for(script, max_pages=5)
    with pytest.raises(VismaPaginationError):
        client.list_customers()
    assert len(script.requests) == 5


def test_find_customer_by_number_uses_odata_filter_and_checks_the_answer() -> None:
    script = Script(page([customer_json("10011")], 1, 1))
    client, _ = client_for(script)
    assert client.find_customer_by_number("O'Brien") is None
    assert script.requests[0].url.params["$filter"] == "CustomerNumber eq 'O''Brien'"


def test_modified_since_is_sent_as_utc() -> None:
    script = Script(page([], 1, 0))
    client, _ = client_for(script)
    listing = client.list_customer_invoices(modified_since=datetime(2026, 11, 24, 13, 0, tzinfo=UTC))
    assert listing.items == []
    assert script.requests[0].url.params["modifiedSinceUtc"] == "2026-11-24T13:00:00Z"


def test_decimal_round_trip_is_exact() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        body = wire.loads(request.content)
        body["Id"] = str(uuid4())
        body["Rows"][0]["Amount"] = body["Rows"][0]["UnitPrice"] + body["Rows"][1]["UnitPrice"]
        return httpx.Response(201, content=wire.dumps(body))

    script = Script(echo)
    client, _ = client_for(script)
    draft = CustomerInvoiceDraft(
        customer_id=uuid4(),
        rows=[
            CustomerInvoiceDraftRow(text="a", unit_price=Decimal("0.1"), quantity=Decimal("1")),
            CustomerInvoiceDraftRow(text="b", unit_price=Decimal("0.2"), quantity=Decimal("1.000")),
        ],
    )
    created = client.create_customer_invoice_draft(draft)
    sent = script.requests[0].content.decode()
    assert '"UnitPrice":0.1' in sent
    assert '"Quantity":1.000' in sent
    assert created.rows is not None
    assert created.rows[0].amount == Decimal("0.3")
    assert created.rows[1].quantity == Decimal("1.000")


def test_wire_refuses_floats_and_reads_numbers_as_decimal() -> None:
    with pytest.raises(TypeError):
        wire.dumps({"Amount": 0.1})
    assert wire.loads('{"A": 123456789.123456789}')["A"] == Decimal("123456789.123456789")
    assert json.loads(wire.dumps({"A": Decimal("1E+2")})) == {"A": 100}


def test_token_bucket_paces_each_endpoint_at_its_rate() -> None:
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    pacer = TokenBucketPacer(600, headroom=0, clock=lambda: now[0], sleep=sleep)
    for _ in range(601):
        pacer.acquire("/customers")
    pacer.acquire("/articles")  # another endpoint has its own bucket
    assert now[0] == pytest.approx(60.0)
    assert len(sleeps) == 600


def test_token_bucket_default_headroom_stays_under_the_limit() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    pacer = TokenBucketPacer(clock=lambda: now[0], sleep=sleep)
    sent_at = []
    for _ in range(1200):
        pacer.acquire("/customerinvoicedrafts")
        sent_at.append(now[0])
    busiest = max(bisect.bisect_left(sent_at, start + 60) - i for i, start in enumerate(sent_at))
    assert 570 <= busiest <= 600


def test_client_acquires_the_pacer_per_path_template() -> None:
    keys: list[str] = []

    class Recording:
        def acquire(self, endpoint_key: str) -> None:
            keys.append(endpoint_key)

    script = Script(httpx.Response(200, json=customer_json()), httpx.Response(200, json=customer_json()))
    client, _ = client_for(script, pacer=Recording())
    client.get_customer(uuid4())
    client.get_customer(uuid4())
    assert keys == ["/customers/{customer_id}", "/customers/{customer_id}"]


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**12), max_value=10**12, places=4))
def test_any_amount_survives_the_wire_exactly(amount: Decimal) -> None:
    back = wire.loads(wire.dumps({"Amount": amount}))["Amount"]
    assert back == amount
    assert isinstance(back, Decimal | int)


def test_logs_carry_no_tokens_or_bodies() -> None:
    secret_token = "eyJ-very-secret-access-token"

    def handle(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == f"Bearer {secret_token}"
        return httpx.Response(201, json=customer_json())

    http = httpx.Client(transport=httpx.MockTransport(handle), headers={"Authorization": f"Bearer {secret_token}"})
    client = VismaClient(http, "https://visma.test/v2")
    with capture_logs() as logs:
        client.create_customer(new_customer())
    assert logs == [
        {
            "event": "visma.request",
            "log_level": "info",
            "method": "POST",
            "path": "/customers",
            "status": 201,
            "duration_ms": logs[0]["duration_ms"],
            "attempt": 0,
            "failure": None,
        }
    ]
    assert secret_token not in repr(logs)
