"""The auditor's checks of docs/transparency-spec.md, stopping at the first inconsistency with one line naming it.

1. every checkpoint opens under the trusted key and names the log's origin;
2. the newest one extends the checkpoint recorded in the state file for that origin (a server's consistency proof
   when it serves one; in every case the root recomputed over the first entries at the recorded size);
3. every entry is canonical JSON of a known kind (release, disclosure, sealed-bid), its leaf hash recomputed (and
   compared with a served one), and the root over entries 0..N-1 equals each checkpoint's root;
4. every release read is the release of the entry its id names (``<ocid>-<index>``), proven by inclusion proofs
   when the source serves them;
5. every disclosure entry's SHA-256(salt || release) equals the ``withheld`` of the entry it discloses.

Disclosures are checked as their entries stream past (each discloses an earlier entry), so check 5 runs inside
check 3 and the failure named is the first one in log order. Memory: 32 bytes per entry (its leaf hash, needed to
match releases and proofs afterwards), O(log n) for roots, and a small record per withheld or disclosing entry.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from quartermaster.transparency import (
    CanonicalizationError,
    Checkpoint,
    KeyFormatError,
    NoteError,
    ProofError,
    UntrustedNoteError,
    Verifier,
    leaf_hash,
    open_checkpoint,
    verify_consistency,
    verify_inclusion,
)
from quartermaster.verify.errors import InputError, VerifyError
from quartermaster.verify.leaves import (
    DisclosureLeaf,
    Frontier,
    LeafError,
    ReleaseLeaf,
    commitment,
    parse_leaf,
    release_leaf,
)
from quartermaster.verify.sources import LogInfo, LogSource, RawEntry, RawRelease, StoredCheckpoint
from quartermaster.verify.state import LogState, read_state, record_state

Trust = Literal["key", "state", "first use"]
"""Where the trusted verifier key came from: ``--key``, the state file, or the log itself on first use."""

ProgressCallback = Callable[[str, int, int | None], None]
"""Called as ``progress(stage, done, total)`` with stage ``"entries"`` or ``"releases"`` (total None if unknown)."""

_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_EVERY = 1000  # report progress this often (entries), so a million-entry log does not spend its time on the bar


@dataclass(frozen=True)
class Report:
    """The outcome of a successful verification."""

    origin: str
    checkpoint: Checkpoint
    entries: int
    checkpoints: int
    releases: int
    pending: int
    disclosures: int
    trust: Trust
    verifier_key: str
    previous_size: int | None

    def summary(self) -> str:
        """One line: entries verified, the newest checkpoint, releases proven included (and anything newer)."""
        size, root = self.checkpoint.size, _b64(self.checkpoint.root)
        line = (
            f"verified {_count(size, 'entry', 'entries')}, checkpoint size {size} root {root}, "
            f"{_count(self.releases, 'release', 'releases')} included"
        )
        newer = [_count(self.entries - size, "entry", "entries"), _count(self.pending, "release", "releases")]
        later = " and ".join(text for text in newer if not text.startswith("0 "))
        return f"{line} ({later} newer than the checkpoint, not yet covered)" if later else line


@dataclass(frozen=True)
class _Signed:
    """A checkpoint that opened under the trusted key, with its note and where it was found."""

    checkpoint: Checkpoint
    note: str
    where: str


def verify(source: LogSource, *, key: str | None, state_path: Path, progress: ProgressCallback | None = None) -> Report:
    """Run every check on ``source``; VerifyError naming the first inconsistency, InputError if unreadable.

    ``key`` is a verifier key string or a file holding one; without it the key recorded in the state file for the
    log's origin is trusted, and on first use the key the log serves. On success the state file records the
    newest checkpoint, so the next run can tell a log that grew from one that was rewritten.
    """
    info = source.info()
    previous = read_state(state_path, info.origin)
    verifier, trust = _trusted_key(key, previous, info)
    signed = _open_checkpoints(source.checkpoints(), verifier, info, previous)
    latest = signed[-1].checkpoint
    _check_previous(source, signed, previous)
    end = latest.size if info.size is None else info.size
    if end < latest.size:
        raise VerifyError(f"checkpoint {latest.size} covers more entries than the {end} the log declares")
    entries = _Entries(signed, previous)
    entries.read(source, end, "log.json" if info.size is not None else f"checkpoint {latest.size}", progress)
    included, pending = entries.check_releases(source, latest, complete=info.size is not None, progress=progress)
    state = LogState(verifier.key_string, signed[-1].note, latest.size, latest.root)
    record_state(state_path, info.origin, state)
    return Report(
        origin=info.origin,
        checkpoint=latest,
        entries=entries.size,
        checkpoints=len(signed),
        releases=included,
        pending=pending,
        disclosures=len(entries.disclosures),
        trust=trust,
        verifier_key=verifier.key_string,
        previous_size=None if previous is None else previous.size,
    )


def load_key(text: str) -> Verifier:
    """A verifier key from its string, or from a file holding one; InputError if neither works."""
    try:
        return Verifier.parse(text.strip())
    except KeyFormatError as exc:
        error = exc
    path = Path(text)
    if not path.is_file():
        raise InputError(f"the key {text!r} is neither a verifier key nor a file holding one ({error.message})")
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the key file {path}: {exc}") from None
    try:
        return Verifier.parse(content.strip())
    except KeyFormatError as exc:
        raise InputError(f"the key file {path} does not hold a verifier key ({exc.message})") from None


def _trusted_key(key: str | None, previous: LogState | None, info: LogInfo) -> tuple[Verifier, Trust]:
    """The key to trust and why: given, remembered for this origin, or served by the log on first use."""
    if key is not None:
        return load_key(key), "key"
    if previous is not None:
        return Verifier.parse(previous.verifier_key), "state"
    try:
        return Verifier.parse(info.verifier_key), "first use"
    except KeyFormatError as exc:
        raise InputError(f"the log serves a malformed verifier key ({exc.message})") from None


def _open_checkpoints(
    stored: list[StoredCheckpoint], verifier: Verifier, info: LogInfo, previous: LogState | None
) -> list[_Signed]:
    """Check 1: open every checkpoint under the trusted key, for this origin; smallest first."""
    if not stored:
        if previous is not None and previous.size > 0:
            raise VerifyError(f"the log has no checkpoint, but one of size {previous.size} was seen before (rollback)")
        raise InputError("the log has no signed checkpoint yet: there is nothing to verify")
    signed = [_open(one, verifier, info) for one in stored]
    return sorted(signed, key=lambda s: s.checkpoint.size)


def _open(stored: StoredCheckpoint, verifier: Verifier, info: LogInfo) -> _Signed:
    try:
        checkpoint = open_checkpoint(stored.note, [verifier], origin=info.origin)
    except UntrustedNoteError:
        hint = _hint(verifier, info)
        raise VerifyError(f"{stored.where}: not signed by the trusted key {verifier.key_string}{hint}") from None
    except NoteError as exc:
        raise VerifyError(f"{stored.where}: {exc.message}") from None
    if stored.claimed_size is not None and checkpoint.size != stored.claimed_size:
        raise VerifyError(f"{stored.where}: holds a checkpoint of size {checkpoint.size}")
    return _Signed(checkpoint, stored.note.decode("utf-8"), stored.where)


def _hint(verifier: Verifier, info: LogInfo) -> str:
    """Why a trusted key may not have signed: it names another log, or the log now serves another key."""
    if verifier.name != info.origin:
        return f" (that key is named {verifier.name}, the log is {info.origin})"
    if verifier.key_string != info.verifier_key:
        return f" (the log now serves the key {info.verifier_key})"
    return ""


def _check_previous(source: LogSource, signed: list[_Signed], previous: LogState | None) -> None:
    """Check 2, the parts that need no entries: no smaller tree, no other root at the same size, the served proof."""
    if previous is None:
        return
    latest = signed[-1].checkpoint
    if latest.size < previous.size:
        raise VerifyError(
            f"checkpoint {latest.size} is smaller than the checkpoint of size {previous.size} seen before "
            "(rollback or fork)"
        )
    for one in signed:
        if one.checkpoint.size == previous.size and one.checkpoint.root != previous.root:
            raise VerifyError(
                f"{one.where}: checkpoint {previous.size} has root {_b64(one.checkpoint.root)}, but the checkpoint "
                f"of size {previous.size} seen before has root {_b64(previous.root)} (fork)"
            )
    if not 0 < previous.size < latest.size:
        return
    proof = source.consistency_proof(previous.size, latest.size)
    if proof is None:
        return  # an export: check 3 compares the root over the first entries instead
    try:
        verify_consistency(previous.size, latest.size, proof, previous.root, latest.root)
    except ProofError as exc:
        raise VerifyError(
            f"checkpoint {latest.size} is not consistent with the checkpoint of size {previous.size} seen before "
            f"(fork or rewrite): {exc.message}"
        ) from None


class _Entries:
    """Checks 3 and 5 over the streamed entries, keeping what check 4 needs to match releases afterwards."""

    def __init__(self, signed: list[_Signed], previous: LogState | None) -> None:
        self._signed = {one.checkpoint.size: one for one in signed}
        self._previous = previous
        self._fork: str | None = None  # a mismatch with the state, raised once a signed root has vouched for entries
        self._frontier = Frontier()
        self._leaf_hashes = bytearray()
        self.withheld: dict[int, tuple[str, bytes]] = {}  # entry -> (ocid, commitment) for entries that withheld
        self.disclosures: dict[int, tuple[int, bytes]] = {}  # disclosure entry -> (entry disclosed, salt)
        self._salts: dict[int, bytes] = {}  # entry disclosed -> its salt

    @property
    def size(self) -> int:
        """Entries read and checked so far."""
        return self._frontier.size

    def leaf_hash(self, index: int) -> bytes:
        """The recomputed leaf hash of entry ``index``."""
        return bytes(self._leaf_hashes[32 * index : 32 * (index + 1)])

    def read(self, source: LogSource, end: int, declared_by: str, progress: ProgressCallback | None) -> None:
        """Check 3 (and 5 in passing): every entry in order, every root due at the size it covers."""
        self._reached()
        for entry in source.entries(end):
            index = self.size
            if index >= end:
                raise VerifyError(f"{entry.where}: the log holds more entries than the {end} {declared_by} declares")
            if entry.index != index:
                raise VerifyError(
                    f"{entry.where}: entry {entry.index} where entry {index} was expected "
                    "(an entry is missing, duplicated or out of order)"
                )
            self._add(entry)
            self._reached()
            if progress is not None and (self.size % _EVERY == 0 or self.size == end):
                progress("entries", self.size, end)
        if self.size < end:
            raise VerifyError(f"the log holds only {self.size} entries, but {declared_by} declares {end}")

    def _add(self, entry: RawEntry) -> None:
        index = entry.index
        try:
            leaf = parse_leaf(entry.leaf_input)
        except LeafError as exc:
            raise VerifyError(f"entry {index}: {exc}") from None
        recomputed = leaf_hash(entry.leaf_input)
        if entry.leaf_hash is not None and entry.leaf_hash != recomputed:
            raise VerifyError(
                f"entry {index}: leaf hash recomputed from the leaf input is {_b64(recomputed)}, "
                f"but the log serves {_b64(entry.leaf_hash)}"
            )
        if isinstance(leaf, DisclosureLeaf):
            self._check_disclosure(index, leaf)
        elif isinstance(leaf, ReleaseLeaf) and leaf.withheld is not None:
            self.withheld[index] = (leaf.ocid, leaf.withheld)
        self._frontier.append(recomputed)
        self._leaf_hashes += recomputed

    def _check_disclosure(self, index: int, leaf: DisclosureLeaf) -> None:
        """Check 5: the disclosed release and salt reproduce the commitment of the entry they open."""
        target, salt = leaf.discloses, leaf.salt
        if target >= index:
            raise VerifyError(f"entry {index}: discloses entry {target}, which does not come before it")
        committed = self.withheld.get(target)
        if committed is None:
            raise VerifyError(f"entry {index}: discloses entry {target}, which withheld nothing")
        ocid, withheld = committed
        if leaf.ocid != ocid:
            raise VerifyError(f"entry {index}: discloses entry {target} of {ocid}, but names {leaf.ocid}")
        recomputed = commitment(salt, leaf.release)
        if recomputed != withheld:
            raise VerifyError(
                f"entry {index}: SHA-256(salt || release) of the disclosure is {recomputed.hex()}, but entry {target} "
                f"withheld {withheld.hex()} (the disclosed release or salt is not the one committed to)"
            )
        self.disclosures[index] = (target, salt)
        self._salts[target] = salt

    def _reached(self) -> None:
        """Compare the root over the entries so far with every checkpoint (signed, or seen before) of this size."""
        size, root = self.size, self._frontier.root()
        signed = self._signed.get(size)
        if signed is not None and root != signed.checkpoint.root:
            raise VerifyError(
                f"{signed.where}: the root recomputed over entries 0..{size - 1} is {_b64(root)}, not the signed root "
                f"{_b64(signed.checkpoint.root)} (an entry was changed, inserted, deleted or reordered)"
            )
        previous = self._previous
        if previous is not None and size == previous.size and root != previous.root:
            self._fork = (
                f"checkpoint {max(self._signed)} is not consistent with the checkpoint of size {size} seen before "
                f"(fork or rewrite): the root over its first {size} entries is {_b64(root)}, "
                f"not {_b64(previous.root)}"
            )
        if self._fork is not None and signed is not None:
            # The signed root just matched, so these are the entries the log signed: the state's log was another.
            raise VerifyError(self._fork)

    def check_releases(
        self, source: LogSource, latest: Checkpoint, *, complete: bool, progress: ProgressCallback | None
    ) -> tuple[int, int]:
        """Check 4 for every release the source offers; (releases proven included, releases newer than latest)."""
        included = pending = 0
        for release in source.releases():
            if self._check_release(source, release, latest, complete=complete):
                included += 1
            else:
                pending += 1
            if progress is not None and (included + pending) % 100 == 0:
                progress("releases", included + pending, None)
        if progress is not None:
            progress("releases", included + pending, included + pending)
        return included, pending

    def _check_release(self, source: LogSource, raw: RawRelease, latest: Checkpoint, *, complete: bool) -> bool:
        """Whether the release is proven in ``latest`` (False: its entry is newer); VerifyError if not in the log."""
        ocid, dash, tail = raw.id.rpartition("-")
        if not dash or not ocid or not _DECIMAL.fullmatch(tail):
            raise VerifyError(f"{raw.where}: release id {raw.id!r} does not name a log entry as <ocid>-<index>")
        index = int(tail)
        if index >= self.size:
            if complete:
                raise VerifyError(f"release {raw.id} is not in the log: it has no entry {index} ({self.size} entries)")
            return False  # a server may have sequenced it after the checkpoint we read
        if index in self.disclosures:
            raise VerifyError(f"release {raw.id} is not in the log: entry {index} is a disclosure, not a release")
        if not self._holds(index, ocid, raw):
            raise VerifyError(f"release {raw.id} is not in the log: entry {index} holds a different release")
        if index >= latest.size:
            return False
        proof = source.inclusion_proof(index, latest.size)
        if proof is not None:
            expected = self.leaf_hash(index)
            if proof.leaf_hash != expected:
                raise VerifyError(
                    f"release {raw.id}: the inclusion proof is for leaf hash {_b64(proof.leaf_hash)}, "
                    f"but entry {index} hashes to {_b64(expected)}"
                )
            try:
                verify_inclusion(expected, index, latest.size, proof.proof, latest.root)
            except ProofError as exc:
                raise VerifyError(
                    f"release {raw.id}: the inclusion proof of entry {index} in checkpoint {latest.size} "
                    f"does not verify ({exc.message})"
                ) from None
        return True

    def _holds(self, index: int, ocid: str, raw: RawRelease) -> bool:
        """Whether release entry ``index`` publishes exactly this release for ``ocid`` (or committed to it in full)."""
        committed = self.withheld.get(index)
        try:
            candidate = release_leaf(ocid, raw.release, None if committed is None else committed[1])
            if leaf_hash(candidate) == self.leaf_hash(index):
                return True
            # Once disclosed, the full release may be served under its original id: the commitment proves it.
            salt = self._salts.get(index)
            return salt is not None and committed == (ocid, commitment(salt, raw.release))
        except CanonicalizationError as exc:
            raise VerifyError(f"release {raw.id}: {exc.message}") from None


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
