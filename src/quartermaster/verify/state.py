"""The verifier's memory: per log origin, the key it trusts and the newest checkpoint it has verified.

    {"version": 1,
     "logs": {"<origin>": {"verifier_key": "<vkey>", "checkpoint": "<signed note>", "size": N, "root": "<base64>"}}}

A later run must see a log that extends this checkpoint; a smaller tree or another root at the same size is a
rollback or a fork. The file is rewritten atomically (temporary file, fsync, rename), so a crash leaves either the
old or the new state, never half of one.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quartermaster.transparency import TransparencyError, Verifier, open_checkpoint
from quartermaster.verify.errors import InputError

VERSION = 1


@dataclass(frozen=True)
class LogState:
    """What was verified last time for one origin: the trusted key and the newest checkpoint (note, size, root)."""

    verifier_key: str
    checkpoint: str
    size: int
    root: bytes

    def to_json(self) -> dict[str, Any]:
        """The JSON object stored under the origin."""
        return {
            "verifier_key": self.verifier_key,
            "checkpoint": self.checkpoint,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
        }


def default_state_path(environ: Mapping[str, str] | None = None) -> Path:
    """``$XDG_STATE_HOME/quartermaster/verify.json``, else ``~/.local/state/quartermaster/verify.json``."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME", "")
    # The XDG spec says relative paths are invalid and must be ignored.
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".local" / "state"
    return root / "quartermaster" / "verify.json"


def read_state(path: Path, origin: str) -> LogState | None:
    """The state recorded for ``origin`` (None when the file or the origin is absent); InputError if damaged."""
    record = _read_logs(path).get(origin)
    if record is None:
        return None
    try:
        return _parse_record(record)
    except (ValueError, TransparencyError) as exc:
        detail = exc.message if isinstance(exc, TransparencyError) else str(exc)
        raise InputError(f"state file {path}: the record for {origin} is damaged ({detail})") from None


def record_state(path: Path, origin: str, state: LogState) -> None:
    """Store ``state`` for ``origin``, keeping every other origin's record, by an atomic rewrite of the file."""
    logs = _read_logs(path)
    logs[origin] = state.to_json()
    text = json.dumps({"version": VERSION, "logs": logs}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, text.encode("utf-8"))
    except OSError as exc:
        raise InputError(f"cannot write the state file {path}: {exc.strerror or exc}") from None


def _read_logs(path: Path) -> dict[str, Any]:
    """The ``logs`` object of the state file ({} when the file does not exist yet)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise InputError(f"cannot read the state file {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw)
    except ValueError:
        raise InputError(f"state file {path} is not JSON") from None
    logs = document.get("logs") if isinstance(document, dict) and document.get("version") == VERSION else None
    if not isinstance(logs, dict):
        raise InputError(f"state file {path} is not a version {VERSION} quartermaster verify state file")
    return logs


def _parse_record(record: Any) -> LogState:
    """Check a stored record: its checkpoint must open under its key and agree with its size and root."""
    strings = ("verifier_key", "checkpoint", "root")
    if not isinstance(record, dict) or any(not isinstance(record.get(k), str) for k in strings):
        raise ValueError("verifier_key, checkpoint and root must be strings")
    verifier = Verifier.parse(record["verifier_key"])
    checkpoint = open_checkpoint(record["checkpoint"], [verifier])
    root = base64.b64decode(record["root"], validate=True)
    if (record["size"], root) != (checkpoint.size, checkpoint.root):
        raise ValueError("its size and root differ from its checkpoint's")
    return LogState(verifier.key_string, record["checkpoint"], checkpoint.size, checkpoint.root)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, flush it to disk, then rename it over ``path``."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
