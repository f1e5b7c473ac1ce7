"""Signed decisions: the canonical document a person signs for a decision, and the signature schemes that check it.

Pure (no database, web or server internals), so the auditor's verifier and a person's client use exactly the code
the platform does. ``identity.signatures`` checks a decision against the acting person's enrolled key; the decision
commands (award, disqualify, cancel an award, sign a contract) record what it returns in their event.
"""

from quartermaster.decisions.documents import (
    DECISION_COMMANDS,
    DECISION_TYPE,
    DecisionFormatError,
    decision_bytes,
    decision_document,
    parse_decision,
)
from quartermaster.decisions.schemes import (
    ED25519,
    Ed25519Scheme,
    SignatureScheme,
    register_scheme,
    scheme,
    schemes,
)

__all__ = [
    "DECISION_COMMANDS",
    "DECISION_TYPE",
    "ED25519",
    "DecisionFormatError",
    "Ed25519Scheme",
    "SignatureScheme",
    "decision_bytes",
    "decision_document",
    "parse_decision",
    "register_scheme",
    "scheme",
    "schemes",
]
