"""Signed decisions through HTTP: a person with a signing key signs awards, disqualifications, award cancellations and
contract signatures over the document ``POST /api/v1/decisions/draft`` gives; the events record the signatures and
the auditor's check verifies them against the enrolled keys, and notices a tampered document or signature."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.client import PersonKeys, new_keys
from quartermaster.client.decisions import sign_decision
from quartermaster.db.tx import Database
from quartermaster.decisions import decision_bytes
from quartermaster.sealing.encoding import b64url_decode
from quartermaster.types import FixedClock
from quartermaster.verify import check_decisions
from support.contract_flows import ContractFlow
from support.flows import ok
from support.world import World


@pytest.fixture
def cf(client: TestClient, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    """A contract flow on the test app."""
    return ContractFlow(client, world, clock, database)


def enrol(client: TestClient, headers: dict[str, str]) -> PersonKeys:
    """Fresh keys for the person behind ``headers``, enrolled with proof of possession; the key file stays here."""
    keys = new_keys()
    me = ok(client.get("/api/v1/me", headers=headers))
    ok(client.put("/api/v1/me/keys", json=keys.enrolment(me["user_id"]), headers=headers))
    return keys


def _qualification(cf: ContractFlow) -> tuple[str, str, str]:
    """An open tender in qualification with two evaluated bids: (tender id, lot id, best-ranked bid id)."""
    tid = cf.to_tendering()
    cf.bid(tid, "supplier0", "150000.00")
    cf.bid(tid, "supplier1", "100000.00")
    cf.open(tid)
    cf.evaluate_all(tid)
    lot_id = cf.tender(tid)["lots"][0]["id"]
    ranking = ok(cf.c.get(f"/api/v1/tenders/{tid}/lots/{lot_id}/ranking"))
    return tid, lot_id, ranking[0]["bid_id"]


def _draft(cf: ContractFlow, who: str, command: str, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
    payload = {"command": command, "object_id": object_id, "body": body}
    return ok(cf.c.post("/api/v1/decisions/draft", json=payload, headers=cf.h(who)))  # type: ignore[no-any-return]


def _signed(
    cf: ContractFlow, who: str, keys: PersonKeys, command: str, object_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """``body`` with the signature of ``who`` over the decision's draft document."""
    draft = _draft(cf, who, command, object_id, body)
    me = cf.w[who].actor.user_id
    return {**body, "signature": sign_decision(keys, draft, command=command, object_id=object_id, actor_id=me)}


def _events(cf: ContractFlow) -> list[dict[str, Any]]:
    page = ok(cf.c.get("/api/v1/events", params={"limit": 1000}, headers=cf.h("auditor")))
    return page["data"]  # type: ignore[no-any-return]


def _event(cf: ContractFlow, event_type: str) -> dict[str, Any]:
    (event,) = [e for e in _events(cf) if e["event_type"] == event_type]
    return event


def test_the_draft_is_the_canonical_document_of_the_decision(cf: ContractFlow, world: World) -> None:
    tid, lot_id, best = _qualification(cf)
    keys = enrol(cf.c, cf.h("approver"))
    draft = _draft(cf, "approver", "award", lot_id, {"bid_ids": [best], "rationale": "lowest price"})
    document = draft["document"]
    assert document == {
        "type": "quartermaster.decision",
        "v": 1,
        "command": "award",
        "object": lot_id,
        "process": tid,
        "actor": world["approver"].actor.user_id,
        "content": {"bid_ids": [best], "supplier_id": None, "value": None, "rationale": "lowest price"},
    }
    assert b64url_decode(draft["canonical"], "canonical") == decision_bytes(document)
    assert draft["schemes"] == ["ed25519"]
    mine = ok(cf.c.get(f"/api/v1/users/{world['approver'].actor.user_id}/keys", headers=cf.h("approver")))
    assert draft["key_id"] in {k["id"] for k in (mine if isinstance(mine, list) else mine["data"])}
    assert keys.signing_public  # the key file stayed here


def test_draft_refusals_are_problems(cf: ContractFlow) -> None:
    _, lot_id, _ = _qualification(cf)
    bad_body = cf.c.post(
        "/api/v1/decisions/draft",
        json={"command": "award", "object_id": lot_id, "body": {"bid_ids": "x"}},
        headers=cf.h("approver"),
    )
    assert bad_body.status_code == 422
    assert bad_body.headers["content-type"] == "application/problem+json"
    unknown = cf.c.post(
        "/api/v1/decisions/draft",
        json={"command": "disqualify_bid", "object_id": "nope", "body": {"reason": "late"}},
        headers=cf.h("approver"),
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "bid.not_found"
    other = cf.c.post(
        "/api/v1/decisions/draft", json={"command": "publish", "object_id": lot_id}, headers=cf.h("approver")
    )
    assert other.status_code == 422
    anonymous = cf.c.post("/api/v1/decisions/draft", json={"command": "award", "object_id": lot_id})
    assert anonymous.status_code == 401


def test_a_signed_award_is_accepted_and_its_signature_recorded(cf: ContractFlow, world: World) -> None:
    tid, lot_id, best = _qualification(cf)
    keys = enrol(cf.c, cf.h("approver"))
    body = _signed(cf, "approver", keys, "award", lot_id, {"bid_ids": [best]})
    (award,) = ok(cf.c.post(f"/api/v1/tenders/{tid}/lots/{lot_id}/award", json=body, headers=cf.h("approver")), 201)
    event = _event(cf, "AwardMade")
    assert event["object_id"] == award["id"]
    recorded = event["payload"]["signature"]
    assert recorded["scheme"] == "ed25519"
    assert recorded["signature"] == body["signature"]["signature"]
    assert event["payload"]["decision"]["content"] == {
        "bid_ids": [best],
        "supplier_id": None,
        "value": None,
        "rationale": None,
    }
    report = check_decisions(_events(cf))
    assert (report.signed, report.failures) == (1, [])


def test_an_enrolled_approver_cannot_award_unsigned_or_with_a_bad_signature(cf: ContractFlow) -> None:
    tid, lot_id, best = _qualification(cf)
    keys = enrol(cf.c, cf.h("approver"))
    url = f"/api/v1/tenders/{tid}/lots/{lot_id}/award"

    unsigned = cf.c.post(url, json={"bid_ids": [best]}, headers=cf.h("approver"))
    assert unsigned.status_code == 422
    assert unsigned.headers["content-type"] == "application/problem+json"
    assert unsigned.json()["code"] == "decision.signature_required"

    wrong_key = _signed(cf, "approver", new_keys(), "award", lot_id, {"bid_ids": [best]})
    refused = cf.c.post(url, json=wrong_key, headers=cf.h("approver"))
    assert refused.status_code == 422
    assert refused.json()["code"] == "decision.bad_signature"

    other_body = _signed(cf, "approver", keys, "award", lot_id, {"bid_ids": [best], "rationale": "signed this"})
    other_body["rationale"] = "sent that"
    refused = cf.c.post(url, json=other_body, headers=cf.h("approver"))
    assert refused.status_code == 422
    assert refused.json()["code"] == "decision.bad_signature"

    mangled = {**_signed(cf, "approver", keys, "award", lot_id, {"bid_ids": [best]})}
    mangled["signature"] = {"scheme": "ed25519", "signature": "not+base64"}
    assert cf.c.post(url, json=mangled, headers=cf.h("approver")).status_code == 422

    national = _signed(cf, "approver", keys, "award", lot_id, {"bid_ids": [best]})
    national["signature"]["scheme"] = "dstu4145"
    refused = cf.c.post(url, json=national, headers=cf.h("approver"))
    assert refused.status_code == 422
    assert refused.json()["code"] == "decision.unknown_scheme"

    assert ok(cf.c.get(f"/api/v1/tenders/{tid}/awards")) == []  # every refusal changed nothing
    assert not [e for e in _events(cf) if e["event_type"] == "AwardMade"]


def test_a_person_without_a_key_acts_unsigned_and_cannot_send_a_signature(cf: ContractFlow) -> None:
    tid, lot_id, best = _qualification(cf)
    url = f"/api/v1/tenders/{tid}/lots/{lot_id}/award"
    stray = {"bid_ids": [best], "signature": {"scheme": "ed25519", "signature": "AAAA"}}
    refused = cf.c.post(url, json=stray, headers=cf.h("approver"))
    assert refused.status_code == 422
    assert refused.json()["code"] == "decision.no_signing_key"
    ok(cf.c.post(url, json={"bid_ids": [best]}, headers=cf.h("approver")), 201)
    assert _event(cf, "AwardMade")["payload"]["signature"] is None
    report = check_decisions(_events(cf))
    assert (report.signed, report.unsigned, report.failures) == (0, 1, [])


def test_disqualification_and_award_cancellation_are_signed(cf: ContractFlow) -> None:
    tid, lot_id, best = _qualification(cf)
    keys = enrol(cf.c, cf.h("approver"))
    bids = ok(cf.c.get(f"/api/v1/tenders/{tid}/bids"))
    loser = next(b["id"] for b in bids if b["id"] != best)

    reason = {"reason": "the certificate of origin is forged"}
    refused = cf.c.post(f"/api/v1/bids/{loser}/disqualify", json=reason, headers=cf.h("approver"))
    assert refused.json()["code"] == "decision.signature_required"
    body = _signed(cf, "approver", keys, "disqualify_bid", loser, reason)
    assert ok(cf.c.post(f"/api/v1/bids/{loser}/disqualify", json=body, headers=cf.h("approver")))["status"] == (
        "disqualified"
    )

    award_body = _signed(cf, "approver", keys, "award", lot_id, {"bid_ids": [best]})
    (award,) = ok(
        cf.c.post(f"/api/v1/tenders/{tid}/lots/{lot_id}/award", json=award_body, headers=cf.h("approver")), 201
    )
    cancel = {"reason": "the supplier withdrew"}
    wrong_object = _signed(cf, "approver", keys, "disqualify_bid", best, cancel)  # signed for another command
    refused = cf.c.post(f"/api/v1/awards/{award['id']}/cancel", json=wrong_object, headers=cf.h("approver"))
    assert refused.json()["code"] == "decision.bad_signature"
    body = _signed(cf, "approver", keys, "cancel_award", award["id"], cancel)
    assert ok(cf.c.post(f"/api/v1/awards/{award['id']}/cancel", json=body, headers=cf.h("approver")))["status"] == (
        "cancelled"
    )
    report = check_decisions(_events(cf))
    assert (report.signed, report.failures) == (3, [])

    # The earlier signed award cannot be replayed to re-award the lot: a signature is used once.
    replayed = cf.c.post(f"/api/v1/tenders/{tid}/lots/{lot_id}/award", json=award_body, headers=cf.h("approver"))
    assert (replayed.status_code, replayed.json()["code"]) == (422, "decision.replayed")
    again = _signed(cf, "approver", keys, "award", lot_id, {"bid_ids": [best], "rationale": "re-awarded: it stands"})
    (award,) = ok(cf.c.post(f"/api/v1/tenders/{tid}/lots/{lot_id}/award", json=again, headers=cf.h("approver")), 201)
    assert award["bid_id"] == best


def test_both_parties_sign_the_contract_terms(cf: ContractFlow, world: World) -> None:
    contract = cf.awarded()
    cid = contract["id"]
    cf.advance_to(contract["not_before"])
    buyer_keys = enrol(cf.c, cf.h("approver"))
    supplier_keys = enrol(cf.c, cf.h("supplier1"))

    refused = cf.c.post(f"/api/v1/contracts/{cid}/sign", headers=cf.h("approver"))
    assert refused.status_code == 422
    assert refused.json()["code"] == "decision.signature_required"

    draft = _draft(cf, "supplier1", "sign_contract", cid, {})
    terms = draft["document"]["content"]
    assert terms["side"] == "supplier"
    assert terms["supplier_id"] == world["supplier1"].organization_id
    assert terms["value"] == {"amount": "100000", "currency": "UAH"}
    assert [(line["quantity"], line["unit_price"]) for line in terms["lines"]] == [("1000", "100")]

    stolen = {"signature": sign_decision(supplier_keys, draft)}  # the supplier's signature sent by the approver
    refused = cf.c.post(f"/api/v1/contracts/{cid}/sign", json=stolen, headers=cf.h("approver"))
    assert refused.json()["code"] == "decision.bad_signature"

    for who, keys in (("approver", buyer_keys), ("supplier1", supplier_keys)):
        body = _signed(cf, who, keys, "sign_contract", cid, {})
        ok(cf.c.post(f"/api/v1/contracts/{cid}/sign", json={"signature": body["signature"]}, headers=cf.h(who)))
    assert cf.contract(cid)["status"] == "active"
    signs = [e for e in _events(cf) if e["command"] == "sign_contract"]
    assert [e["payload"]["side"] for e in signs] == ["buyer", "supplier"]
    assert all(e["payload"]["signature"]["scheme"] == "ed25519" for e in signs)
    report = check_decisions(_events(cf))
    assert (report.signed, report.keys, report.failures) == (2, 2, [])


def test_the_auditors_check_reports_a_tampered_document_or_signature(cf: ContractFlow) -> None:
    tid, lot_id, best = _qualification(cf)
    keys = enrol(cf.c, cf.h("approver"))
    body = _signed(cf, "approver", keys, "award", lot_id, {"bid_ids": [best], "rationale": "cheapest"})
    ok(cf.c.post(f"/api/v1/tenders/{tid}/lots/{lot_id}/award", json=body, headers=cf.h("approver")), 201)
    events = _events(cf)
    assert check_decisions(events).failures == []
    index = next(i for i, e in enumerate(events) if e["event_type"] == "AwardMade")

    document = copy.deepcopy(events)
    document[index]["payload"]["decision"]["content"]["rationale"] = "best quality"
    (failure,) = check_decisions(document).failures
    assert f"event {events[index]['seq']}: award" in failure
    assert "does not verify" in failure

    signature = copy.deepcopy(events)
    text = signature[index]["payload"]["signature"]["signature"]
    signature[index]["payload"]["signature"]["signature"] = ("B" if text[0] == "A" else "A") + text[1:]
    (failure,) = check_decisions(signature).failures
    assert "does not verify" in failure

    erased = copy.deepcopy(events)
    erased[index]["payload"]["signature"] = None  # a signed decision passed off as unsigned
    (failure,) = check_decisions(erased).failures
    assert "is unsigned, but they held key" in failure
