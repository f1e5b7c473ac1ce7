"""Signing decisions in the pages: a person with an enrolled signing key gets the signing step in the award,
disqualification, award cancellation and contract signature forms; the page's draft address answers the document the
API's draft gives, a form posted with the signature over it is accepted and its event records the signature, and an
unsigned or badly signed one is refused with the explanation (``static/sign.js`` itself: tests/browser)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import select

from quartermaster.awards.models import Award
from quartermaster.bids.models import Bid
from quartermaster.client import PersonKeys, new_keys
from quartermaster.contracts.models import Contract
from quartermaster.db.tx import Database
from quartermaster.decisions import decision_bytes
from quartermaster.events.models import Event
from quartermaster.identity.signatures import current_signing_key
from quartermaster.sealing.encoding import b64url_decode, b64url_encode
from quartermaster.types import FixedClock
from quartermaster.verify import check_decisions
from quartermaster.web.i18n import translations
from support.contract_flows import ContractFlow
from support.flows import ok
from support.web import csrf_of, give_passwords, person_client
from support.world import World

PEOPLE = ("buyer", "approver", "evaluator", "evaluator2", "supplier0", "supplier1", "auditor")
REQUIRED = "You have an enrolled signing key, so this decision must be signed with it"


@pytest.fixture
def cf(client: TestClient, world: World, clock: FixedClock, database: Database) -> ContractFlow:
    give_passwords(database, clock, PEOPLE)
    return ContractFlow(client, world, clock, database)


def enrol(cf: ContractFlow, who: str) -> PersonKeys:
    """Fresh keys for ``who``, enrolled through the API; the key file stays in the test."""
    keys = new_keys()
    ok(cf.c.put("/api/v1/me/keys", json=keys.enrolment(cf.w[who].actor.user_id), headers=cf.h(who)))
    return keys


def _qualification(cf: ContractFlow) -> tuple[str, str, str, str]:
    """An open tender in qualification with two evaluated bids: (tender, lot, best-ranked bid, the other bid)."""
    tid = cf.to_tendering()
    cf.bid(tid, "supplier0", "150000.00")
    cf.bid(tid, "supplier1", "100000.00")
    cf.open(tid)
    cf.evaluate_all(tid)
    lot_id = cf.tender(tid)["lots"][0]["id"]
    ranking = ok(cf.c.get(f"/api/v1/tenders/{tid}/lots/{lot_id}/ranking"))
    return tid, lot_id, ranking[0]["bid_id"], ranking[1]["bid_id"]


def _page(tid: str) -> str:
    return f"/buyer/tenders/{tid}/evaluation"


def _post(who: TestClient, url: str, page_url: str, data: dict[str, Any]) -> Any:
    csrf = csrf_of(who.get(page_url).text)
    return who.post(url, data={**data, "csrf": csrf}, follow_redirects=False)


def _sign(keys: PersonKeys, draft: dict[str, Any]) -> str:
    """The signature the page makes: over the draft's bytes, once they are the canonical form of its document."""
    data = b64url_decode(draft["canonical"], "canonical")
    assert data == decision_bytes(draft["document"])
    return b64url_encode(keys.sign(data))


def _signed_post(
    who: TestClient, keys: PersonKeys, url: str, page_url: str, data: dict[str, Any]
) -> tuple[dict[str, Any], Any]:
    """Post the form to its draft address, sign the answer and post the form with the signature: (draft, answer)."""
    drafted = _post(who, url + "/draft", page_url, data)
    assert drafted.status_code == 200, drafted.text
    assert drafted.headers["content-type"] == "application/json"
    draft = drafted.json()
    return draft, _post(who, url, page_url, {**data, "signature": _sign(keys, draft)})


def _events(database: Database, command: str) -> list[Event]:
    """The decision events of ``command`` (the ones recording a signature, or its absence), oldest first."""
    with database.unit_of_work(write=False) as s:
        rows = [
            row
            for row in s.scalars(select(Event).where(Event.command == command).order_by(Event.seq))
            if "signature" in row.payload
        ]
        for row in rows:
            s.expunge(row)
    return rows


def _api_events(cf: ContractFlow) -> list[dict[str, Any]]:
    return ok(cf.c.get("/api/v1/events", params={"limit": 1000}, headers=cf.h("auditor")))["data"]  # type: ignore[no-any-return]


def _verifies(database: Database, user_id: str, payload: dict[str, Any]) -> bool:
    """Whether the recorded signature verifies under the person's enrolled key over the recorded document."""
    with database.unit_of_work(write=False) as s:
        key = current_signing_key(s, user_id)
        assert key is not None
        public = base64.urlsafe_b64decode(key.public_key + "=" * (-len(key.public_key) % 4))
        assert payload["signature"]["key_id"] == key.id
    signature = b64url_decode(payload["signature"]["signature"], "signature")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, decision_bytes(payload["decision"]))
    except Exception:
        return False
    return True


def test_a_keyed_approver_awards_with_a_signature_made_over_the_pages_draft(
    cf: ContractFlow, database: Database, world: World
) -> None:
    tid, lot_id, best, _ = _qualification(cf)
    keys = enrol(cf, "approver")
    approver = person_client(cf.c, "approver")
    award_url = f"{_page(tid)}/lots/{lot_id}/award"

    page = approver.get(_page(tid))
    assert f'data-qm-sign="{award_url}/draft"' in page.text
    assert f'data-qm-object="{lot_id}"' in page.text
    assert 'name="signature"' in page.text
    assert "Your key file (to sign)" in page.text
    assert '<script src="/static/sign.js" defer></script>' in page.text
    assert "Signing in the page needs JavaScript" in page.text  # the <noscript> explanation

    unsigned = _post(approver, award_url, _page(tid), {"bid_ids": best, "rationale": "lowest price"})
    assert unsigned.status_code == 422
    assert "decision.signature_required" in unsigned.text
    assert REQUIRED in unsigned.text
    assert "lowest price" in unsigned.text  # what was typed is kept
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Award).where(Award.tender_id == tid)).all() == []

    no_csrf = approver.post(award_url + "/draft", data={"bid_ids": best}, follow_redirects=False)
    assert no_csrf.status_code == 403

    draft, made = _signed_post(approver, keys, award_url, _page(tid), {"bid_ids": best, "rationale": "lowest price"})
    api_draft = ok(
        cf.c.post(
            "/api/v1/decisions/draft",
            json={"command": "award", "object_id": lot_id, "body": {"bid_ids": [best], "rationale": "lowest price"}},
            headers=cf.h("approver"),
        )
    )
    assert {k: draft[k] for k in api_draft} == api_draft  # the page signs exactly what the API would
    assert draft["public_key"] == b64url_encode(keys.signing_public)
    assert made.status_code == 303, made.text

    (event,) = _events(database, "award")
    assert event.payload["signature"]["scheme"] == "ed25519"
    assert event.payload["decision"] == draft["document"]
    assert event.payload["decision"]["content"]["rationale"] == "lowest price"
    assert _verifies(database, world["approver"].actor.user_id, event.payload)
    report = check_decisions(_api_events(cf))
    assert (report.signed, report.failures) == (1, [])


def test_a_bad_or_malformed_signature_is_refused_and_explained(cf: ContractFlow, database: Database) -> None:
    tid, lot_id, best, _ = _qualification(cf)
    keys = enrol(cf, "approver")
    approver = person_client(cf.c, "approver")
    award_url = f"{_page(tid)}/lots/{lot_id}/award"

    _, wrong_key = _signed_post(approver, new_keys(), award_url, _page(tid), {"bid_ids": best})
    assert wrong_key.status_code == 422
    assert "decision.bad_signature" in wrong_key.text
    assert "The signature does not verify under your enrolled signing key" in wrong_key.text

    draft = _post(approver, award_url + "/draft", _page(tid), {"bid_ids": best, "rationale": "as drafted"}).json()
    changed = _post(
        approver,
        award_url,
        _page(tid),
        {"bid_ids": best, "rationale": "changed after drafting", "signature": _sign(keys, draft)},
    )
    assert changed.status_code == 422  # the right key, but over another decision than the one posted
    assert "decision.bad_signature" in changed.text
    malformed = _post(approver, award_url, _page(tid), {"bid_ids": best, "signature": "not base64!"})
    assert malformed.status_code == 422
    assert "decision.bad_signature" in malformed.text
    with database.unit_of_work(write=False) as s:
        assert s.scalars(select(Award).where(Award.tender_id == tid)).all() == []


def test_the_draft_address_refuses_as_problem_json_what_the_command_would_refuse(cf: ContractFlow) -> None:
    tid, lot_id, _, _ = _qualification(cf)
    other_tender = cf.to_tendering()
    enrol(cf, "approver")
    approver = person_client(cf.c, "approver")

    nothing_chosen = _post(approver, f"{_page(tid)}/lots/{lot_id}/award/draft", _page(tid), {})
    assert nothing_chosen.status_code == 422
    assert nothing_chosen.headers["content-type"] == "application/problem+json"
    assert nothing_chosen.json()["code"] == "validation.failed"
    unknown_bid = _post(approver, f"{_page(tid)}/bids/nope/disqualify/draft", _page(tid), {"reason": "late"})
    assert (unknown_bid.status_code, unknown_bid.json()["code"]) == (404, "bid.not_found")
    elsewhere = _post(approver, f"{_page(other_tender)}/lots/{lot_id}/award/draft", _page(tid), {"bid_ids": "x"})
    assert elsewhere.status_code == 404, elsewhere.text[:3000]
    assert elsewhere.json()["code"] == "lot.not_found"

    supplier = person_client(cf.c, "supplier0")
    csrf = csrf_of(supplier.get("/supplier").text)
    outsider = supplier.post(f"{_page(tid)}/lots/{lot_id}/award/draft", data={"csrf": csrf})
    assert outsider.status_code == 403


def test_disqualification_and_award_cancellation_are_signed_in_the_page(
    cf: ContractFlow, database: Database, world: World
) -> None:
    tid, lot_id, best, worse = _qualification(cf)
    keys = enrol(cf, "approver")
    approver = person_client(cf.c, "approver")
    dq_url = f"{_page(tid)}/bids/{worse}/disqualify"

    page = approver.get(_page(tid))
    assert f'data-qm-sign="{dq_url}/draft"' in page.text
    assert 'data-qm-command="disqualify_bid"' in page.text
    short = _post(approver, dq_url, _page(tid), {"reason": "no", "lot_id": lot_id})
    assert short.status_code == 422  # read as the API reads it: a reason of at least three characters
    assert "validation.failed" in short.text
    unsigned = _post(approver, dq_url, _page(tid), {"reason": "forged guarantee", "lot_id": lot_id})
    assert unsigned.status_code == 422
    assert "decision.signature_required" in unsigned.text
    draft, gone = _signed_post(approver, keys, dq_url, _page(tid), {"reason": "  forged guarantee ", "lot_id": lot_id})
    assert draft["document"]["content"] == {"reason": "forged guarantee"}
    assert gone.status_code == 303, gone.text
    with database.unit_of_work(write=False) as s:
        assert s.get(Bid, worse).status == "disqualified"  # type: ignore[union-attr]

    award_url = f"{_page(tid)}/lots/{lot_id}/award"
    assert _signed_post(approver, keys, award_url, _page(tid), {"bid_ids": best})[1].status_code == 303
    award_id = ok(cf.c.get(f"/api/v1/tenders/{tid}/awards"))[0]["id"]
    cancel_url = f"{_page(tid)}/awards/{award_id}/cancel"
    assert f'data-qm-sign="{cancel_url}/draft"' in approver.get(_page(tid)).text
    refused = _post(approver, cancel_url, _page(tid), {"reason": "complaint upheld"})
    assert refused.status_code == 422
    assert REQUIRED in refused.text
    _, cancelled = _signed_post(approver, keys, cancel_url, _page(tid), {"reason": "complaint upheld"})
    assert cancelled.status_code == 303, cancelled.text
    with database.unit_of_work(write=False) as s:
        assert s.get(Award, award_id).status == "cancelled"  # type: ignore[union-attr]

    me = world["approver"].actor.user_id
    for command in ("disqualify_bid", "award", "cancel_award"):
        (event,) = _events(database, command)
        assert _verifies(database, me, event.payload), command
    report = check_decisions(_api_events(cf))
    assert (report.signed, report.failures) == (3, [])


def test_both_parties_sign_the_contract_in_their_pages(cf: ContractFlow, database: Database, world: World) -> None:
    contract = cf.awarded()
    cid = contract["id"]
    cf.advance_to(contract["not_before"])
    buyer_keys = enrol(cf, "approver")
    supplier_keys = enrol(cf, "supplier1")
    approver = person_client(cf.c, "approver")
    supplier = person_client(cf.c, "supplier1")
    buyer_page, supplier_page = f"/buyer/contracts/{cid}", f"/supplier/contracts/{cid}"

    assert f'data-qm-sign="{buyer_page}/sign/draft"' in approver.get(buyer_page).text
    assert f'data-qm-sign="{supplier_page}/sign/draft"' in supplier.get(supplier_page).text
    refused = _post(approver, f"{buyer_page}/sign", buyer_page, {})
    assert refused.status_code == 422
    assert "decision.signature_required" in refused.text
    assert REQUIRED in refused.text

    draft, signed = _signed_post(approver, buyer_keys, f"{buyer_page}/sign", buyer_page, {})
    assert draft["document"]["content"]["side"] == "buyer"
    assert signed.status_code == 303, signed.text
    stolen = _post(supplier, f"{supplier_page}/sign", supplier_page, {"signature": _sign(supplier_keys, draft)})
    assert stolen.status_code == 422
    assert "decision.bad_signature" in stolen.text
    draft, signed = _signed_post(supplier, supplier_keys, f"{supplier_page}/sign", supplier_page, {})
    assert draft["document"]["content"]["side"] == "supplier"
    assert signed.status_code == 303, signed.text
    with database.unit_of_work(write=False) as s:
        assert s.get(Contract, cid).status == "active"  # type: ignore[union-attr]

    buyer_event, supplier_event = _events(database, "sign_contract")
    assert _verifies(database, world["approver"].actor.user_id, buyer_event.payload)
    assert _verifies(database, world["supplier1"].actor.user_id, supplier_event.payload)
    report = check_decisions(_api_events(cf))
    assert (report.signed, report.failures) == (2, [])


def test_a_person_without_a_key_gets_no_signing_step_and_acts_unsigned(cf: ContractFlow, database: Database) -> None:
    tid, lot_id, best, _ = _qualification(cf)
    approver = person_client(cf.c, "approver")

    page = approver.get(_page(tid))
    assert "data-qm-sign" not in page.text
    assert "/static/sign.js" not in page.text
    draft = _post(approver, f"{_page(tid)}/lots/{lot_id}/award/draft", _page(tid), {"bid_ids": best}).json()
    assert (draft["key_id"], draft["public_key"]) == (None, None)
    made = _post(approver, f"{_page(tid)}/lots/{lot_id}/award", _page(tid), {"bid_ids": best})
    assert made.status_code == 303
    (event,) = _events(database, "award")
    assert event.payload["signature"] is None


def test_the_signing_step_speaks_ukrainian(cf: ContractFlow) -> None:
    tid, lot_id, best, _ = _qualification(cf)
    enrol(cf, "approver")
    uk = translations("uk")
    approver = person_client(cf.c, "approver", lang="uk")
    page = approver.get(_page(tid))
    for text in ("Your key file (to sign)", "Choose your key file to sign this decision."):
        assert uk.gettext(text) != text
        assert uk.gettext(text) in page.text
    refused = _post(approver, f"{_page(tid)}/lots/{lot_id}/award", _page(tid), {"bid_ids": best})
    assert refused.status_code == 422
    explanation = uk.gettext(
        "You have an enrolled signing key, so this decision must be signed with it: choose your key file in the "
        "form (signing in the page needs JavaScript), or take the decision through the API."
    )
    assert explanation.startswith("У вас є зареєстрований ключ підпису")
    assert explanation in refused.text
