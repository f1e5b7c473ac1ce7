"""Sealed bids in the web pages: the bid form that seals in the page (and refuses prices in the clear), the key page,
the committee on a draft tender and the opening ceremony. The browser's part (static/seal.js) is proven in
tests/browser/test_browser_sealing.py; here the envelope and the shares are made with the Python client, exactly as
the page's script makes them, so every server-side handler is exercised."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.bids.models import Bid
from quartermaster.client import new_keys, seal_prices
from quartermaster.db.tx import Database
from quartermaster.identity import keys as person_keys
from quartermaster.sealing import generate_key_pair
from quartermaster.sealing.encoding import b64url_encode
from quartermaster.types import FixedClock
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.web import csrf_of, give_passwords, person_client
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # rulebook 2026.1 seals bids
BIG = "6000000.00"  # opened by the committee's threshold key
PEOPLE = ("buyer", "approver", "evaluator", "evaluator2", "approver2", "supplier0", "supplier1", "supplier2")


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    give_passwords(database, clock, PEOPLE)
    return Flow(client, world, clock, database)


def _draft(f: Flow, amount: str = "1000000.00") -> str:
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = amount
    return str(ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)["id"])


def _tendering(f: Flow, tender_id: str) -> dict[str, Any]:
    published = f.publish(tender_id)
    if published["enquiry_end"]:
        f.advance_to(published["enquiry_end"])
    return f.tender(tender_id, "buyer")


def _sealed_upload(f: Flow, tender: dict[str, Any], supplier: str, price: str) -> dict[str, Any]:
    key = ok(f.c.get(f"/api/v1/tenders/{tender['id']}/opening-key"))["public_key"]
    org = f.w[supplier].organization_id
    assert org is not None
    lot = tender["lots"][0]["id"]
    return seal_prices(key, tender["id"], org, "UAH", {lot: Decimal(price)}).body()["sealed"]  # type: ignore[no-any-return]


def test_the_sealed_bid_form_posts_only_an_envelope_and_refuses_prices_in_the_clear(
    f: Flow, database: Database
) -> None:
    t = _tendering(f, _draft(f))
    lot = t["lots"][0]["id"]
    key = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))["public_key"]
    supplier = person_client(f.c, "supplier0")

    form = supplier.get(f"/supplier/tenders/{t['id']}/bid")
    plain = supplier.post(
        f"/supplier/tenders/{t['id']}/bid",
        data={"csrf": csrf_of(form.text), f"amount-{lot}": "812 345,67"},
        follow_redirects=False,
    )
    with database.unit_of_work(write=False) as s:
        after_plain = s.scalars(select(Bid).where(Bid.tender_id == t["id"])).all()
    sealed = _sealed_upload(f, t, "supplier0", "812345.67")
    sent = supplier.post(
        f"/supplier/tenders/{t['id']}/bid",
        data={"csrf": csrf_of(form.text), "envelope": sealed["envelope"], "lots": sealed["lots"]},
        follow_redirects=False,
    )
    receipt = supplier.get(sent.headers["location"])

    assert form.status_code == 200
    assert "data-qm-seal" in form.text
    assert f'data-public-key="{key}"' in form.text
    assert f'data-supplier="{f.w["supplier0"].organization_id}"' in form.text
    assert 'name="amount-' not in form.text  # a typed price has no form name: it is never posted
    assert '<script src="/static/seal.js" defer></script>' in form.text
    assert "quartermaster bid seal" in form.text  # the <noscript> way
    assert plain.status_code == 422
    assert "bid.must_be_sealed" in plain.text
    assert "812" not in plain.text  # the refused price is not echoed back
    assert after_plain == []
    assert sent.status_code == 303
    with database.unit_of_work(write=False) as s:
        bid = s.scalars(select(Bid).where(Bid.tender_id == t["id"])).one()
        assert (bid.envelope, bid.sealed_lots, list(bid.values)) == (sealed["envelope"], [lot], [])
        commitment = bid.commitment
    assert commitment
    assert commitment in receipt.text


def test_a_bad_or_foreign_envelope_is_refused_with_the_reason(f: Flow) -> None:
    t = _tendering(f, _draft(f))
    supplier = person_client(f.c, "supplier0")
    csrf = csrf_of(supplier.get(f"/supplier/tenders/{t['id']}/bid").text)
    theirs = _sealed_upload(f, t, "supplier1", "1000.00")

    garbage = supplier.post(
        f"/supplier/tenders/{t['id']}/bid",
        data={"csrf": csrf, "envelope": '{"not":"an envelope"}', "lots": t["lots"][0]["id"]},
    )
    foreign = supplier.post(
        f"/supplier/tenders/{t['id']}/bid", data={"csrf": csrf, "envelope": theirs["envelope"], "lots": theirs["lots"]}
    )
    no_lots = supplier.post(f"/supplier/tenders/{t['id']}/bid", data={"csrf": csrf, "envelope": theirs["envelope"]})

    assert (garbage.status_code, foreign.status_code, no_lots.status_code) == (422, 422, 422)
    assert "bid.bad_envelope" in garbage.text
    assert "bid.wrong_context" in foreign.text
    assert "bid.bad_envelope" in no_lots.text


def test_a_plaintext_tender_keeps_the_plain_form_and_refuses_an_envelope(
    client: TestClient, world: World, clock: FixedClock, database: Database
) -> None:
    flow = Flow(client, world, clock, database)  # March 2026: rulebook 2025.1, no sealing
    give_passwords(database, clock, ["supplier0"])
    tender_id = flow.to_tendering()
    supplier = person_client(client, "supplier0")

    form = supplier.get(f"/supplier/tenders/{tender_id}/bid")
    envelope = supplier.post(
        f"/supplier/tenders/{tender_id}/bid",
        data={"csrf": csrf_of(form.text), "envelope": '{"x":1}', "lots": "lot"},
    )

    assert 'name="amount-' in form.text
    assert "data-qm-seal" not in form.text
    assert "seal.js" not in form.text
    assert envelope.status_code == 422
    assert "bid.not_sealed" in envelope.text


def test_a_person_enrols_keys_with_a_proof_of_possession(f: Flow, database: Database) -> None:
    person = person_client(f.c, "evaluator")
    user_id = f.w["evaluator"].actor.user_id
    keys, other = new_keys(), new_keys()

    page = person.get("/me/keys")
    forged = dict(keys.enrolment(user_id), proof=other.enrolment(user_id)["proof"])
    refused = person.post("/me/keys", data={"csrf": csrf_of(page.text), **forged})
    done = person.post("/me/keys", data={"csrf": csrf_of(page.text), **keys.enrolment(user_id)}, follow_redirects=False)
    after = person.get(done.headers["location"])

    assert page.status_code == 200
    assert f'data-user="{user_id}"' in page.text
    assert "quartermaster keys new" in page.text  # the <noscript> way
    assert refused.status_code == 422
    assert "key.bad_proof" in refused.text
    assert done.status_code == 303
    assert b64url_encode(keys.custody_public) in after.text
    with database.unit_of_work(write=False) as s:
        custody = person_keys.current_key(s, user_id, person_keys.CUSTODY)
        assert custody is not None
        assert custody.public_key == keys.custody_public


def _appoint_form(f: Flow, tender_id: str, members: tuple[str, ...], chair: str, k: str) -> dict[str, Any]:
    return {
        "member": [f.w[m].actor.user_id for m in members],
        "chair": f.w[chair].actor.user_id,
        "threshold": k,
    }


def test_the_buyer_appoints_the_committee_on_the_draft(f: Flow) -> None:
    tender_id = _draft(f, BIG)
    buyer = person_client(f.c, "buyer")
    members = ("evaluator", "evaluator2", "approver2")

    page = buyer.get(f"/buyer/tenders/{tender_id}/committee")
    csrf = csrf_of(page.text)
    without_keys = buyer.post(
        f"/buyer/tenders/{tender_id}/committee",
        data={"csrf": csrf, **_appoint_form(f, tender_id, members, "evaluator", "2")},
    )
    Committee(f, members)  # each member enrols their own keys
    k_too_big = buyer.post(
        f"/buyer/tenders/{tender_id}/committee",
        data={"csrf": csrf, **_appoint_form(f, tender_id, members, "evaluator", "4")},
    )
    appointed = buyer.post(
        f"/buyer/tenders/{tender_id}/committee",
        data={"csrf": csrf, **_appoint_form(f, tender_id, members, "approver2", "2")},
        follow_redirects=False,
    )
    committee = ok(f.c.get(f"/api/v1/tenders/{tender_id}/committee", headers=f.h("buyer")))
    shown = buyer.get(f"/buyer/tenders/{tender_id}/committee")
    tender_page = buyer.get(f"/buyer/tenders/{tender_id}")

    assert page.status_code == 200
    assert f.w["evaluator"].actor.name in page.text
    assert without_keys.status_code == 422
    assert "committee.invalid" in without_keys.text
    assert f.w["evaluator2"].actor.name in without_keys.text  # the refusal names the person without a key
    assert k_too_big.status_code == 422
    assert appointed.status_code == 303
    assert committee["threshold"] == 2
    assert [(m["user_id"], m["role"]) for m in committee["members"]] == [
        (f.w["approver2"].actor.user_id, "chair"),
        (f.w["evaluator"].actor.user_id, "member"),
        (f.w["evaluator2"].actor.user_id, "member"),
    ]
    assert re.search(r"<dd>2</dd>", shown.text)
    assert f'href="/buyer/tenders/{tender_id}/committee"' in tender_page.text


def test_the_opening_ceremony_takes_k_shares_then_opens_every_bid_with_its_commitment(
    f: Flow, database: Database
) -> None:
    members = ("evaluator", "evaluator2", "approver2")
    committee = Committee(f, members)
    tender_id = _draft(f, BIG)
    committee.appoint(tender_id, threshold=2)
    t = _tendering(f, tender_id)
    good = _sealed_upload(f, t, "supplier0", "5500000.00")
    ok(f.c.post(f"/api/v1/tenders/{tender_id}/bids", json={"sealed": good}, headers=f.h("supplier0")), 201)
    # Sealed to a key that is not the tender's: accepted on receipt (the platform cannot tell), invalid at opening.
    stray = seal_prices(
        b64url_encode(generate_key_pair().public_key),
        tender_id,
        f.w["supplier1"].organization_id or "",
        "UAH",
        {t["lots"][0]["id"]: Decimal("5400000.00")},
    ).body()
    ok(f.c.post(f"/api/v1/tenders/{tender_id}/bids", json=stray, headers=f.h("supplier1")), 201)
    before = person_client(f.c, "evaluator").get(f"/buyer/tenders/{tender_id}/opening")
    f.clock.set(datetime.fromisoformat(t["tender_end"]))  # bidding has closed; the scheduler has not run yet
    evaluator, approver2, evaluator2 = (person_client(f.c, who) for who in ("evaluator", "approver2", "evaluator2"))
    bidders = sorted(f.w[s].organization_id or "" for s in ("supplier0", "supplier1"))

    def page_of(client: TestClient) -> Any:
        return client.get(f"/buyer/tenders/{tender_id}/opening")

    def declare(client: TestClient, answer: str) -> Any:
        data = {"csrf": csrf_of(page_of(client).text)} | {f"conflict-{b}": answer for b in bidders}
        return client.post(f"/buyer/tenders/{tender_id}/opening/declarations", data=data, follow_redirects=False)

    def release(client: TestClient, share: str) -> Any:
        data = {"csrf": csrf_of(page_of(client).text), "share": share}
        return client.post(f"/buyer/tenders/{tender_id}/opening/share", data=data, follow_redirects=False)

    page = page_of(evaluator)
    undeclared = release(evaluator, committee.share_of(tender_id, "evaluator"))
    declared = declare(evaluator, "no")
    after_declaring = page_of(evaluator)
    first = release(evaluator, committee.share_of(tender_id, "evaluator"))
    short = evaluator.post(f"/buyer/tenders/{tender_id}/opening/open", data={"csrf": csrf_of(page_of(evaluator).text)})
    stepped_down = declare(evaluator2, "yes")  # a declared conflict recuses the member
    recused_page = page_of(evaluator2)
    declare(approver2, "no")
    wrong = release(approver2, "{}")
    second = release(approver2, committee.share_of(tender_id, "approver2"))
    ready = page_of(evaluator)
    opened = evaluator.post(
        f"/buyer/tenders/{tender_id}/opening/open", data={"csrf": csrf_of(ready.text)}, follow_redirects=False
    )
    record = page_of(evaluator)

    assert before.status_code == 200
    assert "data-qm-share" not in before.text  # bidding still runs: nothing to release yet
    assert all(f'name="conflict-{b}"' in page.text for b in bidders)  # first the declarations
    assert "data-qm-share" not in page.text
    assert undeclared.status_code == 409
    assert "committee.declarations_missing" in undeclared.text
    assert declared.status_code == 303
    assert "data-qm-share" in after_declaring.text
    assert 'data-sealed-share="{&#34;aead&#34;:2' in after_declaring.text  # the member's own sealed share
    assert first.status_code == 303
    assert stepped_down.status_code == 303
    assert "You have stepped down" in recused_page.text
    assert "data-qm-share" not in recused_page.text
    assert short.status_code == 422
    assert "opening.not_enough_shares" in short.text
    assert wrong.status_code == 422
    assert "opening.bad_share" in wrong.text
    assert second.status_code == 303
    assert '<dd id="released">2</dd>' in ready.text
    assert "data-qm-share" not in ready.text  # the evaluator has released theirs
    assert opened.status_code == 303
    with database.unit_of_work(write=False) as s:
        rows = {b.supplier_id: b for b in s.scalars(select(Bid).where(Bid.tender_id == tender_id)).all()}
        valid = rows[f.w["supplier0"].organization_id or ""]
        invalid = rows[f.w["supplier1"].organization_id or ""]
        assert (valid.status, [v.amount for v in valid.values]) == ("valid", [Decimal("5500000.00")])
        assert invalid.status == "disqualified"
        assert invalid.status_reason
        assert "DecryptionError" in invalid.status_reason
        commitments = (valid.commitment, invalid.commitment)
    assert all(c and c in record.text for c in commitments)
    assert "5,500,000.00" in record.text
    assert "DecryptionError" in record.text


def test_only_the_buying_organizations_staff_see_the_committee_and_the_opening(f: Flow) -> None:
    tender_id = _draft(f, BIG)
    supplier = person_client(f.c, "supplier0")

    assert supplier.get(f"/buyer/tenders/{tender_id}/committee").status_code == 403
    assert supplier.get(f"/buyer/tenders/{tender_id}/opening").status_code == 403
    assert person_client(f.c, "buyer").get("/buyer/tenders/nope/opening").status_code == 404
