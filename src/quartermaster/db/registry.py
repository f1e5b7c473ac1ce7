"""Imports every mapped module so Base.metadata is complete (for Alembic and for tests)."""

from __future__ import annotations

from sqlalchemy import MetaData

from quartermaster.db.base import Base


def load_models() -> MetaData:
    """Import all model modules and return the complete metadata."""
    import quartermaster.awards.models
    import quartermaster.bids.models
    import quartermaster.committees.models
    import quartermaster.complaints.models
    import quartermaster.contracts.models
    import quartermaster.documents.models
    import quartermaster.events.models
    import quartermaster.frameworks.models
    import quartermaster.idempotency.models
    import quartermaster.identity.models
    import quartermaster.plans.models
    import quartermaster.publication.models
    import quartermaster.tenders.models  # noqa: F401

    return Base.metadata
