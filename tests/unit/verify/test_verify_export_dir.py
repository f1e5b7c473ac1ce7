"""`quartermaster verify DIR` on export directories: a good log passes; every kind of tampering is named, exit 1."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from synthetic_log import ORIGIN, SyntheticLog, b64, make_release, standard_log, verify_cli

from quartermaster.transparency import Signer, canonical_json, sign_checkpoint
from quartermaster.verify import DirSource, read_state, verify


@pytest.fixture
def log() -> SyntheticLog:
    """The standard six-entry log with checkpoints 3 and 6."""
    return standard_log()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A fresh state file path."""
    return tmp_path / "state" / "verify.json"


def root_of(log: SyntheticLog, size: int) -> str:
    return b64(log.tree().root(size))


def recorded_size(state: Path) -> int:
    """The tree size the state file records for the test origin."""
    recorded = read_state(state, ORIGIN)
    assert recorded is not None
    return recorded.size


def one_line(output: str) -> str:
    """The single line printed (failing if there are more)."""
    lines = output.splitlines()
    assert len(lines) == 1, output
    return lines[0]


def test_a_good_export_passes_and_its_newest_checkpoint_is_recorded(
    log: SyntheticLog, tmp_path: Path, state: Path
) -> None:
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    first, note = output.splitlines()
    assert code == 0
    assert first == f"ok: verified 6 entries, checkpoint size 6 root {root_of(log, 6)}, 5 releases included"
    assert note.startswith(f"note: trusted the key the log serves, on first use: {log.key} ")
    recorded = read_state(state, ORIGIN)
    assert recorded is not None
    assert (recorded.size, recorded.root, recorded.verifier_key) == (6, log.tree().root(), log.key)
    assert recorded.checkpoint == log.notes[6]


def test_a_second_run_trusts_the_recorded_key_and_reports_what_it_checked(
    log: SyntheticLog, tmp_path: Path, state: Path
) -> None:
    directory = log.write(tmp_path / "export")
    verify_cli(directory, state)
    report = verify(DirSource(directory), key=None, state_path=state)
    assert (report.trust, report.previous_size, report.checkpoints, report.disclosures) == ("state", 6, 2, 1)
    assert (report.entries, report.releases, report.pending, report.origin) == (6, 5, 0, ORIGIN)
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (0, f"ok: {report.summary()}")


def test_the_key_can_be_given_as_a_string_or_a_file(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    key_file = tmp_path / "log.vkey"
    key_file.write_text(log.key + "\n")
    assert verify(DirSource(directory), key=log.key, state_path=state).trust == "key"
    assert verify(DirSource(directory), key=str(key_file), state_path=state).trust == "key"


def test_changing_a_release_inside_an_entry_breaks_the_signed_root(
    log: SyntheticLog, tmp_path: Path, state: Path
) -> None:
    tampered = canonical_json(
        {"kind": "release", "ocid": "ocds-x-t1", "release": make_release("ocds-x-t1", 0, title="Socks")}
    )
    directory = log.write(tmp_path / "export")
    lines = log.entry_lines()
    lines[0] = json.dumps({"index": 0, "leaf_input": b64(tampered)}) + "\n"
    (directory / "entries.jsonl").write_text("".join(lines))
    forged = SyntheticLog(leaves=[tampered, *log.leaves[1:3]])
    code, output = verify_cli(directory, state)
    assert code == 1
    assert one_line(output) == (
        f"inconsistent: checkpoints/3: the root recomputed over entries 0..2 is {b64(forged.tree().root())}, "
        f"not the signed root {root_of(log, 3)} (an entry was changed, inserted, deleted or reordered)"
    )
    assert not state.exists()


def test_deleting_an_entry_line_is_detected(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    lines = log.entry_lines()
    del lines[2]
    (directory / "entries.jsonl").write_text("".join(lines))
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: entries.jsonl line 3: entry 3 where entry 2 was expected "
        "(an entry is missing, duplicated or out of order)",
    )


def test_deleting_the_last_entry_line_is_detected(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    (directory / "entries.jsonl").write_text("".join(log.entry_lines()[:-1]))
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (1, "inconsistent: the log holds only 5 entries, but log.json declares 6")


def test_a_line_beyond_the_declared_size_is_detected(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    extra = json.dumps({"index": 6, "leaf_input": b64(log.leaves[0])}) + "\n"
    (directory / "entries.jsonl").write_text("".join(log.entry_lines()) + extra)
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: entries.jsonl line 7: the log holds more entries than the 6 log.json declares",
    )


def test_swapping_two_lines_is_detected(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    lines = log.entry_lines()
    lines[3], lines[4] = lines[4], lines[3]
    (directory / "entries.jsonl").write_text("".join(lines))
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: entries.jsonl line 4: entry 4 where entry 3 was expected "
        "(an entry is missing, duplicated or out of order)",
    )


def test_swapping_two_entries_and_renumbering_them_breaks_the_signed_root(
    log: SyntheticLog, tmp_path: Path, state: Path
) -> None:
    directory = log.write(tmp_path / "export")
    swapped = SyntheticLog(leaves=[*log.leaves[:3], log.leaves[4], log.leaves[3], log.leaves[5]])
    (directory / "entries.jsonl").write_text("".join(swapped.entry_lines()))
    code, output = verify_cli(directory, state)
    assert code == 1
    assert one_line(output).startswith(
        f"inconsistent: checkpoints/6: the root recomputed over entries 0..5 is {b64(swapped.tree().root())}, "
        f"not the signed root {root_of(log, 6)}"
    )


def test_a_checkpoint_with_a_bad_signature_is_refused(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    other_root = base64.b64encode(bytes(32)).decode()
    (directory / "checkpoints" / "6").write_text(log.notes[6].replace(root_of(log, 6), other_root))
    code, output = verify_cli(directory, state)
    assert code == 1
    assert one_line(output).startswith("inconsistent: checkpoints/6: signature by quartermaster.test/ocds-x+")
    assert one_line(output).endswith("does not verify: the note was altered or forged")


def test_a_log_signed_by_another_key_than_the_one_given_is_refused(
    log: SyntheticLog, tmp_path: Path, state: Path
) -> None:
    trusted = Signer.generate(ORIGIN).verifier().key_string
    code, output = verify_cli(log.write(tmp_path / "export"), state, key=trusted)
    assert (code, one_line(output)) == (
        1,
        f"inconsistent: checkpoints/3: not signed by the trusted key {trusted} (the log now serves the key {log.key})",
    )


def test_a_key_for_another_log_is_named_as_such(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    trusted = Signer.generate("other.example/log").verifier().key_string
    code, output = verify_cli(log.write(tmp_path / "export"), state, key=trusted)
    assert (code, one_line(output)) == (
        1,
        f"inconsistent: checkpoints/3: not signed by the trusted key {trusted} "
        f"(that key is named other.example/log, the log is {ORIGIN})",
    )


def test_a_log_whose_key_changed_since_the_last_run_is_refused(tmp_path: Path, state: Path) -> None:
    assert verify_cli(standard_log().write(tmp_path / "first"), state)[0] == 0
    code, output = verify_cli(standard_log().write(tmp_path / "second"), state)  # a fresh key, same origin
    assert code == 1
    assert "checkpoints/3: not signed by the trusted key" in one_line(output)


def test_a_checkpoint_for_another_origin_is_refused(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    assert log.signer is not None
    note = sign_checkpoint("other.example/log", 6, log.tree().root(), log.signer)
    (directory / "checkpoints" / "6").write_text(note)
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (
        1,
        f"inconsistent: checkpoints/6: checkpoint is for log 'other.example/log', not '{ORIGIN}'",
    )


def test_a_checkpoint_file_that_is_not_a_signed_note_is_refused(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    (directory / "checkpoints" / "3").write_text("hello\n")
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: checkpoints/3: note has no blank line before its signatures",
    )


def test_a_checkpoint_filed_under_another_size_is_refused(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    (directory / "checkpoints" / "4").write_text(log.notes[3])
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (1, "inconsistent: checkpoints/4: holds a checkpoint of size 3")


def test_a_checkpoint_beyond_the_declared_size_is_refused(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    (directory / "log.json").write_text(json.dumps({"origin": ORIGIN, "verifier_key": log.key, "size": 5}))
    (directory / "entries.jsonl").write_text("".join(log.entry_lines()[:5]))
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (1, "inconsistent: checkpoint 6 covers more entries than the 5 the log declares")


@pytest.mark.parametrize(
    ("leaf_input", "error"),
    [
        (b'{"kind": "release", "ocid": "ocds-x-t4", "release": {}}', "leaf input is not RFC 8785 canonical JSON"),
        (
            b'{"kind":"tender","ocid":"ocds-x-t4"}',
            "leaf input is not an object of kind 'release', 'disclosure', 'sealed-bid', 'decision', 'key-enrolment' "
            "or 'sealed-document'",
        ),
        (b'{"commitment":"AB","kind":"sealed-bid"}', "leaf commitment is not 64 lowercase hex digits"),
        (b"\x00", "leaf input is not JSON"),
    ],
)
def test_a_signed_entry_that_is_not_canonical_json_of_a_known_kind_is_refused(
    tmp_path: Path, state: Path, leaf_input: bytes, error: str
) -> None:
    log = SyntheticLog()
    log.publish("ocds-x-t1")
    log.publish("ocds-x-t2")
    log.append_leaf(leaf_input)
    log.checkpoint()  # the log signed it: the root matches, the leaf itself is wrong
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    assert code == 1
    assert one_line(output).startswith(f"inconsistent: entry 2: {error}")


def test_a_release_not_in_the_log_is_detected(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    directory = log.write(tmp_path / "export")
    changed = {**log.releases[2], "tender": {"id": "t", "title": "Socks"}}
    (directory / "releases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*log.releases[:2], changed]))
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: release ocds-x-t1-2 is not in the log: entry 2 holds a different release",
    )


@pytest.mark.parametrize(
    ("release", "error"),
    [
        (make_release("ocds-x-t1", 17), "release ocds-x-t1-17 is not in the log: it has no entry 17 (6 entries)"),
        (make_release("ocds-x-t9", 0), "release ocds-x-t9-0 is not in the log: entry 0 holds a different release"),
        (make_release("ocds-x-t2", 3), "release ocds-x-t2-3 is not in the log: entry 3 is a disclosure, not a release"),
        ({"id": "ocds-x-t1-1.5"}, "releases.jsonl line 1: release id 'ocds-x-t1-1.5' does not name a log entry"),
        ({"id": "-4"}, "releases.jsonl line 1: release id '-4' does not name a log entry"),
        ({"id": "nodash"}, "releases.jsonl line 1: release id 'nodash' does not name a log entry"),
        ({"id": "ocds-x-t1-0", "n": float("nan")}, "release ocds-x-t1-0: value has no RFC 8785 canonical form"),
    ],
)
def test_a_release_that_names_no_matching_entry_is_detected(
    log: SyntheticLog, tmp_path: Path, state: Path, release: dict[str, object], error: str
) -> None:
    directory = log.write(tmp_path / "export")
    (directory / "releases.jsonl").write_text(json.dumps(release) + "\n")
    code, output = verify_cli(directory, state)
    assert code == 1
    assert one_line(output).startswith(f"inconsistent: {error}")


def test_a_withheld_release_disclosed_in_full_is_accepted_under_its_original_id(
    log: SyntheticLog, tmp_path: Path, state: Path
) -> None:
    directory = log.write(tmp_path / "export")
    disclosed = log.secrets[1][1]
    (directory / "releases.jsonl").write_text(json.dumps(disclosed) + "\n")
    report = verify(DirSource(directory), key=None, state_path=state)
    assert report.releases == 1


def test_a_full_release_that_was_never_disclosed_is_not_accepted(
    log: SyntheticLog, tmp_path: Path, state: Path
) -> None:
    directory = log.write(tmp_path / "export")
    (directory / "releases.jsonl").write_text(json.dumps(log.secrets[4][1]) + "\n")
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: release ocds-x-t2-4 is not in the log: entry 4 holds a different release",
    )


def test_a_disclosure_whose_salt_does_not_match_is_detected(tmp_path: Path, state: Path) -> None:
    log = SyntheticLog()
    log.publish("ocds-x-t1", withhold="radar")
    log.disclose(0, salt=bytes(32))
    log.checkpoint()
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    assert code == 1
    assert one_line(output).startswith("inconsistent: entry 1: SHA-256(salt || release) of the disclosure is ")
    assert one_line(output).endswith(
        f"but entry 0 withheld {json.loads(log.leaves[0])['withheld']} "
        "(the disclosed release or salt is not the one committed to)"
    )


def test_a_disclosure_whose_release_does_not_match_is_detected(tmp_path: Path, state: Path) -> None:
    log = SyntheticLog()
    log.publish("ocds-x-t1", withhold="radar")
    log.disclose(0, release=make_release("ocds-x-t1", 0, secret="sonar"))
    log.checkpoint()
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    assert code == 1
    assert "entry 1: SHA-256(salt || release) of the disclosure is " in one_line(output)


@pytest.mark.parametrize(
    ("disclosure", "error"),
    [
        ({"ocid": "ocds-x-t1", "discloses": 1}, "entry 1: discloses entry 1, which does not come before it"),
        ({"ocid": "ocds-x-t1", "discloses": 5}, "entry 1: discloses entry 5, which does not come before it"),
        ({"ocid": "ocds-x-t9", "discloses": 0}, "entry 1: discloses entry 0 of ocds-x-t1, but names ocds-x-t9"),
    ],
)
def test_a_disclosure_of_the_wrong_entry_is_detected(
    tmp_path: Path, state: Path, disclosure: dict[str, object], error: str
) -> None:
    log = SyntheticLog()
    log.publish("ocds-x-t1", withhold="radar")
    _, full, salt = log.secrets[0]
    log.append_leaf(canonical_json({"kind": "disclosure", "release": full, "salt": salt.hex(), **disclosure}))
    log.checkpoint()
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    assert (code, one_line(output)) == (1, f"inconsistent: {error}")


def test_a_disclosure_of_an_entry_that_withheld_nothing_is_detected(tmp_path: Path, state: Path) -> None:
    log = SyntheticLog()
    log.publish("ocds-x-t1")
    leaf = {"kind": "disclosure", "ocid": "ocds-x-t1", "discloses": 0, "release": {}, "salt": bytes(32).hex()}
    log.append_leaf(canonical_json(leaf))
    log.checkpoint()
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    assert (code, one_line(output)) == (1, "inconsistent: entry 1: discloses entry 0, which withheld nothing")


def test_entries_and_releases_newer_than_the_checkpoint_are_checked_but_reported_as_not_covered(
    log: SyntheticLog, tmp_path: Path, state: Path
) -> None:
    log.publish("ocds-x-t4")
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    assert code == 0
    assert output.splitlines()[0] == (
        f"ok: verified 6 entries, checkpoint size 6 root {root_of(log, 6)}, 5 releases included "
        "(1 entry and 1 release newer than the checkpoint, not yet covered)"
    )


def test_a_rollback_to_a_smaller_tree_is_detected(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    assert verify_cli(log.write(tmp_path / "full"), state)[0] == 0
    older = SyntheticLog(signer=log.signer, leaves=log.leaves[:3], releases=log.releases[:3], notes={3: log.notes[3]})
    code, output = verify_cli(older.write(tmp_path / "older"), state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: checkpoint 3 is smaller than the checkpoint of size 6 seen before (rollback or fork)",
    )


def test_a_log_that_lost_all_its_checkpoints_is_a_rollback(log: SyntheticLog, tmp_path: Path, state: Path) -> None:
    assert verify_cli(log.write(tmp_path / "full"), state)[0] == 0
    log.notes.clear()
    code, output = verify_cli(log.write(tmp_path / "bare"), state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: the log has no checkpoint, but one of size 6 was seen before (rollback)",
    )


def fork_pair() -> tuple[SyntheticLog, SyntheticLog]:
    """Two logs of the same origin and key whose first four entries differ (what two readers could be shown)."""
    signer = Signer.generate(ORIGIN)
    a, b = SyntheticLog(signer=signer), SyntheticLog(signer=signer)
    for i in range(4):
        a.publish(f"ocds-x-a{i}")
        b.publish(f"ocds-x-b{i}")
    return a, b


def test_a_fork_at_the_same_size_is_detected(tmp_path: Path, state: Path) -> None:
    a, b = fork_pair()
    a.checkpoint()
    b.checkpoint()
    assert verify_cli(a.write(tmp_path / "a"), state)[0] == 0
    code, output = verify_cli(b.write(tmp_path / "b"), state)
    assert (code, one_line(output)) == (
        1,
        f"inconsistent: checkpoints/4: checkpoint 4 has root {root_of(b, 4)}, "
        f"but the checkpoint of size 4 seen before has root {root_of(a, 4)} (fork)",
    )


def test_a_fork_that_grew_past_the_recorded_checkpoint_is_detected(tmp_path: Path, state: Path) -> None:
    a, b = fork_pair()
    a.checkpoint()
    b.publish("ocds-x-b4")
    b.publish("ocds-x-b5")
    b.checkpoint()  # a self-consistent log of 6 entries, signed by the same key, that does not extend a
    assert verify_cli(a.write(tmp_path / "a"), state)[0] == 0
    code, output = verify_cli(b.write(tmp_path / "b"), state)
    assert (code, one_line(output)) == (
        1,
        "inconsistent: checkpoint 6 is not consistent with the checkpoint of size 4 seen before (fork or rewrite): "
        f"the root over its first 4 entries is {root_of(b, 4)}, not {root_of(a, 4)}",
    )
    assert recorded_size(state) == 4


def test_a_log_that_grew_honestly_passes_and_the_state_moves_on(tmp_path: Path, state: Path) -> None:
    log = SyntheticLog()
    for i in range(4):
        log.publish(f"ocds-x-t{i}")
    log.checkpoint()
    assert verify_cli(log.write(tmp_path / "v1"), state)[0] == 0
    log.publish("ocds-x-t4")
    log.publish("ocds-x-t5")
    log.notes.clear()
    log.checkpoint()  # only the new checkpoint: the recorded size 4 is checked against the entries themselves
    assert verify_cli(log.write(tmp_path / "v2"), state)[0] == 0
    assert recorded_size(state) == 6


def test_tampered_entries_are_named_as_tampering_even_when_the_state_also_disagrees(
    tmp_path: Path, state: Path
) -> None:
    log = SyntheticLog()
    for i in range(4):
        log.publish(f"ocds-x-t{i}")
    log.checkpoint()
    assert verify_cli(log.write(tmp_path / "v1"), state)[0] == 0
    log.publish("ocds-x-t4")
    log.publish("ocds-x-t5")
    log.notes.clear()
    log.checkpoint()
    directory = log.write(tmp_path / "v2")
    tampered = SyntheticLog(leaves=list(log.leaves))
    tampered.leaves[1] = log.leaves[0]
    (directory / "entries.jsonl").write_text("".join(tampered.entry_lines()))
    code, output = verify_cli(directory, state)
    assert code == 1
    assert one_line(output).startswith("inconsistent: checkpoints/6: the root recomputed over entries 0..5 is ")


def test_an_export_without_checkpoints_cannot_be_verified(tmp_path: Path, state: Path) -> None:
    log = SyntheticLog()
    log.publish("ocds-x-t1")
    directory = log.write(tmp_path / "export")
    code, output = verify_cli(directory, state)
    assert (code, one_line(output)) == (2, "error: the log has no signed checkpoint yet: there is nothing to verify")
    (directory / "checkpoints").rmdir()
    assert verify_cli(directory, state)[0] == 2


def test_an_empty_log_with_an_empty_checkpoint_verifies(tmp_path: Path, state: Path) -> None:
    log = SyntheticLog()
    log.checkpoint()
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    assert code == 0
    assert (
        output.splitlines()[0]
        == f"ok: verified 0 entries, checkpoint size 0 root {root_of(log, 0)}, 0 releases included"
    )
    assert verify_cli(log.write(tmp_path / "export"), state)[0] == 0  # and again against the recorded size 0


def test_a_one_entry_log_is_summarised_in_the_singular(tmp_path: Path, state: Path) -> None:
    log = SyntheticLog()
    log.publish("ocds-x-t1")
    log.checkpoint()
    code, output = verify_cli(log.write(tmp_path / "export"), state)
    assert code == 0
    assert output.splitlines()[0] == (
        f"ok: verified 1 entry, checkpoint size 1 root {root_of(log, 1)}, 1 release included"
    )
