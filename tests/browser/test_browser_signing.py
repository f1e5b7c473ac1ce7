"""Signed decisions in a real browser: an approver with an enrolled signing key loads their key file in the
evaluation page and awards, then cancels the award; static/sign.js signs the page's draft with WebCrypto Ed25519 and
the events carry signatures that verify under the enrolled public key. The key file never leaves the page.

The page is in Ukrainian (the fixtures' locale), every label taken from the interface's own catalogue; no page may
load anything from another site or log a script error.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from playwright.sync_api import BrowserContext, Page, Request, expect
from scenario_steps import Language, log_in, visit
from sqlalchemy import select

from quartermaster.client import PersonKeys, new_keys, save_keys
from quartermaster.db.tx import Database
from quartermaster.decisions import decision_bytes
from quartermaster.events.models import Event
from quartermaster.identity.signatures import current_signing_key
from quartermaster.sealing.encoding import b64url_decode, b64url_encode
from quartermaster.types import FixedClock
from support.flows import Flow, ok
from support.web import give_passwords
from support.world import World

PEOPLE = ("buyer", "approver", "evaluator", "evaluator2", "supplier0", "supplier1")
UK = Language("uk-UA")
_ = UK._
NewContext = Callable[..., BrowserContext]
Audit = Callable[[Page], list[str]]


@pytest.fixture
def f(api: httpx.Client, world: World, clock: FixedClock, database: Database) -> Flow:
    """The API flow on the live server, everyone with a password for the pages."""
    give_passwords(database, clock, PEOPLE)
    return Flow(api, world, clock, database)  # type: ignore[arg-type]


def _qualification(f: Flow) -> tuple[str, str, str]:
    """An open tender in qualification with two evaluated bids: (tender, lot, best-ranked bid)."""
    tid = f.to_tendering()
    f.bid(tid, "supplier0", "150000.00")
    f.bid(tid, "supplier1", "100000.00")
    f.open(tid)
    f.evaluate_all(tid)
    lot_id = f.tender(tid)["lots"][0]["id"]
    ranking = ok(f.c.get(f"/api/v1/tenders/{tid}/lots/{lot_id}/ranking"))
    return tid, lot_id, ranking[0]["bid_id"]


def _enrolled_key_file(f: Flow, who: str, path: Path) -> PersonKeys:
    """A key file made with the command line's client, its public halves enrolled through the API."""
    keys = new_keys()
    save_keys(keys, path)
    ok(f.c.put("/api/v1/me/keys", json=keys.enrolment(f.w[who].actor.user_id), headers=f.h(who)))
    return keys


def _decision_event(database: Database, command: str) -> dict[str, Any]:
    with database.unit_of_work(write=False) as s:
        events = s.scalars(select(Event).where(Event.command == command))
        (payload,) = [dict(e.payload) for e in events if "signature" in e.payload]
    return payload


def _verify(database: Database, user_id: str, payload: dict[str, Any]) -> None:
    """The recorded signature verifies under the person's enrolled Ed25519 key over the recorded document."""
    with database.unit_of_work(write=False) as s:
        key = current_signing_key(s, user_id)
        assert key is not None
        enrolled = base64.urlsafe_b64decode(key.public_key + "=" * (-len(key.public_key) % 4))
        assert payload["signature"]["key_id"] == key.id
    assert payload["signature"]["scheme"] == "ed25519"
    signature = b64url_decode(payload["signature"]["signature"], "signature")
    Ed25519PublicKey.from_public_bytes(enrolled).verify(signature, decision_bytes(payload["decision"]))
    changed = {**payload["decision"], "object": "another"}
    with pytest.raises(InvalidSignature):  # and it covers the document: a changed decision does not verify
        Ed25519PublicKey.from_public_bytes(enrolled).verify(signature, decision_bytes(changed))


def test_an_approver_loads_a_key_file_and_awards_with_a_signature_made_in_the_page(
    f: Flow, new_context: NewContext, database: Database, tmp_path: Path, audit: Audit
) -> None:
    tid, lot_id, best = _qualification(f)
    keys = _enrolled_key_file(f, "approver", tmp_path / "approver.json")
    stranger = tmp_path / "someone-else.json"
    save_keys(new_keys(), stranger)
    me = f.w["approver"].actor.user_id
    page = log_in(new_context, UK, "approver")
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" else None)
    evaluation = f"/buyer/tenders/{tid}/evaluation"

    visit(page, UK, "approver", evaluation)
    assert audit(page) == []
    award = page.locator("form[data-qm-command=award]")
    key_file = award.get_by_label(_("Your key file (to sign)"), exact=True)
    key_file.set_input_files(stranger)
    expect(award.get_by_role("alert")).to_have_text(
        _(
            "This key file does not hold the signing key you enrolled: choose the key file you enrolled on the "
            "My keys page."
        )
    )
    key_file.set_input_files(tmp_path / "approver.json")
    expect(award.get_by_role("alert")).to_be_hidden()
    loaded = _("Your key file is loaded in this page: the decision will be signed with it.")
    expect(award.get_by_text(loaded)).to_be_visible()
    signing_forms = page.locator("form[data-qm-sign]").count()
    assert signing_forms >= 3  # the award and a disqualification per bid: the key loaded once serves them all
    expect(page.locator("[data-qm-sign-loaded]:not([hidden])")).to_have_count(signing_forms)
    assert posted == []  # loading a key posts nothing

    award.get_by_label(_("Rationale"), exact=True).fill("найнижча ціна відповідної пропозиції")
    award.get_by_role("button", name=_("Award the lot")).click()
    cancel = page.locator("form[data-qm-command=cancel_award]")
    expect(cancel).to_have_count(1)
    assert audit(page) == []

    assert [urlparse(r.url).path for r in posted] == [
        f"{evaluation}/lots/{lot_id}/award/draft",
        f"{evaluation}/lots/{lot_id}/award",
    ]
    form = parse_qs(posted[1].post_data or "")
    assert sorted(form) == ["bid_ids", "csrf", "rationale", "signature"]
    assert form["bid_ids"] == [best]
    for request in posted:
        body = request.post_data or ""
        assert b64url_encode(keys.signing_private) not in body  # the key file never leaves the page
        assert b64url_encode(keys.custody_private) not in body
    payload = _decision_event(database, "award")
    assert payload["signature"]["signature"] == form["signature"][0]
    assert payload["decision"]["content"]["rationale"] == "найнижча ціна відповідної пропозиції"
    assert payload["decision"]["content"]["bid_ids"] == [best]
    _verify(database, me, payload)

    # A new page: the key is loaded again, in the award cancellation's form this time.
    cancel.locator("xpath=..").locator("summary").click()
    cancel.get_by_label(_("Your key file (to sign)"), exact=True).set_input_files(tmp_path / "approver.json")
    cancel.get_by_label(_("Reason"), exact=True).fill("скаргу задоволено")
    cancel.get_by_role("button", name=_("Cancel the award")).click()
    expect(page.locator("form[data-qm-command=award]")).to_have_count(1)  # the lot is open for award again
    payload = _decision_event(database, "cancel_award")
    assert payload["decision"]["content"] == {"reason": "скаргу задоволено"}
    _verify(database, me, payload)


def test_an_award_without_a_key_file_is_not_posted(
    f: Flow, new_context: NewContext, database: Database, tmp_path: Path
) -> None:
    tid, _lot_id, _best = _qualification(f)
    _enrolled_key_file(f, "approver", tmp_path / "approver.json")
    page = log_in(new_context, UK, "approver")
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" else None)

    visit(page, UK, "approver", f"/buyer/tenders/{tid}/evaluation")
    award = page.locator("form[data-qm-command=award]")
    award.get_by_role("button", name=_("Award the lot")).click()
    expect(award.get_by_role("alert")).to_have_text(_("Choose your key file to sign this decision."))
    assert posted == []
    with database.unit_of_work(write=False) as s:
        assert list(s.scalars(select(Event).where(Event.command == "award"))) == []
