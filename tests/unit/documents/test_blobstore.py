"""The local-disk BlobStore: content addressing, atomic writes, verification on read, backend selection."""

from __future__ import annotations

import hashlib
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from quartermaster.config import Settings
from quartermaster.documents.blobstore import (
    BlobCorrupted,
    BlobNotFound,
    BlobStore,
    LocalDiskBlobStore,
    make_blobstore,
)

DATA = b"technical specification, revision A\n" * 1000


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> LocalDiskBlobStore:
    return LocalDiskBlobStore(tmp_path / "blobs")


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_names_the_blob_by_its_sha256_under_two_fan_out_directories(store: LocalDiskBlobStore) -> None:
    digest = store.put(DATA)
    assert digest == sha(DATA)
    path = store.root / digest[:2] / digest[2:4] / digest
    assert path.read_bytes() == DATA
    assert files_under(store.root) == [path]


def test_stored_blobs_are_read_only_files(store: LocalDiskBlobStore) -> None:
    digest = store.put(DATA)
    mode = stat.S_IMODE(store.path_of(digest).stat().st_mode)
    assert mode == 0o444


def test_put_stream_hashes_and_counts_chunks_without_joining_them(store: LocalDiskBlobStore) -> None:
    chunks = [DATA[:10], DATA[10:5000], DATA[5000:]]
    digest, size = store.put_stream(iter(chunks))
    assert (digest, size) == (sha(DATA), len(DATA))
    with store.open(digest) as fh:
        assert fh.read() == DATA


def test_empty_content_is_a_valid_blob(store: LocalDiskBlobStore) -> None:
    digest, size = store.put_stream([])
    assert (digest, size) == (sha(b""), 0)
    with store.open(digest) as fh:
        assert fh.read() == b""


def test_storing_the_same_content_twice_keeps_one_file(store: LocalDiskBlobStore) -> None:
    assert store.put(DATA) == store.put(DATA)
    assert len(files_under(store.root)) == 1


def test_a_failing_stream_leaves_neither_a_blob_nor_a_temp_file(store: LocalDiskBlobStore) -> None:
    def broken() -> Iterator[bytes]:
        yield DATA
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        store.put_stream(broken())
    assert files_under(store.root) == []
    assert not store.exists(sha(DATA))


def test_open_refuses_a_tampered_blob(store: LocalDiskBlobStore) -> None:
    digest = store.put(DATA)
    path = store.path_of(digest)
    path.chmod(0o644)
    path.write_bytes(DATA.replace(b"revision A", b"revision B", 1))
    with pytest.raises(BlobCorrupted) as err:
        store.open(digest)
    assert err.value.sha256 == digest
    assert err.value.actual == sha(path.read_bytes())


def test_uploading_the_same_content_again_repairs_a_damaged_blob(store: LocalDiskBlobStore) -> None:
    digest = store.put(DATA)
    path = store.path_of(digest)
    path.chmod(0o644)
    path.write_bytes(b"garbage")
    assert store.put(DATA) == digest
    with store.open(digest) as fh:
        assert fh.read() == DATA


def test_missing_blob_is_reported_as_not_found(store: LocalDiskBlobStore) -> None:
    absent = sha(b"never stored")
    assert not store.exists(absent)
    with pytest.raises(BlobNotFound):
        store.open(absent)


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABCDEF" * 10 + "ABCD", "", sha(b"x")[:63]])
def test_names_that_are_not_sha256_never_touch_the_file_system(store: LocalDiskBlobStore, name: str) -> None:
    assert not store.exists(name)
    with pytest.raises(BlobNotFound):
        store.open(name)


def test_make_blobstore_builds_the_local_backend_in_the_configured_directory(tmp_path: Path) -> None:
    store: BlobStore = make_blobstore(Settings(data_dir=tmp_path))
    assert isinstance(store, LocalDiskBlobStore)
    assert store.root == tmp_path / "blobs"
    custom = make_blobstore(Settings(data_dir=tmp_path, blob_dir=tmp_path / "elsewhere"))
    assert isinstance(custom, LocalDiskBlobStore)
    assert custom.root == tmp_path / "elsewhere"


def test_make_blobstore_names_the_unknown_backend_and_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"unknown blob_backend 's3'.*known: local"):
        make_blobstore(Settings(data_dir=tmp_path, blob_backend="s3"))
