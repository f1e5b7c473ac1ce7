"""`quartermaster bid attach` against a real server on 127.0.0.1: the file is sealed on this machine (its name too),
the server records the ciphertext's SHA-256, and the document opens with the bids; refusals are one line."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_sealed_bids import f, one_line_error, qm, server, tendering  # noqa: F401 - fixtures

from quartermaster.scheduler import integrate_log
from support.flows import Flow, ok

OFFER = b"Offer annex canary-2207: spare barrels, 12 months warranty"


def test_a_file_is_sealed_and_attached_from_the_command_line_then_opens_with_the_bids(
    server: str,  # noqa: F811 - the fixture
    f: Flow,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    t = tendering(f)
    token = f.w["supplier0"].token
    common = ("--api", server, "--token", token)
    submitted = qm("bid", "seal", *common, "--tender", t["id"], "--price", f"{t['lots'][0]['id']}=900000", "--submit")
    assert submitted.exit_code == 0, submitted.output
    bid = json.loads(submitted.stdout)["bid_id"]
    annex = tmp_path / "Annex 1 — barrels.pdf"
    annex.write_bytes(OFFER)

    attached = qm("bid", "attach", *common, str(annex), "--bid", bid, "--type", "technicalSpecifications")
    assert attached.exit_code == 0, attached.output
    doc = json.loads(attached.stdout)
    assert (doc["title"], doc["document_type"], doc["version"]) == ("", "technicalSpecifications", 1)
    assert f"commitment {doc['sha256']}" in attached.stderr
    integrate_log(f.db, f.clock, f.c.app.state.qm.publication.log)  # type: ignore[attr-defined]
    receipt = qm("bid", "receipt", *common, doc["id"], "--document")
    assert receipt.exit_code == 0, receipt.output
    assert f"receipt of document {doc['id']} of bid {bid} on tender {t['id']} verified:" in receipt.stdout
    assert f"entry: a sealed-document leaf carrying commitment {doc['sha256']}" in receipt.stdout
    newer = tmp_path / "annex-v2.txt"
    newer.write_bytes(OFFER + b" (revised)")
    replaced = qm("bid", "attach", *common, str(newer), "--bid", bid, "--replaces", doc["document_key"], "--title", "A")
    assert replaced.exit_code == 0, replaced.output
    assert json.loads(replaced.stdout)["version"] == 2

    f.advance_to(t["tender_end"])
    ok(f.c.post(f"/api/v1/tenders/{t['id']}/open-bids", headers=f.h("evaluator")))
    docs = ok(f.c.get(f"/api/v1/bids/{bid}/documents", headers=f.h("buyer")))["data"]
    assert [(d["title"], d["content_type"], d["version"]) for d in docs] == [("A", "text/plain", 3)]
    assert f.c.get(docs[0]["url"], headers=f.h("buyer")).content == OFFER + b" (revised)"


def test_attach_refusals_are_one_line(server: str, f: Flow, tmp_path: Path) -> None:  # noqa: F811 - fixtures
    t = tendering(f)
    token = f.w["supplier0"].token
    common = ("--api", server, "--token", token)
    submitted = qm("bid", "seal", *common, "--tender", t["id"], "--price", f"{t['lots'][0]['id']}=5", "--submit")
    bid = json.loads(submitted.stdout)["bid_id"]
    annex = tmp_path / "annex.pdf"
    annex.write_bytes(OFFER)
    bad_type = qm("bid", "attach", *common, str(annex), "--bid", bid, "--type", "contractSigned")
    assert one_line_error(bad_type).startswith("error: --type 'contractSigned': one of submissionDocuments")
    not_mine = qm("bid", "attach", "--api", server, "--token", f.w["supplier1"].token, str(annex), "--bid", bid)
    assert one_line_error(not_mine).endswith("[bid.not_found]")
    f.advance_to(t["tender_end"])
    late = qm("bid", "attach", *common, str(annex), "--bid", bid)
    assert one_line_error(late).endswith("[bid.deadline_passed]")
