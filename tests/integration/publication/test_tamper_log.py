"""Tampering with a real deployment's log in the database, after checkpoints were signed and readers verified them.

Rows changed behind the log's back: a release rewritten (with and without its leaf hash recomputed), an entry
deleted (leaving a gap, or with the later entries renumbered), two entries swapped. History rewritten and re-signed
with the log's own key (a fork), and the log rolled back to an earlier checkpoint. Each time a new server process
serves the rows; the readers who verified before check again by URL and through a new export, and each is told in one
line what is wrong (exit 1).

Runs on SQLite and, with QM_TEST_DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tamper_support import (
    Deployment,
    History,
    Honest,
    b64,
    checkpoint_roots,
    delete_entry,
    drop_checkpoints,
    export_command,
    honest_log,
    inflate_award,
    leaf,
    log_answers,
    reverify,
    rewrite_release,
    state_record,
    swap_entries,
    truncate_log,
    verify,
)

from quartermaster.transparency import MerkleTree, Verifier, canonical_json, leaf_hash, open_checkpoint
from support.db import TestDatabases

JSON = "application/json"
CHANGED = "(an entry was changed, inserted, deleted or reordered)"
OUT_OF_ORDER = "(an entry is missing, duplicated or out of order)"


@pytest.fixture(scope="module")
def honest(databases: TestDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Honest]:
    with honest_log(databases, tmp_path_factory.mktemp("honest")) as built:
        yield built


@pytest.fixture
def deployment(honest: Honest, tmp_path: Path) -> Deployment:
    return honest.fresh(tmp_path / "audit")


@pytest.fixture
def history(honest: Honest) -> History:
    return honest.history


def root_mismatch(where: str, size: int) -> str:
    """The start of the verifier's line when the entries do not hash to the signed root of ``size`` entries."""
    return f"inconsistent: {where}: the root recomputed over entries 0..{size - 1} is "


def root_of(export: Path, size: int) -> bytes:
    """The Merkle root over the first ``size`` entries of an export directory."""
    lines = (export / "entries.jsonl").read_text().splitlines()[:size]
    return MerkleTree([leaf_hash(base64.b64decode(json.loads(line)["leaf_input"])) for line in lines]).root()


def no_server_errors(answers: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    """``answers``, asserting that no log endpoint crashed: at most a 503 problem naming the damage."""
    assert all(status < 500 or (status, code) == (503, "log.damaged") for status, code in answers.values()), answers
    return answers


def test_a_release_rewritten_with_its_leaf_hash_recomputed_no_longer_hashes_to_the_signed_root(
    deployment: Deployment, history: History
) -> None:
    db = deployment.database
    published = leaf(db, history.award)["release"]["awards"][0]["value"]["amount"]
    rewrite_release(db, history.award, inflate_award, rehash=True)
    assert leaf(db, history.award)["release"]["awards"][0]["value"]["amount"] == 10 * published

    with deployment.serve() as url:
        by_url = verify(url, deployment.state("a"))
        early = verify(url, deployment.copy_state("early", "early-url"))
        fresh = verify(url, deployment.state("fresh"))
        answers = no_server_errors(log_answers(url, history.first, history.size))
    by_dir = verify(deployment.export(), deployment.state("b"))

    assert by_url[0] == 1, by_url[1]
    assert by_url[1].startswith(root_mismatch(f"{url}/api/v1/log/checkpoint", history.size)), by_url[1]
    assert by_url[1].endswith(f"not the signed root {b64(history.root)} {CHANGED}\n"), by_url[1]
    assert by_dir[0] == 1, by_dir[1]
    assert by_dir[1].startswith(root_mismatch(f"checkpoints/{history.first}", history.first)), by_dir[1]
    assert by_dir[1].endswith(f"not the signed root {b64(history.first_root)} {CHANGED}\n"), by_dir[1]
    # A reader who saw only the first checkpoint is refused the proof that the newest one extends it.
    assert early[0] == 1, early[1]
    assert early[1].startswith(
        f"inconsistent: checkpoint {history.size} is not consistent with the checkpoint of size {history.first} "
        "seen before (fork or rewrite): "
    ), early[1]
    # No state is needed to catch a change the key did not sign.
    assert fresh[0] == 1, fresh[1]
    assert fresh[1].startswith(root_mismatch(f"{url}/api/v1/log/checkpoint", history.size)), fresh[1]
    # The server serves the rewritten rows and proofs over them without failing: the verifier is the judge.
    assert answers["log/checkpoint"] == (200, "text/plain; charset=utf-8")
    assert answers[f"log/entries?start=0&end={history.size}"] == (200, JSON)
    assert answers[f"log/proof/inclusion?index=0&size={history.size}"] == (200, JSON)


def test_a_release_rewritten_without_its_leaf_hash_is_caught_by_the_hash_the_server_serves(
    deployment: Deployment, history: History
) -> None:
    stored_hash = leaf_hash(canonical_json(leaf(deployment.database, history.award)))
    forged = rewrite_release(deployment.database, history.award, inflate_award, rehash=False)

    by_url, by_dir = reverify(deployment)

    assert by_url == (
        1,
        f"inconsistent: entry {history.award}: leaf hash recomputed from the leaf input is {b64(leaf_hash(forged))}, "
        f"but the log serves {b64(stored_hash)}\n",
    )
    # An export carries no leaf hashes: the root over its entries gives the change away.
    assert by_dir[0] == 1, by_dir[1]
    assert by_dir[1].startswith(root_mismatch(f"checkpoints/{history.first}", history.first)), by_dir[1]
    assert by_dir[1].endswith(f"not the signed root {b64(history.first_root)} {CHANGED}\n"), by_dir[1]


def test_a_deleted_entry_leaves_a_gap_the_verifier_names(deployment: Deployment, history: History) -> None:
    gone = history.award
    delete_entry(deployment.database, gone, renumber=False)

    by_url, by_dir = reverify(deployment)

    assert by_url[0] == 1, by_url[1]
    assert by_url[1].startswith("inconsistent: http://"), by_url[1]
    assert by_url[1].endswith(f" item {gone}: entry {gone + 1} where entry {gone} was expected {OUT_OF_ORDER}\n")
    assert by_dir == (
        1,
        f"inconsistent: entries.jsonl line {gone + 1}: entry {gone + 1} where entry {gone} was expected "
        f"{OUT_OF_ORDER}\n",
    )


def test_a_server_whose_log_has_a_gap_says_so_instead_of_failing(deployment: Deployment, history: History) -> None:
    gone = history.award
    delete_entry(deployment.database, gone, renumber=False)

    with deployment.serve() as url:
        answers = log_answers(url, history.first, history.size)
        early = verify(url, deployment.state("early"))
    export = export_command(deployment, deployment.scratch / "cli-export")

    no_server_errors(answers)  # a problem naming the damage, not "the server failed to handle the request"
    assert early[0] in (1, 2)
    assert f"entry {gone}" in early[1], early[1]
    assert export.returncode != 0
    assert "Traceback" not in export.stderr
    assert f"entry {gone}" in export.stderr, export.stderr


def test_a_deleted_entry_with_the_later_ones_renumbered_is_caught_by_the_signed_roots(
    deployment: Deployment, history: History
) -> None:
    delete_entry(deployment.database, history.award, renumber=True)

    with deployment.serve() as url:
        answers = no_server_errors(log_answers(url, history.first, history.size))
        fresh = verify(url, deployment.state("fresh"))
    by_dir = verify(deployment.export(), deployment.state("b"))

    assert by_dir[0] == 1, by_dir[1]
    assert by_dir[1].startswith(root_mismatch(f"checkpoints/{history.first}", history.first)), by_dir[1]
    assert by_dir[1].endswith(f"not the signed root {b64(history.first_root)} {CHANGED}\n"), by_dir[1]
    # The server still serves its signed checkpoint, but refuses proofs for a tree it no longer holds ...
    assert answers["log/checkpoint"][0] == 200
    assert answers[f"log/proof/inclusion?index=0&size={history.size}"] == (422, "log.bad_size")
    # ... and has no entry for the last index the checkpoint vouches for: a reader by URL does not accept the log.
    assert fresh[0] == 1, fresh[1]


def test_a_log_shorter_than_its_signed_checkpoint_is_inconsistent_by_url(
    deployment: Deployment, history: History
) -> None:
    delete_entry(deployment.database, history.award, renumber=True)

    by_url, _ = reverify(deployment)

    assert by_url == (
        1,
        f"inconsistent: the log holds only {history.size - 1} entries, but checkpoint {history.size} declares "
        f"{history.size}\n",
    )


def test_two_swapped_entries_are_caught_by_the_signed_root(deployment: Deployment, history: History) -> None:
    first, second = history.award - 1, history.award  # the award now comes before the tender update preceding it
    before = leaf(deployment.database, first), leaf(deployment.database, second)
    swap_entries(deployment.database, first, second)
    assert (leaf(deployment.database, second), leaf(deployment.database, first)) == before

    by_url, by_dir = reverify(deployment)

    assert by_url[0] == 1, by_url[1]
    assert "/api/v1/log/checkpoint: the root recomputed over entries 0.." in by_url[1], by_url[1]
    assert by_url[1].endswith(f"not the signed root {b64(history.root)} {CHANGED}\n"), by_url[1]
    assert by_dir[0] == 1, by_dir[1]
    assert by_dir[1].startswith(root_mismatch(f"checkpoints/{history.first}", history.first)), by_dir[1]
    assert by_dir[1].endswith(f"not the signed root {b64(history.first_root)} {CHANGED}\n"), by_dir[1]


def test_history_rewritten_and_resigned_with_the_real_key_is_a_fork_only_readers_with_state_can_see(
    deployment: Deployment, history: History
) -> None:
    db = deployment.database
    rewrite_release(db, history.award, inflate_award, rehash=True)
    drop_checkpoints(db)
    assert deployment.integrate() == history.size  # the operator signs the rewritten tree with the log's own key
    forged = checkpoint_roots(db)
    assert list(forged) == [history.size]
    assert forged[history.size] != history.root

    export = deployment.export()
    with deployment.serve() as url:
        reader_a = verify(url, deployment.state("a"))
        early = verify(url, deployment.copy_state("early", "early-url"))
        reader_c = verify(url, deployment.state("c"))
    reader_b = verify(export, deployment.state("b"))
    early_by_dir = verify(export, deployment.state("early"))
    reader_d = verify(export, deployment.state("d"))

    seen, now = b64(history.root), b64(forged[history.size])
    fork = f"checkpoint {history.size} has root {now}, but the checkpoint of size {history.size} seen before has root"
    assert reader_a == (1, f"inconsistent: {url}/api/v1/log/checkpoint: {fork} {seen} (fork)\n")
    assert reader_b == (1, f"inconsistent: checkpoints/{history.size}: {fork} {seen} (fork)\n")
    rewrite = (
        f"inconsistent: checkpoint {history.size} is not consistent with the checkpoint of size {history.first} "
        "seen before (fork or rewrite): "
    )
    assert early[0] == 1, early[1]
    assert early[1].startswith(rewrite), early[1]  # the server's consistency proof fails
    assert early_by_dir == (  # the export's first entries hash to another root than the one seen
        1,
        f"{rewrite}the root over its first {history.first} entries is "
        f"{b64(root_of(export, history.first))}, not {b64(history.first_root)}\n",
    )
    # A reader without history accepts the forged log: the signature is the log's, and the log agrees with itself.
    for code, text in (reader_c, reader_d):
        assert code == 0, text
        assert text.startswith(f"ok: verified {history.size} entries, checkpoint size {history.size} root {now}")
        assert "trusted the key the log serves, on first use" in text

    # Only comparing what readers saw (gossip) shows the fork: one key signed two trees of the same size. A failed
    # run leaves the state as it was, so reader A still holds the checkpoint it verified.
    origin = deployment.origin()
    a, c = state_record(deployment.state("a"), origin), state_record(deployment.state("c"), origin)
    assert (a["size"], a["root"]) == (history.size, seen)
    assert (c["size"], c["root"]) == (history.size, now)
    assert a["verifier_key"] == c["verifier_key"] == deployment.verifier_key()
    verifier = Verifier.parse(a["verifier_key"])
    signed = [open_checkpoint(r["checkpoint"], [verifier], origin=origin) for r in (a, c)]
    assert [(cp.size, cp.root) for cp in signed] == [(history.size, history.root), (history.size, forged[history.size])]


def test_a_log_rolled_back_to_an_earlier_checkpoint_is_refused_by_readers_who_saw_more(
    deployment: Deployment, history: History
) -> None:
    truncate_log(deployment.database, history.first)
    assert list(checkpoint_roots(deployment.database)) == [history.first]

    with deployment.serve() as url:
        reader_a = verify(url, deployment.state("a"))
        early = verify(url, deployment.state("early"))
    reader_b = verify(deployment.export(), deployment.state("b"))

    rollback = (
        f"inconsistent: checkpoint {history.first} is smaller than the checkpoint of size {history.size} seen before "
        "(rollback or fork)\n"
    )
    assert reader_a == (1, rollback)
    assert reader_b == (1, rollback)
    # The early reader never saw more than what is left: for it this is the log it knew.
    assert early[0] == 0, early[1]
    assert early[1].startswith(f"ok: verified {history.first} entries, checkpoint size {history.first}")
    assert state_record(deployment.state("a"), deployment.origin())["size"] == history.size
