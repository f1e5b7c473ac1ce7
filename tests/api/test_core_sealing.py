"""Sealed bids: before opening, nobody but the bidder can read a bid's prices through any route of the API."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.core_scenes import Scene, bid, open_bids, published, to_deadline
from support.flows import Flow, ok
from support.world import World

CANARY = "987654.32"
AMENDED = "876543.21"
READERS = ["supplier1", "buyer", "evaluator", "approver", "auditor", "admin", "other_buyer", "other_approver", None]


def routes(scene: Scene, bid_id: str) -> list[str]:
    """Every read route that could carry a bid's price."""
    t, lot = scene.tender_id, scene.lot_id
    return [
        f"/api/v1/tenders/{t}",
        "/api/v1/tenders",
        f"/api/v1/tenders/{t}/bids",
        f"/api/v1/bids/{bid_id}",
        "/api/v1/events",
        f"/api/v1/tenders/{t}/events",
        f"/api/v1/tenders/{t}/lots/{lot}/ranking",
        f"/api/v1/tenders/{t}/evaluations",
        f"/api/v1/tenders/{t}/awards",
        f"/api/v1/tenders/{t}/questions",
        f"/api/v1/tenders/{t}/candidacies",
    ]


def leaks(scene: Scene, bid_id: str, secrets: list[str]) -> list[str]:
    """(reader, route) pairs whose response contains any of ``secrets``; every response must be a non-5xx."""
    found = []
    for reader in READERS:
        headers = scene.f.h(reader) if reader else {}
        for route in routes(scene, bid_id):
            resp = scene.f.c.get(route, headers=headers)
            assert resp.status_code < 500, (reader, route, resp.text)
            for secret in secrets:
                if secret in resp.text or secret.replace(".", "") in resp.text:
                    found.append(f"{reader or 'anonymous'} {route} shows {secret}")
    return found


@pytest.fixture
def sealed(client: TestClient, world: World, clock: FixedClock, database: Database) -> tuple[Scene, str]:
    """A tendering tender with supplier0's canary bid, amended once, and a rival bid."""
    f = Flow(client, world, clock, database)
    scene = published(f)
    f.advance_to(scene.tender()["enquiry_end"])
    canary = bid(scene, "supplier0", CANARY)
    ok(
        client.post(
            f"/api/v1/bids/{canary}/amend",
            json={"values": [{"lot_id": scene.lot_id, "value": {"amount": AMENDED, "currency": "UAH"}}]},
            headers=f.h("supplier0"),
        )
    )
    bid(scene, "supplier1", "900000.00")
    return scene, canary


def test_no_one_but_the_bidder_reads_a_sealed_bids_prices_while_tendering(sealed: tuple[Scene, str]) -> None:
    scene, canary = sealed
    assert leaks(scene, canary, [CANARY, AMENDED]) == []
    own = ok(scene.f.c.get(f"/api/v1/bids/{canary}", headers=scene.f.h("supplier0")))
    assert own["values"][0]["value"]["amount"] == AMENDED  # the bidder itself does see it: the search is real
    assert own["values"][0]["initial_value"]["amount"] == AMENDED


def test_prices_stay_sealed_after_the_deadline_until_the_bids_are_opened(sealed: tuple[Scene, str]) -> None:
    scene, canary = sealed
    to_deadline(scene)
    assert scene.state() == "active.opening"
    assert leaks(scene, canary, [CANARY, AMENDED]) == []
    open_bids(scene)
    after = leaks(scene, canary, [CANARY, AMENDED])
    assert not [x for x in after if CANARY in x]  # the first offer was replaced before the deadline: never shown
    assert f"buyer /api/v1/bids/{canary} shows {AMENDED}" in after  # opened: now the price is public
    assert f"anonymous /api/v1/tenders/{scene.tender_id}/bids shows {AMENDED}" in after
