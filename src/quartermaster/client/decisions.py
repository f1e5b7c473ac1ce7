"""Signing a decision on the person's own side: check the draft the server returned, sign its bytes with the key file.

    draft = POST /api/v1/decisions/draft {"command": "award", "object_id": lot_id, "body": award_body}
    body = {**award_body, "signature": sign_decision(keys, draft, command="award", object_id=lot_id)}
    POST /api/v1/tenders/{tender_id}/lots/{lot_id}/award body

The helper signs the canonical bytes it computes itself from the returned document, and refuses a draft whose
``canonical`` bytes differ from them or that names another command, object or person than expected, so a person
never signs bytes they did not see.
"""

from __future__ import annotations

from typing import Any

from quartermaster.client.keyfile import PersonKeys
from quartermaster.decisions import ED25519, DecisionFormatError, decision_bytes, parse_decision
from quartermaster.sealing.encoding import b64url_encode


def sign_decision(
    keys: PersonKeys,
    draft: dict[str, Any],
    *,
    command: str | None = None,
    object_id: str | None = None,
    actor_id: str | None = None,
) -> dict[str, str]:
    """The ``signature`` object of a decision request, over the document in ``draft``; DecisionFormatError if the
    draft is malformed or is not the decision the caller expects."""
    document = parse_decision(draft.get("document"))
    data = decision_bytes(document)
    if "canonical" in draft and draft["canonical"] != b64url_encode(data):
        raise DecisionFormatError("the draft's canonical bytes are not the canonical form of its document")
    for name, expected in (("command", command), ("object", object_id), ("actor", actor_id)):
        if expected is not None and document[name] != expected:
            raise DecisionFormatError(f"the draft is for {name} {document[name]!r}, not {expected!r}")
    return {"scheme": ED25519, "signature": b64url_encode(keys.sign(data))}
