"""The supplier's side in tests: seal a bid body's prices to the tender's opening key, as a real client would."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from quartermaster.client import seal_prices


def sealed_body(
    client: TestClient, tender_id: str, supplier_org: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """``body`` (``{"values": [...]}``) sealed to the tender's opening key; unchanged for a tender without one."""
    resp = client.get(f"/api/v1/tenders/{tender_id}/opening-key", headers=headers)
    if resp.status_code != 200:  # no opening key, or a tender this caller cannot see: the API will say why
        return body
    values = body["values"]
    currency = values[0]["value"]["currency"] if values else "UAH"
    prices = {v["lot_id"]: Decimal(v["value"]["amount"]) for v in values}
    upload = seal_prices(resp.json()["public_key"], tender_id, supplier_org, currency, prices)
    return upload.body()
