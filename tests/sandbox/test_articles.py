"""`/articles`: Visma's rules and lookups by number."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def reference(client: TestClient, headers: dict[str, str]) -> tuple[str, str]:
    codings = client.get("/v2/articleaccountcodings", headers=headers).json()["Data"]
    units = client.get("/v2/units", headers=headers).json()["Data"]
    coding = next(row for row in codings if row["Name"] == "Tjänster 25 % moms")
    unit = next(row for row in units if row["Abbreviation"] == "tim")
    return coding["Id"], unit["Id"]


def new_article(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    coding_id, unit_id = reference(client, headers)
    return {
        "Number": "8100",
        "Name": "Snickare",
        "CodingId": coding_id,
        "UnitId": unit_id,
        "IsActive": True,
        "NetPrice": 600.0,
        **overrides,
    }


def test_seeded_article_8000_is_found_by_number(client: TestClient, headers: dict[str, str]) -> None:
    found = client.get("/v2/articles", headers=headers, params={"$filter": "Number eq '8000'"}).json()["Data"]
    assert [row["Name"] for row in found] == ["Montör"]
    assert found[0]["IsServiceArticle"] is True
    assert found[0]["HouseWorkType"] == 1


def test_create_derives_names_from_coding_and_unit(client: TestClient, headers: dict[str, str]) -> None:
    created = client.post("/v2/articles", headers=headers, json=new_article(client, headers))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["CodingName"] == "Tjänster 25 % moms"
    assert body["UnitAbbreviation"] == "tim"
    assert body["GrossPrice"] == 750.0
    assert client.get(f"/v2/articles/{body['Id']}", headers=headers).json() == body


def test_duplicate_article_number_is_rejected(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.post("/v2/articles", headers=headers, json=new_article(client, headers, Number="8000"))
    assert answer.status_code == 400
    assert answer.json()["ErrorCode"] == 4000
    assert answer.json()["Errors"][0]["Field"] == "Number"


def test_unknown_coding_or_unit_is_rejected(client: TestClient, headers: dict[str, str]) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    for field in ("CodingId", "UnitId"):
        answer = client.post("/v2/articles", headers=headers, json=new_article(client, headers, **{field: unknown}))
        assert answer.status_code == 400
        assert answer.json()["ErrorCode"] == 3000
        assert answer.json()["Errors"][0]["Field"] == field


def test_missing_required_fields_are_rejected(client: TestClient, headers: dict[str, str]) -> None:
    body = new_article(client, headers)
    del body["UnitId"], body["Number"]
    answer = client.post("/v2/articles", headers=headers, json=body)
    assert answer.status_code == 400
    assert sorted(error["Field"] for error in answer.json()["Errors"]) == ["Number", "UnitId"]


def test_invalid_house_work_type_is_rejected(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.post("/v2/articles", headers=headers, json=new_article(client, headers, HouseWorkType=8))
    assert answer.status_code == 400


def test_update_keeps_created_and_checks_uniqueness(client: TestClient, headers: dict[str, str]) -> None:
    created = client.post("/v2/articles", headers=headers, json=new_article(client, headers)).json()
    changed = client.put(
        f"/v2/articles/{created['Id']}", headers=headers, json=new_article(client, headers, Name="Snickare 2")
    )
    assert changed.status_code == 200
    assert changed.json()["CreatedUtc"] == created["CreatedUtc"]
    assert changed.json()["Name"] == "Snickare 2"
    clash = client.put(
        f"/v2/articles/{created['Id']}", headers=headers, json=new_article(client, headers, Number="8001")
    )
    assert clash.status_code == 400
    missing = client.get("/v2/articles/00000000-0000-4000-8000-000000000000", headers=headers)
    assert missing.status_code == 404
