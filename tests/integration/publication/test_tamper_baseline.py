"""The control for the tampering tests: the honest log of a real deployment verifies, by URL and by export, for a
reader who saw an older checkpoint and for a new one, and the installed commands do the same end to end.

Runs on SQLite and, with QM_TEST_DATABASE_URL set, on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tamper_support import (
    Deployment,
    History,
    Honest,
    b64,
    export_command,
    honest_log,
    quartermaster,
    state_record,
    verify,
)

from support.db import TestDatabases


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


def test_the_honest_log_verifies_by_url_and_by_export_for_old_and_new_readers(
    deployment: Deployment, history: History
) -> None:
    summary = f"ok: verified {history.size} entries, checkpoint size {history.size} root {b64(history.root)}, "
    releases = f"{history.size} releases included"
    early_by_url = deployment.copy_state("early", "early-url")
    with deployment.serve() as url:
        again = verify(url, deployment.state("a"))
        grown = verify(url, early_by_url)  # the server's consistency proof from the first checkpoint holds
        new = verify(url, deployment.state("new"))
    grown_by_dir = verify(deployment.export(), deployment.state("early"))  # roots recomputed from the entries

    for code, text in (again, grown, grown_by_dir, new):
        assert code == 0, text
        assert text.startswith(summary + releases), text
    assert "trusted the key the log serves, on first use" in new[1]
    assert "on first use" not in again[1] + grown[1]
    for reader in ("a", "b", "early", "early-url", "new"):
        record = state_record(deployment.state(reader), deployment.origin())
        assert (record["size"], record["root"], record["verifier_key"]) == (
            history.size,
            b64(history.root),
            deployment.verifier_key(),
        )


def test_the_installed_export_and_verify_commands_check_the_log_end_to_end(
    deployment: Deployment, history: History, tmp_path: Path
) -> None:
    out = tmp_path / "cli-export"
    export = export_command(deployment, out)
    assert export.returncode == 0, export.stderr
    assert f"wrote {history.size} log entries and their checkpoints to {out}" in export.stderr

    written = deployment.export()
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    checkpoints = {f"checkpoints/{history.first}", f"checkpoints/{history.size}"}
    assert names == checkpoints | {"entries.jsonl", "log.json", "releases.jsonl"}
    assert all((out / name).read_bytes() == (written / name).read_bytes() for name in names)

    state = tmp_path / "cli-state.json"
    offline = quartermaster("verify", str(out), "--state", str(state), "--key", deployment.verifier_key())
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert f"ok: verified {history.size} entries, checkpoint size {history.size}" in offline.stdout
    with deployment.serve() as server:
        online = quartermaster("verify", server, "--state", str(state))
    assert online.returncode == 0, online.stdout + online.stderr
    assert f"ok: verified {history.size} entries" in online.stdout
