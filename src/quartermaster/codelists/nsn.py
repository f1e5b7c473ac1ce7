"""NATO Stock Numbers: 4-digit supply class (FSC/NSC) + 9-digit NIIN whose first two digits name the NCB."""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from quartermaster.codelists.models import CodeLists

__all__ = ["NCB_CODES", "validate_nsn"]

# National Codification Bureau codes (the first two NIIN digits) -> assigning nation or body.
# PARTIAL by design: only codes we could confirm. Sources: NSPA's CodSP-3 "NCS Country Codes" table (the rows
# we could read) and NSPA's NCS brochure (00 US, 12 DE, 14 FR, 99 UK); the remaining codes come from public
# listings that agree with CodSP-3 wherever both give a code. Nations missing here (Ukraine, Sweden, ...) are
# refused until an entry with a source is added.
NCB_CODES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "00": "United States",
        "01": "United States",
        "11": "NATO",
        "12": "Germany",
        "13": "Belgium",
        "14": "France",
        "15": "Italy",
        "16": "Czech Republic",
        "17": "Netherlands",
        "18": "South Africa",
        "19": "Brazil",
        "20": "Canada",
        "21": "Canada",
        "22": "Denmark",
        "23": "Greece",
        "24": "Iceland",
        "25": "Norway",
        "26": "Portugal",
        "27": "Turkey",
        "28": "Luxembourg",
        "29": "Argentina",
        "30": "Japan",
        "31": "Israel",
        "32": "Singapore",
        "33": "Spain",
        "34": "Malaysia",
        "35": "Thailand",
        "36": "Egypt",
        "37": "Republic of Korea",
        "38": "Estonia",
        "39": "Romania",
        "40": "Slovakia",
        "41": "Austria",
        "42": "Slovenia",
        "43": "Poland",
        "44": "United Nations",
        "45": "Indonesia",
        "46": "Philippines",
        "47": "Lithuania",
        "48": "Fiji",
        "49": "Tonga",
        "50": "Bulgaria",
        "51": "Hungary",
        "52": "Chile",
        "53": "Croatia",
        "54": "North Macedonia",
        "55": "Latvia",
        "56": "Oman",
        "58": "Finland",
        "59": "Albania",
        "62": "Iraq",
        "66": "Australia",
        "68": "Georgia",
        "70": "Saudi Arabia",
        "71": "United Arab Emirates",
        "72": "India",
        "75": "Bosnia and Herzegovina",
        "76": "Brunei Darussalam",
        "78": "Jordan",
        "80": "Colombia",
        "82": "Algeria",
        "83": "Ecuador",
        "84": "Ireland",
        "99": "United Kingdom",
    }
)

_NSN_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{3}-[0-9]{4}|[0-9]{13}")


def validate_nsn(nsn: str, lists: CodeLists) -> str:
    """Validate a NATO Stock Number (``1005-12-123-4567`` or 13 digits); return the dashed form."""
    text = nsn.strip()
    if not _NSN_RE.fullmatch(text):
        raise ValueError(f"NSN must be 13 digits written 1005-12-123-4567 or 1005121234567, got {text!r}")
    digits = text.replace("-", "")
    supply_class, ncb = digits[:4], digits[4:6]
    canonical = f"{supply_class}-{ncb}-{digits[6:9]}-{digits[9:]}"
    if lists.fsc(supply_class) is None:
        raise ValueError(f"NSN {canonical}: supply class {supply_class} is not in the loaded FSC/NSC list")
    if ncb not in NCB_CODES:
        raise ValueError(f"NSN {canonical}: {ncb} is not a known National Codification Bureau code")
    return canonical
