"""Attaching documents from the pages: the multipart form, its refusals (which change nothing) and downloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from quartermaster.bids.models import Bid
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.documents.models import Document
from quartermaster.events.models import Event
from quartermaster.types import FixedClock
from quartermaster.web import attachments
from support.contract_flows import Line, active_contract
from support.flows import Flow
from support.web import csrf_of, give_passwords, person_client
from support.world import World

LIMIT = 4096  # the largest file these tests' app accepts
PDF = b"%PDF-1.7\n" + b"x" * 200


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """An app that takes files of at most ``LIMIT`` bytes through the attach form."""
    return Settings(data_dir=tmp_path, run_scheduler=False, max_upload_bytes=attachments.FORM_ROOM + LIMIT)


@pytest.fixture
def people(database: Database, clock: FixedClock, world: World) -> World:
    """The world, with passwords for the people these tests log in."""
    give_passwords(database, clock, ("buyer", "approver", "supplier0", "supplier1", "supplier2"))
    return world


@pytest.fixture
def contract(database: Database, clock: FixedClock, people: World) -> str:
    """An active contract of the world's buyer with supplier0."""
    return active_contract(database, people, clock.now(), [Line("10", "100.00")])


def _counts(database: Database) -> tuple[int, int]:
    with database.unit_of_work(write=False) as s:
        docs = s.scalar(select(func.count()).select_from(Document)) or 0
        events = s.scalar(select(func.count()).select_from(Event)) or 0
    return docs, events


def _blobs(settings: Settings) -> list[Path]:
    root = settings.resolved_blob_dir()
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _form(token: str, related_type: str, related_id: str, **extra: str) -> dict[str, str]:
    return {
        "csrf": token,
        "related_type": related_type,
        "related_id": related_id,
        "title": "Signed contract scan",
        "document_type": "contractSigned",
        "next": f"/supplier/contracts/{related_id}#documents",
        **extra,
    }


def test_a_supplier_attaches_a_document_to_its_contract_and_both_sides_see_it(
    client: TestClient, database: Database, people: World, contract: str
) -> None:
    supplier = person_client(client, "supplier0")
    page = supplier.get(f"/supplier/contracts/{contract}")
    sent = supplier.post(
        "/documents",
        data=_form(csrf_of(page.text), "contract", contract),
        files={"file": ("scan.PDF", PDF, "application/octet-stream")},
        follow_redirects=False,
    )
    with database.unit_of_work(write=False) as s:
        doc = s.scalars(select(Document)).one()
        doc_id, fields = doc.id, (doc.related_type, doc.related_id, doc.content_type, doc.size, doc.document_type)
    again = supplier.get(f"/supplier/contracts/{contract}")
    buyer_page = person_client(client, "buyer").get(f"/buyer/contracts/{contract}")
    download = supplier.get(f"/documents/{doc_id}/content")
    api = client.get(f"/api/v1/documents/{doc_id}/content")

    assert 'enctype="multipart/form-data"' in page.text
    assert '<label for="doc-title-contract-' in page.text
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/supplier/contracts/{contract}#documents"
    assert fields == ("contract", contract, "application/pdf", len(PDF), "contractSigned")
    assert f'href="/documents/{doc_id}/content"' in again.text
    assert "Signed contract scan" in buyer_page.text
    assert download.status_code == 200
    assert download.content == PDF
    assert download.headers["content-disposition"] == "attachment"
    assert api.content == PDF  # a public contract's document is public


@pytest.mark.parametrize(("lang", "reason"), [("en", "The file is too large."), ("uk", "Файл завеликий.")])
def test_a_file_too_large_is_refused_in_words_and_changes_nothing(
    client: TestClient, database: Database, settings: Settings, people: World, contract: str, lang: str, reason: str
) -> None:
    supplier = person_client(client, "supplier0", lang)
    token = csrf_of(supplier.get(f"/supplier/contracts/{contract}").text)
    before = _counts(database)
    refused = supplier.post(
        "/documents",
        data=_form(token, "contract", contract, title="Invoice 17"),
        files={"file": ("invoice.pdf", b"%PDF" + b"0" * LIMIT, "application/pdf")},
    )
    far_too_large = supplier.post(
        "/documents",
        data=_form(token, "contract", contract),
        files={"file": ("invoice.pdf", b"0" * (attachments.FORM_ROOM + 2 * LIMIT), "application/pdf")},
    )

    assert refused.status_code == 413
    assert reason in refused.text
    assert "attachment.too_large" in refused.text
    assert 'value="Invoice 17"' in refused.text  # what was typed, in the form shown again
    assert far_too_large.status_code == 413  # the app's body limit, before the page reads anything
    assert _counts(database) == before
    assert _blobs(settings) == []


def test_a_forbidden_kind_of_file_or_a_bad_form_is_refused_and_changes_nothing(
    client: TestClient, database: Database, settings: Settings, people: World, contract: str
) -> None:
    supplier = person_client(client, "supplier0")
    token = csrf_of(supplier.get(f"/supplier/contracts/{contract}").text)
    before = _counts(database)
    program = supplier.post(
        "/documents",
        data=_form(token, "contract", contract),
        files={"file": ("setup.exe", b"MZ" + b"0" * 100, "application/pdf")},
    )
    page = supplier.post(
        "/documents",
        data=_form(token, "contract", contract),
        files={"file": ("page.html", b"<script>alert(1)</script>", "text/html")},
    )
    bad_type = supplier.post(
        "/documents",
        data=_form(token, "contract", contract, document_type="bogus"),
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    no_title = supplier.post(
        "/documents",
        data=_form(token, "contract", contract, title="  "),
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    no_file = supplier.post("/documents", data=_form(token, "contract", contract))
    elsewhere = supplier.post(
        "/documents",
        data=_form(token, "contract", contract, next="//evil.example/"),
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    nul = supplier.post(
        "/documents",
        data=_form(token, "contract", contract, title="bad\x00title"),
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )
    unknown = supplier.post(
        "/documents",
        data=_form(token, "spaceship", contract),
        files={"file": ("a.pdf", PDF, "application/pdf")},
    )

    assert program.status_code == 415
    assert "This kind of file cannot be attached." in program.text
    assert ".pdf" in program.text
    assert page.status_code == 415
    assert bad_type.status_code == 422
    assert "document.invalid" in bad_type.text
    assert no_title.status_code == 422
    assert no_file.status_code == 422
    assert "attachment.no_file" in no_file.text
    assert elsewhere.status_code == 422
    assert "attachment.bad_next" in elsewhere.text
    assert 'href="//evil.example/"' not in elsewhere.text
    assert nul.status_code == 422
    assert unknown.status_code == 422
    assert _counts(database) == before
    assert _blobs(settings) == []


def test_only_the_parties_attach_to_a_contract(
    client: TestClient, database: Database, clock: FixedClock, people: World, contract: str
) -> None:
    outsider = person_client(client, "supplier1", "uk")
    token = csrf_of(outsider.get("/supplier").text)
    before = _counts(database)
    refused = outsider.post(
        "/documents", data=_form(token, "contract", contract), files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    missing = outsider.post(
        "/documents", data=_form(token, "contract", "nope"), files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    forged = outsider.post(
        "/documents", data=_form("forged", "contract", contract), files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    anonymous = client.post(
        "/documents",
        data=_form("x", "contract", contract),
        files={"file": ("a.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )
    after_refusals = _counts(database)
    buyer = person_client(client, "buyer")
    by_buyer = buyer.post(
        "/documents",
        data=_form(
            csrf_of(buyer.get(f"/buyer/contracts/{contract}").text),
            "contract",
            contract,
            next=f"/buyer/contracts/{contract}#documents",
        ),
        files={"file": ("acceptance.pdf", PDF, "application/pdf")},
        follow_redirects=False,
    )

    assert refused.status_code == 403
    assert "document.upload_forbidden" in refused.text
    assert "Ви не можете додавати документи сюди." in refused.text
    assert missing.status_code == 404
    assert forged.status_code == 403
    assert anonymous.status_code in (303, 403)
    assert after_refusals == before
    assert by_buyer.status_code == 303
    assert by_buyer.headers["location"] == f"/buyer/contracts/{contract}#documents"


def test_a_bidder_attaches_documents_while_bidding_is_open_and_they_stay_sealed(
    client: TestClient, database: Database, clock: FixedClock, people: World
) -> None:
    flow = Flow(client, people, clock, database)
    tender_id = flow.to_tendering()
    flow.bid(tender_id, "supplier2", "800000")
    with database.unit_of_work(write=False) as s:
        bid_id = s.scalars(select(Bid.id).where(Bid.tender_id == tender_id)).one()
    supplier = person_client(client, "supplier2")
    page = supplier.get(f"/supplier/tenders/{tender_id}/bid")
    form = _form(
        csrf_of(page.text),
        "bid",
        bid_id,
        title="Technical proposal",
        document_type="submissionDocuments",
        next=f"/supplier/tenders/{tender_id}/bid#documents",
    )
    sent = supplier.post(
        "/documents",
        data=form,
        files={"file": ("proposal.docx", b"PK" + b"1" * 50, "application/zip")},
        follow_redirects=False,
    )
    listed = supplier.get(f"/supplier/tenders/{tender_id}/bid")
    with database.unit_of_work(write=False) as s:
        doc_id = s.scalars(select(Document.id)).one()
    own = supplier.get(f"/documents/{doc_id}/content")
    rival = person_client(client, "supplier1").get(f"/documents/{doc_id}/content")
    public = client.get(f"/api/v1/documents/{doc_id}/content")
    flow.advance_to(flow.tender(tender_id)["tender_end"])
    late_client = person_client(client, "supplier2")
    late_page = late_client.get(f"/supplier/tenders/{tender_id}/bid")
    before = _counts(database)
    late = late_client.post(
        "/documents",
        data={**form, "csrf": csrf_of(late_page.text)},
        files={"file": ("annex.pdf", PDF, "application/pdf")},
    )

    assert 'name="related_type" value="bid"' in page.text
    assert sent.status_code == 303
    assert "Technical proposal" in listed.text
    assert own.status_code == 200
    assert rival.status_code == 404
    assert public.status_code == 404
    assert 'name="related_type" value="bid"' not in late_page.text
    assert "Technical proposal" in late_page.text
    assert late.status_code == 422
    assert "bid.deadline_passed" in late.text
    assert _counts(database) == before


def test_the_attach_form_accepts_exactly_the_allowed_kinds() -> None:
    partial = Path(attachments.__file__).parent / "templates" / "partials" / "attach.html"
    accept = partial.read_text().split('accept="', 1)[1].split('"', 1)[0]

    assert accept.split(",") == sorted(attachments.FILE_TYPES)


def test_next_must_stay_on_this_site() -> None:
    assert attachments.safe_next("/buyer/contracts/x#documents")
    for bad in ("//evil.example", "/\\evil.example", "https://evil.example", "", "evil", "/a\r\nSet-Cookie: x"):
        assert not attachments.safe_next(bad)
