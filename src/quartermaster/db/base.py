"""Declarative base with a naming convention (so Alembic batch migrations work on SQLite too) and column types."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from sqlalchemy import DateTime, MetaData, Numeric, String, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores naive values; we restore the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return aware UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Amount(TypeDecorator[Decimal]):
    """Money amounts: exact decimals with 2 decimal places; SQLite keeps them as strings to avoid float."""

    impl = Numeric(20, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        """SQLite has no exact decimal type: store text, which round-trips Decimal exactly."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 2))

    places = Decimal("0.01")

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        """Store exact values at the column's scale, so every engine returns the same digits."""
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("float given to a money column")
        exact = Decimal(value).quantize(self.places, rounding=ROUND_HALF_EVEN)
        return str(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Always Decimal."""
        return None if value is None else Decimal(str(value))


class Quantity(Amount):
    """Item quantities: exact decimals with up to 3 decimal places."""

    impl = Numeric(20, 3)
    cache_ok = True
    places = Decimal("0.001")

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        """As Amount, with three decimals on real engines."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(20, 3))


def new_id() -> str:
    """A random, unguessable identifier for a public record."""
    return uuid.uuid4().hex


class Base(DeclarativeBase):
    """Base of every mapped class."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Amount()}
