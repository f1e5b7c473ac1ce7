"""A tender points at a framework only as that framework's mini-competition call-off."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from support.flows import tender_body
from support.world import World


@pytest.mark.parametrize(
    "extra",
    [
        {"procedure": "framework.mini-competition"},
        {"procedure": "framework.mini-competition", "framework_id": "f" * 32},
        {"procedure": "open", "framework_id": "f" * 32},
    ],
)
def test_a_tender_cannot_claim_a_framework_by_hand(extra: dict[str, str], client: TestClient, world: World) -> None:
    body = tender_body("open")
    body.update(extra)
    resp = client.post("/api/v1/tenders", json=body, headers=world["buyer"].headers)
    assert resp.status_code == 422
    problem = resp.json()
    assert problem["code"] == "tender.not_a_call_off"
    assert problem["errors"][0]["field"] == "framework_id"
    assert client.get("/api/v1/tenders", headers=world["buyer"].headers).json()["data"] == []
