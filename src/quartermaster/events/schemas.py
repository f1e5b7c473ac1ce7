"""Event I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quartermaster.schema_base import Output


class EventRead(Output):
    """One recorded event."""

    seq: int
    occurred_at: datetime
    recorded_at: datetime
    actor_id: str
    actor_role: str
    organization_id: str | None
    command: str
    event_type: str
    object_type: str
    object_id: str
    process_id: str | None
    state_before: str | None
    state_after: str | None
    payload: dict[str, Any]
    payload_hash: str
