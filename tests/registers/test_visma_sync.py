"""Register sync against the Visma sandbox over real HTTP and a migrated database: push and pull articles,
pull and push customers, with previews, conflicts, re-runs and a resumed crash, counting the calls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from fakturabro.bootstrap import Container
from fakturabro.domain.article import ArticleKind
from fakturabro.domain.husavdrag import HouseWorkType
from fakturabro.invoicing.articles import create_article, list_articles
from fakturabro.invoicing.customers import create_customer, list_customers
from fakturabro.invoicing.inputs import ArticleInput, CustomerInput
from fakturabro.registers.plan import Decision
from fakturabro.registers.runs import list_runs
from fakturabro.sandbox.testing import FakeClock, LiveSandbox, live_sandbox
from fakturabro.sync.registers.operations import (
    CountingPacer,
    preview_pull_customers,
    preview_push_articles,
    pull_articles,
    pull_customers,
    push_articles,
    push_customers,
)
from fakturabro.visma.client import VismaClient

SEEDED_ARTICLES = {"8000", "8001", "8002", "8010", "9000", "9001"}


class Visma:
    def __init__(self, sandbox: LiveSandbox) -> None:
        self.sandbox = sandbox
        self.http = httpx.Client(base_url=sandbox.api_url, timeout=30)
        self.http.headers["Authorization"] = f"Bearer {sandbox.token()['access_token']}"
        self.counter = CountingPacer()
        self.client = VismaClient(self.http, sandbox.api_url, pacer=self.counter)

    def get(self, path: str) -> list[dict[str, Any]]:
        response = self.http.get(path, params={"$pagesize": 1000})
        response.raise_for_status()
        data: list[dict[str, Any]] = response.json()["Data"]
        return data

    def articles(self) -> dict[str, dict[str, Any]]:
        return {article["Number"]: article for article in self.get("/articles")}

    def calls(self) -> int:
        total: int = httpx.get(f"{self.sandbox.base_url}/_sandbox/requests", timeout=10).json()["total"]
        return total

    def clear_calls(self) -> None:
        httpx.delete(f"{self.sandbox.base_url}/_sandbox/requests", timeout=10).raise_for_status()


@pytest.fixture
def visma(tmp_path: Path) -> Iterator[Visma]:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with live_sandbox(tmp_path / "sandbox", clock=clock) as sandbox:
        httpx.put(f"{sandbox.base_url}/_sandbox/faults", json={"rate_limit_per_minute": 0}, timeout=10)
        visma = Visma(sandbox)
        yield visma
        visma.http.close()


def add_article(container: Container, company_id: int, number: str, name: str, price: str, **kw: Any) -> None:
    create_article(container.db, company_id, ArticleInput(number=number, name=name, unit_price=Decimal(price), **kw))


def test_push_previews_then_creates_updates_and_reruns_as_noop(
    container: Container, company_id: int, visma: Visma
) -> None:
    db = container.db
    add_article(
        container,
        company_id,
        "8000",
        "Montör",
        "700",
        unit="tim",
        kind=ArticleKind.LABOUR,
        house_work_type=HouseWorkType.BYGG,
    )  # price differs from Visma's 650
    add_article(container, company_id, "9000", "Material", "100", unit="st")  # identical
    add_article(container, company_id, "8001", "Lärling", "500", unit="tim", kind=ArticleKind.LABOUR)  # conflict
    add_article(container, company_id, "7000", "Kabel", "18.50", unit="m", vat_rate=Decimal(25))
    add_article(container, company_id, "7001", "Bok", "200", unit="st", vat_rate=Decimal(6))

    preview = preview_push_articles(db, visma.client, company_id)
    assert preview.counts["create"] == 2
    assert preview.counts["update"] == 1
    assert preview.counts["unchanged"] == 1
    assert [(c.key, c.fields) for c in preview.plan.conflicts] == [("8001", ("name",))]
    assert set(visma.articles()) == SEEDED_ARTICLES  # a preview writes nothing

    visma.clear_calls()
    outcome = push_articles(db, visma.client, company_id, counter=visma.counter)
    # gather (codings, units, one page of articles) + one call per write; the run counts the writes' calls
    assert visma.calls() == 3 + 3
    assert outcome.run.api_calls == 3
    assert outcome.written == 3
    assert outcome.run.status == "succeeded"
    after = visma.articles()
    assert after["8000"]["NetPrice"] == 700
    assert after["8000"]["HouseWorkType"] == 1
    assert after["8001"]["Name"] == "Elektriker"  # the conflict is left for a decision
    assert after["7000"]["UnitAbbreviation"] == "m"
    assert after["7001"]["CodingName"] == next(
        coding["Name"]
        for coding in visma.get("/articleaccountcodings")
        if coding["VatRatePercent"] == 0.06 and coding["Type"] == "Goods"
    )

    again = push_articles(db, visma.client, company_id)
    assert again.written == 0
    assert again.preview.counts["unchanged"] == 4

    decided = push_articles(db, visma.client, company_id, decisions={"8001": Decision.USE_INCOMING})
    assert decided.written == 1
    assert visma.articles()["8001"]["Name"] == "Lärling"


def test_push_crash_midway_resumes_without_duplicates(container: Container, company_id: int, visma: Visma) -> None:
    db = container.db
    for n in range(12):
        add_article(container, company_id, f"50{n:02d}", f"Artikel {n}", "10")

    def crash(done: int, _total: int) -> None:
        if done >= 5:
            raise RuntimeError("the worker died")

    with pytest.raises(RuntimeError):
        push_articles(db, visma.client, company_id, batch_size=5, progress=crash)
    [failed] = list_runs(db, company_id, limit=1)
    assert (failed.status, failed.done) == ("failed", 5)
    assert len([n for n in visma.articles() if n.startswith("50")]) == 5

    resumed = push_articles(db, visma.client, company_id, run_id=failed.id, batch_size=5)
    assert resumed.run.id == failed.id
    assert resumed.written == 7
    assert resumed.preview.counts["unchanged"] == 5  # the five sent before the crash
    assert resumed.run.problems == []
    assert (resumed.run.status, resumed.run.done) == ("succeeded", 12)
    assert len([n for n in visma.articles() if n.startswith("50")]) == 12


def test_unknown_unit_is_that_articles_problem_and_the_rest_go_on(
    container: Container, company_id: int, visma: Visma
) -> None:
    add_article(container, company_id, "7100", "Okänd enhet", "10", unit="fat")
    add_article(container, company_id, "7101", "Känd enhet", "10", unit="st")
    outcome = push_articles(container.db, visma.client, company_id)
    assert outcome.written == 1
    assert [(p["key"], "Enheten" in str(p["reason"])) for p in outcome.run.problems] == [("7100", True)]
    assert "7101" in visma.articles()


def test_pull_articles_fills_our_register_and_reruns_as_noop(
    container: Container, company_id: int, visma: Visma
) -> None:
    db = container.db
    add_article(container, company_id, "9000", "Annat material", "100")
    outcome = pull_articles(db, visma.client, company_id)
    assert outcome.written == 5
    assert [c.key for c in outcome.preview.plan.conflicts] == ["9000"]
    ours = {a.number: a for a in list_articles(db, company_id)}
    assert ours["8000"].kind == "labour"
    assert ours["8000"].house_work_type == "bygg"
    assert ours["8000"].unit == "tim"
    assert ours["9001"].unit_price == Decimal("18.50")
    assert ours["9000"].name == "Annat material"
    assert pull_articles(db, visma.client, company_id).written == 0


def test_pull_customers_dedupes_and_flags_type_mismatch(container: Container, company_id: int, visma: Visma) -> None:
    db = container.db
    response = visma.http.post(
        "/customers",
        json={
            "CustomerNumber": "1003",
            "Name": "Felmarkerad AB",
            "IsPrivatePerson": True,
            "CorporateIdentityNumber": "556036-0793",
            "InvoicePostalCode": "41101",
            "InvoiceCity": "Göteborg",
            "IsActive": True,
            "TermsOfPaymentId": visma.get("/termsofpayments")[0]["Id"],
        },
    )
    response.raise_for_status()
    create_customer(db, company_id, CustomerInput(customer_number="77", name="Bygg i Väst", org_number="556123-4567"))

    preview = preview_pull_customers(db, visma.client, company_id)
    fates = {row.key: (row.fate, row.detail) for row in preview.rows()}
    assert fates["1001"][0] == "create"
    assert fates["1002"] == ("linked", "Finns redan som kund 77.")
    assert fates["1003"][0] == "create"
    assert "privatperson" in fates["1003"][1]

    outcome = pull_customers(db, visma.client, company_id)
    assert outcome.written == 2
    kinds = {c.customer_number: c.kind for c in list_customers(db, company_id)}
    assert kinds == {"77": "company", "1001": "private", "1003": "company"}
    assert pull_customers(db, visma.client, company_id).written == 0


def test_push_customers_creates_missing_and_rejects_incomplete(
    container: Container, company_id: int, visma: Visma
) -> None:
    db = container.db
    create_customer(
        db,
        company_id,
        CustomerInput(
            customer_number="2001", name="Ny AB", org_number="556036-0793", postal_code="41101", city="Göteborg"
        ),
    )
    create_customer(db, company_id, CustomerInput(customer_number="2002", name="Utan adress"))
    outcome = push_customers(db, visma.client, company_id)
    assert outcome.written == 1
    assert [p["key"] for p in outcome.run.problems] == ["2002"]
    pushed = {c["CustomerNumber"]: c for c in visma.get("/customers")}
    assert pushed["2001"]["IsPrivatePerson"] is False
    assert push_customers(db, visma.client, company_id).preview.counts["unchanged"] == 1


def test_customer_push_keeps_what_visma_has_that_we_do_not_send(
    container: Container, company_id: int, visma: Visma
) -> None:
    """Visma's PUT replaces the whole customer: our update must carry back what the user filled in Visma."""
    terms = visma.get("/termsofpayments")[-1]["Id"]
    in_visma = {
        "CustomerNumber": "3001",
        "Name": "Kvar AB",
        "IsPrivatePerson": False,
        "CorporateIdentityNumber": "556036-0793",
        "InvoiceAddress1": "Gamla vägen 1",
        "InvoicePostalCode": "41101",
        "InvoiceCity": "Göteborg",
        "TermsOfPaymentId": terms,
        "EmailAddress": "faktura@kvar.example",
        "Telephone": "031-123456",
        "MobilePhone": "070-1234567",
        "DeliveryAddress1": "Lagret, Hamnen 3",
        "DeliveryCity": "Mölndal",
        "WwwAddress": "https://kvar.example",
        "Note": "Ring före leverans",
        "CurrencyCode": "EUR",
        "ElectronicReference": "REF-77",
        "IsActive": False,
    }
    visma.http.post("/customers", json=in_visma).raise_for_status()
    create_customer(
        container.db,
        company_id,
        CustomerInput(
            customer_number="3001",
            name="Kvar AB",
            org_number="556036-0793",
            address_line1="Nya gatan 9",
            postal_code="41102",
            city="Göteborg",
        ),
    )

    visma.clear_calls()
    outcome = push_customers(container.db, visma.client, company_id)

    assert outcome.written == 1
    assert visma.calls() == 2  # the planning read already has the whole customer: one page, then the PUT
    after = {c["CustomerNumber"]: c for c in visma.get("/customers")}["3001"]
    assert (after["InvoiceAddress1"], after["InvoicePostalCode"]) == ("Nya gatan 9", "41102")
    unchanged = {key: value for key, value in in_visma.items() if not key.startswith("Invoice")}
    assert {key: after[key] for key in unchanged} == unchanged
    assert after["TermsOfPayment"]["Id"] == terms
    assert push_customers(container.db, visma.client, company_id).written == 0


def test_article_push_keeps_what_visma_has_that_we_do_not_send(
    container: Container, company_id: int, visma: Visma
) -> None:
    seeded = visma.articles()["9000"]
    extras = {
        "NameEnglish": "Material",
        "PurchasePrice": 60.0,
        "StockLocationReference": "Hylla 4",
        "SupplierArticleNumber": "GROSS-9000",
        "Note": "Beställs från grossisten",
        "Barcodes": [{"Barcode": "7312345678901"}],
        "DiscountPercentage": 0.1,
        "IsActive": False,
    }
    writable = {key: seeded[key] for key in ("Number", "Name", "CodingId", "UnitId", "NetPrice")}
    response = visma.http.put(f"/articles/{seeded['Id']}", json=writable | extras)
    response.raise_for_status()
    add_article(container, company_id, "9000", seeded["Name"], "120", unit=seeded["UnitAbbreviation"])

    outcome = push_articles(container.db, visma.client, company_id)

    assert outcome.written == 1
    after = visma.articles()["9000"]
    assert after["NetPrice"] == 120
    assert after["GrossPrice"] == 150  # derived again from the new price, not sent back stale
    assert {key: after[key] for key in extras} == extras
