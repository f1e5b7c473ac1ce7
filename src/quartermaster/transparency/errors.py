"""Errors of the transparency core, a branch of the one error tree in ``quartermaster.errors``.

QMError
└── TransparencyError        anything the log core refuses
    ├── CanonicalizationError  a value has no RFC 8785 canonical form (NaN, huge integers, non-string keys, ...)
    ├── TreeError              a tree was asked about leaves or sizes it does not have, or given a malformed hash
    ├── ProofError             an inclusion or consistency proof does not verify (or breaks a precondition)
    ├── KeyFormatError         a signer or verifier key string is malformed
    └── NoteError              a signed note is malformed
        ├── CheckpointError    the note text is not a C2SP tlog-checkpoint
        ├── UntrustedNoteError no signature by a known key
        └── SignatureError     a known key's signature does not verify
"""

from __future__ import annotations

from quartermaster.errors import QMError


class TransparencyError(QMError):
    """Base of every error raised by the transparency core."""

    code = "transparency.error"
    title = "Transparency log error"


class CanonicalizationError(TransparencyError):
    """A value cannot be serialised as RFC 8785 canonical JSON."""

    code = "transparency.not_canonical"
    title = "Value has no canonical JSON form"


class TreeError(TransparencyError):
    """A Merkle tree was given an out-of-range index or size, or a hash of the wrong length."""

    code = "transparency.tree_range"
    title = "Outside the tree"


class ProofError(TransparencyError):
    """An inclusion or consistency proof failed verification."""

    code = "transparency.bad_proof"
    title = "Proof does not verify"


class KeyFormatError(TransparencyError):
    """A signer or verifier key string is malformed."""

    code = "transparency.bad_key"
    title = "Malformed key"


class NoteError(TransparencyError):
    """A signed note is malformed (C2SP signed-note)."""

    code = "transparency.bad_note"
    title = "Malformed signed note"


class CheckpointError(NoteError):
    """A signed note's text is not a valid C2SP tlog-checkpoint."""

    code = "transparency.bad_checkpoint"
    title = "Malformed checkpoint"


class UntrustedNoteError(NoteError):
    """No signature on the note comes from a known key."""

    code = "transparency.untrusted_note"
    title = "Note not signed by a known key"


class SignatureError(NoteError):
    """A signature by a known key does not verify: the note was altered or forged."""

    code = "transparency.bad_signature"
    title = "Signature does not verify"
