"""`quartermaster users create` and `users token`: tokens are shown once, stored hashed, and work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from quartermaster.cli.main import app
from quartermaster.db.engine import make_engine
from quartermaster.db.tx import Database
from quartermaster.errors import Unauthenticated
from quartermaster.identity import service as identity
from quartermaster.identity.models import ApiToken

runner = CliRunner()


def _db(tmp_path: Path) -> Database:
    return Database(make_engine(f"sqlite:///{(tmp_path / 'quartermaster.db').resolve()}"))


def test_users_create_prints_a_working_token_stored_only_as_hash(tmp_path: Path) -> None:
    result = runner.invoke(app, ["users", "create", "ivan", "--role", "auditor", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["username"] == "ivan"
    token = out["token"]
    with _db(tmp_path).unit_of_work(write=False) as s:
        actor = identity.authenticate(s, token)
        assert actor.role.value == "auditor"
        stored = s.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored
    assert identity.hash_token(token) in stored


def test_users_token_issues_a_new_token_and_can_revoke_the_old(tmp_path: Path) -> None:
    first = json.loads(
        runner.invoke(app, ["users", "create", "olha", "--role", "admin", "--data-dir", str(tmp_path)]).output
    )["token"]
    result = runner.invoke(app, ["users", "token", "olha", "--revoke-others", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    second = json.loads(result.output)
    assert second["revoked"] == 1
    with _db(tmp_path).unit_of_work(write=False) as s:
        assert identity.authenticate(s, second["token"]).name == "olha"
        with pytest.raises(Unauthenticated):
            identity.authenticate(s, first)


def test_cli_errors_are_one_readable_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["users", "create", "x1", "--role", "buyer", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: a buyer must belong to an organization")
    assert len(result.output.strip().splitlines()) == 1
    bad = runner.invoke(app, ["users", "create", "x2", "--role", "general", "--data-dir", str(tmp_path)])
    assert bad.exit_code == 1
    assert "unknown role 'general'" in bad.output
    missing = runner.invoke(app, ["users", "token", "nobody", "--data-dir", str(tmp_path)])
    assert missing.exit_code == 1
    assert "no user 'nobody'" in missing.output
