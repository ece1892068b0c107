"""A generated volume with one article per naming convention of kkwiki.md (see naming.py).

``CONVENTIONS`` is the data: the headword as printed, the text after it, and the title, lead,
redirects and (some of the) title alternatives a parser must give. ``naming_volume`` writes
them as a volume in Kazakh alphabetical order; the probe volume (tests/probe_volume.py) and
the naming tests share it.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from tests import docxgen as g


class Convention(NamedTuple):
    """One row: headword as printed → what the page is called."""

    name: str
    headword: str
    rest: str  # the text after the bold headword (its dash included)
    title: str
    lead: str
    kind: Literal["person", "place", "other"] = "other"
    redirects: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()  # must be among the record's title_alternatives


C = Convention
CONVENTIONS: list[Convention] = [
    C(
        "quoted periodical",
        "«АЙҚАП»",
        " – 1911–15 жылдары Троицкіде шыққан қазақ журналы. Журнал ағартушылық бағытта болды.",
        "Айқап",
        "Айқап",
        alternatives=("«Айқап»", "Айқап (журнал)"),
    ),
    C(
        "hyphenated name with a number",
        "АЛМАТЫ-1",
        " – Алматы қаласындағы темір жол стансасы.",
        "Алматы-1",
        "Алматы-1",
        kind="place",
    ),
    C(
        "official name of a state",
        "АМЕРИКА ҚҰРАМА ШТАТТАРЫ",
        " (АҚШ) – Солтүстік Америкадағы мемлекет. АҚШ астанасы – Вашингтон.",
        "Америка Құрама Штаттары",
        "Америка Құрама Штаттары",
        kind="place",
    ),
    C(
        "arabic name kept as printed",
        "ӘЛ-ХОРЕЗМИ Мұхаммед ибн Мұса",
        " (780 – 850) – ортағасырлық математик, астроном.",
        "Әл-Хорезми Мұхаммед ибн Мұса",
        "Әл-Хорезми Мұхаммед ибн Мұса",
        kind="person",
        alternatives=("Әл-Хорезми",),
    ),
    C(
        "hyphenated term",
        "БЕТА-СӘУЛЕЛЕР",
        " – радиоактивті ыдырау кезінде шығатын электрондар ағыны; бета-сәулелер затқа енеді.",
        "Бета-сәулелер",
        "Бета-сәулелер",
    ),
    C(
        "official name of an international organisation",
        "БІРІККЕН ҰЛТТАР ҰЙЫМЫ",
        " – бейбітшілікті сақтау үшін құрылған халықаралық ұйым. БҰҰ 1945 жылы құрылды.",
        "Біріккен Ұлттар Ұйымы",
        "Біріккен Ұлттар Ұйымы",
    ),
    C(
        "epithet in capitals, no patronymic",
        "ДОСПАМБЕТ ЖЫРАУ",
        " (1490 – 1523) – ақын, жырау. Ноғайлы дәуірінің өкілі.",
        "Доспамбет жырау",
        "Доспамбет жырау",
        kind="person",
    ),
    C(
        "quoted newspaper",
        "«ЕҢБЕКШІ ҚАЗАҚ»",
        " – 1922 жылдан қазақ тілінде шыққан республикалық газет.",
        "Еңбекші қазақ",
        "Еңбекші қазақ",
        alternatives=("«Еңбекші қазақ»", "Еңбекші қазақ (газет)"),
    ),
    C(
        "institution in sentence case",
        "ЖАЗУШЫЛАР ОДАҒЫ",
        " – жазушыларды біріктіретін шығармашылық ұйым.",
        "Жазушылар одағы",
        "Жазушылар одағы",
    ),
    C(
        "epithet in lower case",
        "ЖӘНІБЕК хан",
        " (1428 – 1480) – Қазақ хандығының негізін салушылардың бірі.",
        "Жәнібек хан",
        "Жәнібек хан",
        kind="person",
    ),
    C(
        "historical name in capitals",
        "ЖҮСІП БАЛАСАҒҰНИ",
        " (1015/16, Баласағұн – ?) – ақын, ойшыл.",
        "Жүсіп Баласағұни",
        "Жүсіп Баласағұни",
        kind="person",
    ),
    C(
        "epithet with a real name in parentheses",
        "ҚАБАНБАЙ БАТЫР (Ерасыл Қожағұлұлы)",
        " (1691 – 1770) – қолбасшы.",
        "Қабанбай батыр",
        "Қабанбай батыр",
        kind="person",
    ),
    C(
        "subject sharing its name with a quoted work",
        "ҚАЗАҚ ӘДЕБИЕТІ",
        " – қазақ халқының сөз өнері, ауыз әдебиеті мен жазба әдебиетінің жиынтығы.",
        "Қазақ әдебиеті",
        "Қазақ әдебиеті",
    ),
    C(
        "quoted work named like a subject",
        "«ҚАЗАҚ ӘДЕБИЕТІ»",
        " – Алматыда шығатын апталық газеті.",
        "Қазақ әдебиеті (газет)",
        "Қазақ әдебиеті",
        alternatives=("«Қазақ әдебиеті»",),
    ),
    C(
        "quoted name with its kind in the headword",
        "«ҚАЗАҚ» ГАЗЕТІ",
        " – 1913 – 18 жылдары Орынборда шыққан.",
        "Қазақ (газет)",
        "«Қазақ» газеті",
        alternatives=("Қазақ", "«Қазақ»", "Қазақ газеті"),
    ),
    C(
        "soviet republic",
        "ҚАЗАҚ КЕҢЕСТІК СОЦИАЛИСТІК РЕСПУБЛИКАСЫ",
        " – 1936 – 91 жылдары КСРО құрамында болған одақтас республика.",
        "Қазақ Кеңестік Социалистік Республикасы",
        "Қазақ Кеңестік Социалистік Республикасы",
    ),
    C(
        "epithet after a name, a century",
        "ҚОРҚЫТ АТА",
        " (8 – 9 ғғ.) – ойшыл, жырау.",
        "Қорқыт ата",
        "Қорқыт ата",
        kind="person",
    ),
    C(
        "historical name in capitals, a century",
        "МАХМҰД ҚАШҚАРИ",
        " (11 ғ.) – ғалым, тілші.",
        "Махмұд Қашқари",
        "Махмұд Қашқари",
        kind="person",
    ),
    C(
        "epithet in capitals with patronymic",
        "РАЙЫМБЕК БАТЫР Түкеұлы",
        " (1705 – 1785) – қолбасшы, батыр.",
        "Райымбек батыр",
        "Райымбек батыр Түкеұлы",
        kind="person",
        redirects=("Райымбек батыр Түкеұлы",),
        alternatives=("Райымбек батыр Түкеұлы", "Райымбек Түкеұлы"),
    ),
    C(
        "official name with its acronym",
        "ТӘУЕЛСІЗ МЕМЛЕКЕТТЕР ДОСТАСТЫҒЫ",
        " (ТМД) – 1991 жылы құрылған бірлестік.",
        "Тәуелсіз Мемлекеттер Достастығы",
        "Тәуелсіз Мемлекеттер Достастығы",
    ),
    C(
        "russian name with patronymic",
        "ТОЛСТОЙ Лев Николаевич",
        " (9.9.1828, Ясная Поляна – 20.11.1910, Астапово) – орыс жазушысы.",
        "Лев Толстой",
        "Лев Николаевич Толстой",
        kind="person",
        redirects=("Толстой Лев Николаевич",),
        alternatives=("Толстой Лев Николаевич", "Толстой Лев"),
    ),
    C(
        "epithet after a short name",
        "ТӨЛЕ БИ Әлібекұлы",
        " (1663 – 1756) – би, шешен.",
        "Төле би",
        "Төле би Әлібекұлы",
        kind="person",
        redirects=("Төле би Әлібекұлы",),
        alternatives=("Төле би Әлібекұлы", "Төле Әлібекұлы"),
    ),
    C(
        "hyphenated place name",
        "ТЯНЬ-ШАНЬ",
        " – Орталық Азиядағы тау жүйесі.",
        "Тянь-Шань",
        "Тянь-Шань",
        kind="place",
    ),
]


def convention_entry(row: Convention) -> g.Entry:
    """The row as a docxgen entry (headword bold, then the rest as one run)."""
    return g.article(
        [g.bold(row.headword)],
        row.rest,
        dash="",
        title=row.title,
        kind=row.kind,
        lead=row.lead,
        redirects=row.redirects,
        title_alternatives=row.alternatives,
    )


def naming_volume() -> g.Volume:
    """Every convention as an article, after front matter, in alphabetical order."""
    return g.Volume(
        [convention_entry(row) for row in CONVENTIONS],
        front_matter=[g.Para([g.bold("ҚАЗАҚ ЭНЦИКЛОПЕДИЯСЫ")], align="center")],
    )
