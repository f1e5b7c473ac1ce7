"""Sealed bid documents in the web pages: the bid page's attach form seals in the page (no named title or file input),
the handler takes only a sealed document for the right bid, refuses a plain file in words, and the documents table
shows a sealed document without a title until the opening. The browser's sealing (static/seal.js) is proven in
tests/browser/test_browser_sealed_documents.py; here the sealed bytes come from the Python client, as the page makes
them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from quartermaster.client import seal_file, seal_prices
from quartermaster.db.tx import Database
from quartermaster.types import FixedClock
from support.flows import Flow, ok, tender_body
from support.web import csrf_of, give_passwords, person_client
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)
OFFER = b"Sealed technical offer 8812-ZK"


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    give_passwords(database, clock, ("buyer", "evaluator", "supplier0", "supplier1"))
    return Flow(client, world, clock, database)


def _bid(f: Flow, supplier: str = "supplier0") -> tuple[dict[str, Any], str, str]:
    body = tender_body("open")
    d = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    published = f.publish(d["id"])
    f.advance_to(published["enquiry_end"])
    t = f.tender(d["id"], "buyer")
    key = ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))["public_key"]
    org = f.w[supplier].organization_id
    assert org is not None
    sealed = seal_prices(key, t["id"], org, "UAH", {t["lots"][0]["id"]: Decimal("900000.00")}).body()
    bid = ok(f.c.post(f"/api/v1/tenders/{t['id']}/bids", json=sealed, headers=f.h(supplier)), 201)["bid_id"]
    return t, bid, key


def _form(page: str, bid: str) -> dict[str, str]:
    return {
        "csrf": csrf_of(page),
        "related_type": "bid",
        "related_id": bid,
        "next": "/supplier/bids",
        "document_type": "submissionDocuments",
    }


def test_the_bid_page_seals_documents_in_the_page_and_never_names_the_title_or_file(f: Flow) -> None:
    t, bid, key = _bid(f)
    supplier = person_client(f.c, "supplier0")
    page = supplier.get(f"/supplier/tenders/{t['id']}/bid").text
    form = re.search(r"<form[^>]*data-qm-seal-document[^>]*>.*?</form>", page, re.S)
    assert form is not None
    assert f'data-public-key="{key}"' in form.group(0)
    assert f'data-bid="{bid}"' in form.group(0)
    named = set(re.findall(r'name="([^"]+)"', form.group(0)))
    assert named == {"csrf", "related_type", "related_id", "next", "sealed", "document_type"}
    assert 'src="/static/seal.js"' in page


def test_a_sealed_document_is_attached_and_listed_without_its_title(f: Flow) -> None:
    t, bid, key = _bid(f)
    supplier = person_client(f.c, "supplier0")
    page = supplier.get(f"/supplier/tenders/{t['id']}/bid").text
    org = f.w["supplier0"].organization_id
    assert org is not None
    sealed = seal_file(key, t["id"], org, bid, title="Offer canary-7731", content_type="application/pdf", content=OFFER)
    sent = supplier.post(
        "/documents",
        data=_form(page, bid) | {"sealed": "1"},
        files={"file": ("sealed-document", sealed.data, "application/octet-stream")},
        follow_redirects=False,
    )
    assert (sent.status_code, sent.headers["location"]) == (303, "/supplier/bids")
    docs = ok(f.c.get(f"/api/v1/bids/{bid}/documents", headers=f.h("supplier0")))["data"]
    assert [(d["title"], d["sha256"]) for d in docs] == [("", sealed.commitment)]
    listing = supplier.get(f"/supplier/tenders/{t['id']}/bid").text
    assert "canary-7731" not in listing
    assert "Sealed document (opens with the bids)" in listing


def test_a_plain_file_or_a_document_sealed_for_another_bid_is_refused_in_words(f: Flow) -> None:
    t, bid, key = _bid(f)
    _, other_bid, _ = _bid(f, "supplier1")
    supplier = person_client(f.c, "supplier0")
    page = supplier.get(f"/supplier/tenders/{t['id']}/bid").text
    plain = supplier.post(
        "/documents",
        data=_form(page, bid) | {"title": "Offer"},
        files={"file": ("offer.pdf", OFFER, "application/pdf")},
    )
    assert plain.status_code == 422
    assert "This tender&#39;s bids are sealed: a bid document must be sealed" in plain.text
    org = f.w["supplier0"].organization_id
    assert org is not None
    foreign = seal_file(key, t["id"], org, other_bid, title="Offer", content_type="application/pdf", content=OFFER)
    wrong = supplier.post(
        "/documents",
        data=_form(page, bid) | {"sealed": "1"},
        files={"file": ("sealed-document", foreign.data, "application/octet-stream")},
    )
    assert wrong.status_code == 422
    assert "The document was sealed for another bid" in wrong.text
    assert 'name="title"' not in wrong.text  # no plain attach form to fill in again for a sealed bid
    assert ok(f.c.get(f"/api/v1/bids/{bid}/documents", headers=f.h("supplier0")))["data"] == []


def test_the_opening_page_opens_sealed_documents_and_links_them(f: Flow) -> None:
    t, bid, key = _bid(f)
    org = f.w["supplier0"].organization_id
    assert org is not None
    sealed = seal_file(key, t["id"], org, bid, title="Offer canary-7731", content_type="application/pdf", content=OFFER)
    ok(
        f.c.post(
            f"/api/v1/bids/{bid}/documents",
            content=sealed.data,
            params={"document_type": "submissionDocuments"},
            headers={**f.h("supplier0"), "Content-Type": sealed.content_type},
        ),
        201,
    )
    f.advance_to(t["tender_end"])
    evaluator = person_client(f.c, "evaluator")
    page = evaluator.get(f"/buyer/tenders/{t['id']}/opening")
    assert "canary-7731" not in page.text
    opened = evaluator.post(
        f"/buyer/tenders/{t['id']}/opening/open", data={"csrf": csrf_of(page.text)}, follow_redirects=False
    )
    assert opened.status_code == 303
    record = evaluator.get(f"/buyer/tenders/{t['id']}/opening").text
    docs = ok(f.c.get(f"/api/v1/bids/{bid}/documents", headers=f.h("evaluator")))["data"]
    assert f'<a href="/documents/{docs[0]["id"]}/content">Offer canary-7731</a>' in record
    assert sealed.commitment[:12] in record
    assert evaluator.get(f"/documents/{docs[0]['id']}/content").content == OFFER
