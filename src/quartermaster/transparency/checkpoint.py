"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint): a log's tree head as the text of a signed note.

    <origin>\\n                 a unique, non-empty log identity, e.g. ``quartermaster.example/log``
    <tree size>\\n              ASCII decimal, no leading zeroes (``0`` for the empty tree)
    <base64 root hash>\\n       standard base64 of the RFC 6962/9162 root at that size
    [<extension line>\\n ...]   optional, non-empty, opaque (NOT RECOMMENDED by the spec)

followed by the signed-note blank line and signature lines (see ``note``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from quartermaster.transparency.errors import CheckpointError
from quartermaster.transparency.merkle import EMPTY_ROOT, HASH_SIZE, MAX_TREE_SIZE
from quartermaster.transparency.note import NoteSigner, Verifier, open_note, sign_note

_DECIMAL = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A verified tree head: the log's origin, its size and the Merkle root at that size."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("checkpoint origin must be one non-empty line")
        if not 0 <= self.size <= MAX_TREE_SIZE:
            raise CheckpointError(f"checkpoint tree size {self.size} is outside 0..2**64-1")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"checkpoint root must be a {HASH_SIZE}-byte hash")
        if self.size == 0 and self.root != EMPTY_ROOT:
            raise CheckpointError("an empty tree's root is SHA-256 of the empty string")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("checkpoint extension lines must be non-empty single lines")

    def text(self) -> str:
        """The note text: origin, size and base64 root, each on its own line, then any extension lines."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Parse checkpoint note text (already verified); CheckpointError unless it is exactly in C2SP form."""
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("checkpoint needs an origin, a tree size and a root hash line")
        origin, size_line, root_line, *extensions = lines
        if not _DECIMAL.fullmatch(size_line):
            raise CheckpointError(f"checkpoint tree size {size_line!r} is not a decimal without leading zeroes")
        try:
            root = base64.b64decode(root_line.encode("ascii"), validate=True)
        except ValueError:  # binascii.Error and UnicodeEncodeError are both ValueErrors
            raise CheckpointError("checkpoint root hash is not standard base64") from None
        checkpoint = cls(origin=origin, size=int(size_line), root=root, extensions=tuple(extensions))
        if checkpoint.text() != text:  # refuse non-canonical base64 so one tree head has exactly one text
            raise CheckpointError("checkpoint root hash is not canonical base64")
        return checkpoint


def sign_checkpoint(origin: str, size: int, root: bytes, signer: NoteSigner, *, extensions: Sequence[str] = ()) -> str:
    """The signed checkpoint note for the tree of ``size`` leaves with ``root``, signed by ``signer``."""
    checkpoint = Checkpoint(origin=origin, size=size, root=bytes(root), extensions=tuple(extensions))
    return sign_note(checkpoint.text(), [signer])


def open_checkpoint(text: str | bytes, verifiers: Iterable[Verifier], *, origin: str | None = None) -> Checkpoint:
    """Verify a signed checkpoint against trusted ``verifiers`` and parse it; optionally require its ``origin``.

    Raises NoteError (malformed note), UntrustedNoteError (no known key signed it), SignatureError (a known key's
    signature fails) or CheckpointError (the signed text is not a checkpoint, or names another log).
    """
    checkpoint = Checkpoint.parse(open_note(text, verifiers).text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
