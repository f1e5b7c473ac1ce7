"""Check 6: every signed decision in an event log verifies under the key its signer had enrolled at the time.

The input is the event log as an auditor reads it (``GET /api/v1/events``, saved as a JSON array, a page
``{"data": [...]}`` or one event per line). Keys come from the log itself: each ``KeysEnrolled`` event names the
person (its object), the signing key's id and its public key, and retires the person's previous key. A decision
event (``decisions.DECISION_COMMANDS``) records ``"signature": null`` when its person had no key, else
``{"scheme", "key_id", "signature"}`` and the signed ``decision`` document. Each signed one must:

* be a version 1 decision document naming the event's command, process and acting person, and its object (the
  event's object, or for an award the lot awarded);
* name a key enrolled earlier by that person and still their current key when the event was recorded;
* verify under that key with the named, registered scheme.

A person with a key who acted unsigned is also a failure: the platform refuses that. Every failure is reported, one
line each, naming the event's sequence number.

Given the commitments of the verified transparency log (``logged``, by leaf kind), every signed decision and every
key enrolment must also be in it (``decisions.commitments``): an event log edited after the fact — a decision
re-signed with another key, a key enrolment back-dated — no longer matches the log the checkpoints sign.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quartermaster.decisions import (
    DECISION_COMMANDS,
    DecisionFormatError,
    decision_bytes,
    parse_decision,
    scheme,
)
from quartermaster.decisions.commitments import decision_commitment, enrolment_commitment
from quartermaster.verify.errors import InputError

KEYS_ENROLLED = "KeysEnrolled"


@dataclass(frozen=True)
class _Key:
    user_id: str
    algorithm: str
    public_key: bytes
    seq: int


@dataclass
class DecisionReport:
    """Counts of the decision signatures checked, and one line per failure (empty when all verify)."""

    events: int = 0
    keys: int = 0
    signed: int = 0
    unsigned: int = 0
    before_signatures: int = 0  # decision events recorded before decisions carried a signature field
    in_log: int | None = None  # decisions and enrolments found in the transparency log (None: not checked)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line: what was checked."""
        line = (
            f"{self.signed} signed decision(s) verified against {self.keys} enrolled key(s) in {self.events} event(s)"
        )
        extra = []
        if self.unsigned:
            extra.append(f"{self.unsigned} unsigned by persons without a key")
        if self.before_signatures:
            extra.append(f"{self.before_signatures} recorded before decisions were signed")
        if self.in_log is not None:
            extra.append(f"{self.in_log} signed decision(s) and key enrolment(s) found in the transparency log")
        return f"{line} ({'; '.join(extra)})" if extra else line


def check_decisions(events: list[dict[str, Any]], logged: Mapping[str, Set[str]] | None = None) -> DecisionReport:
    """Check every decision signature in ``events`` (any order; they are taken in sequence order), and with
    ``logged`` (the verified log's commitments by kind) that each signed decision and key enrolment is in the log."""
    report = DecisionReport(events=len(events), in_log=None if logged is None else 0)
    keys: dict[str, _Key] = {}
    current: dict[str, str] = {}  # user id -> their signing key id at this point of the log
    for event in sorted(events, key=lambda e: e["seq"]):
        seq, payload = event["seq"], event["payload"]
        if event["event_type"] == KEYS_ENROLLED:
            problem = _enrol(event, keys, current)
            if problem is not None:
                report.failures.append(f"event {seq}: {problem}")
            elif logged is not None:
                _in_log(report, seq, "key-enrolment", enrolment_commitment(event["object_id"], payload), logged)
            continue
        if event["command"] not in DECISION_COMMANDS:
            continue
        if "signature" not in payload:
            report.before_signatures += 1
            continue
        recorded = payload["signature"]
        if recorded is None:
            held = current.get(event["actor_id"])
            if held is not None:
                report.failures.append(
                    f"event {seq}: {event['command']} by {event['actor_id']} is unsigned, but they held key {held}"
                )
            else:
                report.unsigned += 1
            continue
        problem = _check(event, recorded, keys, current)
        if problem is None:
            report.signed += 1
            if logged is not None:
                _in_log(report, seq, "decision", decision_commitment(payload["decision"], recorded), logged)
        else:
            report.failures.append(f"event {seq}: {event['command']} of {event['object_id']}: {problem}")
    report.keys = len(keys)
    return report


def _in_log(report: DecisionReport, seq: int, kind: str, commitment: str, logged: Mapping[str, Set[str]]) -> None:
    if commitment in logged.get(kind, set()):
        assert report.in_log is not None
        report.in_log += 1
    else:
        report.failures.append(
            f"event {seq}: its {kind} commitment is not in the verified transparency log (edited after the fact, "
            "or newer than the checkpoint: verify again after the next one)"
        )


def _enrol(event: dict[str, Any], keys: dict[str, _Key], current: dict[str, str]) -> str | None:
    signing = event["payload"].get("signing")
    if not isinstance(signing, dict):
        return "KeysEnrolled without a signing key"
    key_id, algorithm, text = signing.get("key_id"), signing.get("algorithm"), signing.get("public_key")
    if not isinstance(key_id, str) or not isinstance(algorithm, str) or not isinstance(text, str):
        return "KeysEnrolled names no signing key_id, algorithm and public_key"
    raw = _b64url(text)
    if raw is None:
        return f"key {key_id}: public key is not unpadded base64url"
    if key_id in keys:
        return f"key {key_id} is enrolled twice"
    keys[key_id] = _Key(event["object_id"], algorithm, raw, event["seq"])
    current[event["object_id"]] = key_id
    return None


def _check(event: dict[str, Any], recorded: Any, keys: dict[str, _Key], current: dict[str, str]) -> str | None:
    """Why a recorded decision signature does not check out, or None."""
    if not isinstance(recorded, dict) or not all(isinstance(recorded.get(k), str) for k in ("scheme", "key_id")):
        return "the recorded signature is not {scheme, key_id, signature}"
    try:
        document = parse_decision(event["payload"].get("decision"))
    except DecisionFormatError as exc:
        return f"the signed decision document: {exc}"
    payload = event["payload"]
    objects = {event["object_id"]} | ({payload.get("lot_id")} if event["command"] == "award" else set())
    for name, expected, actual in (
        ("command", event["command"], document["command"]),
        ("process", event["process_id"], document["process"]),
        ("actor", event["actor_id"], document["actor"]),
    ):
        if actual != expected:
            return f"the signed document names {name} {actual!r}, the event {expected!r}"
    if document["object"] not in objects:
        return f"the signed document is about {document['object']!r}, not this event's object"
    key_id = recorded["key_id"]
    key = keys.get(key_id)
    if key is None:
        return f"key {key_id} was never enrolled (no KeysEnrolled event before it)"
    if key.user_id != event["actor_id"]:
        return f"key {key_id} is {key.user_id}'s, not the acting person's"
    if current.get(key.user_id) != key_id:
        return f"key {key_id} had been replaced by key {current.get(key.user_id)} before this decision"
    adapter = scheme(recorded["scheme"])
    if adapter is None:
        return f"unknown signature scheme {recorded['scheme']!r}"
    if adapter.algorithm != key.algorithm:
        return f"a {adapter.name} signature cannot be made with the {key.algorithm} key {key_id}"
    raw = _b64url(recorded.get("signature"))
    if raw is None:
        return "the signature is not unpadded base64url"
    try:
        data = decision_bytes(document)
    except DecisionFormatError as exc:
        return str(exc)
    if not adapter.verify(key.public_key, data, raw):
        return f"the {adapter.name} signature does not verify under key {key_id} (document or signature altered)"
    return None


def _b64url(text: Any) -> bytes | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return None
    return data if base64.urlsafe_b64encode(data).rstrip(b"=").decode() == text else None


_EVENT_FIELDS = {"seq": int, "event_type": str, "command": str, "object_id": str, "actor_id": str, "payload": dict}


def load_events(path: Path) -> list[dict[str, Any]]:
    """Events saved from ``GET /api/v1/events``: a JSON array, a page ``{"data": [...]}`` or JSON lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the events file {path}: {exc}") from None
    try:
        value: Any = json.loads(text)
        if isinstance(value, dict) and isinstance(value.get("data"), list):
            value = value["data"]
        elif isinstance(value, dict):
            value = [value]
    except ValueError:
        try:
            value = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError as exc:
            raise InputError(f"{path}: neither JSON nor JSON lines of events ({exc})") from None
    if not isinstance(value, list):
        raise InputError(f"{path}: expected a list of events")
    pages = [e for item in value for e in (item["data"] if _is_page(item) else [item])]
    for number, event in enumerate(pages):
        if not isinstance(event, dict):
            raise InputError(f"{path}: event {number} is not an object")
        for name, kind in _EVENT_FIELDS.items():
            if not isinstance(event.get(name), kind) or (kind is int and isinstance(event.get(name), bool)):
                raise InputError(f"{path}: event {number} has no {kind.__name__} {name!r}")
        if "process_id" not in event or not (event["process_id"] is None or isinstance(event["process_id"], str)):
            raise InputError(f"{path}: event {number} has no process_id (string or null)")
    return pages


def _is_page(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("data"), list) and "seq" not in item
