"""Signing the evaluation report in a real browser: a committee member opens the report page, loads their key file,
and static/sign.js signs the page's draft (a ``sign_report`` decision over the report's digest) with WebCrypto
Ed25519; the recorded signature verifies under the member's enrolled key, and the key file never leaves the page.

The page is in Ukrainian (the fixtures' locale), every label taken from the interface's own catalogue.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from playwright.sync_api import BrowserContext, Page, Request, expect
from scenario_steps import Language, log_in, visit
from sqlalchemy import select

from quartermaster.client import save_keys
from quartermaster.db.tx import Database
from quartermaster.decisions import decision_bytes
from quartermaster.events.models import Event
from quartermaster.identity.signatures import current_signing_key
from quartermaster.sealing.encoding import b64url_decode, b64url_encode
from quartermaster.types import FixedClock
from support.committee import Committee
from support.flows import Flow, ok, tender_body
from support.web import give_passwords
from support.world import World

PEOPLE = ("buyer", "evaluator", "evaluator2", "approver2")
SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
UK = Language("uk-UA")
_ = UK._
NewContext = Callable[..., BrowserContext]
Audit = Callable[[Page], list[str]]


@pytest.fixture
def f(api: httpx.Client, world: World, clock: FixedClock, database: Database) -> Flow:
    """The API flow on the live server in the sealing era, the committee's people with passwords for the pages."""
    clock.set(SEALING_ERA)
    give_passwords(database, clock, PEOPLE)
    return Flow(api, world, clock, database)  # type: ignore[arg-type]


def _opened(f: Flow, committee: Committee) -> str:
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = "8000000.00"
    draft = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    committee.appoint(draft["id"])
    f.advance_to(f.publish(draft["id"])["enquiry_end"])
    tender = f.tender(draft["id"], "buyer")
    lot = tender["lots"][0]["id"]
    for i, price in enumerate(("7100000.00", "7200000.00")):
        values = {"values": [{"lot_id": lot, "value": {"amount": price, "currency": "UAH"}}]}
        sealed = f.seal(tender["id"], f"supplier{i}", values)
        ok(f.c.post(f"/api/v1/tenders/{tender['id']}/bids", json=sealed, headers=f.h(f"supplier{i}")), 201)
    f.advance_to(tender["tender_end"])
    for member in ("evaluator", "evaluator2"):
        ok(committee.release(tender["id"], member))
    ok(f.c.post(f"/api/v1/tenders/{tender['id']}/open-bids", headers=f.h("evaluator")))
    return str(tender["id"])


def _report_signature(database: Database, tid: str) -> dict[str, Any]:
    with database.unit_of_work(write=False) as s:
        (payload,) = [
            dict(e.payload)
            for e in s.scalars(select(Event).where(Event.process_id == tid, Event.command == "sign_report"))
        ]
    return payload


def test_a_member_signs_the_report_with_their_key_file_in_the_page(
    f: Flow, new_context: NewContext, database: Database, tmp_path: Path, audit: Audit
) -> None:
    committee = Committee(f)
    tid = _opened(f, committee)
    key_path = tmp_path / "evaluator.json"
    save_keys(committee.keys["evaluator"], key_path)
    digest = ok(f.c.get(f"/api/v1/tenders/{tid}/evaluation-report", params={"format": "json"}, headers=f.h("buyer")))[
        "digest"
    ]
    page = log_in(new_context, UK, "evaluator")
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" else None)
    report = f"/buyer/tenders/{tid}/evaluation/report"

    visit(page, UK, "evaluator", report)
    assert audit(page) == []
    expect(page.frame_locator("iframe.report").locator("h1")).to_contain_text("Звіт про оцінку")
    form = page.locator("form[data-qm-command=sign_report]")
    form.get_by_label(_("Your key file (to sign)"), exact=True).set_input_files(key_path)
    expect(
        form.get_by_text(_("Your key file is loaded in this page: the decision will be signed with it."))
    ).to_be_visible()
    form.get_by_role("button", name=_("Sign the report")).click()
    expect(page.get_by_role("status")).to_have_text(_("You have signed the report."))
    expect(page.locator("form[data-qm-command=sign_report]")).to_have_count(0)

    assert [urlparse(r.url).path for r in posted] == [f"{report}/signatures/draft", f"{report}/signatures"]
    sent = parse_qs(posted[1].post_data or "")
    assert sorted(sent) == ["csrf", "digest", "signature"]
    assert sent["digest"] == [digest]
    keys = committee.keys["evaluator"]
    for request in posted:
        assert b64url_encode(keys.signing_private) not in (request.post_data or "")  # the key file stays in the page
    payload = _report_signature(database, tid)
    assert payload["digest"] == digest
    assert payload["decision"]["content"] == {"digest": digest}
    with database.unit_of_work(write=False) as s:
        key = current_signing_key(s, f.w["evaluator"].actor.user_id)
        assert key is not None
        enrolled = base64.urlsafe_b64decode(key.public_key + "=" * (-len(key.public_key) % 4))
    signature = b64url_decode(payload["signature"]["signature"], "signature")
    Ed25519PublicKey.from_public_bytes(enrolled).verify(signature, decision_bytes(payload["decision"]))
