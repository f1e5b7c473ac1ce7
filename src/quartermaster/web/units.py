"""Quantities with their unit, declined as each language counts: ``18 кілометрів``, ``3 штуки``, ``1 piece``.

Units CLDR knows (length, mass, volume, area, duration) are formatted by Babel from CLDR's own plural patterns;
the counted units of procurement that CLDR lacks (piece, set, pair, one, service unit) have their forms here, one
per CLDR plural category of the language. A unit the operator's code list adds beyond these is written as
"number name" with the list's name, undeclined.
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import format_decimal
from babel.units import format_unit

# UN/CEFACT Recommendation 20 code -> CLDR unit.
CLDR_UNITS = {
    "KMT": "length-kilometer",
    "MTR": "length-meter",
    "KGM": "mass-kilogram",
    "TNE": "mass-tonne",
    "LTR": "volume-liter",
    "MTQ": "volume-cubic-meter",
    "MTK": "area-square-meter",
    "HUR": "duration-hour",
    "DAY": "duration-day",
    "MON": "duration-month",
}
# Counted units by CLDR plural category: Ukrainian one / few / many / other (fractions), English one / other.
COUNTED: dict[str, dict[str, dict[str, str]]] = {
    "H87": {
        "uk": {"one": "штука", "few": "штуки", "many": "штук", "other": "штуки"},
        "en": {"one": "piece", "other": "pieces"},
    },
    "C62": {
        "uk": {"one": "одиниця", "few": "одиниці", "many": "одиниць", "other": "одиниці"},
        "en": {"one": "unit", "other": "units"},
    },
    "SET": {
        "uk": {"one": "комплект", "few": "комплекти", "many": "комплектів", "other": "комплекту"},
        "en": {"one": "set", "other": "sets"},
    },
    "PR": {
        "uk": {"one": "пара", "few": "пари", "many": "пар", "other": "пари"},
        "en": {"one": "pair", "other": "pairs"},
    },
    "E48": {
        "uk": {
            "one": "одиниця послуги",
            "few": "одиниці послуги",
            "many": "одиниць послуги",
            "other": "одиниці послуги",
        },
        "en": {"one": "service unit", "other": "service units"},
    },
}
# Babel's English is American ("kilometers"); the code lists and the interface write British English.
_UNIT_LOCALES = {"uk": Locale.parse("uk"), "en": Locale.parse("en_GB")}


def format_quantity(value: Decimal | int | str, code: str, lang: str, name: str | None = None) -> str:
    """``value`` of unit ``code`` as a person of ``lang`` says it; ``name`` (the code list's) for other units."""
    amount = Decimal(str(value))
    locale = _UNIT_LOCALES.get(lang, _UNIT_LOCALES["en"])
    key = code.upper()
    if key in CLDR_UNITS:
        return str(format_unit(amount, CLDR_UNITS[key], length="long", locale=locale))
    number = str(format_decimal(amount, locale=locale))
    forms = COUNTED.get(key, {}).get(lang)
    if forms is not None:
        category = locale.plural_form(amount)
        return f"{number}\u00a0{forms.get(category, forms['other'])}"
    return f"{number}\u00a0{name or code}"
