"""Name material for synthetic parties and people: English names with their Ukrainian forms.

Every name here is invented for demo data. The two agencies named after DOMAIN.md's buyers carry synthetic
identifiers, never their real ones; military unit numbers and company names are generated.
"""

from __future__ import annotations

from typing import Final

# (English, Ukrainian) pairs.
Pair = tuple[str, str]

AGENCIES: Final[tuple[tuple[str, str, str], ...]] = (  # (name, name_uk, username slug)
    ("Defence Procurement Agency", "Агенція оборонних закупівель", "dpa"),
    ("State Logistics Operator", "Державний оператор тилу", "dot"),
    (
        "Ministry of Defence, Central Directorate of Armament",
        "Міністерство оборони, Центральне управління озброєння",
        "mod-armament",
    ),
    ("National Guard Logistics Command", "Командування логістики Національної гвардії", "ng-logistics"),
    (
        "State Border Guard Service, Supply Directorate",
        "Державна прикордонна служба, Управління забезпечення",
        "border-supply",
    ),
)

# (English city, Ukrainian city, oblast in English).
CITIES: Final[tuple[tuple[str, str, str], ...]] = (
    ("Kyiv", "Київ", "Kyiv"),
    ("Lviv", "Львів", "Lviv Oblast"),
    ("Dnipro", "Дніпро", "Dnipropetrovsk Oblast"),
    ("Kharkiv", "Харків", "Kharkiv Oblast"),
    ("Odesa", "Одеса", "Odesa Oblast"),
    ("Zaporizhzhia", "Запоріжжя", "Zaporizhzhia Oblast"),
    ("Vinnytsia", "Вінниця", "Vinnytsia Oblast"),
    ("Poltava", "Полтава", "Poltava Oblast"),
    ("Chernihiv", "Чернігів", "Chernihiv Oblast"),
    ("Sumy", "Суми", "Sumy Oblast"),
    ("Zhytomyr", "Житомир", "Zhytomyr Oblast"),
    ("Rivne", "Рівне", "Rivne Oblast"),
    ("Ivano-Frankivsk", "Івано-Франківськ", "Ivano-Frankivsk Oblast"),
    ("Ternopil", "Тернопіль", "Ternopil Oblast"),
    ("Khmelnytskyi", "Хмельницький", "Khmelnytskyi Oblast"),
    ("Cherkasy", "Черкаси", "Cherkasy Oblast"),
    ("Mykolaiv", "Миколаїв", "Mykolaiv Oblast"),
    ("Lutsk", "Луцьк", "Volyn Oblast"),
    ("Uzhhorod", "Ужгород", "Zakarpattia Oblast"),
    ("Chernivtsi", "Чернівці", "Chernivtsi Oblast"),
)

UNIT_KINDS: Final[tuple[Pair, ...]] = (
    ("Separate Mechanized Brigade", "окрема механізована бригада"),
    ("Separate Assault Brigade", "окрема штурмова бригада"),
    ("Territorial Defence Brigade", "бригада територіальної оборони"),
    ("Separate Artillery Brigade", "окрема артилерійська бригада"),
    ("Air Defence Missile Regiment", "зенітний ракетний полк"),
    ("Separate Signal Regiment", "окремий полк зв'язку"),
    ("Logistics Support Base", "база матеріально-технічного забезпечення"),
    ("Military Hospital", "військовий госпіталь"),
    ("Engineer Regiment", "інженерний полк"),
    ("Unmanned Systems Battalion", "батальйон безпілотних систем"),
)

UA_COMPANY_PLACES: Final[tuple[Pair, ...]] = (
    ("Dnipro", "Дніпро"),
    ("Slavutych", "Славутич"),
    ("Polissia", "Полісся"),
    ("Karpaty", "Карпати"),
    ("Podillia", "Поділля"),
    ("Tavria", "Таврія"),
    ("Sich", "Січ"),
    ("Berehynia", "Берегиня"),
    ("Dnister", "Дністер"),
    ("Volyn", "Волинь"),
    ("Prut", "Прут"),
    ("Oril", "Оріль"),
    ("Desna", "Десна"),
    ("Ros", "Рось"),
    ("Khortytsia", "Хортиця"),
    ("Buh", "Буг"),
    ("Sluch", "Случ"),
    ("Inhul", "Інгул"),
    ("Vorskla", "Ворскла"),
    ("Sula", "Сула"),
)

UA_COMPANY_TRADES: Final[tuple[Pair, ...]] = (
    ("Armour", "Броня"),
    ("Defence Systems", "Оборонні системи"),
    ("Optics", "Оптика"),
    ("Drone Works", "Дронові технології"),
    ("Textile", "Текстиль"),
    ("Munitions", "Боєприпаси"),
    ("Radio Systems", "Радіосистеми"),
    ("Logistics", "Логістика"),
    ("Motors", "Мотори"),
    ("Engineering", "Інжиніринг"),
    ("Tactical Gear", "Тактичне спорядження"),
    ("Field Foods", "Польове харчування"),
    ("Fuel Trade", "Паливна торгівля"),
    ("Med Supply", "Медпостач"),
    ("Steel", "Сталь"),
    ("Electronics", "Електроніка"),
    ("Aero", "Аеро"),
    ("Robotics", "Робототехніка"),
)

UA_COMPANY_FORMS: Final[tuple[Pair, ...]] = (
    ("LLC", "ТОВ"),
    ("LLC", "ТОВ"),
    ("LLC", "ТОВ"),
    ("PrJSC", "ПрАТ"),
    ("JSC", "АТ"),
    ("SE", "ДП"),
)

# Foreign suppliers: (ISO country, NCAGE structure from identifiers._NCAGE_STRUCTURES, name parts, forms, cities).
FOREIGN: Final[tuple[tuple[str, str, tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]], ...]] = (
    (
        "US",
        "#***#",
        ("Ridgeline", "Bluewater", "Granite", "Liberty", "Summit", "Cascade", "Ironwood"),
        ("Defense", "Tactical", "Aerospace", "Systems"),
        ("Inc.", "LLC", "Corp."),
        ("Arlington", "Huntsville", "Tucson"),
    ),
    (
        "DE",
        "C***#",
        ("Nordwerk", "Rheintal", "Hansa", "Alpen", "Elbe", "Isar"),
        ("Wehrtechnik", "Systeme", "Optik", "Fahrzeugbau"),
        ("GmbH", "AG"),
        ("Kassel", "Bremen", "Munich"),
    ),
    (
        "FR",
        "F***#",
        ("Aurelle", "Vauban", "Garonne", "Rhodanie", "Lumenor"),
        ("Systemes", "Defense", "Optronique", "Industries"),
        ("SA", "SAS"),
        ("Bourges", "Toulouse", "Lyon"),
    ),
    (
        "CA",
        "L***#",
        ("Maple Ridge", "Northstar", "Laurentian"),
        ("Defence", "Armour", "Robotics"),
        ("Ltd.", "Inc."),
        ("Ottawa", "Montreal"),
    ),
    (
        "BE",
        "B***#",
        ("Meuse", "Ardenne", "Scheldt"),
        ("Ballistics", "Defence", "Munitions"),
        ("NV", "SA"),
        ("Liege", "Antwerp"),
    ),
    (
        "IT",
        "A***#",
        ("Appennino", "Tirreno", "Dolomiti"),
        ("Difesa", "Sistemi", "Elettronica"),
        ("S.p.A.", "S.r.l."),
        ("Turin", "La Spezia"),
    ),
    ("DK", "R***#", ("Kattegat", "Jutland"), ("Defence", "Systems"), ("A/S",), ("Aarhus", "Copenhagen")),
    (
        "CZ",
        "#***G",
        ("Morava", "Vltava", "Sumava"),
        ("Zbrojovka", "Defence", "Systems"),
        ("a.s.", "s.r.o."),
        ("Brno", "Ostrava"),
    ),
    ("EE", "#***J", ("Peipsi", "Saaremaa"), ("Defence", "Robotics"), ("OU", "AS"), ("Tallinn", "Tartu")),
    (
        "FI",
        "A***G",
        ("Saimaa", "Lappi", "Karelia"),
        ("Defence", "Armour", "Systems"),
        ("Oy", "Oyj"),
        ("Tampere", "Helsinki"),
    ),
)

GIVEN_NAMES: Final[tuple[Pair, ...]] = (
    ("Olena", "Олена"),
    ("Andrii", "Андрій"),
    ("Iryna", "Ірина"),
    ("Oleksandr", "Олександр"),
    ("Natalia", "Наталія"),
    ("Serhii", "Сергій"),
    ("Kateryna", "Катерина"),
    ("Dmytro", "Дмитро"),
    ("Oksana", "Оксана"),
    ("Taras", "Тарас"),
    ("Yuliia", "Юлія"),
    ("Bohdan", "Богдан"),
    ("Halyna", "Галина"),
    ("Mykola", "Микола"),
    ("Sofiia", "Софія"),
    ("Vasyl", "Василь"),
    ("Tetiana", "Тетяна"),
    ("Yaroslav", "Ярослав"),
    ("Mariia", "Марія"),
    ("Roman", "Роман"),
)

FAMILY_NAMES: Final[tuple[Pair, ...]] = (
    ("Kovalenko", "Коваленко"),
    ("Bondarenko", "Бондаренко"),
    ("Tkachenko", "Ткаченко"),
    ("Shevchuk", "Шевчук"),
    ("Kravchenko", "Кравченко"),
    ("Melnyk", "Мельник"),
    ("Boiko", "Бойко"),
    ("Moroz", "Мороз"),
    ("Lysenko", "Лисенко"),
    ("Hrytsenko", "Гриценко"),
    ("Savchuk", "Савчук"),
    ("Petrenko", "Петренко"),
    ("Rudenko", "Руденко"),
    ("Marchenko", "Марченко"),
    ("Polishchuk", "Поліщук"),
    ("Oliinyk", "Олійник"),
)

FOREIGN_PEOPLE: Final[tuple[str, ...]] = (
    "Anna Keller",
    "James Whitfield",
    "Claire Dubois",
    "Marco Bellini",
    "Lars Madsen",
    "Petr Novak",
    "Kadri Tamm",
    "Mikko Laine",
    "Sarah Mitchell",
    "Jonas Weber",
    "Elise Martin",
    "Tom Peeters",
)

CANCEL_REASONS: Final[tuple[str, ...]] = (
    "Funding for this budget line was reallocated to urgent needs",
    "The technical specification must be revised after questions from suppliers",
    "The need was covered by a delivery under an existing framework agreement",
    "The end user's requirement changed",
)

QUESTIONS: Final[tuple[tuple[str, str, str], ...]] = (  # (title, question, answer)
    (
        "Delivery schedule",
        "May deliveries be split into several batches?",
        "Yes, in up to three batches as long as the final date is met.",
    ),
    (
        "Certificates",
        "Is a NATO AQAP 2110 certificate required or is ISO 9001 sufficient?",
        "ISO 9001 is sufficient; AQAP 2110 is an advantage in evaluation.",
    ),
    ("Packaging", "What packaging standard applies?", "Packaging per MIL-STD-2073 or the equivalent DSTU standard."),
    ("Warranty", "What warranty period is expected?", "At least 24 months from acceptance."),
    ("Samples", "Must samples be supplied with the bid?", "No, samples are requested from the winner only."),
    (
        "Delivery place",
        "Can the goods be delivered to a warehouse in Lviv instead?",
        "No, delivery is to the place stated in the item.",
    ),
)


def technical_proposal(supplier: str, tender: str, delivery_days: int) -> tuple[str, str]:
    """A bid's technical proposal: its title and a short plain-text body, in Ukrainian and English."""
    title = f"Технічна пропозиція / Technical proposal — {supplier}"
    text = (
        f"{title}\n\n"
        f"Закупівля / Tender: {tender}\n"
        f"Постачання протягом {delivery_days} днів після підписання договору / "
        f"Delivery within {delivery_days} days of contract signature.\n"
        "Відповідність технічним вимогам підтверджено; сертифікати додаються на вимогу замовника. / "
        "Compliance with the technical specifications is confirmed; certificates are provided on request.\n"
    )
    return title[:300], text
