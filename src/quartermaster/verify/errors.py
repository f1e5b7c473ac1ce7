"""Errors of ``quartermaster verify``, a branch of the one error tree in ``quartermaster.errors``.

QMError
└── VerifyError        the log is inconsistent: a signature, hash, root, proof or commitment does not check out
    └── InputError     the log, the key or the state file could not be read: nothing was proven either way

Each carries the exit code of ``quartermaster verify``; the message is one line naming the first problem.
"""

from __future__ import annotations

from quartermaster.errors import QMError


class VerifyError(QMError):
    """The log contradicts itself, its signatures or a checkpoint seen before (exit code 1)."""

    code = "verify.inconsistent"
    title = "Transparency log is inconsistent"
    exit_code = 1


class InputError(VerifyError):
    """A source, key or state file is unreachable, missing or malformed, so the log could not be checked (exit 2)."""

    code = "verify.input"
    title = "Transparency log could not be read"
    exit_code = 2
