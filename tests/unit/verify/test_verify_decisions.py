"""Check 6 on synthetic event logs: signed decisions verify under the key the log enrolled, and every kind of
tampering (document, signature, key, person, order of enrolments, a signature erased) is reported with its event."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from synthetic_log import SyntheticLog, standard_log

from quartermaster.client import PersonKeys, new_keys
from quartermaster.client.decisions import sign_decision
from quartermaster.decisions import (
    DecisionFormatError,
    Ed25519Scheme,
    decision_bytes,
    decision_document,
    register_scheme,
    scheme,
)
from quartermaster.decisions.commitments import decision_commitment, enrolment_commitment
from quartermaster.sealing.encoding import b64url_encode
from quartermaster.transparency import canonical_json
from quartermaster.verify import check_decisions, load_events, run
from quartermaster.verify.errors import InputError

Event = dict[str, Any]


class Log:
    """An event log as ``GET /api/v1/events`` serves it, built event by event."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, **fields: Any) -> Event:
        event = {"seq": len(self.events) + 1, "process_id": "t1", "state_before": None, "state_after": None, **fields}
        self.events.append(event)
        return event

    def enrol(self, user: str, keys: PersonKeys, key_id: str) -> None:
        signing = {"algorithm": "Ed25519", "public_key": b64url_encode(keys.signing_public), "key_id": key_id}
        self.add(
            event_type="KeysEnrolled",
            command="enrol_keys",
            object_id=user,
            actor_id=user,
            process_id=None,
            payload={"signing": signing, "custody": {"algorithm": "X25519", "public_key": "x", "key_id": "c"}},
        )

    def decide(
        self, user: str, keys: PersonKeys | None, key_id: str, *, command: str = "disqualify_bid", obj: str = "b1"
    ) -> Event:
        content = {"reason": "forged certificate"}
        document = decision_document(command=command, object_id=obj, process_id="t1", actor_id=user, content=content)
        payload: dict[str, Any] = {"reason": "forged certificate", "signature": None}
        if keys is not None:
            signed = sign_decision(keys, {"document": document})
            payload = {**payload, "decision": document, "signature": {**signed, "key_id": key_id}}
        return self.add(event_type="BidDisqualified", command=command, object_id=obj, actor_id=user, payload=payload)


@pytest.fixture
def keys() -> PersonKeys:
    """The approver's key file."""
    return new_keys()


def test_signed_decisions_verify_and_are_counted(keys: PersonKeys) -> None:
    log = Log()
    log.decide("u0", None, "")  # a person without a key
    log.enrol("u1", keys, "k1")
    log.decide("u1", keys, "k1")
    log.decide("u1", keys, "k1", command="cancel_award", obj="a1")
    log.add(event_type="TenderPublished", command="publish_tender", object_id="t1", actor_id="u1", payload={})
    log.add(event_type="AwardMade", command="award", object_id="a0", actor_id="u0", payload={})  # before signatures
    report = check_decisions(log.events)
    assert report.failures == []
    assert (report.events, report.keys, report.signed, report.unsigned, report.before_signatures) == (6, 1, 2, 1, 1)
    assert report.summary() == (
        "2 signed decision(s) verified against 1 enrolled key(s) in 6 event(s) "
        "(1 unsigned by persons without a key; 1 recorded before decisions were signed)"
    )


def test_an_award_signs_its_lot_and_each_award_event_carries_the_signature(keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    for award in ("a1", "a2"):  # a framework: one decision, several awards
        event = log.decide("u1", keys, "k1", command="award", obj="lot1")
        event["object_id"], event["payload"]["lot_id"] = award, "lot1"
    assert check_decisions(log.events).failures == []
    log.events[-1]["payload"]["lot_id"] = "lot2"
    (failure,) = check_decisions(log.events).failures
    assert "event 3: award of a2: the signed document is about 'lot1'" in failure


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda e: e["payload"]["decision"]["content"].update(reason="late"), "does not verify under key k1"),
        (lambda e: e["payload"]["signature"].update(signature=b64url_encode(bytes(64))), "does not verify"),
        (lambda e: e["payload"]["signature"].update(signature="***"), "not unpadded base64url"),
        (lambda e: e["payload"]["signature"].update(key_id="k9"), "key k9 was never enrolled"),
        (lambda e: e["payload"]["signature"].update(scheme="dstu4145"), "unknown signature scheme 'dstu4145'"),
        (lambda e: e["payload"]["signature"].pop("scheme"), "not {scheme, key_id, signature}"),
        (lambda e: e["payload"].pop("decision"), "a decision document is a JSON object"),
        (lambda e: e["payload"]["decision"].update(v=2), "not a version 1"),
        (lambda e: e.update(process_id="t2"), "names process 't1', the event 't2'"),
        (lambda e: e.update(object_id="b2"), "is about 'b1', not this event's object"),
        (lambda e: e.update(actor_id="u2"), "names actor 'u1', the event 'u2'"),
    ],
)
def test_tampering_is_reported_with_the_event(keys: PersonKeys, tamper: Any, expected: str) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    tamper(log.decide("u1", keys, "k1"))
    report = check_decisions(log.events)
    assert report.signed == 0
    (failure,) = report.failures
    assert failure.startswith("event 2: disqualify_bid of "), failure
    assert expected in failure, failure


def test_keys_are_the_signers_own_and_current(keys: PersonKeys) -> None:
    other = new_keys()
    log = Log()
    log.enrol("u1", keys, "k1")
    log.enrol("u2", other, "k2")
    log.decide("u1", other, "k2")  # u1 signs with u2's key
    log.enrol("u1", new_keys(), "k3")  # u1 rotates: k1 is retired from here on
    log.decide("u1", keys, "k1")
    failures = check_decisions(log.events).failures
    assert failures == [
        "event 3: disqualify_bid of b1: key k2 is u2's, not the acting person's",
        "event 5: disqualify_bid of b1: key k1 had been replaced by key k3 before this decision",
    ]


def test_a_decision_signed_before_its_key_was_enrolled_fails(keys: PersonKeys) -> None:
    log = Log()
    log.decide("u1", keys, "k1")
    log.enrol("u1", keys, "k1")
    assert check_decisions(log.events).failures == [
        "event 1: disqualify_bid of b1: key k1 was never enrolled (no KeysEnrolled event before it)"
    ]


def test_an_erased_signature_and_a_bad_enrolment_are_failures(keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.decide("u1", None, "")
    log.add(event_type="KeysEnrolled", command="enrol_keys", object_id="u3", actor_id="u3", process_id=None, payload={})
    assert check_decisions(log.events).failures == [
        "event 2: disqualify_bid by u1 is unsigned, but they held key k1",
        "event 3: KeysEnrolled without a signing key",
    ]


def test_the_client_refuses_a_draft_it_did_not_expect(keys: PersonKeys) -> None:
    document = decision_document(command="award", object_id="lot1", process_id="t1", actor_id="u1", content={})
    good = {"document": document, "canonical": b64url_encode(decision_bytes(document))}
    assert sign_decision(keys, good, command="award", object_id="lot1", actor_id="u1")["scheme"] == "ed25519"
    with pytest.raises(DecisionFormatError, match="not 'cancel_award'"):
        sign_decision(keys, good, command="cancel_award")
    with pytest.raises(DecisionFormatError, match="canonical bytes"):
        sign_decision(keys, {**good, "canonical": b64url_encode(b"{}")})
    with pytest.raises(DecisionFormatError, match="exactly the fields"):
        sign_decision(keys, {"document": {**document, "extra": 1}})


def test_the_scheme_registry_has_room_for_a_national_signature_but_no_fake_one() -> None:
    assert isinstance(scheme("ed25519"), Ed25519Scheme)
    assert scheme("dstu4145") is None
    with pytest.raises(ValueError, match="already registered"):
        register_scheme(Ed25519Scheme())


def _write(path: Path, events: list[Event], form: str) -> Path:
    if form == "array":
        path.write_text(json.dumps(events), encoding="utf-8")
    elif form == "page":
        path.write_text(json.dumps({"data": events, "next": None}), encoding="utf-8")
    else:
        path.write_text("".join(json.dumps(e) + "\n" for e in events), encoding="utf-8")
    return path


@pytest.mark.parametrize("form", ["array", "page", "lines"])
def test_events_load_as_saved_from_the_api(tmp_path: Path, keys: PersonKeys, form: str) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.decide("u1", keys, "k1")
    assert load_events(_write(tmp_path / "events.json", log.events, form)) == log.events


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{", "neither JSON nor JSON lines"),
        ("[1]", "event 0 is not an object"),
        ('[{"seq": true}]', "has no int 'seq'"),
        ("7", "expected a list of events"),
    ],
)
def test_unreadable_events_are_input_errors(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "events.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=expected):
        load_events(path)
    with pytest.raises(InputError, match="cannot read"):
        load_events(tmp_path / "missing.json")


def _logged(synthetic: SyntheticLog, event: dict[str, Any]) -> None:
    """Append the commitment entry the platform logs for a key enrolment or a signed decision."""
    payload = event["payload"]
    if event["event_type"] == "KeysEnrolled":
        leaf = {"kind": "key-enrolment", "commitment": enrolment_commitment(event["object_id"], payload)}
    else:
        leaf = {"kind": "decision", "commitment": decision_commitment(payload["decision"], payload["signature"])}
    synthetic.append_leaf(canonical_json(leaf))


def test_the_cli_checks_decisions_after_the_log(tmp_path: Path, keys: PersonKeys) -> None:
    log = Log()
    log.enrol("u1", keys, "k1")
    log.decide("u1", keys, "k1")
    synthetic = standard_log()
    for event in log.events:
        _logged(synthetic, event)
    synthetic.checkpoint()
    export = synthetic.write(tmp_path / "export")
    events = _write(tmp_path / "events.json", log.events, "array")

    def cli(state: str) -> tuple[int, str]:
        out = io.StringIO()
        console = Console(file=out, width=200, color_system=None)
        code = run(str(export), key=None, state=tmp_path / state, console=console, events=events)
        return code, out.getvalue()

    code, text = cli("a.json")
    assert code == 0, text
    assert "ok: 1 signed decision(s) verified against 1 enrolled key(s) in 2 event(s)" in text
    assert "2 signed decision(s) and key enrolment(s) found in the transparency log" in text

    unlogged = standard_log().write(tmp_path / "unlogged")  # the same events, but the log never received them
    out = io.StringIO()
    code = run(str(unlogged), key=None, state=tmp_path / "u.json", console=Console(file=out, width=200), events=events)
    assert code == 1
    assert "event 1: its key-enrolment commitment is not in the verified transparency log" in out.getvalue()
    assert "event 2: its decision commitment is not in the verified transparency log" in out.getvalue()

    log.events[1]["payload"]["decision"]["content"]["reason"] = "late"
    _write(events, log.events, "array")
    code, text = cli("b.json")
    assert code == 1
    assert "bad signature: event 2: disqualify_bid of b1: the ed25519 signature does not verify" in text
    assert "inconsistent: 1 decision signature failure(s)" in text

    events.write_text("{", encoding="utf-8")
    code, text = cli("c.json")
    assert code == 2
    assert "error:" in text
    assert "neither JSON nor JSON lines" in text
