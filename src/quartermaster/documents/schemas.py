"""Document I/O: DocumentRead. Uploads carry their metadata in query parameters, not in a JSON body."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from quartermaster.schema_base import Output


class DocumentRead(Output):
    """One version of a document; ``url`` streams its bytes, ``sha256`` proves them."""

    id: str
    process_id: str
    related_type: str
    related_id: str
    document_key: str
    version: int
    title: str
    document_type: str
    sha256: str
    size: int
    content_type: str
    organization_id: str | None
    uploaded_at: datetime
    confidential: bool
    marking: str | None
    url: str


def document_read(doc: Any) -> DocumentRead:
    """DocumentRead from a Document row."""
    return DocumentRead(
        id=doc.id,
        process_id=doc.process_id,
        related_type=doc.related_type,
        related_id=doc.related_id,
        document_key=doc.document_key,
        version=doc.version,
        title=doc.title,
        document_type=doc.document_type,
        sha256=doc.sha256,
        size=doc.size,
        content_type=doc.content_type,
        organization_id=doc.organization_id,
        uploaded_at=doc.uploaded_at,
        confidential=doc.confidential,
        marking=doc.marking,
        url=f"/api/v1/documents/{doc.id}/content",
    )
