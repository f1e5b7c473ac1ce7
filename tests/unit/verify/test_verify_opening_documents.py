"""The opening check on sealed bid documents: each one the verifier can read is a ``sealed-document`` entry of the log
and re-opens to the file published as its opened version; a bid declared invalid whose prices open must have a
document that does not. Documents are sealed to a real opening key and served by a loopback HTTP server."""

from __future__ import annotations

import copy
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from synthetic_log import LogServer, json_reply, standard_log
from test_verify_openings import TENDER, _bid

from quartermaster.sealing import generate_key_pair
from quartermaster.sealing.documents import DocumentContext, seal_document
from quartermaster.sealing.encoding import b64url_encode
from quartermaster.transparency import canonical_json
from quartermaster.verify import HttpSource, run
from quartermaster.verify.errors import InputError, VerifyError
from quartermaster.verify.openings import check_opening

Record = dict[str, Any]
CONTENT = b"technical proposal of s1"


class Fixture:
    """A record whose bid s1 carries one sealed document, the stored ciphertexts by URL, and the logged hashes."""

    def __init__(self) -> None:
        pair = generate_key_pair()
        self.public_key = pair.public_key
        self.stored: dict[str, bytes] = {}
        s1 = _bid(pair.public_key, "s1", {"lot-1": "100.50"})
        s1["documents"] = [self.document("d1", "s1", CONTENT)]
        self.record: Record = {
            "tender_id": TENDER,
            "currency": "UAH",
            "mode": "platform",
            "public_key": b64url_encode(pair.public_key),
            "private_key": b64url_encode(pair.private_key),
            "bids": [s1, _bid(pair.public_key, "s2", {"lot-1": "99.00"})],
        }

    def document(self, doc_id: str, supplier: str, content: bytes, *, opened: bool = True) -> Record:
        """A document sealed for ``supplier``'s bid, stored under its URL, as the opening record lists it."""
        context = DocumentContext(TENDER, supplier, f"bid-{supplier}")
        sealed = seal_document(self.public_key, context, title="Proposal", content_type="text/plain", content=content)
        url = f"/api/v1/documents/{doc_id}/content"
        self.stored[url] = sealed.to_bytes()
        return {
            "document_key": f"key-{doc_id}",
            "sealed_document_id": doc_id,
            "sha256": sealed.commitment(),
            "url": url,
            "opened_document_id": f"{doc_id}-opened" if opened else None,
            "opened_sha256": hashlib.sha256(content).hexdigest() if opened else None,
        }

    def bids_logged(self, record: Record | None = None) -> set[str]:
        return {b["commitment"] for b in (record or self.record)["bids"]}

    def documents_logged(self, record: Record | None = None) -> set[str]:
        return {d["sha256"] for b in (record or self.record)["bids"] for d in b.get("documents", [])}

    def check(self, record: Record | None = None, *, readable: bool = True) -> Any:
        record = record or self.record
        fetch = self.stored.get if readable else (lambda url: None)
        return check_opening(
            record, self.bids_logged(record), logged_documents=self.documents_logged(record), fetch=fetch
        )


@pytest.fixture
def fx() -> Fixture:
    return Fixture()


def test_a_faithful_record_reopens_every_readable_document(fx: Fixture) -> None:
    report = fx.check()
    assert (report.opened, report.invalid, report.documents, report.unreadable) == (2, 0, 1, 0)
    assert report.summary().endswith("; 1 sealed documents re-opened to the published files")


def test_documents_this_reader_may_not_read_are_checked_against_the_log_only(fx: Fixture) -> None:
    report = fx.check(readable=False)
    assert (report.documents, report.unreadable) == (0, 1)
    assert report.summary().endswith(
        "; 0 sealed documents re-opened to the published files (1 not readable here, checked against the log only)"
    )
    without_fetch = check_opening(fx.record, fx.bids_logged(), logged_documents=fx.documents_logged())
    assert without_fetch.unreadable == 1
    assert check_opening(fx.record, fx.bids_logged()).unreadable == 1  # a log without document entries: not checked


def test_a_document_the_log_never_received_is_caught(fx: Fixture) -> None:
    with pytest.raises(VerifyError, match=r"^bid bid-s1: published as opened, but its sealed document key-d1: sha256"):
        check_opening(fx.record, fx.bids_logged(), logged_documents=set(), fetch=fx.stored.get)


def test_other_bytes_behind_the_url_are_caught(fx: Fixture) -> None:
    other = fx.document("d9", "s1", b"something else")
    fx.stored[fx.record["bids"][0]["documents"][0]["url"]] = fx.stored[other["url"]]
    with pytest.raises(VerifyError, match=r"sealed document key-d1: CommitmentMismatchError"):
        fx.check()


def test_a_document_sealed_for_another_bid_is_caught(fx: Fixture) -> None:
    cheat = copy.deepcopy(fx.record)
    cheat["bids"][0]["documents"] = [fx.document("d2", "s2", CONTENT)]  # s2's document filed under s1
    with pytest.raises(VerifyError, match=r"sealed document key-d2: ContextMismatchError"):
        fx.check(cheat)


def test_a_document_shown_unopened_or_opened_to_another_file_is_caught(fx: Fixture) -> None:
    unopened = copy.deepcopy(fx.record)
    unopened["bids"][0]["documents"][0]["opened_sha256"] = None
    with pytest.raises(VerifyError, match=r"key-d1: it opens, but the record shows it unopened$"):
        fx.check(unopened)
    swapped = copy.deepcopy(fx.record)
    swapped["bids"][0]["documents"][0]["opened_sha256"] = "0" * 64
    with pytest.raises(VerifyError, match=r"key-d1: it opens to another file than the one published"):
        fx.check(swapped)


def _invalidated(fx: Fixture, documents: list[Record]) -> Record:
    """The record with s1 declared invalid at the opening (its prices open) and carrying ``documents``."""
    record = copy.deepcopy(fx.record)
    record["bids"][0] |= {"status": "disqualified", "status_reason": "a document", "values": [], "documents": documents}
    return record


def test_a_bid_invalid_for_a_document_that_does_not_open_passes(fx: Fixture) -> None:
    record = _invalidated(fx, [fx.document("d3", "s2", CONTENT, opened=False)])  # sealed for another bid
    report = fx.check(record)
    assert (report.opened, report.invalid) == (1, 1)
    unreadable = fx.check(_invalidated(fx, [fx.document("d4", "s1", CONTENT, opened=False)]), readable=False)
    assert (unreadable.invalid, unreadable.unreadable) == (1, 1)  # cannot be refuted from here


def test_a_bid_declared_invalid_whose_prices_and_documents_all_open_is_caught(fx: Fixture) -> None:
    record = _invalidated(fx, [fx.document("d5", "s1", CONTENT, opened=False)])
    with pytest.raises(VerifyError, match=r"declared invalid, but its envelope opens to valid prices and every sealed"):
        fx.check(record)


# --- HttpSource.sealed_document and the CLI -------------------------------------------------------------------------


@pytest.fixture
def served(fx: Fixture) -> Iterator[LogServer]:
    log = standard_log()
    for commitment in sorted(fx.bids_logged()):
        log.append_leaf(canonical_json({"kind": "sealed-bid", "commitment": commitment}))
    for sha256 in sorted(fx.documents_logged()):
        log.append_leaf(canonical_json({"kind": "sealed-document", "commitment": sha256}))
    log.checkpoint()
    with LogServer(log) as server:
        server.routes[f"/tenders/{TENDER}/opening"] = lambda q: json_reply(fx.record)
        for url, data in fx.stored.items():
            server.routes[url.removeprefix("/api/v1")] = lambda q, data=data: (200, "application/octet-stream", data)
        yield server


def test_the_cli_reopens_the_documents_a_server_serves(served: LogServer, tmp_path: Path) -> None:
    out = io.StringIO()
    code = run(
        served.url,
        key=None,
        state=tmp_path / "state.json",
        console=Console(file=out, width=400, color_system=None),
        openings=[TENDER],
    )
    assert code == 0, out.getvalue()
    assert out.getvalue().splitlines()[-1].endswith("; 1 sealed documents re-opened to the published files")


def test_a_server_that_withholds_a_document_answers_none_and_other_failures_are_input_errors(
    served: LogServer, fx: Fixture
) -> None:
    source = HttpSource(served.url)
    try:
        url = fx.record["bids"][0]["documents"][0]["url"]
        assert source.sealed_document(url) == fx.stored[url]
        for status in (404, 409):
            served.routes[url.removeprefix("/api/v1")] = lambda q, s=status: json_reply({"detail": "no"}, s)
            assert source.sealed_document(url) is None
        served.routes[url.removeprefix("/api/v1")] = lambda q: json_reply({"detail": "broken"}, 500)
        with pytest.raises(InputError, match=r"answered 500: broken$"):
            source.sealed_document(url)
        with pytest.raises(InputError, match=r"is not a document's content URL$"):
            source.sealed_document("https://elsewhere.example/api/v1/documents/d1/content")
    finally:
        source.close()
