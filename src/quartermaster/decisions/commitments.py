"""What the transparency log records of a signed decision and of a key enrolment: a SHA-256 commitment each.

The log is public and decisions may concern classified processes, so an entry carries only the commitment; the
auditor who holds the event log (``GET /api/v1/events``) recomputes each commitment from its event and finds it among
the log's entries, which makes the event log as tamper-evident as the transparency log for what matters here: who
decided what, signed with which key, and which keys each person enrolled when.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from quartermaster.transparency.canonical import canonical_json


def decision_commitment(decision: Mapping[str, Any], signature: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of RFC 8785 JSON ``{"decision": <signed document>, "signature": <recorded signature>}``."""
    return hashlib.sha256(canonical_json({"decision": dict(decision), "signature": dict(signature)})).hexdigest()


def enrolment_commitment(user_id: str, payload: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of RFC 8785 JSON ``{"enrolment": <KeysEnrolled payload>, "user": <user id>}``."""
    return hashlib.sha256(canonical_json({"enrolment": dict(payload), "user": user_id})).hexdigest()
