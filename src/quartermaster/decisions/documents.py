"""The decision document: what the acting person signs, as RFC 8785 canonical JSON.

    {"type": "quartermaster.decision", "v": 1, "command": "award", "object": <id>, "process": <id or null>,
     "actor": <user id>, "content": {...the decision's own fields...}}

``object`` is what the command acts on (the lot awarded, the bid disqualified, the award cancelled, the contract
signed); ``content`` is the decision as the person took it (the request body without its signature, or the contract
terms signed). The platform builds the same document from the request, so a client asks for it
(``POST /api/v1/decisions/draft``) and signs those exact bytes rather than guessing them.
"""

from __future__ import annotations

import json
from typing import Any

from quartermaster.transparency.canonical import canonical_json
from quartermaster.transparency.errors import CanonicalizationError

DECISION_TYPE = "quartermaster.decision"

DECISION_COMMANDS = frozenset({"award", "disqualify_bid", "cancel_award", "sign_contract", "sign_report"})
"""The commands whose events carry a decision signature (``"signature"`` in the payload, null when unsigned)."""

_FIELDS = frozenset({"type", "v", "command", "object", "process", "actor", "content"})


class DecisionFormatError(ValueError):
    """Bytes or a value that are not a version 1 decision document; the message says why."""


def decision_document(
    *, command: str, object_id: str, process_id: str | None, actor_id: str, content: dict[str, Any]
) -> dict[str, Any]:
    """The decision document of ``command`` on ``object_id`` by ``actor_id`` (content must be JSON values)."""
    return {
        "type": DECISION_TYPE,
        "v": 1,
        "command": command,
        "object": object_id,
        "process": process_id,
        "actor": actor_id,
        "content": content,
    }


def decision_bytes(document: dict[str, Any]) -> bytes:
    """The bytes a signature covers: the document's RFC 8785 canonical JSON."""
    try:
        return canonical_json(document)
    except CanonicalizationError as exc:
        raise DecisionFormatError(f"the decision document has no canonical form: {exc.message}") from None


def parse_decision(value: Any) -> dict[str, Any]:
    """``value`` (a dict, or JSON bytes/text) as a decision document, checked for shape; DecisionFormatError if not."""
    if isinstance(value, bytes | str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise DecisionFormatError(f"not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise DecisionFormatError("a decision document is a JSON object")
    if set(value) != _FIELDS:
        raise DecisionFormatError(f"a decision document has exactly the fields {sorted(_FIELDS)}, not {sorted(value)}")
    if value["type"] != DECISION_TYPE or value["v"] != 1 or isinstance(value["v"], bool):
        raise DecisionFormatError(f"not a version 1 {DECISION_TYPE} document")
    for name in ("command", "object", "actor"):
        if not isinstance(value[name], str) or not value[name]:
            raise DecisionFormatError(f"decision {name!r} is not a non-empty string")
    if value["process"] is not None and not isinstance(value["process"], str):
        raise DecisionFormatError("decision 'process' is neither a string nor null")
    if not isinstance(value["content"], dict):
        raise DecisionFormatError("decision 'content' is not an object")
    return value
