"""The transparency log over ``log_entries``: an in-memory Merkle tree cache, checkpoints, entries and proofs.

The tree is a cache of the committed leaf hashes (32 bytes a leaf), extended from the database on demand, so app
servers stay stateless: any of them can serve proofs, and a restarted one rebuilds its cache from the rows.
Checkpoints are integrated and signed in batches by the scheduler (``integrate``), never inside a command.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from quartermaster.errors import LogDamaged, NotFound, ValidationFailed
from quartermaster.publication.models import LogEntry, SignedCheckpoint
from quartermaster.transparency import MerkleTree, Signer, Verifier, sign_checkpoint

# PostgreSQL advisory lock that keeps two integrators from signing the same size at once (ASCII "QMCKP").
INTEGRATE_LOCK = 0x514D434B50
MAX_ENTRIES = 1000


@dataclass(frozen=True)
class Proof:
    """An inclusion or consistency proof with the sizes it is for."""

    first: int  # the leaf index (inclusion) or the smaller size (consistency)
    size: int
    hashes: Sequence[bytes]
    leaf_hash: bytes | None = None


class TransparencyLog:
    """One log: its origin, its keys and its tree cache."""

    def __init__(self, origin: str, verifier: Verifier, signer: Signer | None = None) -> None:
        self.origin = origin
        self.verifier = verifier
        self.signer = signer
        self._tree = MerkleTree()
        self._lock = threading.Lock()

    @classmethod
    def with_signer(cls, signer: Signer) -> TransparencyLog:
        """A log that can sign checkpoints (the integrator's)."""
        return cls(signer.name, signer.verifier(), signer)

    def tree(self, session: Session) -> MerkleTree:
        """The tree over every committed entry, brought up to date from the database."""
        with self._lock:
            rows = session.execute(
                select(LogEntry.index, LogEntry.leaf_hash)
                .where(LogEntry.index >= self._tree.size)
                .order_by(LogEntry.index)
                .execution_options(yield_per=10_000)
            )
            for index, leaf_hash in rows:
                if index != self._tree.size:  # entries are dense; a gap means a row was removed
                    raise LogDamaged(
                        f"log entry {self._tree.size} is missing from storage (the next stored is {index}); "
                        "the log cannot serve proofs or sign checkpoints until it is restored",
                        code="log.damaged",
                    )
                self._tree.append(bytes(leaf_hash))
            return self._tree

    def size(self, session: Session) -> int:
        """Entries committed so far."""
        return self.tree(session).size

    def latest(self, session: Session) -> SignedCheckpoint | None:
        """The newest signed checkpoint."""
        return session.scalars(select(SignedCheckpoint).order_by(SignedCheckpoint.size.desc()).limit(1)).first()

    def integrate(self, session: Session, now: datetime) -> SignedCheckpoint | None:
        """Sign a checkpoint over every committed entry if the tree grew since the last one; None otherwise."""
        if self.signer is None:
            raise RuntimeError("this log has no signing key")
        if session.get_bind().dialect.name == "postgresql":
            got = session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": INTEGRATE_LOCK})
            if not got:
                return None  # another integrator is signing right now
        tree = self.tree(session)
        latest = self.latest(session)
        if tree.size == 0 or (latest is not None and latest.size >= tree.size):
            return None
        root = tree.root()
        note = sign_checkpoint(self.origin, tree.size, root, self.signer)
        row = SignedCheckpoint(size=tree.size, root=root, note=note, signed_at=now)
        session.add(row)
        session.flush()
        return row

    def entries(self, session: Session, start: int, end: int) -> Sequence[LogEntry]:
        """Entries ``start`` ≤ index < ``end`` (at most MAX_ENTRIES)."""
        if start < 0 or end <= start:
            raise ValidationFailed(f"need 0 ≤ start < end, got start={start}, end={end}", code="log.bad_range")
        end = min(end, start + MAX_ENTRIES)
        rows = session.scalars(
            select(LogEntry).where(LogEntry.index >= start, LogEntry.index < end).order_by(LogEntry.index)
        ).all()
        if not rows:
            raise NotFound(f"no log entries at {start} or after", code="log.no_entries")
        return rows

    def inclusion(self, session: Session, index: int, size: int) -> Proof:
        """The inclusion proof of entry ``index`` in the tree of ``size`` entries."""
        tree = self._sized(session, size)
        if not 0 <= index < size:
            raise ValidationFailed(f"index {index} is outside a tree of size {size}", code="log.bad_index")
        return Proof(index, size, tree.inclusion_proof(index, size), tree.leaf(index))

    def consistency(self, session: Session, first: int, second: int) -> Proof:
        """The consistency proof between the trees of ``first`` and ``second`` entries."""
        tree = self._sized(session, second)
        if not 0 < first <= second:
            raise ValidationFailed(f"need 0 < first ≤ second, got first={first}, second={second}", code="log.bad_range")
        return Proof(first, second, tree.consistency_proof(first, second))

    def _sized(self, session: Session, size: int) -> MerkleTree:
        tree = self.tree(session)
        if not 0 < size <= tree.size:
            raise ValidationFailed(f"size {size} is outside the log's 1..{tree.size}", code="log.bad_size")
        return tree
