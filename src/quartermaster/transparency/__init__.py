"""The transparency log's pure core: RFC 9162 Merkle hashing and proofs, RFC 8785 leaves, C2SP signed checkpoints.

No database, web or CLI imports here; ``store.py`` (later) is the only module that touches storage.
"""

from quartermaster.transparency.canonical import canonical_json, leaf_hash_of_json, leaf_of_json
from quartermaster.transparency.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from quartermaster.transparency.errors import (
    CanonicalizationError,
    CheckpointError,
    KeyFormatError,
    NoteError,
    ProofError,
    SignatureError,
    TransparencyError,
    TreeError,
    UntrustedNoteError,
)
from quartermaster.transparency.merkle import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash, root
from quartermaster.transparency.note import Note, NoteSigner, Signer, Verifier, open_note, sign_note
from quartermaster.transparency.proofs import verify_consistency, verify_inclusion
from quartermaster.transparency.tree import MerkleTree

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CanonicalizationError",
    "Checkpoint",
    "CheckpointError",
    "KeyFormatError",
    "MerkleTree",
    "Note",
    "NoteError",
    "NoteSigner",
    "ProofError",
    "SignatureError",
    "Signer",
    "TransparencyError",
    "TreeError",
    "UntrustedNoteError",
    "Verifier",
    "canonical_json",
    "leaf_hash",
    "leaf_hash_of_json",
    "leaf_of_json",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "root",
    "sign_checkpoint",
    "sign_note",
    "verify_consistency",
    "verify_inclusion",
]
