"""Log entries (one per published release or disclosure) and signed checkpoints. Never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.db.base import Base

BigIntKey = BigInteger().with_variant(Integer, "sqlite")

RELEASE = "release"
DISCLOSURE = "disclosure"
SEALED_BID = "sealed-bid"  # a sealed bid's commitment, logged on receipt; not a feed item
SEALED_DOCUMENT = "sealed-document"  # a sealed bid document's SHA-256, logged on receipt; not a feed item
DECISION = "decision"  # a signed decision's commitment (decisions.commitments); not a feed item
KEY_ENROLMENT = "key-enrolment"  # a person's key enrolment's commitment; not a feed item
FEED_KINDS = (RELEASE, DISCLOSURE)


class LogEntry(Base):
    """One leaf of the transparency log and (releases and disclosures) one position of the change feed.

    ``leaf_input`` is the exact canonical JSON that was hashed; ``full_release`` and ``salt`` are internal (the
    withheld release and the salt of its commitment) and leave the system only through a disclosure entry or to a
    reader with clearance and need-to-know.
    """

    __tablename__ = "log_entries"
    __table_args__ = (Index("ix_log_entries_ocid", "ocid", "index"), Index("ix_log_entries_process", "process_id"))

    index: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    ocid: Mapped[str] = mapped_column(String(80))
    process_id: Mapped[str] = mapped_column(String(32))
    release_id: Mapped[str] = mapped_column(String(120))
    release_date: Mapped[datetime]  # the release's OCDS date (the change's effective time)
    published_at: Mapped[datetime]  # when the entry was sequenced (the server clock of the change)
    tags: Mapped[list[str]] = mapped_column(JSON)
    marking: Mapped[str] = mapped_column(String(16))  # the process's highest marking when published
    complete: Mapped[bool] = mapped_column(Boolean)  # True: the published release is the full release
    discloses: Mapped[int | None] = mapped_column(BigInteger)  # disclosure entries: the entry they open
    leaf_input: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    full_release: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    salt: Mapped[bytes | None] = mapped_column(LargeBinary(32))


class SignedCheckpoint(Base):
    """A checkpoint of the log signed by the log's key (C2SP signed note), one per integrated tree size."""

    __tablename__ = "log_checkpoints"

    size: Mapped[int] = mapped_column(BigIntKey, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    signed_at: Mapped[datetime]


class DisclosureDue(Base):
    """A process whose public projection widens at ``due_at`` (N days after signature, a declassification date)."""

    __tablename__ = "disclosures_due"

    process_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(index=True)
