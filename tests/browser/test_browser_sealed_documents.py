"""Sealed bid documents in a real browser: static/seal.js seals byte for byte as the Python core does, and a document
attached on the bid page reaches the server with neither its title nor its content, then opens with the bids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Request, expect
from scenario_steps import Language, log_in, visit

from quartermaster.client import seal_prices
from quartermaster.db.tx import Database
from quartermaster.sealing.documents import DocumentContext, seal_document
from quartermaster.sealing.encoding import b64url_encode
from quartermaster.types import FixedClock
from support.flows import Flow, ok, tender_body
from support.web import give_passwords
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
UK = Language("uk-UA")
_ = UK._
NewContext = Callable[..., BrowserContext]
Audit = Callable[[Page], list[str]]
KAT_PK = bytes.fromhex("3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d")
KAT_EPHEMERAL = bytes.fromhex("52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736")
KAT_EPHEMERAL_PUBLIC = bytes.fromhex("37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431")
TITLE = "Технічна пропозиція «canary-5521».pdf"
CONTENT = b"%PDF-1.7\n canary content 0x5521: 40 armoured vehicles, delivery in 60 days\n\x00\xff"

KAT_SCRIPT = """async ([pk, d, x, title, content]) => {
  const S = window.QMSeal;
  const privateKey = await crypto.subtle.importKey(
    "jwk", {kty: "OKP", crv: "X25519", d, x}, {name: "X25519"}, true, ["deriveBits"]);
  const publicKey = await crypto.subtle.importKey("raw", S.fromB64url(x), {name: "X25519"}, true, []);
  const context = {tender: "UA-2026-000123", supplier: "supplier-42", bid: "bid-7"};
  const sealed = await S.sealDocument(pk, context, title, "application/pdf", S.fromB64url(content),
                                      {privateKey, publicKey});
  return {data: S.b64url(sealed.data), commitment: sealed.commitment};
}"""


@pytest.fixture
def f(api: httpx.Client, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    give_passwords(database, clock, ("buyer", "supplier0"))
    return Flow(api, world, clock, database)  # type: ignore[arg-type]


def test_the_page_script_seals_a_document_exactly_as_the_python_core(page: Page) -> None:
    page.goto("/")
    page.add_script_tag(url="/static/seal.js")
    result = page.evaluate(
        KAT_SCRIPT,
        [
            b64url_encode(KAT_PK),
            b64url_encode(KAT_EPHEMERAL),
            b64url_encode(KAT_EPHEMERAL_PUBLIC),
            TITLE,
            b64url_encode(CONTENT),
        ],
    )
    expected = seal_document(
        KAT_PK,
        DocumentContext("UA-2026-000123", "supplier-42", "bid-7"),
        title=TITLE,
        content_type="application/pdf",
        content=CONTENT,
        rng=lambda n: KAT_EPHEMERAL,
    )
    assert result == {"data": b64url_encode(expected.to_bytes()), "commitment": expected.commitment()}


def _sealed_bid(f: Flow) -> tuple[dict[str, Any], str]:
    body = tender_body("open")
    d = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    f.advance_to(f.publish(d["id"])["enquiry_end"])
    t = f.tender(d["id"], "buyer")
    key = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))["public_key"]
    org = f.w["supplier0"].organization_id
    assert org is not None
    sealed = seal_prices(key, t["id"], org, "UAH", {t["lots"][0]["id"]: Decimal("900000.00")}).body()
    return t, ok(f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=sealed, headers=f.h("supplier0")), 201)["bid_id"]


def test_a_document_is_sealed_in_the_page_and_its_request_holds_neither_title_nor_content(
    f: Flow, new_context: NewContext, audit: Audit
) -> None:
    t, bid = _sealed_bid(f)
    page = log_in(new_context, UK, "supplier0")
    posted: list[Request] = []
    page.on("request", lambda r: posted.append(r) if r.method == "POST" and r.url.endswith("/documents") else None)
    visit(page, UK, "supplier0", f"/supplier/tenders/{t['id']}/bid")
    assert audit(page) == []
    page.get_by_label(_("Document title"), exact=True).fill(TITLE)
    page.get_by_label(_("File"), exact=True).set_input_files(
        {"name": "offer.pdf", "mimeType": "application/pdf", "buffer": CONTENT}
    )
    page.get_by_role("button", name=_("Seal and attach the document")).click()
    expect(page.get_by_role("link", name=_("Sealed document (opens with the bids)"))).to_be_visible()

    assert len(posted) == 1
    body = posted[0].post_data_buffer or b""
    assert b"quartermaster.sealed-document" in body
    for secret in (TITLE.encode(), quote(TITLE).encode(), quote_plus(TITLE).encode(), b"canary", CONTENT[:20]):
        assert secret not in body
    f.advance_to(t["tender_end"])
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    docs = ok(f.c.get(f"/api/v1/bids/{bid}/documents", headers=f.h("buyer")))["data"]
    assert [(d["title"], d["content_type"], d["version"]) for d in docs] == [(TITLE, "application/pdf", 2)]
    assert f.c.get(docs[0]["url"], headers=f.h("buyer")).content == CONTENT
