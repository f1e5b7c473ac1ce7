"""The state file: where it lives, what it holds, and that damage or unwritable places are reported, not ignored."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from quartermaster.transparency import MerkleTree, Signer, leaf_hash, sign_checkpoint
from quartermaster.verify.errors import InputError
from quartermaster.verify.state import LogState, default_state_path, read_state, record_state

ORIGIN = "quartermaster.test/ocds-x"
SIGNER = Signer.from_seed(ORIGIN, bytes(range(32)))
TREE = MerkleTree(leaf_hash(bytes([i])) for i in range(5))
NOTE = sign_checkpoint(ORIGIN, 5, TREE.root(), SIGNER)
STATE = LogState(SIGNER.verifier().key_string, NOTE, 5, TREE.root())


def test_the_default_path_follows_xdg_state_home_when_it_is_absolute(tmp_path: Path) -> None:
    assert default_state_path({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "quartermaster" / "verify.json"
    home = Path.home() / ".local" / "state" / "quartermaster" / "verify.json"
    assert default_state_path({"XDG_STATE_HOME": "relative/dir"}) == home
    assert default_state_path({}) == home


def test_the_default_path_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert default_state_path() == tmp_path / "quartermaster" / "verify.json"


def test_a_recorded_state_reads_back_and_other_origins_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "verify.json"
    assert read_state(path, ORIGIN) is None
    other = Signer.generate("other.example/log")
    other_note = sign_checkpoint("other.example/log", 5, TREE.root(), other)
    record_state(path, "other.example/log", LogState(other.verifier().key_string, other_note, 5, TREE.root()))
    record_state(path, ORIGIN, STATE)
    assert read_state(path, ORIGIN) == STATE
    assert read_state(path, "other.example/log") is not None
    assert read_state(path, "unknown.example/log") is None
    assert sorted(p.name for p in path.parent.iterdir()) == ["verify.json"]  # no temporary file left behind
    assert json.loads(path.read_text())["version"] == 1


def test_a_failed_write_leaves_the_old_state_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "verify.json"
    record_state(path, ORIGIN, STATE)
    before = path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(InputError, match=r"cannot write the state file .*Input/output error"):
        record_state(path, ORIGIN, STATE)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["verify.json"]


def test_a_state_path_below_a_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    with pytest.raises(InputError, match=r"cannot read the state file .*Not a directory"):
        record_state(tmp_path / "file" / "verify.json", ORIGIN, STATE)


def test_an_unreadable_state_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read the state file"):
        read_state(tmp_path, ORIGIN)  # a directory


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("{", "is not JSON"),
        ("[]", "not a version 1"),
        ('{"version": 2, "logs": {}}', "not a version 1"),
        ('{"version": 1}', "not a version 1"),
        ('{"version": 1, "logs": []}', "not a version 1"),
    ],
)
def test_a_state_file_of_another_shape_is_refused(tmp_path: Path, content: str, error: str) -> None:
    path = tmp_path / "verify.json"
    path.write_text(content)
    with pytest.raises(InputError, match=error):
        read_state(path, ORIGIN)


ROOT = STATE.to_json()["root"]


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ("a string", "must be strings"),
        ({**STATE.to_json(), "root": 5}, "must be strings"),
        ({**STATE.to_json(), "verifier_key": "nonsense"}, "key ID must be 8 hex digits"),
        ({**STATE.to_json(), "checkpoint": NOTE.replace("\n5\n", "\n6\n")}, "does not verify"),
        ({**STATE.to_json(), "root": "!!"}, "base64"),
        ({**STATE.to_json(), "size": 4}, "differ from its checkpoint"),
        ({**STATE.to_json(), "root": "A" * 43 + "="}, "differ from its checkpoint"),
    ],
)
def test_a_damaged_record_is_named_not_trusted(tmp_path: Path, record: object, error: str) -> None:
    path = tmp_path / "verify.json"
    path.write_text(json.dumps({"version": 1, "logs": {ORIGIN: record}}))
    with pytest.raises(InputError, match=f"record for {ORIGIN} is damaged.*{error}"):
        read_state(path, ORIGIN)
