"""The BlobStore port: content-addressed document contents, and its local-disk backend.

A blob is named by the SHA-256 of its bytes, so storing the same content twice is harmless, a stored blob can
never silently change meaning, and every read can prove that it returns what was stored. Backends are chosen
by ``settings.blob_backend`` (STYLE rule 11); ``local`` keeps files under ``settings.resolved_blob_dir()``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, Protocol

from quartermaster.config import Settings

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")


class BlobError(Exception):
    """Base of storage failures; the documents service turns them into domain errors."""


class BlobNotFound(BlobError):
    """No blob is stored under this hash."""


class BlobCorrupted(BlobError):
    """The stored bytes no longer hash to their name (tampering or media failure)."""

    def __init__(self, sha256: str, actual: str) -> None:
        super().__init__(f"blob {sha256} is corrupted: its content hashes to {actual}")
        self.sha256, self.actual = sha256, actual


class BlobStore(Protocol):
    """Where document contents live, addressed by their SHA-256 (lower-case hex)."""

    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256."""
        ...

    def put_stream(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        """Store the concatenated chunks without holding them in memory; return ``(sha256, size)``."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """A readable file of the blob, verified against its hash; BlobNotFound / BlobCorrupted otherwise."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether a blob is stored under this hash (not verified)."""
        ...


def _check_name(sha256: str) -> str:
    # The name becomes a path: anything but 64 hex digits could walk out of the store.
    if not _SHA256.fullmatch(sha256):
        raise BlobNotFound(f"not a sha256: {sha256[:80]!r}")
    return sha256


def _hash_file(fh: BinaryIO) -> str:
    digest = hashlib.sha256()
    while block := fh.read(CHUNK):
        digest.update(block)
    return digest.hexdigest()


class LocalDiskBlobStore:
    """Blobs as read-only files ``root/ab/cd/<sha256>``, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._tmp = self.root / "tmp"  # same file system as the blobs, so the final rename is atomic

    def path_of(self, sha256: str) -> Path:
        """Where the blob ``sha256`` is (or would be) stored."""
        _check_name(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data``; return its sha256."""
        return self.put_stream([data])[0]

    def put_stream(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        """Write the chunks to a temp file while hashing, fsync, then rename it into place."""
        self._tmp.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp, prefix="upload-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in chunks:
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha = digest.hexdigest()
            self._place(tmp, sha)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return sha, size

    def _place(self, tmp: Path, sha: str) -> None:
        target = self.path_of(sha)
        if target.exists() and self._intact(target, sha):
            tmp.unlink()  # same content already stored
            return
        # New, or a damaged copy that this fresh upload of the same content repairs.
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.chmod(0o444)
        os.replace(tmp, target)
        _fsync_dir(target.parent)

    @staticmethod
    def _intact(path: Path, sha: str) -> bool:
        with path.open("rb") as fh:
            return _hash_file(fh) == sha

    def open(self, sha256: str) -> BinaryIO:
        """Open the blob and verify it hashes to its name before handing it out (positioned at the start)."""
        path = self.path_of(sha256)
        try:
            fh = path.open("rb")
        except FileNotFoundError:
            raise BlobNotFound(f"no blob {sha256}") from None
        try:
            actual = _hash_file(fh)
            if actual != sha256:
                raise BlobCorrupted(sha256, actual)
            fh.seek(0)
        except BaseException:
            fh.close()
            raise
        return fh

    def exists(self, sha256: str) -> bool:
        """Whether the blob's file is present."""
        try:
            return self.path_of(sha256).is_file()
        except BlobNotFound:
            return False


def _fsync_dir(path: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


BACKENDS = ("local",)


def make_blobstore(settings: Settings) -> BlobStore:
    """The BlobStore named by ``settings.blob_backend``."""
    if settings.blob_backend == "local":
        return LocalDiskBlobStore(settings.resolved_blob_dir())
    raise ValueError(f"unknown blob_backend {settings.blob_backend!r} (QM_BLOB_BACKEND); known: {', '.join(BACKENDS)}")
