"""What the demo buyers buy: item templates on the shipped demo code lists, grouped into families.

Each template names a CPV code and (for stocked goods) a NATO supply class from ``codelists/data``, a UN/CEFACT
unit, a plausible unit price range in UAH and a quantity range. NSNs are built from the supply class, a real
National Codification Bureau code and random digits, so they validate structurally but identify nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

# NCB codes of nations that supply Ukraine's forces (subset of codelists.nsn.NCB_CODES).
NCB_SAMPLE: Final[tuple[str, ...]] = ("00", "01", "12", "13", "14", "15", "16", "22", "25", "33", "43", "99")


@dataclass(frozen=True)
class ItemTemplate:
    """One kind of thing bought."""

    name: str
    cpv: str
    fsc: str | None  # NATO supply class; None for items bought without a stock number
    unit: str
    price: tuple[int, int]  # estimated unit price range, UAH
    quantity: tuple[int, int]
    imported: bool = False  # often bought abroad, priced in EUR


@dataclass(frozen=True)
class Family:
    """A group of items bought together, and how they are procured."""

    name: str
    category: str  # goods | services | works
    items: tuple[ItemTemplate, ...]
    weight: int  # how often the family is bought


T = ItemTemplate

FAMILIES: Final[tuple[Family, ...]] = (
    Family(
        "ammunition",
        "goods",
        (
            T("5.56x45 mm NATO cartridges", "35331500-8", "1305", "H87", (18, 32), (50_000, 2_000_000)),
            T("7.62x39 mm cartridges", "35331500-8", "1305", "H87", (14, 26), (50_000, 1_500_000)),
            T("12.7x99 mm cartridges", "35331000-3", "1305", "H87", (90, 160), (10_000, 300_000)),
            T("120 mm mortar bombs", "35331200-5", "1315", "H87", (24_000, 42_000), (500, 20_000)),
            T("155 mm artillery shells", "35331200-5", "1320", "H87", (60_000, 120_000), (500, 10_000), True),
            T("Hand grenades", "35331300-3", "1330", "H87", (900, 1_800), (2_000, 50_000)),
            T("Fuzes for artillery shells", "35331000-3", "1390", "H87", (3_000, 9_000), (1_000, 30_000)),
        ),
        16,
    ),
    Family(
        "drones",
        "goods",
        (
            T("FPV strike drones, 10-inch", "35613100-5", "1550", "H87", (12_000, 25_000), (500, 20_000)),
            T("Reconnaissance UAV, fixed wing", "35613000-4", "1550", "SET", (400_000, 2_500_000), (5, 120)),
            T("Heavy bomber multicopter", "35613100-5", "1550", "H87", (180_000, 450_000), (20, 400)),
            T("Unmanned underwater vehicle", "35512400-0", None, "H87", (2_000_000, 6_000_000), (2, 20)),
            T("Spare propellers and motors for UAV", "35613000-4", "1560", "SET", (800, 3_000), (1_000, 30_000)),
        ),
        14,
    ),
    Family(
        "protection",
        "goods",
        (
            T("Body armour, class 4 plates", "35815100-1", "8470", "H87", (15_000, 30_000), (500, 20_000)),
            T("Ballistic helmets", "35813000-6", "8470", "H87", (8_000, 16_000), (500, 20_000)),
            T("Camouflage nets", "35800000-2", "1080", "H87", (1_200, 4_500), (500, 30_000)),
            T("Protective clothing", "35113400-3", "8415", "SET", (3_000, 9_000), (500, 20_000)),
        ),
        10,
    ),
    Family(
        "clothing",
        "goods",
        (
            T("Combat uniforms, MM-14 pattern", "35812000-9", "8415", "SET", (2_500, 5_000), (1_000, 60_000)),
            T("Camouflage jackets, winter", "35812100-0", "8415", "H87", (3_000, 6_500), (1_000, 40_000)),
            T("Military boots, summer", "18830000-6", "8430", "PR", (2_000, 4_200), (1_000, 50_000)),
            T("Military uniforms, parade", "35811300-5", "8415", "SET", (4_000, 8_000), (200, 5_000)),
        ),
        8,
    ),
    Family(
        "communications",
        "goods",
        (
            T("Tactical VHF radios", "32236000-6", "5820", "H87", (25_000, 90_000), (50, 3_000), True),
            T("Handheld walkie-talkies", "32237000-3", "5820", "H87", (4_000, 12_000), (100, 5_000)),
            T("Radio antennas and masts", "32230000-4", "5985", "H87", (3_000, 25_000), (50, 2_000)),
            T("Field communication cable assemblies", "32200000-5", "5995", "MTR", (30, 120), (5_000, 200_000)),
        ),
        8,
    ),
    Family(
        "electronics",
        "goods",
        (
            T("Night vision monoculars", "35700000-1", "5855", "H87", (60_000, 180_000), (20, 2_000), True),
            T("Counter-drone jammers", "35730000-0", "5865", "H87", (150_000, 900_000), (10, 400)),
            T("Ground surveillance radar", "35722000-1", "5840", "SET", (3_000_000, 12_000_000), (1, 20), True),
            T("Thermal sights", "35700000-1", "1240", "H87", (90_000, 250_000), (20, 1_000), True),
        ),
        8,
    ),
    Family(
        "weapons",
        "goods",
        (
            T("Assault rifles, 5.56 mm", "35321200-2", "1005", "H87", (35_000, 75_000), (100, 5_000), True),
            T("Heavy machine guns", "35321300-3", "1005", "H87", (250_000, 600_000), (10, 300)),
            T("Mortars, 82 mm", "35322400-1", "1015", "H87", (400_000, 900_000), (5, 150)),
            T("Anti-tank guided missiles", "35622600-6", "1410", "H87", (1_500_000, 4_000_000), (10, 300), True),
            T("Parts of light firearms", "35341000-6", "1005", "SET", (2_000, 9_000), (200, 10_000)),
        ),
        8,
    ),
    Family(
        "vehicles",
        "goods",
        (
            T("Tactical trucks, 6x6", "34130000-7", "2320", "H87", (3_000_000, 6_000_000), (2, 60)),
            T("Off-road pickups", "34113300-5", None, "H87", (1_200_000, 2_200_000), (5, 120)),
            T("Armoured personnel carriers", "35412200-7", "2355", "H87", (25_000_000, 60_000_000), (1, 30), True),
            T("Diesel engines for armoured vehicles", "35421000-1", "2815", "H87", (600_000, 1_800_000), (2, 60)),
            T("Vehicle spare parts kits", "35421000-1", "2540", "SET", (15_000, 80_000), (10, 500)),
        ),
        7,
    ),
    Family(
        "food",
        "goods",
        (
            T("Individual field rations (daily)", "15897100-3", "8970", "H87", (250, 450), (10_000, 500_000)),
            T("Canned meat", "15897000-2", None, "KGM", (180, 320), (5_000, 200_000)),
        ),
        6,
    ),
    Family(
        "fuel",
        "goods",
        (
            T("Diesel fuel, EN 590", "09134200-9", "9140", "LTR", (48, 60), (100_000, 5_000_000)),
            T("Engine oil", "09130000-9", "9150", "LTR", (150, 320), (5_000, 100_000)),
        ),
        5,
    ),
    Family(
        "medical",
        "goods",
        (
            T("Individual first aid kits (IFAK)", "33141620-2", "6545", "SET", (1_500, 4_000), (1_000, 50_000)),
            T("Haemostatic dressings", "33141000-0", "6510", "H87", (350, 900), (2_000, 80_000)),
            T("Medical evacuation kits", "33141600-6", "6545", "SET", (8_000, 25_000), (50, 2_000)),
        ),
        6,
    ),
    Family(
        "services",
        "services",
        (
            T("Repair of armoured vehicles", "50630000-0", None, "E48", (80_000, 600_000), (5, 80)),
            T("Maintenance of artillery systems", "50841000-2", None, "E48", (50_000, 400_000), (5, 60)),
            T("Battlefield management software development", "72212100-0", None, "MON", (900_000, 3_000_000), (3, 18)),
            T("Guarding of military warehouses", "79713000-5", None, "MON", (150_000, 600_000), (6, 12)),
            T("Disposal of medical waste", "90524000-6", None, "TNE", (9_000, 25_000), (5, 200)),
        ),
        6,
    ),
    Family(
        "works",
        "works",
        (
            T("Construction of protective shelters", "45216220-2", None, "E48", (2_000_000, 9_000_000), (1, 4)),
            T("Repair of military barracks", "45216200-6", None, "E48", (1_500_000, 7_000_000), (1, 3)),
            T("Barbed wire obstacles", "44312300-3", None, "KMT", (150_000, 400_000), (5, 80)),
        ),
        4,
    ),
)


def pick_family(rng: random.Random) -> Family:
    """A family, weighted by how often it is bought."""
    return rng.choices(FAMILIES, weights=[f.weight for f in FAMILIES])[0]


def make_nsn(rng: random.Random, fsc: str) -> str:
    """A structurally valid NATO Stock Number in supply class ``fsc`` (dashed form)."""
    ncb = rng.choice(NCB_SAMPLE)
    return f"{fsc}-{ncb}-{rng.randrange(1000):03d}-{rng.randrange(10000):04d}"


def round_quantity(rng: random.Random, low: int, high: int) -> Decimal:
    """A quantity rounded the way buyers round them (to 1, 10, 100 or 1000)."""
    q = rng.randint(low, high)
    step = 1000 if q >= 100_000 else 100 if q >= 5_000 else 10 if q >= 200 else 1
    return Decimal(max(step, q - q % step))
