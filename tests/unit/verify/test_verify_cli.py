"""`run`, what the Typer command calls: exit codes, one-line messages, the progress bar, and unreadable inputs."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from synthetic_log import SyntheticLog, b64, standard_log, verify_cli

from quartermaster.transparency import Signer
from quartermaster.verify import DirSource, load_key, run, verify
from quartermaster.verify.errors import InputError, VerifyError


@pytest.fixture
def export(tmp_path: Path) -> Path:
    """The standard log written as an export directory."""
    return standard_log().write(tmp_path / "export")


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A fresh state file path."""
    return tmp_path / "verify.json"


def test_errors_carry_the_exit_codes_of_the_command() -> None:
    assert (VerifyError("x").exit_code, VerifyError.code) == (1, "verify.inconsistent")
    assert (InputError("x").exit_code, InputError.code) == (2, "verify.input")


def test_a_terminal_gets_a_progress_bar_and_the_summary(tmp_path: Path, state: Path) -> None:
    log = SyntheticLog()
    for i in range(2500):
        log.append_leaf(b'{"kind":"release","ocid":"ocds-x-t1","release":{"n":%d}}' % i)
    log.publish("ocds-x-t1")
    log.checkpoint()
    for _ in range(99):  # 100 releases read: the bar is updated on the hundredth
        log.releases.append(log.releases[0])
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=100, color_system=None)
    code = run(str(log.write(tmp_path / "export")), key=None, state=state, console=console)
    assert code == 0
    text = out.getvalue()
    assert "checking entries" in text  # the transient bar drew at least once
    assert f"ok: verified 2501 entries, checkpoint size 2501 root {b64(log.tree().root())}, 100 releases" in text


def test_progress_is_reported_per_thousand_entries_and_at_the_end(export: Path, state: Path) -> None:
    calls: list[tuple[str, int, int | None]] = []
    verify(DirSource(export), key=None, state_path=state, progress=lambda *a: calls.append(a))
    assert calls == [("entries", 6, 6), ("releases", 5, 5)]


def test_an_inconsistency_is_printed_with_markup_escaped(export: Path, state: Path) -> None:
    (export / "releases.jsonl").write_text(json.dumps({"id": "[bold]x"}) + "\n")
    code, output = verify_cli(export, state)
    assert (code, output) == (
        1,
        "inconsistent: releases.jsonl line 1: release id '[bold]x' does not name a log entry as <ocid>-<index>\n",
    )


def test_a_target_that_is_neither_url_nor_directory_exits_2(tmp_path: Path, state: Path) -> None:
    code, output = verify_cli(tmp_path / "nowhere", state)
    assert code == 2
    assert output.startswith("error: ")
    assert "is neither an http(s) URL nor a directory" in output


def test_the_default_state_path_is_used_when_none_is_given(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    console = Console(file=io.StringIO(), color_system=None)
    assert run(str(export), key=None, state=None, console=console) == 0
    assert (tmp_path / "xdg" / "quartermaster" / "verify.json").is_file()


def test_a_key_that_is_neither_a_key_nor_a_file_exits_2(export: Path, state: Path) -> None:
    code, output = verify_cli(export, state, key="garbage")
    assert (code, output) == (
        2,
        "error: the key 'garbage' is neither a verifier key nor a file holding one (key ID must be 8 hex digits)\n",
    )


def test_a_key_file_without_a_key_exits_2(export: Path, tmp_path: Path, state: Path) -> None:
    (tmp_path / "k").write_text("hello")
    code, output = verify_cli(export, state, key=str(tmp_path / "k"))
    assert code == 2
    assert f"the key file {tmp_path / 'k'} does not hold a verifier key" in output


def test_a_key_file_that_is_not_text_exits_2(export: Path, tmp_path: Path, state: Path) -> None:
    (tmp_path / "k").write_bytes(b"\xff\xfe")
    code, output = verify_cli(export, state, key=str(tmp_path / "k"))
    assert code == 2
    assert f"cannot read the key file {tmp_path / 'k'}" in output


def test_a_key_string_is_parsed_with_surrounding_space_ignored() -> None:
    verifier = Signer.generate("quartermaster.test/ocds-x").verifier()
    assert load_key(f"  {verifier.key_string}\n") == verifier


def test_a_served_key_that_did_not_sign_the_checkpoints_is_refused_on_first_use(tmp_path: Path, state: Path) -> None:
    log = standard_log()
    export = log.write(tmp_path / "export")
    served = Signer.generate(log.origin).verifier().key_string
    (export / "log.json").write_text(json.dumps({"origin": log.origin, "verifier_key": served, "size": 6}))
    code, output = verify_cli(export, state)
    assert (code, output) == (1, f"inconsistent: checkpoints/3: not signed by the trusted key {served}\n")


@pytest.mark.parametrize(
    ("path", "content", "error"),
    [
        ("log.json", None, "cannot read"),
        ("log.json", "{", "log.json is not JSON"),
        ("log.json", "[]", "log.json is not a JSON object"),
        ("log.json", '{"origin": "o", "verifier_key": "k", "size": -1}', "needs a string origin"),
        ("log.json", '{"origin": "o", "verifier_key": "k", "size": true}', "needs a string origin"),
        ("entries.jsonl", None, "cannot read"),
        ("entries.jsonl", '{"index": "0", "leaf_input": ""}\n', "entries.jsonl line 1: an entry needs an integer"),
        ("entries.jsonl", '{"index": 0, "leaf_input": "***"}\n', "entries.jsonl line 1: leaf_input is not standard"),
        ("entries.jsonl", "\n", "entries.jsonl line 1 is not JSON"),
        ("releases.jsonl", None, "cannot read"),
        ("releases.jsonl", "[]\n", "releases.jsonl line 1 is not a JSON object"),
        ("releases.jsonl", '{"id": 3}\n', "releases.jsonl line 1: a release is a JSON object with a string id"),
        ("checkpoints/06", "x", "checkpoint files are named by tree size"),
        ("checkpoints/latest", "x", "checkpoint files are named by tree size"),
    ],
)
def test_an_export_with_a_missing_or_malformed_file_exits_2(
    export: Path, state: Path, path: str, content: str | None, error: str
) -> None:
    if content is None:
        (export / path).unlink()
    else:
        (export / path).write_text(content)
    code, output = verify_cli(export, state)
    assert code == 2
    assert output.startswith("error: ")
    assert error in output


def test_an_unlistable_checkpoint_directory_exits_2(export: Path, state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Path) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "iterdir", refuse)
    code, output = verify_cli(export, state)
    assert code == 2
    assert f"cannot list {export / 'checkpoints'}: Permission denied" in output


def test_the_verifier_is_independent_of_the_server_code() -> None:
    # An auditor's tool must not run the code it audits: no database, web framework, CLI framework or server module.
    code = (
        "import sys, quartermaster.verify\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'sqlalchemy', 'fastapi', 'starlette', 'typer'}"
        " or m.startswith(('quartermaster.db', 'quartermaster.api', 'quartermaster.cli',"
        " 'quartermaster.publication')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
