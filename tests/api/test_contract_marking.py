"""The buyer's approver raises a contract's security marking: up to their clearance, never down; from then on the
operational API and the open data treat the contract (and, for the operational API, its process) as classified."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from quartermaster.actors import Role
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.contract_flows import ContractFlow
from support.flows import ok
from support.world import World, add_person


def _clear(
    database: Database, clock: FixedClock, world: World, username: str, role: Role, level: str, org: str | None = None
) -> None:
    with database.unit_of_work() as s:
        add_person(s, world, clock.now(), username, role, org or world.buyer_org, level)


def test_an_approver_raises_a_contracts_marking_and_its_later_releases_withhold_it(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    flow = ContractFlow(client, world, clock, database)
    _clear(database, clock, world, "secret_approver", Role.APPROVER, "secret")
    _clear(database, clock, world, "restricted_approver", Role.APPROVER, "restricted")
    _clear(database, clock, world, "secret_supplier", Role.SUPPLIER, "secret", world.suppliers[1])
    contract = flow.awarded()
    url = f"/api/v1/contracts/{contract['id']}/marking"

    too_high = client.post(url, json={"marking": "secret"}, headers=flow.h("restricted_approver"))
    not_buyer = client.post(url, json={"marking": "restricted"}, headers=flow.h("supplier1"))
    bad = client.post(url, json={"marking": "top-secret"}, headers=flow.h("secret_approver"))
    raised = ok(client.post(url, json={"marking": "secret"}, headers=flow.h("secret_approver")))
    lower = client.post(url, json={"marking": "restricted"}, headers=flow.h("secret_approver"))

    assert (too_high.status_code, too_high.json()["code"]) == (403, "auth.clearance_too_low")
    assert not_buyer.status_code == 403
    assert bad.status_code == 422
    assert raised["marking"] == "secret"
    assert (lower.status_code, lower.json()["code"]) == (422, "contract.marking_not_raised")
    # The operational API now refuses the contract to the public ...
    assert client.get(f"/api/v1/contracts/{contract['id']}").json()["code"] == "access.classified"
    # ... and the next public change publishes the contract without its title or value.
    flow.advance_to(contract["not_before"])
    ok(client.post(f"/api/v1/contracts/{contract['id']}/sign", headers=flow.h("secret_approver")))
    uncleared = client.post(f"/api/v1/contracts/{contract['id']}/sign", headers=flow.h("supplier1"))
    assert uncleared.status_code == 403  # the supplier's signatory needs the clearance too
    ok(client.post(f"/api/v1/contracts/{contract['id']}/sign", headers=flow.h("secret_supplier")))
    last = ok(client.get("/api/v1/feed", params={"limit": 500}))["data"][-1]
    published = last["release"]["contracts"][0]
    assert published["id"] == contract["id"]
    assert "title" not in published
    assert "value" not in published
    assert contract["title"] not in json.dumps(last)
