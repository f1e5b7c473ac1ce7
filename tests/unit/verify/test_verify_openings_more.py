"""The opening check's remaining refusals, reading the log's commitments again, and fetching the opening record.

Records are built with ``test_verify_openings._bid`` (real envelopes sealed to a real opening key); logs with
``synthetic_log`` and read through the real sources: an export directory and a loopback HTTP server.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from synthetic_log import LogServer, SyntheticLog, b64, json_reply, standard_log
from test_verify_openings import TENDER, _bid

from quartermaster.sealing import generate_key_pair
from quartermaster.sealing.encoding import b64url_decode, b64url_encode
from quartermaster.transparency import Checkpoint, canonical_json
from quartermaster.verify import DirSource, HttpSource, run, verify
from quartermaster.verify.errors import InputError, VerifyError
from quartermaster.verify.openings import check_opening, logged_commitments, opening_record

Record = dict[str, Any]
OPENING = f"/tenders/{TENDER}/opening"


@pytest.fixture
def record() -> Record:
    """An opened tender: two valid bids and one the platform invalidated (sealed in EUR, the tender is in UAH)."""
    pair = generate_key_pair()
    invalid = _bid(pair.public_key, "s3", {"lot-1": "1.00"}, currency="EUR")
    invalid |= {"status": "disqualified", "status_reason": "currency", "values": []}
    return {
        "tender_id": TENDER,
        "currency": "UAH",
        "mode": "threshold",
        "public_key": b64url_encode(pair.public_key),
        "private_key": b64url_encode(pair.private_key),
        "bids": [
            _bid(pair.public_key, "s1", {"lot-1": "100.50", "lot-2": "7.00"}),
            _bid(pair.public_key, "s2", {"lot-1": "99.00"}),
            invalid,
        ],
    }


def commitments(record: Record) -> set[str]:
    """Every envelope commitment of the record (all of them logged)."""
    return {b["commitment"] for b in record["bids"]}


def public_key(record: Record) -> bytes:
    """The record's opening public key, the one suppliers seal to."""
    return b64url_decode(record["public_key"], "public_key")


def with_bid(record: Record, position: int, bid: Record) -> Record:
    """A copy of ``record`` whose bid at ``position`` is ``bid``."""
    changed = copy.deepcopy(record)
    changed["bids"][position] = bid
    return changed


# --- check_opening: bids published as opened whose envelopes do not give those prices -----------------------------


def test_an_envelope_filed_under_another_supplier_does_not_open(record: Record) -> None:
    cheat = copy.deepcopy(record)
    cheat["bids"][1]["supplier_id"] = "s9"  # the envelope names s2
    with pytest.raises(VerifyError, match=r"^bid bid-s2: published as opened, but its envelope does not open") as e:
        check_opening(cheat, commitments(cheat))
    assert "(ContextMismatchError: the envelope names another tender, supplier or lot" in e.value.message


def test_an_envelope_sealed_to_another_key_does_not_open(record: Record) -> None:
    stranger = _bid(generate_key_pair().public_key, "s2", {"lot-1": "99.00"})
    cheat = with_bid(record, 1, stranger)
    with pytest.raises(VerifyError, match=r"does not open \(DecryptionError: "):
        check_opening(cheat, commitments(cheat))


def test_sealed_prices_for_other_lots_than_the_bid_names_are_caught(record: Record) -> None:
    cheat = copy.deepcopy(record)
    cheat["bids"][0]["sealed_lots"] = ["lot-1"]  # the envelope prices lot-1 and lot-2
    with pytest.raises(
        VerifyError,
        match=r"^bid bid-s1: .* does not open \(the sealed prices name other lots than the bid was submitted for\)$",
    ):
        check_opening(cheat, commitments(cheat))


def test_a_sealed_price_with_more_than_two_decimals_is_caught(record: Record) -> None:
    key = public_key(record)
    cheat = with_bid(record, 1, _bid(key, "s2", {"lot-1": "99.005"}))
    with pytest.raises(VerifyError, match=r"does not open \(a price has more than two decimal places\)$"):
        check_opening(cheat, commitments(cheat))


def test_bids_that_fail_to_open_for_the_platforms_reasons_count_as_invalid(record: Record) -> None:
    key = public_key(record)
    reasons = {
        "s4": _bid(generate_key_pair().public_key, "s4", {"lot-1": "5.00"}),  # sealed to another key
        "s5": _bid(key, "s5", {"lot-1": "5.005"}),  # three decimals
        "s6": _bid(key, "s6", {"lot-9": "5.00"}) | {"sealed_lots": ["lot-1"]},  # other lots
    }
    honest = copy.deepcopy(record)
    honest["bids"] += [bid | {"status": "disqualified", "values": []} for bid in reasons.values()]
    report = check_opening(honest, commitments(honest))
    assert (report.opened, report.invalid) == (2, 4)


def test_an_invalid_bid_that_was_never_logged_is_not_reopened(record: Record) -> None:
    report = check_opening(record, commitments(record) - {record["bids"][2]["commitment"]})
    assert (report.opened, report.invalid) == (2, 1)


@pytest.mark.parametrize(
    "values",
    [
        [{"lot_id": "lot-1", "amount": "a hundred"}],  # not a number
        [{"lot_id": "lot-1"}],  # no amount
        None,  # not a list
    ],
)
def test_malformed_published_values_are_an_input_error(record: Record, values: Any) -> None:
    broken = copy.deepcopy(record)
    broken["bids"][1]["values"] = values
    with pytest.raises(InputError, match=r"^bid bid-s2: the record's values are malformed$"):
        check_opening(broken, commitments(broken))


def test_a_bid_that_is_not_an_object_is_an_input_error(record: Record) -> None:
    broken = copy.deepcopy(record)
    broken["bids"][0] = "bid-s1"
    with pytest.raises(InputError, match=r"^the opening record has no 'bid_id'$"):
        check_opening(broken, commitments(record))


# --- logged_commitments: the commitment entries, read again and checked against the verified checkpoint ----------


def sealed_log(record: Record) -> SyntheticLog:
    """The standard log, then a sealed-bid entry per bid of ``record`` and a decision entry, then a checkpoint."""
    log = standard_log()
    for bid in record["bids"]:
        log.append_leaf(canonical_json({"kind": "sealed-bid", "commitment": bid["commitment"]}))
    log.append_leaf(canonical_json({"kind": "decision", "commitment": "ab" * 32}))
    log.checkpoint()
    return log


def checkpoint_of(log: SyntheticLog) -> Checkpoint:
    """The checkpoint of the log as it is now (what ``verify`` returns after checking it)."""
    return Checkpoint(log.origin, len(log.leaves), log.tree().root())


def test_the_commitments_of_a_log_are_read_by_kind(tmp_path: Path, record: Record) -> None:
    log = sealed_log(record)
    found = logged_commitments(DirSource(log.write(tmp_path / "export")), checkpoint_of(log))
    assert found == {
        "sealed-bid": commitments(record),
        "decision": {"ab" * 32},
        "key-enrolment": set(),
        "sealed-document": set(),
    }


def test_an_entry_read_again_at_another_index_is_caught(tmp_path: Path, record: Record) -> None:
    log = sealed_log(record)
    export = log.write(tmp_path / "export")
    lines = log.entry_lines()
    lines[3] = json.dumps({"index": 4, "leaf_input": b64(log.leaves[3])}) + "\n"
    (export / "entries.jsonl").write_text("".join(lines), encoding="utf-8")
    with pytest.raises(VerifyError, match=r"^entries.jsonl line 4: expected entry 3, got 4$"):
        logged_commitments(DirSource(export), checkpoint_of(log))


def test_an_entry_read_again_that_is_not_a_leaf_is_caught(tmp_path: Path) -> None:
    log = standard_log()
    log.append_leaf(b'{"kind": "sealed-bid"}')  # not canonical JSON
    with pytest.raises(VerifyError, match=r"^entries.jsonl line 7: leaf input is not RFC 8785 canonical JSON"):
        logged_commitments(DirSource(log.write(tmp_path / "export")), checkpoint_of(log))


def test_other_entries_served_the_second_time_are_caught(tmp_path: Path, record: Record) -> None:
    log = sealed_log(record)
    verified = checkpoint_of(log)
    log.leaves[-1] = canonical_json({"kind": "decision", "commitment": "cd" * 32})  # same size, another root
    with pytest.raises(VerifyError, match=r"^the entries read again do not give the verified checkpoint's root$"):
        logged_commitments(DirSource(log.write(tmp_path / "export")), verified)


def test_fewer_entries_served_the_second_time_are_caught(record: Record) -> None:
    log = sealed_log(record)
    verified = checkpoint_of(log)
    with LogServer(log) as server:
        server.routes["/log/entries"] = lambda q: json_reply({"entries": []})
        source = HttpSource(server.url)
        with pytest.raises(VerifyError, match=r"^the entries read again do not give the verified checkpoint's root$"):
            logged_commitments(source, verified)
        source.close()


# --- opening_record and HttpSource.opening_record ------------------------------------------------------------------


def test_an_export_directory_holds_no_opening_record(tmp_path: Path) -> None:
    source = DirSource(standard_log().write(tmp_path / "export"))
    with pytest.raises(InputError, match=r"^opening records are read from a server: give its URL"):
        opening_record(source, TENDER)


@pytest.fixture
def served(record: Record) -> Iterator[LogServer]:
    """The sealed log on 127.0.0.1, with the tender's opening record at /tenders/{id}/opening."""
    with LogServer(sealed_log(record)) as server:
        server.routes[OPENING] = lambda q: json_reply(record)
        yield server


def test_a_server_serves_the_opening_record(served: LogServer, record: Record) -> None:
    source = HttpSource(served.url)
    try:
        assert opening_record(source, TENDER) == record
    finally:
        source.close()
    assert served.requests[-1] == f"/api/v1{OPENING}"


@pytest.mark.parametrize("tender_id", ["", "../log/key", "t 1", "x" * 65])
def test_what_is_not_a_tender_id_is_refused_before_any_request(served: LogServer, tender_id: str) -> None:
    source = HttpSource(served.url)
    try:
        with pytest.raises(InputError, match=r"is not a tender id$"):
            opening_record(source, tender_id)
    finally:
        source.close()
    assert served.requests == []


def test_an_opening_record_the_server_does_not_have_is_an_input_error(served: LogServer) -> None:
    source = HttpSource(served.url)
    try:
        with pytest.raises(InputError, match=r"^GET .*/api/v1/tenders/tender-2/opening answered 404: no such path$"):
            opening_record(source, "tender-2")
    finally:
        source.close()


def test_an_opening_record_that_is_not_a_json_object_is_an_input_error(served: LogServer) -> None:
    served.routes[OPENING] = lambda q: json_reply(["not", "a", "record"])
    source = HttpSource(served.url)
    try:
        with pytest.raises(InputError, match=r"/api/v1/tenders/tender-1/opening is not a JSON object$"):
            opening_record(source, TENDER)
    finally:
        source.close()


# --- the CLI: run(..., openings=[...]) ----------------------------------------------------------------------------


def verify_openings(target: str, state: Path, openings: list[str]) -> tuple[int, str]:
    """``quartermaster verify TARGET --opening ID...``: (exit code, printed text)."""
    out = io.StringIO()
    console = Console(file=out, width=400, color_system=None)
    code = run(target, key=None, state=state, console=console, openings=openings)
    return code, out.getvalue()


def test_the_cli_prints_one_line_per_verified_opening(served: LogServer, tmp_path: Path) -> None:
    code, text = verify_openings(served.url, tmp_path / "state.json", [TENDER, TENDER])
    assert code == 0, text
    lines = text.splitlines()
    assert lines[0].startswith("ok: verified 10 entries, checkpoint size 10 root ")
    expected = (
        f"ok: opening of tender {TENDER} (threshold key) verified: 2 bids re-opened to the published prices, "
        "1 invalid bids fail to open as the record says; every envelope's commitment is in the log"
    )
    assert lines[-2:] == [expected, expected]


def test_the_cli_reports_a_cheating_opening_as_inconsistent(served: LogServer, record: Record, tmp_path: Path) -> None:
    cheat = copy.deepcopy(record)
    cheat["bids"][0]["values"][0]["amount"] = "90.00"
    served.routes[OPENING] = lambda q: json_reply(cheat)
    code, text = verify_openings(served.url, tmp_path / "state.json", [TENDER])
    assert code == 1
    assert text.splitlines() == [
        "inconsistent: bid bid-s1: the published prices are not the ones sealed in its envelope"
    ]


def test_the_cli_refuses_openings_from_an_export_directory(record: Record, tmp_path: Path) -> None:
    export = sealed_log(record).write(tmp_path / "export")
    code, text = verify_openings(str(export), tmp_path / "state.json", [TENDER])
    assert code == 2
    assert text.startswith("error: opening records are read from a server: give its URL rather than an export")


def test_an_unlogged_envelope_is_caught_through_the_cli(record: Record, tmp_path: Path) -> None:
    log = standard_log()  # the same record, but the log never received its envelopes
    with LogServer(log) as server:
        server.routes[OPENING] = lambda q: json_reply(record)
        code, text = verify_openings(server.url, tmp_path / "state.json", [TENDER])
    assert code == 1
    commitment = record["bids"][0]["commitment"]
    assert text == f"inconsistent: bid bid-s1: commitment {commitment[:16]}… is not a sealed-bid entry of the log\n"


def test_logged_commitments_stop_at_the_verified_checkpoint(tmp_path: Path) -> None:
    """An export may hold entries newer than its latest checkpoint: they are not read as verified."""
    log = standard_log()
    log.append_leaf(b'{"commitment":"' + b"a" * 64 + b'","kind":"sealed-bid"}')
    log.checkpoint()
    log.append_leaf(b'{"commitment":"' + b"b" * 64 + b'","kind":"sealed-bid"}')  # after the checkpoint
    source = DirSource(log.write(tmp_path / "export"))
    report = verify(source, key=None, state_path=tmp_path / "state.json")
    found = logged_commitments(source, report.checkpoint)
    assert found["sealed-bid"] == {"a" * 64}
