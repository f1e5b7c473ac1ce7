"""The one error tree. Every error has a stable ``code`` and named fields; the API maps classes to HTTP once.

QMError
├── NotFound                 object absent, or invisible to the caller (never says which)
├── Unauthenticated          no or bad credentials
├── PermissionDenied         authenticated, but the role or party may not do this
├── ValidationFailed         input is well-formed JSON but breaks a field rule (field-level ``errors``)
├── Conflict                 the request clashes with current state
│   ├── InvalidTransition    command not allowed in the current state (names state and allowed commands)
│   ├── StaleVersion         If-Match does not match the current ETag
│   └── IdempotencyMismatch  an Idempotency-Key reused with a different request
├── RuleViolation            the rulebook forbids it (periods, thresholds, criteria, justifications, deadlines)
└── PreconditionRequired     an update was sent without If-Match
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class QMError(Exception):
    """Base of every domain error. ``code`` is stable and machine-readable; ``message`` is for people."""

    code: str = "error"
    title: str = "Request failed"

    def __init__(self, message: str, *, code: str | None = None, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields: dict[str, Any] = fields


class NotFound(QMError):
    """The object does not exist or the caller may not know it exists."""

    code = "not_found"
    title = "Not found"


class Unauthenticated(QMError):
    """Missing, malformed or unknown credentials."""

    code = "auth.unauthenticated"
    title = "Authentication required"


class PermissionDenied(QMError):
    """The actor's role or party does not allow this command."""

    code = "auth.forbidden"
    title = "Forbidden"


class ValidationFailed(QMError):
    """Input breaks a field rule; ``errors`` lists ``{"field", "message"}`` pairs."""

    code = "validation.failed"
    title = "Invalid input"

    def __init__(self, message: str, *, errors: Sequence[dict[str, str]] = (), code: str | None = None) -> None:
        super().__init__(message, code=code, errors=list(errors))


class Conflict(QMError):
    """The request clashes with the current state of the record."""

    code = "conflict"
    title = "Conflict"


class InvalidTransition(Conflict):
    """A command is not allowed in the object's current state."""

    code = "state.invalid_transition"
    title = "Command not allowed in the current state"

    def __init__(
        self, *, obj: str, obj_id: str, state: str, command: str, allowed: Sequence[str], reason: str = ""
    ) -> None:
        message = f"{obj} is '{state}'; '{command}' is not allowed" + (f": {reason}" if reason else "")
        super().__init__(
            message,
            object_type=obj,
            object_id=obj_id,
            current_state=state,
            command=command,
            allowed_commands=sorted(allowed),
        )


class StaleVersion(Conflict):
    """If-Match names a version that is no longer current."""

    code = "precondition.stale"
    title = "The record changed since you read it"


class IdempotencyMismatch(Conflict):
    """The Idempotency-Key was already used for a different request."""

    code = "idempotency.mismatch"
    title = "Idempotency key reused with a different request"


class RuleViolation(QMError):
    """The rulebook forbids the request (a period too short, a deadline passed, a missing justification...)."""

    code = "rule.violation"
    title = "Procurement rule violated"


class LogDamaged(QMError):
    """The transparency log's storage lost or reordered entries: it cannot serve proofs until restored."""

    code = "log.damaged"
    title = "The transparency log is damaged"


class ServiceUnavailable(QMError):
    """The deployment lacks something the request needs (a font, a file); an operator can supply it."""

    code = "service.unavailable"
    title = "Service unavailable"


class PreconditionRequired(QMError):
    """An update must name the version it was based on (If-Match)."""

    code = "precondition.required"
    title = "If-Match required"
