"""The person's side from the command line against a real server on 127.0.0.1: keys, sealing, receipts, shares.

`keys new` -> `keys enrol` -> `bid seal --submit` -> `bid receipt` verifies; committee members release their shares
with `committee release` and the bids open. Every refusal is one readable line.
"""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from quartermaster.api.app import create_app
from quartermaster.cli.main import app
from quartermaster.client import load_keys
from quartermaster.client.http import ApiClient, ApiError
from quartermaster.config import Settings
from quartermaster.db.tx import Database
from quartermaster.scheduler import integrate_log
from quartermaster.sealing.encoding import b64url_encode
from quartermaster.types import FixedClock
from support.core_live import live_server
from support.flows import Flow, ok, tender_body
from support.world import World

SEALING_ERA = datetime(2026, 9, 7, 9, 0, tzinfo=UTC)  # rulebook 2026.1 seals bids
BIG = "6000000.00"  # at or above the rulebook's platform_key_below: a committee's threshold key
MEMBERS = ("evaluator", "evaluator2", "approver2")


@pytest.fixture
def f(client: TestClient, world: World, clock: FixedClock, database: Database) -> Flow:
    clock.set(SEALING_ERA)
    return Flow(client, world, clock, database)


@pytest.fixture
def server(settings: Settings, clock: FixedClock, database: Database) -> Iterator[str]:
    """A uvicorn server on the test's database and clock."""
    with live_server(create_app(settings, clock=clock, database=database)) as url:
        yield url


def qm(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def tendering(f: Flow, amount: str = "1000000.00", committee: bool = False) -> dict[str, Any]:
    body = tender_body("open", lots=2)
    for lot in body["lots"]:
        lot["value"]["amount"] = amount
    t = ok(f.c.post("/api/v1/tenders", json=body, headers=f.h("buyer")), 201)
    if committee:
        members = [
            {"user_id": f.w[m].actor.user_id, "role": "chair" if i == 0 else "member"} for i, m in enumerate(MEMBERS)
        ]
        ok(
            f.c.put(
                f"/api/v1/tenders/{t['id']}/committee", json={"threshold": 2, "members": members}, headers=f.h("buyer")
            )
        )
    pub = f.publish(t["id"])
    if pub["enquiry_end"]:
        f.advance_to(pub["enquiry_end"])
    return f.tender(t["id"], "buyer")


def new_keys(tmp_path: Path, who: str) -> Path:
    out = tmp_path / f"{who}.keys"
    result = qm("keys", "new", "--out", str(out))
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    keys = load_keys(out)
    assert printed["signing_public_key"] == b64url_encode(keys.signing_public)
    assert printed["custody_public_key"] == b64url_encode(keys.custody_public)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    return out


def enrol(server: str, f: Flow, tmp_path: Path, who: str) -> Path:
    keys = new_keys(tmp_path, who)
    result = qm("keys", "enrol", "--api", server, "--token", f.w[who].token, "--keys", str(keys))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["custody"]["public_key"] == b64url_encode(load_keys(keys).custody_public)
    return keys


def test_seal_submit_and_verify_a_bid_from_the_command_line(server: str, f: Flow, tmp_path: Path) -> None:
    t = tendering(f)
    token = f.w["supplier0"].token
    enrol(server, f, tmp_path, "supplier0")
    lot_a, lot_b = t["lots"][0]["id"], t["lots"][1]["id"]
    upload = tmp_path / "bid.json"
    common = ("--api", server, "--token", token, "--tender", t["id"])
    sealed = qm(
        "bid", "seal", *common, "--price", f"{lot_a}=900000.00", "--price", f"{lot_b}=12.5", "--out", str(upload)
    )
    assert sealed.exit_code == 0, sealed.output
    body = json.loads(upload.read_text())
    assert sorted(body["sealed"]["lots"]) == sorted([lot_a, lot_b])
    assert "900000" not in upload.read_text()  # only ciphertext leaves the machine

    submitted = qm("bid", "seal", *common, "--price", f"{lot_a}=900000.00", "--submit")
    assert submitted.exit_code == 0, submitted.output
    receipt = json.loads(submitted.stdout)
    bid_id = receipt["bid_id"]
    assert receipt["tender_id"] == t["id"]

    key = ok(f.c.get("/api/v1/log/key"))["verifier_key"]
    early = qm("bid", "receipt", "--api", server, "--token", token, bid_id, "--verifier-key", key)
    assert one_line_error(early).endswith(
        "no signed checkpoint covers it yet; the log is signed every scheduler pass, so ask again in a few "
        "seconds [receipt.not_yet_logged]"
    )

    integrate_log(f.db, f.clock, f.c.app.state.qm.publication.log)  # type: ignore[attr-defined]
    key_file = tmp_path / "log.vkey"
    key_file.write_text(key + "\n")
    saved = tmp_path / "receipt.json"
    checked = qm(
        "bid",
        "receipt",
        "--api",
        server,
        "--token",
        token,
        bid_id,
        "--verifier-key",
        str(key_file),
        "--out",
        str(saved),
    )
    assert checked.exit_code == 0, checked.output
    assert f"receipt of bid {bid_id} on tender {t['id']} verified:" in checked.stdout
    assert f"commitment {receipt['commitment']}" in checked.stdout
    assert "signed by the log key" in checked.stdout
    assert json.loads(saved.read_text())["commitment"] == receipt["commitment"]
    # The auditor's verifier reads the sealed-bid entries as a known kind of leaf.
    audited = qm("verify", server, "--key", key, "--state", str(tmp_path / "verify-state.json"))
    assert audited.exit_code == 0, audited.output

    # The envelope kept by `--out` earlier is another one: its commitment is not this receipt's.
    mismatch = qm(
        "bid", "receipt", "--api", server, "--token", token, bid_id, "--verifier-key", key, "--upload", str(upload)
    )
    assert "(the envelope you kept)" in one_line_error(mismatch)
    # Without a key the server's own is used, and said so.
    tofu = qm("bid", "receipt", "--api", server, "--token", token, bid_id)
    assert tofu.exit_code == 0, tofu.output
    assert "trusting the log key the server serves" in tofu.stderr
    # A key of another log does not verify the checkpoint.
    from quartermaster.transparency import Signer

    other = Signer.generate(key.split("+")[0]).verifier().key_string
    forged = qm("bid", "receipt", "--api", server, "--token", token, bid_id, "--verifier-key", other)
    assert one_line_error(forged).startswith("error: checkpoint: ")


def test_an_uploaded_body_from_bid_seal_submits_and_its_receipt_matches(server: str, f: Flow, tmp_path: Path) -> None:
    t = tendering(f)
    token = f.w["supplier1"].token
    upload = tmp_path / "bid.json"
    sealed = qm(
        "bid",
        "seal",
        "--api",
        server,
        "--token",
        token,
        "--tender",
        t["id"],
        "--price",
        f"{t['lots'][0]['id']}=5",
        "--out",
        str(upload),
    )
    assert sealed.exit_code == 0, sealed.output
    body = json.loads(upload.read_text())
    submitted = ApiClient(server, token).post(f"/api/v1/tenders/{t['id']}/bids", body)
    assert submitted["commitment"] == hashlib.sha256(body["sealed"]["envelope"].encode()).hexdigest()
    integrate_log(f.db, f.clock, f.c.app.state.qm.publication.log)  # type: ignore[attr-defined]
    checked = qm(
        "bid", "receipt", "--api", server, "--token", token, submitted["bid_id"], "--upload", str(upload), "--wait", "5"
    )
    assert checked.exit_code == 0, checked.output
    assert f"upload: {upload} has this commitment" in checked.stdout


def declare_interests(f: Flow, who: str) -> None:
    """A would-be member's declared identifier (no past employers), as committees require."""
    body = {"national_id": f"ID-{f.w[who].actor.user_id}", "past_employers": []}
    ok(f.c.put("/api/v1/me/interests", json=body, headers=f.h(who)))


def declare(server: str, f: Flow, tender_id: str, who: str, *options: str) -> Result:
    """`quartermaster committee declare` as the member."""
    return qm("committee", "declare", "--api", server, "--token", f.w[who].token, "--tender", tender_id, *options)


def test_committee_members_release_their_shares_from_the_command_line(server: str, f: Flow, tmp_path: Path) -> None:
    keys = {who: enrol(server, f, tmp_path, who) for who in MEMBERS}
    for who in MEMBERS:
        declare_interests(f, who)
    t = tendering(f, BIG, committee=True)
    assert ok(f.c.get(f"/api/v1/tenders/{t['id']}/opening-key"))["mode"] == "threshold"
    lot = t["lots"][0]["id"]
    sealed = qm(
        "bid",
        "seal",
        "--api",
        server,
        "--token",
        f.w["supplier0"].token,
        "--tender",
        t["id"],
        "--price",
        f"{lot}=4500000.00",
        "--submit",
    )
    assert sealed.exit_code == 0, sealed.output
    bid_id = json.loads(sealed.stdout)["bid_id"]

    def release(who: str) -> Result:
        return qm(
            "committee",
            "release",
            "--api",
            server,
            "--token",
            f.w[who].token,
            "--keys",
            str(keys[who]),
            "--tender",
            t["id"],
        )

    early = one_line_error(release("evaluator"))
    assert early.endswith("[opening.not_open_for_shares]")  # bidding is still open: the server's refusal
    f.advance_to(t["tender_end"])
    undeclared = one_line_error(release("evaluator"))
    assert undeclared.endswith("[committee.declarations_missing]")  # the server's refusal, one line
    stranger = declare(server, f, t["id"], "evaluator", "--conflict", "nobody")
    assert one_line_error(stranger).endswith("not a bidder left to declare about: nobody")
    for who in ("evaluator", "approver2"):
        declared = declare(server, f, t["id"], who)
        assert declared.exit_code == 0, declared.output
        assert "declared about 1 bidder(s)" in declared.stdout
    assert "nothing left to declare" in declare(server, f, t["id"], "evaluator").stdout
    wrong_keys = qm(
        "committee",
        "release",
        "--api",
        server,
        "--token",
        f.w["evaluator"].token,
        "--keys",
        str(keys["evaluator2"]),
        "--tender",
        t["id"],
    )
    assert one_line_error(wrong_keys).endswith("[sealing.decryption_failed]")  # opened locally: nothing sent
    for who in ("evaluator", "approver2"):
        result = release(who)
        assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["shares_released"] == 2
    ceremony = qm("committee", "open", "--api", server, "--token", f.w["evaluator"].token, "--tender", t["id"])
    assert ceremony.exit_code == 0, ceremony.output
    assert f"{bid_id}  " in ceremony.stdout
    assert f"{lot}=4500000.00 UAH" in ceremony.stdout
    opened = ok(f.c.get(f"/api/v1/bids/{bid_id}", headers=f.h("supplier0")))
    assert opened["status"] == "valid"
    assert [(v["lot_id"], v["value"]["amount"]) for v in opened["values"]] == [(lot, "4500000.00")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--price", "lot-1"], "write it as LOT_ID=AMOUNT"),
        (["--price", "lot-1=12.345"], "at most two decimals"),
        (["--price", "lot-1=-1"], "at most two decimals"),
        (["--price", "lot-1=abc"], "at most two decimals"),
        (["--price", "lot-1=1", "--price", "lot-1=2"], "priced twice"),
    ],
)
def test_bad_prices_are_refused_before_anything_is_sent(args: list[str], message: str) -> None:
    result = qm("bid", "seal", "--api", "http://127.0.0.1:9", "--token", "t", "--tender", "x", *args)
    assert message in one_line_error(result)


def test_server_refusals_and_unreachable_servers_are_one_line(server: str, f: Flow, tmp_path: Path) -> None:
    keys = new_keys(tmp_path, "someone")
    unknown = qm("keys", "enrol", "--api", server, "--token", "wrong", "--keys", str(keys))
    assert one_line_error(unknown).endswith("[auth.unauthenticated]")
    missing = qm(
        "bid", "seal", "--api", server, "--token", f.w["supplier0"].token, "--tender", "nope", "--price", "l=1"
    )
    assert one_line_error(missing) == "error: tender not found [tender.not_found]"
    down = qm("keys", "enrol", "--api", "http://127.0.0.1:9", "--token", "t", "--keys", str(keys))
    assert one_line_error(down).startswith("error: cannot reach http://127.0.0.1:9")
    bad_url = qm("keys", "enrol", "--api", "ftp://example.org", "--token", "t", "--keys", str(keys))
    assert "is not an http(s) URL" in one_line_error(bad_url)
    no_file = qm("keys", "enrol", "--api", server, "--token", "t", "--keys", str(tmp_path / "absent"))
    assert "cannot read key file" in one_line_error(no_file)
    again = qm("keys", "new", "--out", str(keys))
    assert "is never overwritten silently" in one_line_error(again)
    nobody = qm(
        "bid", "receipt", "--api", server, "--token", f.w["supplier1"].token, "no-such-bid", "--verifier-key", "x+1+y"
    )
    assert one_line_error(nobody) == "error: bid not found [bid.not_found]"


def test_a_problem_with_field_errors_is_one_line_with_the_fields(server: str, f: Flow) -> None:
    client = ApiClient(server, f.w["supplier0"].token)
    with pytest.raises(ApiError) as caught:
        client.put("/api/v1/me/keys", {"signing_public_key": "x"})
    assert caught.value.status == 422
    assert "\n" not in str(caught.value)
    assert "signing_public_key" in str(caught.value) or "custody_public_key" in str(caught.value)
