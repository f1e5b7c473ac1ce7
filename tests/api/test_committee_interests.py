"""Conflicts of interest: members declare, bidder by bidder, before they release a share; the platform checks what
it knows (past employment, owners and directors, shared addresses); a declared conflict recuses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.actors import Actor, Role
from quartermaster.client import seal_prices
from quartermaster.db.tx import Database
from quartermaster.identifiers import edrpou_check_digit
from quartermaster.types import FixedClock
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.world import Person, World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    return Flow(client, world, clock, database)


def closed_tender(f: Flow, committee: Committee, suppliers: tuple[str, ...] = ("supplier0", "supplier1")) -> str:
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = "8000000.00"
    d = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    committee.appoint(d["id"])
    f.advance_to(f.publish(d["id"])["enquiry_end"])
    t = f.tender(d["id"], "buyer")
    key = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))["public_key"]
    early = f.c.get(f"/api/v1/tenders/{t['id']}/committee/bidders", headers=f.h("evaluator"))
    assert early.json()["code"] == "committee.bidding_open"
    for supplier in suppliers:
        org = f.w[supplier].organization_id
        assert org is not None
        upload = seal_prices(key, t["id"], org, "UAH", {t["lots"][0]["id"]: Decimal("7000000")})
        ok(f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=upload.body(), headers=f.h(supplier)), 201)
    f.advance_to(t["tender_end"])
    return str(t["id"])


def declare(f: Flow, tender_id: str, who: str, *items: dict[str, Any]) -> Any:
    body = {"declarations": list(items)}
    return f.c.post(f"/api/v1/tenders/{tender_id}/committee/declarations", json=body, headers=f.h(who))


def test_no_share_is_released_before_declaring_about_every_bidder(f: Flow) -> None:
    committee = Committee(f)
    tid = closed_tender(f, committee)
    refused = committee.release(tid, "evaluator", declare=False)
    assert refused.status_code == 409
    assert refused.json()["code"] == "committee.declarations_missing"
    assert len(refused.json()["suppliers"]) == 2
    s0 = f.w["supplier0"].organization_id
    ok(declare(f, tid, "evaluator", {"supplier_id": s0, "conflict": False}))
    still = committee.release(tid, "evaluator", declare=False)
    assert still.json()["suppliers"] == [f.w["supplier1"].organization_id]
    twice = declare(f, tid, "evaluator", {"supplier_id": s0, "conflict": False})
    assert twice.json()["code"] == "committee.declarations_invalid"
    stranger = declare(f, tid, "evaluator", {"supplier_id": f.w["supplier3"].organization_id, "conflict": False})
    assert "not a bidder" in stranger.text
    ok(committee.release(tid, "evaluator"))  # declares about supplier1, then releases


def test_what_the_platform_knows_must_be_answered(f: Flow) -> None:
    committee = Committee(f)
    s0, s1 = f.w["supplier0"].organization_id, f.w["supplier1"].organization_id
    # evaluator worked for supplier0; evaluator2 directs supplier1 (declared by supplier1 under the same identifier)
    jobs = {
        "national_id": "2345678901",
        "past_employers": [{"organization_id": s0, "from_year": 2015, "to_year": 2019}],
    }
    ok(f.c.put("/api/v1/me/interests", json=jobs, headers=f.h("evaluator")))
    ok(f.c.put("/api/v1/me/interests", json={"national_id": "3456789012"}, headers=f.h("evaluator2")))
    people = {"people": [{"role": "director", "name": "Olena Evaluator", "national_id": "3456 789 012"}]}
    ok(f.c.put(f"/api/v1/organizations/{s1}/people", json=people, headers=f.h("supplier1")))
    other = f.c.put(f"/api/v1/organizations/{s1}/people", json=people, headers=f.h("supplier0"))
    assert other.status_code == 403
    tid = closed_tender(f, committee)

    listed = {
        b["supplier_id"]: b["links"]
        for b in ok(f.c.get(f"/api/v1/tenders/{tid}/committee/bidders", headers=f.h("evaluator")))
    }
    assert listed == {s0: ["employed"], s1: []}
    listed2 = {
        b["supplier_id"]: b["links"]
        for b in ok(f.c.get(f"/api/v1/tenders/{tid}/committee/bidders", headers=f.h("evaluator2")))
    }
    assert listed2 == {s0: [], s1: ["owner_or_director"]}

    silent = declare(
        f, tid, "evaluator", {"supplier_id": s0, "conflict": False}, {"supplier_id": s1, "conflict": False}
    )
    assert silent.status_code == 422
    assert "employed" in silent.text
    explained = {"supplier_id": s0, "conflict": False, "justification": "Left in 2019; no ties since."}
    ok(declare(f, tid, "evaluator", explained, {"supplier_id": s1, "conflict": False}))

    ok(declare(f, tid, "evaluator2", {"supplier_id": s0, "conflict": False}, {"supplier_id": s1, "conflict": True}))
    committee_now = ok(f.c.get(f"/api/v1/tenders/{tid}/committee", headers=f.h("buyer")))
    recused = {m["user_id"]: m["recused_at"] is not None for m in committee_now["members"]}
    assert recused[f.w["evaluator2"].actor.user_id] is True
    assert committee.release(tid, "evaluator2", declare=False).json()["code"] == "opening.recused"

    record = ok(f.c.get(f"/api/v1/tenders/{tid}/committee/declarations", headers=f.h("auditor")))["declarations"]
    by = {(d["member_id"], d["supplier_id"]): d for d in record}
    assert by[(f.w["evaluator"].actor.user_id, s0)]["links"] == ["employed"]
    assert by[(f.w["evaluator"].actor.user_id, s0)]["justification"] == "Left in 2019; no ties since."
    hidden = f.c.get(f"/api/v1/tenders/{tid}/committee/declarations", headers=f.h("supplier0"))
    assert hidden.status_code == 403
    events = ok(f.c.get(f"/api/v1/tenders/{tid}/events", headers=f.h("auditor")))["data"]
    assert "2345678901" not in str(events)
    assert "3456789012" not in str(events)


def test_a_bidder_at_a_past_employers_address_is_flagged(f: Flow) -> None:
    address = {"region": "Kyiv", "locality": "Kyiv", "street_address": "12 Khreshchatyk St"}
    orgs = []
    for n, name in ((2100001, "Old Employer LLC"), (2100002, "Front Company LLC")):
        body = {
            "name": name,
            "identifier_scheme": "UA-EDR",
            "identifier_id": _edrpou(n),
            "kind": "company",
            "party_roles": ["supplier", "tenderer"],
            **address,
        }
        orgs.append(ok(f.c.post("/api/v1/organizations", json=body, headers=f.h("admin")), 201)["id"])
    ok(
        f.c.post(
            "/api/v1/users",
            json={"username": "front", "name": "Front", "role": "supplier", "organization_id": orgs[1]},
            headers=f.h("admin"),
        ),
        201,
    )
    token = ok(f.c.post("/api/v1/users/front/tokens", headers=f.h("admin")), 201)
    f.w.people["front"] = Person(
        "front", Role.SUPPLIER, orgs[1], token["token"], Actor(token["user_id"], "Front", Role.SUPPLIER, orgs[1])
    )
    committee = Committee(f)
    jobs = {"national_id": "1111111111", "past_employers": [{"organization_id": orgs[0], "from_year": 2020}]}
    ok(f.c.put("/api/v1/me/interests", json=jobs, headers=f.h("evaluator")))
    tid = closed_tender(f, committee, suppliers=("front",))
    listed = ok(f.c.get(f"/api/v1/tenders/{tid}/committee/bidders", headers=f.h("evaluator")))
    assert listed[0]["links"] == ["shared_address"]


def _edrpou(n: int) -> str:
    first7 = f"{n:07d}"
    return first7 + str(edrpou_check_digit(first7))


def test_a_person_reads_back_their_declaration_but_never_their_identifier(f: Flow) -> None:
    missing = f.c.get("/api/v1/me/interests", headers=f.h("approver"))
    assert (missing.status_code, missing.json()["code"]) == (409, "interests.missing")
    s0 = f.w["supplier0"].organization_id
    jobs = {"national_id": "4567890123", "past_employers": [{"organization_id": s0, "from_year": 2018}]}
    declared = ok(f.c.put("/api/v1/me/interests", json=jobs, headers=f.h("approver")))
    read = ok(f.c.get("/api/v1/me/interests", headers=f.h("approver")))
    assert read == declared
    assert read["past_employers"][0]["organization_id"] == s0
    assert "4567890123" not in str(read)
    assert f.c.get("/api/v1/me/interests").status_code == 401
