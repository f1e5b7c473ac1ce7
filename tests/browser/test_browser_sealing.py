"""Sealed bids in a real browser: static/seal.js against the known answer, a bid sealed in the page whose request
carries no price, and the opening ceremony with committee members releasing their shares from key files.

Each person has a browser of their own; the pages are in Ukrainian (the fixtures' locale) and every label is taken
from the interface's own catalogue. No page may load anything from another site or log a script error.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect
from scenario_steps import Language, heading, log_in, move_to, visit
from sqlalchemy import select

from quartermaster.bids.models import Bid
from quartermaster.client import load_keys, new_keys, save_keys, seal_prices
from quartermaster.client.keyfile import parse_keys
from quartermaster.committees.models import OpeningKey
from quartermaster.db.tx import Database
from quartermaster.identity import keys as person_keys
from quartermaster.sealing import BidContext, open_bid, parse_sealed_bid
from quartermaster.sealing.encoding import b64url_encode
from quartermaster.sealing.prices import parse_price_payload
from quartermaster.types import FixedClock
from support.flows import Flow, ok, tender_body
from support.web import PASSWORD, give_passwords
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # rulebook 2026.1 seals bids
BIG = "6000000.00"  # opened by the committee's threshold key
PEOPLE = ("buyer", "approver", "evaluator", "evaluator2", "approver2", "supplier0", "supplier1")
UK = Language("uk-UA")
_ = UK._
NewContext = Callable[..., BrowserContext]
Audit = Callable[[Page], list[str]]

# RFC 9180 A.1.1's recipient and ephemeral keys; the envelope docs/sealing.md pins for them.
KAT_PK = bytes.fromhex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
KAT_SK = bytes.fromhex("4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8")
KAT_EPHEMERAL = bytes.fromhex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
KAT_EPHEMERAL_PUBLIC = bytes.fromhex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431")
KAT_ENVELOPE = (
    '{"aead":2,"ct":"joFx2Rxq3G9qyPzkQxGagE1cZ_YObp8gTCBp5VGGqzaVgd40ZwY_4jnjL_KNSBSCCdKydXlb12FI0TbXIfAubw",'
    '"enc":"N_2jVnvb1ijohmjDyNfpfR0SU7bU6m1EwVD3QfG_RDE","kdf":1,"kem":32,"lot":"lot-1","supplier":"supplier-42",'
    '"tender":"UA-2026-000123","type":"quartermaster.sealed-bid","v":1}'
)
KAT_COMMITMENT = "58967dee69438e31cd815209054972cdf88a08a4a28d73b36f4909bc1b167a5e"

KAT_SCRIPT = """async ([pk, sk, d, x]) => {
  const S = window.QMSeal;
  const utf8 = new TextEncoder();
  const privateKey = await crypto.subtle.importKey(
    "jwk", {kty: "OKP", crv: "X25519", d, x}, {name: "X25519"}, true, ["deriveBits"]);
  const publicKey = await crypto.subtle.importKey("raw", S.fromB64url(x), {name: "X25519"}, true, []);
  const info = utf8.encode(S.canonical({type: "quartermaster.sealed-bid", v: 1, tender: "UA-2026-000123"}));
  const aad = utf8.encode(S.canonical({supplier: "supplier-42", lot: "lot-1"}));
  const payload = S.pricePayload("UAH", {"lot-1": "1500000.50"});
  const {enc, ct} = await S.seal(S.fromB64url(pk), info, aad, payload, {privateKey, publicKey});
  const sealed = await S.envelopeOf({tender: "UA-2026-000123", supplier: "supplier-42", lot: "lot-1"}, enc, ct);
  const opened = await S.open(S.fromB64url(sk), enc, info, aad, ct);
  let tampered = "opened";
  try { await S.open(S.fromB64url(sk), enc, info, utf8.encode("{}"), ct); } catch (e) { tampered = "refused"; }
  return {...sealed, opened: new TextDecoder().decode(opened), tampered};
}"""


@pytest.fixture
def f(api: httpx.Client, world: World, clock: FixedClock, database: Database) -> Flow:
    """The API flow at a time whose rulebook seals bids, everyone with a password for the pages."""
    clock.set(SEALING_ERA)
    give_passwords(database, clock, PEOPLE)
    return Flow(api, world, clock, database)  # type: ignore[arg-type]


def _draft(f: Flow, amount: str) -> str:
    body = tender_body("open")
    body["lots"][0]["value"]["amount"] = amount
    return str(ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)["id"])


def _tendering(f: Flow, tender_id: str) -> dict[str, Any]:
    published = f.publish(tender_id)
    if published["enquiry_end"]:
        f.advance_to(published["enquiry_end"])
    return f.tender(tender_id, "buyer")


def test_the_page_script_reproduces_the_known_answer_byte_for_byte(page: Page) -> None:
    page.goto("/")
    page.add_script_tag(url="/static/seal.js")
    result = page.evaluate(
        KAT_SCRIPT,
        [
            b64url_encode(KAT_PK),
            b64url_encode(KAT_SK),
            b64url_encode(KAT_EPHEMERAL),
            b64url_encode(KAT_EPHEMERAL_PUBLIC),
        ],
    )

    assert result["envelope"] == KAT_ENVELOPE
    assert result["commitment"] == KAT_COMMITMENT
    assert result["opened"] == '{"currency":"UAH","lots":{"lot-1":"1500000.50"}}'
    assert result["tampered"] == "refused"


def test_a_bid_is_sealed_in_the_page_and_its_request_holds_no_price(
    f: Flow, new_context: NewContext, database: Database, app: Any, audit: Audit
) -> None:
    t = _tendering(f, _draft(f, "1000000.00"))  # below the threshold: the platform's key
    page = log_in(new_context, UK, "supplier0")
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" and r.url.endswith("/bid") else None)

    visit(page, UK, "supplier0", f"/supplier/tenders/{t['id']}/bid")
    expect(page.get_by_text("quartermaster bid seal --submit")).to_be_hidden()  # the note for pages without script
    assert audit(page) == []
    page.get_by_label("Lot 1", exact=True).fill("812 345,67")
    page.get_by_role("button", name=_("Seal and submit the bid")).click()
    expect(heading(page)).to_have_text(_("Bid receipt"))
    expect(page.get_by_text(_("Matches what your browser sealed"), exact=True)).to_be_visible()
    expect(page.get_by_text(_("Does not match what your browser sealed"), exact=True)).to_be_hidden()

    assert len(posted) == 1
    body = posted[0].post_data or ""
    form = parse_qs(body)
    assert sorted(form) == ["csrf", "envelope", "lots"]
    for typed in ("812 345,67", "812345,67", "812345.67", "812+345%2C67", "812345%2C67"):
        assert typed not in body
    assert form["lots"] == [t["lots"][0]["id"]]
    envelope = form["envelope"][0]
    with database.unit_of_work(write=False) as s:
        bid = s.scalars(select(Bid).where(Bid.tender_id == t["id"])).one()
        stored, commitment, values = bid.envelope, bid.commitment, list(bid.values)
    assert (stored, values) == (envelope, [])
    # The server's own opening (the platform vault's key) finds exactly the typed price.
    with database.unit_of_work(write=False) as s:
        row = s.get(OpeningKey, t["id"])
        assert row is not None
        assert row.wrapped_private_key is not None
        private = app.state.qm.vault.unwrap(t["id"], row.wrapped_private_key)
    org = f.w["supplier0"].organization_id
    assert org is not None
    plaintext = open_bid(
        private, parse_sealed_bid(envelope.encode()), commitment or "", expected_context=BidContext(t["id"], org)
    )
    assert parse_price_payload(plaintext) == ("UAH", {t["lots"][0]["id"]: Decimal("812345.67")})


def _enrol_in_browser(page: Page, username: str, downloads: Path, audit: Audit) -> Path:
    """Make keys in the page, download the key file and enrol its public halves; the key file's path."""
    visit(page, UK, username, "/me/keys")
    assert audit(page) == []
    page.get_by_role("button", name=_("Make new keys")).click()
    with page.expect_download() as download:
        page.get_by_role("link", name=_("Download your key file")).click()
    path = downloads / f"{username}.json"
    download.value.save_as(path)
    page.get_by_role("button", name=_("Enrol these keys")).click()
    expect(page.get_by_role("status")).to_contain_text(
        _(
            "Your keys are enrolled. Keep your key file safe: you need it at every opening, "
            "and nobody can recover it for you."
        )
    )
    return path


def _enrol_from_file(page: Page, username: str, path: Path) -> None:
    """Enrol the public halves of an existing key file (made with the command line's client)."""
    visit(page, UK, username, "/me/keys")
    page.get_by_label(_("Or choose your key file"), exact=True).set_input_files(path)
    page.get_by_role("button", name=_("Enrol these keys")).click()
    expect(page.get_by_role("status")).to_be_visible()


def test_the_committee_releases_k_shares_from_key_files_and_opens_the_bids(
    f: Flow, new_context: NewContext, database: Database, clock: FixedClock, tmp_path: Path, audit: Audit
) -> None:
    members = {name: log_in(new_context, UK, name) for name in ("evaluator", "evaluator2", "approver2")}
    files = {name: _enrol_in_browser(members[name], name, tmp_path, audit) for name in ("evaluator", "evaluator2")}
    files["approver2"] = tmp_path / "approver2.json"
    save_keys(new_keys(), files["approver2"])
    _enrol_from_file(members["approver2"], "approver2", files["approver2"])
    for name in members:  # each declares their identifier and past employers (there is no page for it yet)
        me = {"national_id": f"ID-{name}", "past_employers": []}
        ok(f.c.put("/api/v1/me/interests", json=me, headers=f.h(name)))
    with database.unit_of_work(write=False) as s:
        for name, path in files.items():
            enrolled = person_keys.current_key(s, f.w[name].actor.user_id, person_keys.CUSTODY)
            assert enrolled is not None
            assert enrolled.public_key == load_keys(path).custody_public  # the downloaded file is the CLI's format
    assert (
        parse_keys(files["evaluator"].read_bytes()).signing_private
        != parse_keys(files["evaluator2"].read_bytes()).signing_private
    )

    tender_id = _draft(f, BIG)
    buyer = log_in(new_context, UK, "buyer")
    visit(buyer, UK, "buyer", f"/buyer/tenders/{tender_id}")
    buyer.get_by_role("link", name=_("Evaluation committee")).click()
    expect(buyer.get_by_label(_("Shares needed to open (k)"), exact=True)).to_be_visible()  # loaded: audit it
    assert audit(buyer) == []
    for name in members:
        buyer.get_by_label(_("%(name)s is a member", name=f.w[name].actor.name), exact=True).check()
    buyer.get_by_label(_("%(name)s chairs", name=f.w["evaluator"].actor.name), exact=True).check()
    buyer.get_by_label(_("Shares needed to open (k)"), exact=True).fill("2")
    buyer.get_by_role("button", name=_("Appoint the committee")).click()
    expect(buyer.locator("ul.committee li")).to_have_count(3)

    t = _tendering(f, tender_id)
    key = ok(f.c.get(f"/api/v1/tenders/{tender_id}/opening-key"))
    assert (key["mode"], key["threshold"], key["shares"]) == ("threshold", 2, 3)
    lot = t["lots"][0]["id"]
    for supplier, price in (("supplier0", "5500000.00"), ("supplier1", "5400000.00")):
        org = f.w[supplier].organization_id
        assert org is not None
        body = seal_prices(key["public_key"], tender_id, org, "UAH", {lot: Decimal(price)}).body()
        ok(f.c.post(f"/api/v1/tenders/{tender_id}/bids", json=body, headers=f.h(supplier)), 201)
    move_to(database, clock, datetime.fromisoformat(t["tender_end"]))

    for name in ("evaluator", "approver2"):
        page = members[name]
        visit(page, UK, name, f"/buyer/tenders/{tender_id}/opening")
        expect(page.get_by_role("button", name=_("Release my share"))).to_have_count(0)  # declarations first
        no_conflicts = page.locator("fieldset.declaration input[type=radio][value=no]")
        expect(no_conflicts).to_have_count(2)  # one per bidder
        for radio in no_conflicts.all():
            radio.check()
        assert audit(page) == []
        page.get_by_role("button", name=_("Record my declarations")).click()
        key_file = page.get_by_label(_("Your key file"), exact=True)
        expect(key_file).to_be_visible()  # the page after the declarations has loaded: audit that one
        assert audit(page) == []
        key_file.set_input_files(files[name])
        page.get_by_role("button", name=_("Release my share")).click()
        expect(page.get_by_role("status")).to_have_text(_("You released your share."))
    opener = members["evaluator"]
    visit(opener, UK, "evaluator", f"/buyer/tenders/{tender_id}/opening")
    expect(opener.locator("#released")).to_have_text("2")
    opener.get_by_role("button", name=_("Open the bids")).click()

    rows = opener.locator("tr.bid")
    expect(rows).to_have_count(2)
    assert audit(opener) == []
    with database.unit_of_work(write=False) as s:
        bids = s.scalars(select(Bid).where(Bid.tender_id == tender_id)).all()
        commitments = [b.commitment for b in bids]
        prices = sorted(v.amount for b in bids for v in b.values)
    assert prices == [Decimal("5400000.00"), Decimal("5500000.00")]
    for commitment in commitments:
        assert commitment is not None
        expect(opener.locator("span.commitment", has_text=commitment)).to_have_count(1)
    shown = " ".join(rows.all_inner_texts())
    assert re.search(r"5\s400\s000,00", shown)
    assert re.search(r"5\s500\s000,00", shown)


def test_without_javascript_the_sealed_form_explains_and_sends_nothing(f: Flow, new_context: NewContext) -> None:
    t = _tendering(f, _draft(f, "1000000.00"))
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/login")
    page.get_by_label(_("Username"), exact=True).fill("supplier0")
    page.get_by_label(_("Password"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=_("Log in")).click()
    page.goto(f"/supplier/tenders/{t['id']}/bid")

    expect(page.get_by_text("quartermaster bid seal --submit")).to_be_visible()
    expect(page.get_by_role("button", name=_("Seal and submit the bid"))).to_be_disabled()
