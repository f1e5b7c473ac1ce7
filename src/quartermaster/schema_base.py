"""Pydantic building blocks shared by every context's schemas: strict input models, Money, pages."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from quartermaster.types import Money

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Ident = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{32}$")]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("datetime must carry a timezone, e.g. 2026-05-01T12:00:00Z")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


def _no_nul(value: Any, path: str = "") -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError(f"{path or 'a text field'} contains a NUL character")
    elif isinstance(value, dict):
        for k, v in value.items():
            _no_nul(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _no_nul(v, f"{path}.{i}" if path else str(i))


class Input(BaseModel):
    """Base of request bodies: unknown fields are errors, strings are stripped, NUL characters refused.

    NUL is refused everywhere because PostgreSQL cannot store it in text while SQLite can: one rule for both engines.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        _no_nul(data)
        return data


class Output(BaseModel):
    """Base of response bodies, built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class MoneyIO(BaseModel):
    """An amount with its ISO 4217 currency; amounts travel as decimal strings to stay exact."""

    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(ge=0, le=Decimal("1e15"), max_digits=18, decimal_places=2)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]

    def to_money(self) -> Money:
        """As a domain Money."""
        return Money(self.amount, self.currency)

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> MoneyIO:
        """Build from stored columns."""
        return cls(amount=amount, currency=currency)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list: the rows and the cursor of the next page (null at the end)."""

    data: list[T]
    next: str | None
