"""A held-out-style probe volume: other headwords than the shared sample, every naming
convention of kkwiki.md, and the segmentation cases of volume-format.md (an acronym list
inside an article, a typist's slip in alphabetical order, letter groups with and without
dividers), written by docxgen with its truth computed from the same runs.

``python -m tests.probe_volume DIR`` writes ``DIR/probe.docx`` and ``DIR/probe.truth.json``
for ``score.py records`` / ``score.py pages``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from tests import docxgen as g
from tests.naming_volume import CONVENTIONS, convention_entry

E = g.article
_ROWS = {row.headword: convention_entry(row) for row in CONVENTIONS}


def _abbreviation() -> g.Entry:
    return E(
        "АББРЕВИАТУРА",
        "(итал. abbreviatura – қысқарту) – сөздердің бас әріптерінен не буындарынан "
        "құралған қысқарған атау.",
        title="Аббревиатура",
        more=[
            g.body("А. қазақ тілінде 20 ғ-дың басынан кең тарады. Мысалы:"),
            g.headline("АҚШ", "Америка Құрама Штаттары;"),
            g.headline("ТМД", "Тәуелсіз Мемлекеттер Достастығы;"),
            g.headline("ҚР", "Қазақстан Республикасы;"),
            g.headline("КСРО", "Кеңестік Социалистік Республикалар Одағы;"),
            g.headline("БҰҰ", "Біріккен Ұлттар Ұйымы."),
            g.body("А-лар жазуды үнемдейді, бірақ мәтінді түсінуді қиындатады."),
            g.literature("Қайдаров Ә., Қазақ тілінің өзекті мәселелері, А., 1998."),
        ],
        sig="Ә. Қайдар.",
    )


def _person() -> g.Entry:
    return E(
        [g.bold("ӘУЕЗОВ Мұхтар Омарханұлы")],
        [
            " (28.9.1897, Семей уезі – 27.6.1961, Мәскеу) – жазушы, ғалым. «Абай жолы» "
            "роман-эпопеясының авторы."
        ],
        dash="",
        title="Мұхтар Әуезов",
        kind="person",
        lead="Мұхтар Омарханұлы Әуезов",
        redirects=("Әуезов Мұхтар Омарханұлы",),
        title_alternatives=("Әуезов Мұхтар Омарханұлы", "Мұхтар Омарханұлы Әуезов"),
        more=[
            g.body("Ә. шығармалары көптеген тілдерге аударылды."),
            g.works("Абай жолы, 1–4 т., А., 1942–56."),
            g.literature("Нұрғалиев Р., Әуезов әлемі, А., 1997."),
        ],
        sig="Р. Нұрғалиев.",
    )


_MORE = (
    "Бұл туралы алғашқы деректер 19 ғ-дың орта шенінде жарияланды. Кейінгі зерттеулер "
    "оның тарихын, құрылымын және маңызын жан-жақты ашып көрсетті.",
    "Қазіргі кезде ол туралы мәліметтер оқулықтар мен анықтамалықтарда кеңінен "
    "беріледі; ғалымдар бұл тақырыпты әлі де зерттеп келеді.",
    "Оның атауы ел аузында сақталған аңыздар мен жазба деректерде жиі кездеседі. "
    "Бұл мәселе бойынша бірнеше ғылыми еңбек жазылды.",
)


def _longer(entry: g.Entry, n: int) -> g.Entry:
    """The entry with a continuation paragraph, so that it is as long as a real one."""
    blocks = (entry.blocks[0], g.body(_MORE[n % len(_MORE)]), *entry.blocks[1:])
    return replace(entry, blocks=blocks)


def probe_volume() -> g.Volume:
    """The probe volume, in Kazakh alphabetical order except one deliberate slip."""
    r = _ROWS
    blocks = [
        g.divider("А"),
        _abbreviation(),
        E("АБДОЛ", "көпжылдық шөптесін өсімдік.", title="Абдол"),
        r["«АЙҚАП»"],
        r["АЛМАТЫ-1"],
        r["АМЕРИКА ҚҰРАМА ШТАТТАРЫ"],
        g.divider("Ә"),
        r["ӘЛ-ХОРЕЗМИ Мұхаммед ибн Мұса"],
        _person(),
        g.divider("Б"),
        E(
            "БАЛҚАШ",
            [
                "Қазақстандағы көл. Аум. 16,4 мың км",
                g.sup("2"),
                ". Оған Іле өзені құяды ",
                *g.see("Іле", after="."),
            ],
            title="Балқаш",
            kind="place",
        ),
        r["БЕТА-СӘУЛЕЛЕР"],
        r["БІРІККЕН ҰЛТТАР ҰЙЫМЫ"],
        r["ДОСПАМБЕТ ЖЫРАУ"],
        r["«ЕҢБЕКШІ ҚАЗАҚ»"],
        r["ЖАЗУШЫЛАР ОДАҒЫ"],
        r["ЖӘНІБЕК хан"],
        r["ЖҮСІП БАЛАСАҒҰНИ"],
        r["ҚАБАНБАЙ БАТЫР (Ерасыл Қожағұлұлы)"],
        r["ҚАЗАҚ ӘДЕБИЕТІ"],
        r["«ҚАЗАҚ ӘДЕБИЕТІ»"],
        r["«ҚАЗАҚ» ГАЗЕТІ"],
        r["ҚАЗАҚ КЕҢЕСТІК СОЦИАЛИСТІК РЕСПУБЛИКАСЫ"],
        E(
            [g.bold("ҚАЙЫҢ", latin="А")],  # typed with Latin «A»
            " – қайыңдар тұқымдасына жататын ағаш.",
            dash="",
            title="Қайың",
        ),
        E(
            "ҚАРАҒАНДЫ",
            "Қарағанды облысының орталығы, қала. 1934 жылы құрылған.",
            title="Қарағанды",
            kind="place",
        ),
        r["ҚОРҚЫТ АТА"],
        r["МАХМҰД ҚАШҚАРИ"],
        r["РАЙЫМБЕК БАТЫР Түкеұлы"],
        r["ТӘУЕЛСІЗ МЕМЛЕКЕТТЕР ДОСТАСТЫҒЫ"],
        E("ТАРАЗ", "Жамбыл облысының орталығы, қала.", title="Тараз", kind="place"),  # slip
        r["ТОЛСТОЙ Лев Николаевич"],
        r["ТӨЛЕ БИ Әлібекұлы"],
        r["ТЯНЬ-ШАНЬ"],
        E("ІЛЕ", "Қазақстан мен Қытайдағы өзен.", title="Іле", kind="place"),
    ]
    return g.Volume(
        [_longer(b, n) if isinstance(b, g.Entry) else b for n, b in enumerate(blocks)],
        front_matter=[
            g.Para([g.bold("ҚАЗАҚ ЭНЦИКЛОПЕДИЯСЫ")], align="center"),
            g.Para([g.bold("А – Т")], align="center"),
        ],
        header_text="АББРЕВИАТУРА – ТӨЛЕ БИ",
    )


def write_probe(folder: Path) -> tuple[Path, Path]:
    """Write ``probe.docx`` and ``probe.truth.json`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    volume = probe_volume()
    docx = g.write_docx(volume, folder / "probe.docx")
    truth = folder / "probe.truth.json"
    truth.write_text(json.dumps(volume.records(), ensure_ascii=False, indent=1), "utf-8")
    return docx, truth


if __name__ == "__main__":  # pragma: no cover
    print(*write_probe(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
