"""Document rows: metadata and versions; the bytes live in the BlobStore under ``sha256``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from quartermaster.db.base import Base, new_id

RELATED_TYPES: tuple[str, ...] = ("tender", "bid", "contract", "plan", "award")

# A closed subset of the OCDS documentType codelist (OCDS 1.1, codelists/open/documentType.csv). OCDS marks the
# list "open"; we keep it closed so published data only carries codes that consumers know.
DOCUMENT_TYPES: frozenset[str] = frozenset(
    {
        # planning
        "plannedProcurementNotice",
        "procurementPlan",
        "needsAssessment",
        "marketStudies",
        "feasibilityStudy",
        "projectPlan",
        "riskProvisions",
        # tender
        "tenderNotice",
        "biddingDocuments",
        "technicalSpecifications",
        "evaluationCriteria",
        "eligibilityCriteria",
        "clarifications",
        "billOfQuantity",
        "shortlistedFirms",
        "cancellationDetails",
        "complaints",
        "conflictOfInterest",
        # bid
        "submissionDocuments",
        "illustration",
        # award
        "awardNotice",
        "evaluationReports",
        "winningBid",
        "bidders",
        # contract and implementation
        "contractNotice",
        "contractDraft",
        "contractSigned",
        "contractAnnexe",
        "contractSchedule",
        "contractArrangements",
        "contractGuarantees",
        "contractSummary",
        "subContract",
        "completionCertificate",
        "physicalProgressReport",
        "financialProgressReport",
        "finalAudit",
    }
)


class Document(Base):
    """One version of a document attached to a tender, bid, contract, plan or award.

    ``document_key`` stays the same across versions; a new version supersedes the older ones, which remain
    readable as history. Rows are never updated.
    """

    __tablename__ = "documents"
    __table_args__ = (
        Index("ix_documents_key_version", "document_key", "version", unique=True),
        Index("ix_documents_related", "related_type", "related_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    process_id: Mapped[str] = mapped_column(String(32), index=True)  # tender, framework or plan id
    related_type: Mapped[str] = mapped_column(String(16))
    related_id: Mapped[str] = mapped_column(String(32))
    document_key: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    document_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[str] = mapped_column(String(32))
    organization_id: Mapped[str | None] = mapped_column(String(32))
    uploaded_at: Mapped[datetime]
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    marking: Mapped[str | None] = mapped_column(String(16))  # None: the marking of the process it belongs to
    # A bid document of a sealed tender: the bytes are a sealed document (sealing.documents), its title is inside
    # them and empty here; the opening adds the opened file as the next version.
    sealed: Mapped[bool] = mapped_column(Boolean, default=False)
