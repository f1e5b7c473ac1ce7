"""Check 6's remaining refusals: malformed key enrolments, a scheme used with another algorithm's key, a decision
document without canonical bytes, and events files that are not a list of events."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_verify_decisions import Log

from quartermaster.client import PersonKeys, new_keys
from quartermaster.verify import check_decisions, load_events
from quartermaster.verify.errors import InputError


@pytest.fixture
def keys() -> PersonKeys:
    """The approver's key file."""
    return new_keys()


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda s: s.pop("key_id"), "KeysEnrolled names no signing key_id, algorithm and public_key"),
        (lambda s: s.update(algorithm=None), "KeysEnrolled names no signing key_id, algorithm and public_key"),
        (lambda s: s.update(public_key=7), "KeysEnrolled names no signing key_id, algorithm and public_key"),
        (lambda s: s.update(public_key=""), "key k1: public key is not unpadded base64url"),
        (lambda s: s.update(public_key="a"), "key k1: public key is not unpadded base64url"),  # no such length
        (lambda s: s.update(public_key="ключ"), "key k1: public key is not unpadded base64url"),  # not ASCII
        (lambda s: s.update(public_key=s["public_key"] + "="), "key k1: public key is not unpadded base64url"),
        (lambda s: s.update(public_key="+/" + s["public_key"][2:]), "key k1: public key is not unpadded base64url"),
    ],
)
def test_a_malformed_enrolment_is_a_failure_and_enrols_nothing(keys: PersonKeys, tamper: Any, expected: str) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    tamper(log.events[0]["payload"]["signing"])
    log.decide("u1", keys, "k1")
    report = check_decisions(log.events)
    assert report.keys == 0
    assert report.failures == [
        f"event 1: {expected}",
        "event 2: disqualify_bid of b1: key k1 was never enrolled (no KeysEnrolled event before it)",
    ]


def test_a_key_id_enrolled_twice_is_a_failure(keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.enrol("u2", new_keys(), "k1")  # another person claims the same key id
    log.decide("u1", keys, "k1")
    report = check_decisions(log.events)
    assert report.failures == ["event 2: key k1 is enrolled twice"]
    assert (report.keys, report.signed) == (1, 1)  # the first enrolment stands


def test_a_scheme_cannot_verify_with_a_key_of_another_algorithm(keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.events[0]["payload"]["signing"]["algorithm"] = "DSTU4145"
    log.decide("u1", keys, "k1")
    assert check_decisions(log.events).failures == [
        "event 2: disqualify_bid of b1: a ed25519 signature cannot be made with the DSTU4145 key k1"
    ]


@pytest.mark.parametrize("signature", ["", None, 64])
def test_a_missing_or_empty_signature_value_is_refused(keys: PersonKeys, signature: Any) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.decide("u1", keys, "k1")["payload"]["signature"]["signature"] = signature
    assert check_decisions(log.events).failures == [
        "event 2: disqualify_bid of b1: the signature is not unpadded base64url"
    ]


def test_a_decision_document_without_canonical_bytes_is_refused(tmp_path: Path, keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.decide("u1", keys, "k1")["payload"]["decision"]["content"]["amount"] = 2**60  # beyond RFC 8785's numbers
    path = tmp_path / "events.json"
    path.write_text(json.dumps(log.events), encoding="utf-8")
    (failure,) = check_decisions(load_events(path)).failures
    assert failure.startswith("event 2: disqualify_bid of b1: the decision document has no canonical form: ")
    assert "1152921504606846976" in failure


def test_one_saved_event_loads_as_a_list_of_one(tmp_path: Path, keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    path = tmp_path / "event.json"
    path.write_text(json.dumps(log.events[0]), encoding="utf-8")
    assert load_events(path) == log.events


def test_saved_pages_one_per_line_load_as_their_events(tmp_path: Path, keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.decide("u1", keys, "k1")
    log.decide("u1", keys, "k1", command="cancel_award", obj="a1")
    path = tmp_path / "pages.jsonl"
    pages = [{"data": log.events[:2], "next": "c2"}, {"data": log.events[2:], "next": None}]
    path.write_text("".join(json.dumps(page) + "\n" for page in pages), encoding="utf-8")
    assert load_events(path) == log.events


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"process_id": 7}, "event 1 has no process_id (string or null)"),
        ({"process_id": None}, None),
        ({"payload": []}, "event 1 has no dict 'payload'"),
        ({"seq": "2"}, "event 1 has no int 'seq'"),
    ],
)
def test_each_event_needs_its_fields(
    tmp_path: Path, keys: PersonKeys, change: dict[str, Any], expected: str | None
) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.decide("u1", keys, "k1")
    log.events[1].update(change)
    path = tmp_path / "events.json"
    path.write_text(json.dumps(log.events), encoding="utf-8")
    if expected is None:
        assert load_events(path) == log.events
        return
    with pytest.raises(InputError, match=f"^{re.escape(f'{path}: {expected}')}$"):
        load_events(path)


def test_an_event_without_process_id_is_refused(tmp_path: Path, keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    del log.events[0]["process_id"]
    path = tmp_path / "events.json"
    path.write_text(json.dumps(log.events), encoding="utf-8")
    with pytest.raises(InputError, match=r"event 0 has no process_id \(string or null\)$"):
        load_events(path)


def test_an_events_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    path.write_bytes(b"[\xff]")
    with pytest.raises(InputError, match=r"^cannot read the events file .*events.json: 'utf-8' codec"):
        load_events(path)
