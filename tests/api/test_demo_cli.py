"""`quartermaster demo --no-serve` and `quartermaster seed` through the CLI: safe to re-run, tokens that work."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from typer.testing import CliRunner

from quartermaster.cli.main import app
from quartermaster.db.engine import make_engine
from quartermaster.db.tx import Database
from quartermaster.identity import service as identity
from support import db as support_db

SMALL = ["--buyers", "2", "--suppliers", "4", "--tenders", "6"]
ROLES = [
    "buyer",
    "approver",
    "evaluator",
    "buyer",
    "approver",
    "evaluator",
    "supplier",
    "supplier",
    "supplier",
    "auditor",
    "admin",
]


def _demo(url: str, data_dir: Path) -> list[dict[str, str]]:
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--data-dir", str(data_dir), "--database-url", url, *SMALL])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/docs" in result.output
    users: list[dict[str, str]] = json.loads((data_dir / "demo-users.json").read_text())
    return users


def test_demo_twice_is_safe_and_writes_tokens_that_authenticate(
    databases: support_db.TestDatabases, tmp_path: Path
) -> None:
    url = databases.url()
    first = _demo(url, tmp_path)
    second = _demo(url, tmp_path)

    assert [u["role"] for u in second] == ROLES
    assert [u["username"] for u in second] == [u["username"] for u in first]
    assert {"name", "role", "organization", "token", "username", "password", "key_file"} == set(second[0])
    assert second[0]["key_file"].endswith(f"keys/{second[0]['username']}.json")  # buyer staff: a key file each
    assert second[-1]["key_file"] is None  # the administrator sits on no committee
    assert all(u["token"] != v["token"] for u, v in zip(first, second, strict=True))
    assert second[0]["organization"] == "Defence Procurement Agency"
    assert second[-1]["organization"] is None
    db = Database(make_engine(url))
    try:
        with db.unit_of_work(write=False) as s:
            for u in second:
                actor = identity.authenticate(s, u["token"])
                assert actor.role.value == u["role"]
                assert actor.name == u["name"]
            assert identity.authenticate(s, first[0]["token"]).role.value == "buyer"  # earlier tokens still work
        now = datetime.now(UTC)
        with db.unit_of_work() as s:
            assert identity.check_password(
                s, username=second[0]["username"], password=second[0]["password"], now=now
            ).user
            old = identity.check_password(s, username=first[0]["username"], password=first[0]["password"], now=now)
            assert old.refusal == "auth.bad_credentials"  # a new demo run gives new passwords
    finally:
        db.dispose()


def test_seed_reports_an_already_seeded_database(databases: support_db.TestDatabases, tmp_path: Path) -> None:
    url = databases.url()
    args = ["seed", "--data-dir", str(tmp_path), "--database-url", url, *SMALL]
    first = CliRunner().invoke(app, args)
    second = CliRunner().invoke(app, args)

    assert first.exit_code == 0, first.output
    assert "tenders by status" in first.output
    assert second.exit_code == 0, second.output
    assert re.search(r"already seeded \(scale custom, seed 42\): \d+ tenders; nothing to do", second.output)


def test_seed_refuses_an_unknown_scale(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["seed", "--scale", "huge", "--data-dir", str(tmp_path)])

    assert result.exit_code == 1
    assert "unknown scale 'huge'" in result.output
