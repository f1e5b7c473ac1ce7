"""Before opening, no API role, no database dump and no server log holds a sealed bid's price; k − 1 shares open
nothing; and for random committees and k, the opened bids are exactly the submitted ones (both engines)."""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from quartermaster.actors import Role
from quartermaster.db.base import Base
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.world import World, add_person

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
CANARY = "7345219.86"  # a price that appears nowhere else
READERS = ["supplier1", "buyer", "evaluator", "evaluator2", "approver", "approver2", "auditor", "admin", None]


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    return Flow(client, world, clock, database)


def threshold_tender(f: Flow, committee: Committee, threshold: int) -> dict[str, Any]:
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = "9000000.00"
    d = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    committee.appoint(d["id"], threshold=threshold)
    pub = f.publish(d["id"])
    f.advance_to(pub["enquiry_end"])
    return f.tender(d["id"], "buyer")  # type: ignore[no-any-return]


def dump(database: Database) -> str:
    """Every row of every table, as text: what a database dump would hold."""
    lines = []
    with database.unit_of_work(write=False) as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def api_texts(f: Flow, tender_id: str, bid_id: str) -> list[tuple[str, str, str]]:
    lot = f.tender(tender_id, "buyer")["lots"][0]["id"]
    routes = [
        f"/api/v1/tenders/{tender_id}",
        "/api/v1/tenders",
        f"/api/v1/tenders/{tender_id}/bids",
        f"/api/v1/bids/{bid_id}",
        "/api/v1/events",
        f"/api/v1/tenders/{tender_id}/events",
        f"/api/v1/tenders/{tender_id}/lots/{lot}/ranking",
        f"/api/v1/tenders/{tender_id}/opening-key",
        f"/api/v1/tenders/{tender_id}/opening-key/my-share",
        f"/api/v1/tenders/{tender_id}/committee",
        "/api/v1/log/entries?start=0&end=1000",
    ]
    out = []
    for reader in READERS:
        headers = f.h(reader) if reader else {}
        for route in routes:
            resp = f.c.get(route, headers=headers)
            assert resp.status_code < 500, (reader, route, resp.text)
            out.append((reader or "anonymous", route, resp.text))
    return out


def spellings(price: str) -> list[str]:
    return [price, price.replace(".", ""), price.replace(".", ",")]


def test_canary_price_is_nowhere_before_opening(f: Flow, database: Database, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    committee = Committee(f)
    t = threshold_tender(f, committee, threshold=2)
    body = f.seal(
        t["id"],
        "supplier0",
        {"values": [{"lot_id": t["lots"][0]["id"], "value": {"amount": CANARY, "currency": "UAH"}}]},
    )
    receipt = ok(f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=body, headers=f.h("supplier0")), 201)
    f.advance_to(t["tender_end"])
    ok(committee.release(t["id"], "evaluator"))  # k − 1 shares released: still nothing readable

    for secret in spellings(CANARY):
        assert secret not in dump(database), "a database dump holds the sealed price"
        assert secret not in caplog.text, "a server log holds the sealed price"
        leaks = [(who, route) for who, route, text in api_texts(f, t["id"], receipt["bid_id"]) if secret in text]
        assert leaks == [], leaks
    refused = f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator"))
    assert refused.json()["code"] == "opening.not_enough_shares"

    ok(committee.release(t["id"], "evaluator2"))
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    assert CANARY in dump(database)  # the same search finds the price once the bids are open
    assert CANARY in f.c.get(f"/api/v1/bids/{receipt['bid_id']}").text


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(
    data=st.data(),
    prices=st.lists(
        st.decimals(min_value=Decimal("0.01"), max_value=Decimal("999999999.99"), places=2),
        min_size=1,
        max_size=4,
    ),
)
def test_opened_bids_equal_the_submitted_ones_for_random_committees_and_k(
    f: Flow, database: Database, data: st.DataObject, prices: list[Decimal]
) -> None:
    pool = ["evaluator", "evaluator2", "approver2", "buyer2", "e5", "e6"]
    with database.unit_of_work() as s:
        for extra in ("e5", "e6"):
            if extra not in f.w.people:
                add_person(s, f.w, f.clock.now(), extra, Role.EVALUATOR, f.w.buyer_org)
    n = data.draw(st.integers(min_value=3, max_value=len(pool)), label="n")
    k = data.draw(st.integers(min_value=2, max_value=n), label="k")
    members = tuple(data.draw(st.permutations(pool), label="order")[:n])
    committee = Committee(f, members)
    t = threshold_tender(f, committee, threshold=k)
    submitted = {}
    for i, price in enumerate(prices):
        supplier = f"supplier{i}"
        values = [{"lot_id": t["lots"][0]["id"], "value": {"amount": str(price), "currency": "UAH"}}]
        r = ok(
            f.c.post(
                f"/api/v1/tenders/{t['id']}/bids",
                json=f.seal(t["id"], supplier, {"values": values}),
                headers=f.h(supplier),
            ),
            201,
        )
        submitted[r["bid_id"]] = price
    f.advance_to(t["tender_end"])
    releasing = random.Random(data.draw(st.integers(0, 2**32))).sample(members, k)
    for who in releasing:
        ok(committee.release(t["id"], who))
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    opened = {
        b["id"]: Decimal(b["values"][0]["value"]["amount"]) for b in ok(f.c.get(f"/api/v1/tenders/{t['id']}/bids"))
    }
    assert opened == submitted
