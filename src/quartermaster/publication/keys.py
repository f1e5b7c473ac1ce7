"""The log's signing key: an Ed25519 C2SP note signer kept in a file readable only by its owner."""

from __future__ import annotations

import os
from pathlib import Path

from quartermaster.config import Settings
from quartermaster.transparency import KeyFormatError, Signer


def key_path(settings: Settings) -> Path:
    """Where the signing key lives (``QM_LOG_KEY_FILE``, default ``<data_dir>/log-signing.key``)."""
    return settings.log_key_file if settings.log_key_file is not None else settings.data_dir / "log-signing.key"


def load_signer(settings: Settings, *, create: bool = True) -> Signer:
    """The log's signer; a fresh key is generated (mode 0600) on first use when ``create``.

    The key's name is the log's origin, so a checkpoint names the log it belongs to.
    """
    path = key_path(settings)
    origin = settings.resolved_log_origin()
    if not path.exists():
        if not create:
            raise FileNotFoundError(f"no log signing key at {path}")
        path.parent.mkdir(parents=True, exist_ok=True)
        signer = Signer.generate(origin)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(signer.key_string + "\n")
        return signer
    signer = Signer.parse(path.read_text().strip())
    if signer.name != origin:
        raise KeyFormatError(f"the key in {path} signs for '{signer.name}', but this log's origin is '{origin}'")
    return signer
