"""OCDS value shapes: JSON numbers from exact decimals, RFC 3339 dates, Value, Period, organization references."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from quartermaster.identity.models import Organization
from quartermaster.ocds.process import Naming

Json = dict[str, Any]

# Release dates use one fixed width (whole seconds, "Z"), so sorting the strings sorts the moments: the OCDS
# merge routine orders releases by comparing their `date` strings (ocdsmerge.util.sorted_releases).
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def number(value: Decimal) -> int | float:
    """An exact Decimal as a JSON number: an int when integral, else the float whose shortest repr is that decimal.

    OCDS `amount` and `quantity` are JSON numbers. Our amounts have 2 decimal places and at most 18 integer digits;
    every decimal of up to 15 significant digits round-trips through an IEEE double, so any amount below
    10**13 with 2 dp is exact. Anything that would not round-trip raises instead of silently changing a price.
    """
    if not value.is_finite():
        raise ValueError(f"not a finite number: {value}")
    if value == value.to_integral_value():
        return int(value)
    as_float = float(value)
    if Decimal(repr(as_float)) != value.normalize():
        raise ValueError(f"{value} cannot be published as an exact JSON number")
    return as_float


def rfc3339(moment: datetime | date) -> str:
    """A UTC date-time in OCDS's format (whole seconds); a bare date is midnight UTC of that day."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0, 0), tzinfo=UTC)
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; the columns are UTC by construction
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def value(amount: Decimal, currency: str) -> Json:
    """An OCDS Value object."""
    return {"amount": number(amount), "currency": currency}


def period(start: datetime | None = None, end: datetime | None = None) -> Json | None:
    """An OCDS Period, or None when neither end is known."""
    out: Json = {}
    if start is not None:
        out["startDate"] = rfc3339(start)
    if end is not None:
        out["endDate"] = rfc3339(end)
    return out or None


def party_id(org: Organization) -> str:
    """The party id: the organization's identifier prefixed by its scheme (org-id.guide style, e.g. UA-EDR-...)."""
    return f"{org.identifier_scheme}-{org.identifier_id}"


def org_reference(org: Organization) -> Json:
    """An OrganizationReference: the party id and name (full details live in `parties`)."""
    return {"id": party_id(org), "name": org.name}


# The kind of an organization, published as a classification of the party (`details` is open in OCDS 1.1):
# the buyer's type stays public even where a classified process withholds the buyer's name.
ORGANIZATION_KIND_SCHEME = "QM-ORGANIZATION-KIND"
ORGANIZATION_KINDS = {
    "defence_agency": "Defence procurement agency",
    "military_unit": "Military unit",
    "ministry": "Ministry",
    "company": "Company",
    "review_body": "Review body",
}


def party(org: Organization, roles: list[str]) -> Json:
    """An Organization entry of `parties`: identifier, address, contact point, roles and the organization's kind."""
    out: Json = {
        "id": party_id(org),
        "name": org.name,
        # Identifier.scheme is a free string in OCDS 1.1 (org-id.guide codes recommended); NCAGE is not on
        # org-id.guide but is the identifier NATO buyers use for foreign suppliers.
        "identifier": {"scheme": org.identifier_scheme, "id": org.identifier_id, "legalName": org.name},
        "roles": roles,
        "details": {
            "classifications": [
                prune(
                    {
                        "scheme": ORGANIZATION_KIND_SCHEME,
                        "id": org.kind,
                        "description": ORGANIZATION_KINDS.get(org.kind),
                    }
                )
            ]
        },
    }
    address = {
        key: val
        for key, val in (
            ("streetAddress", org.street_address),
            ("locality", org.locality),
            ("region", org.region),
            ("postalCode", org.postal_code),
        )
        if val
    }
    if address:  # countryName wants a country's name; our ISO code needs the countryCode extension (not declared)
        out["address"] = address
    contact = {
        key: val
        for key, val in (("name", org.contact_name), ("email", org.contact_email), ("telephone", org.contact_phone))
        if val
    }
    if contact:
        out["contactPoint"] = contact
    return out


def prune(obj: Json) -> Json:
    """The object without None values and empty lists/objects (OCDS omits unknown fields rather than nulling them)."""
    return {k: v for k, v in obj.items() if v is not None and v != [] and v != {}}


def classification(cpv: str, naming: Naming) -> Json:
    """A CPV item classification (itemClassificationScheme "CPV")."""
    return prune({"scheme": "CPV", "id": cpv, "description": naming.cpv_names.get(cpv)})


def nsn_classification(nsn: str) -> Json:
    """A NATO Stock Number as an additional classification with scheme "NSN" (the codelist is open)."""
    return {"scheme": "NSN", "id": nsn}


def unit(code: str, naming: Naming) -> Json:
    """A UN/CEFACT Recommendation 20 unit of measure."""
    return prune({"scheme": "UNCEFACT", "id": code, "name": naming.unit_names.get(code)})
