"""Parser conventions, one row per convention of volume-format.md, on generated .docx files.

Each case describes articles with tests/docxgen.py; the expected record is computed by the
generator from the same runs it writes, so the expectation is never typed twice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import docxgen as g
from uploader.model import Kind, Role
from uploader.parse.records import article_record
from uploader.parse.volume import iter_articles
from uploader.report import Report

COMPARED = (
    "headword",
    "title",
    "text",
    "signature",
    "crossrefs",
    "sup",
    "sub",
    "has_table",
    "tables",
    "has_picture",
    "captions",
    "legacy_font",
    "kind",
)


def _parse(tmp_path: Path, volume: g.Volume) -> tuple[list[dict[str, Any]], Report]:
    path = tmp_path / "vol.docx"
    g.write_docx(volume, path)
    report = Report()
    return [article_record(a) for a in iter_articles(path, report)], report


def _check(
    tmp_path: Path, *entries: g.Entry | g.Para, styles: tuple[g.Style, ...] = ()
) -> list[dict[str, Any]]:
    volume = g.Volume(
        [g.divider("А"), *entries],
        front_matter=[
            g.Para([g.bold("ҚАЗАҚ ЭНЦИКЛОПЕДИЯСЫ")], align="center"),
            g.Para([g.bold("А – Б")], align="center"),
        ],
        styles=styles,
        header_text="АБАЙ – АБАҚ",
    )
    got, report = _parse(tmp_path, volume)
    expected = volume.records()
    assert [r["headword"] for r in got] == [e["headword"] for e in expected]
    for record, truth in zip(got, expected, strict=True):
        for key in COMPARED:
            assert record[key] == truth[key], (truth["headword"], key)
    assert not report.quarantined
    return got


E = g.article
CASES: list[tuple[str, list[g.Entry | g.Para]]] = [
    ("en dash", [E("АҚТӨБЕ", "облыс орталығы, қала.", title="Ақтөбе", kind="place")]),
    (
        "em dash",
        [E("АЛМАТЫ", "республикалық маңызы бар қала.", title="Алматы", kind="place", dash=" — ")],
    ),
    ("hyphen", [E("АРҚАР", "қуыс мүйізділер тұқымдасына жататын аң.", title="Арқар", dash=" - ")]),
    (
        "person surname first",
        [
            E(
                [g.bold("ӘУЕЗОВ Мұхтар Омарханұлы")],
                " (28.9.1897, Семей уезі – 27.6.1961, Мәскеу) – жазушы, ғалым.",
                dash="",
                title="Мұхтар Әуезов",
                kind="person",
                lead="Мұхтар Омарханұлы Әуезов",
            )
        ],
    ),
    (
        "person name first",
        [
            E(
                [g.bold("АМАНЖОЛ Шалтаев")],
                " (1912, сонда – 1990, Алматы) – ақын.",
                dash="",
                title="Аманжол Шалтаев",
                kind="person",
            )
        ],
    ),
    (
        "nickname in bold",
        [
            E(
                [g.bold("АБАЙ (Ибраһим) Құнанбайұлы")],
                " (10.8.1845 – 6.7.1904) – ақын.",
                dash="",
                title="Абай Құнанбайұлы",
                kind="person",
            )
        ],
    ),
    (
        "ruler",
        [
            E(
                [g.bold("АБЫЛАЙ хан")],
                " (1711–1781) – қазақ ханы.",
                dash="",
                title="Абылай хан",
                kind="person",
            )
        ],
    ),
    (
        "born year only",
        [
            E(
                [g.bold("АЙТБАЕВ Өмірзақ")],
                " (1924 ж. т., Алматы обл.) – тарихшы.",
                dash="",
                title="Өмірзақ Айтбаев",
                kind="person",
            )
        ],
    ),
    (
        "etymology",
        [
            E(
                "АББРЕВИАТУРА",
                [
                    g.Run(" (итал. "),
                    g.italic("abbreviatura"),
                    g.Run(" – қысқарту) – сөздің қысқартылған түрі."),
                ],
                dash="",
                title="Аббревиатура",
            )
        ],
    ),
    (
        "formula after comma",
        [
            E(
                [g.bold("АЗОТ ҚЫШҚЫЛЫ, HNO"), g.sub("3", bold=True)],
                " – күшті бір негізді қышқыл.",
                title="Азот қышқылы",
            )
        ],
    ),
    (
        "bold acronym continuation",
        [
            E(
                "АЛАШ",
                "қазақ халқының ұлттық-демократиялық қозғалысы.",
                title="Алаш",
                more=[
                    g.body(g.bold("КСРО"), " тұсында қозғалыс жетекшілері қуғын-сүргінге ұшырады.")
                ],
            )
        ],
    ),
    (
        "bold lower-case sub-term",
        [
            E(
                "АТ",
                "жылқы малының еркегі.",
                title="Ат",
                more=[g.body(g.bold("жорға"), " – аяңы ерекше ат.")],
            )
        ],
    ),
    (
        "letter-spaced sub-term",
        [
            E(
                "АЙТЫС",
                "ақындардың сөз жарысы.",
                title="Айтыс",
                more=[
                    g.body(g.spaced("Қайым", bold_=True), " – қысқа айтыс."),
                    g.body(g.Run("ТӨРЕШІ", bold=True, spacing=60), " – айтысты бағалаушы."),
                ],
            )
        ],
    ),
    (
        "title-case bold sub-term",
        [
            E(
                "АЙМАҚ",
                "аумақтық бірлік.",
                title="Аймақ",
                more=[g.body(g.bold("Орта аймақ"), " – еліміздің орталығы.")],
            )
        ],
    ),
    (
        "numbered senses",
        [E("АЙ", "1) Жердің серігі; 2) жыл мезгілінің он екіден бір бөлігі.", title="Ай")],
    ),
    (
        "cross-references",
        [
            E(
                "АҚСАЙ",
                [
                    "Батыс Қазақстан обл-ндағы қала ",
                    *g.see("Бөрлі ауданы"),
                    ". Тағы ",
                    *g.see("Қарашығанақ", paren=False),
                    ".",
                ],
                title="Ақсай",
                kind="place",
            )
        ],
    ),
    (
        "list of cross-references",
        [
            E(
                "АҚТАБАН",
                [
                    "1723 ж. жойқын шапқыншылық ",
                    g.Run("(қ. "),
                    g.italic("Аңырақай", xref="Аңырақай"),
                    g.Run(", "),
                    g.italic("Бұланты", xref="Бұланты"),
                    g.Run(")."),
                ],
                title="Ақтабан",
            )
        ],
    ),
    (
        "works and literature",
        [
            E(
                [g.bold("АЙМАУЫТОВ Жүсіпбек")],
                " (1889–1931) – жазушы.",
                dash="",
                title="Жүсіпбек Аймауытов",
                kind="person",
                more=[
                    g.works("Шығ. жинағы, 5 т., А., 1996–98."),
                    g.literature("Әуезов М., Әдебиет тарихы, А., 1991."),
                ],
                sig="Т. Жұртбай.",
            )
        ],
    ),
    (
        "two-author signature",
        [
            E(
                "АЛТАЙ",
                "Азияның орталығындағы тау жүйесі.",
                title="Алтай",
                kind="place",
                sig="А. Медеуов, Б. Сейтов.",
            )
        ],
    ),
    (
        "superscript and subscript",
        [
            E(
                "АУДАН",
                [
                    "3530 км",
                    g.sup("2"),
                    ", ағыны 8 м",
                    g.sup("3"),
                    "/с; H",
                    g.sub("2"),
                    "SO",
                    g.sub("4"),
                    ", 7,35·10",
                    g.sup("22"),
                    " кг.",
                ],
                title="Аудан",
            )
        ],
    ),
    (
        "table",
        [
            E(
                "АҚМОЛА ОБЛЫСЫ",
                "ҚР-ның солтүстігіндегі облыс.",
                title="Ақмола облысы",
                kind="place",
                more=[
                    g.body("Аудандары:"),
                    g.Table([["АУДАН", "ОРТАЛЫҒЫ"], ["Астрахан", "Астраханка а."]], header=True),
                    g.body("Облыс астықты аймақ."),
                ],
            )
        ],
    ),
    (
        "picture and caption",
        [
            E(
                [g.bold("АЛТЫНСАРИН Ыбырай")],
                " (1841–1889) – ағартушы.",
                dash="",
                title="Ыбырай Алтынсарин",
                kind="person",
                more=[g.Picture(g.tiny_png(), caption="Ы. Алтынсарин."), g.body("Мектептер ашты.")],
            )
        ],
    ),
    (
        "same headword twice",
        [
            E("АҚСУ", "Жетісудағы өзен, Балқаш көліне құяды.", title="Ақсу (өзен)", kind="place"),
            E("АҚСУ", "Павлодар обл-ндағы қала.", title="Ақсу (қала)", kind="place"),
        ],
    ),
    (
        "legacy font run",
        [E([g.kz("АҚЫН", bold=True)], [g.kz("өлең шығарушы, жырлаушы.")], title="Ақын")],
    ),
    (
        "legacy PT154 run",
        [E([g.pt("АҒАШ", bold=True)], [g.pt("көп жылдық сүрек өсімдік.")], title="Ағаш")],
    ),
    (
        "legacy mixed in one paragraph",
        [
            E(
                "АҚЫЛ",
                [g.Run("адамның "), g.kz("ойлау қабілеті, "), g.Run("парасаты.")],
                title="Ақыл",
            )
        ],
    ),
    (
        "legacy via paragraph style",
        [
            g.Entry(
                (
                    g.Para(
                        [
                            g.Run("АҚҚУ", bold=True, legacy="kz1048"),
                            g.Run(" – үйректер тұқымдасына жататын құс.", legacy="kz1048"),
                        ],
                        style=g.LEGACY_STYLE,
                        indent=True,
                    ),
                ),
                title="Аққу",
            )
        ],
    ),
    (
        "word noise",
        [
            E(
                [g.bold("АЛА"), g.proof_err(), g.bold("КӨЛ ")],
                [
                    "Балқаш–Алакөл ойпатын",
                    g.NBSP,
                    "алып жат",
                    g.SOFT_HYPHEN,
                    "қан көл; ұз",
                    g.SOFT_HYPHEN_EL,
                    "ы 104 км,\tтереңд.",
                    g.NB_HYPHEN_EL,
                    "54 м.\nТұзды.",
                ],
                dash="– ",
                title="Алакөл",
                kind="place",
                more=[g.page_break(), g.empty(), g.body("Жағасы жазық.")],
            )
        ],
    ),
    (
        "quoted headword",
        [E("«АНА ТІЛІ»", "апталық газет, 1990 ж. шыға бастады.", title="Ана тілі")],
    ),
    (
        "proper noun kept in title",
        [
            E(
                "ІЛЕ АЛАТАУЫ",
                [
                    "Тянь-Шаньның солт. жотасы; Іле Алатауының ең биік ",
                    "нүктесі – Талғар шыңы (Жетісу Алатауы мен Іле Алатауы арасы).",
                ],
                title="Іле Алатауы",
                kind="place",
            )
        ],
    ),
    (
        "common noun lower-cased in title",
        [E("АҚ ҚАЙЫҢ", "қайың тұқымдасына жататын ағаш; ақ қайың тоғайы.", title="Ақ қайың")],
    ),
    (
        "headword opening with a year",
        [
            E(
                "1916 ЖЫЛҒЫ КӨТЕРІЛІС",
                "патша өкіметіне қарсы ұлт-азаттық көтеріліс.",
                title="1916 жылғы көтеріліс",
            )
        ],
    ),
    (
        "russian name with patronymic",
        [
            E(
                [g.bold("ТОЛСТОЙ Лев Николаевич")],
                " (9.9.1828, Ясная Поляна – 20.11.1910) – жазушы.",
                dash="",
                title="Лев Толстой",
                kind="person",
            )
        ],
    ),
    ("roman numeral in headword", [E("XX ҒАСЫР", "1901 – 2000 жылдар аралығы.", title="XX ғасыр")]),
    (
        "all-caps line inside an article",
        [
            E(
                "АБЫЗ",
                "көне дәуірдегі емші.",
                title="Абыз",
                more=[g.body(g.bold("ТАРИХЫ")), g.body("Абыздар туралы деректер аз.")],
            )
        ],
    ),
]


@pytest.mark.parametrize(("name", "entries"), CASES, ids=[c[0] for c in CASES])
def test_parser_convention(tmp_path: Path, name: str, entries: list[g.Entry | g.Para]) -> None:
    _check(tmp_path, *entries, styles=())


def test_parser_skips_front_matter_dividers_and_running_heads(tmp_path: Path) -> None:
    volume = g.Volume(
        [
            g.divider("А"),
            E("АҚТАУ", "Маңғыстау обл-ның орт., қала.", title="Ақтау"),
            g.Para([g.bold("АҚТАУ – АЛМАТЫ")]),
            g.section_break("АҚТАУ – АЛМАТЫ"),
            g.divider("Ә"),
            E("ӘНШІ", "ән салатын өнерпаз.", title="Әнші"),
        ],
        front_matter=[
            g.Para([g.bold("ҚАЗАҚ ЭНЦИКЛОПЕДИЯСЫ")], align="center"),
            g.Para("Бірінші том", align="center"),
            g.Para([g.bold("А – Ә")]),
        ],
    )
    got, _ = _parse(tmp_path, volume)
    assert [(r["headword"], r["text"]) for r in got] == [
        (e["headword"], e["text"]) for e in volume.records()
    ]


def test_parser_roles_and_source_positions(tmp_path: Path) -> None:
    entry = CASES[[c[0] for c in CASES].index("works and literature")][1][0]
    path = tmp_path / "v.docx"
    g.write_docx(g.Volume([entry]), path)
    (article,) = iter_articles(path, volume="1")
    assert [p.role for p in article.paragraphs] == [
        Role.BODY,
        Role.WORKS,
        Role.LITERATURE,
        Role.SIGNATURE,
    ]
    assert article.kind is Kind.PERSON and article.volume == "1"
    assert article.source.file == "v.docx" and article.source.start == 0
    assert article.redirects == ("Аймауытов Жүсіпбек",)


def test_parser_empty_volume_warns(tmp_path: Path) -> None:
    got, report = _parse(
        tmp_path, g.Volume([], front_matter=[g.Para("Тек титул беті", align="center")])
    )
    assert got == []
    assert any("no articles" in w for w in report.warnings)


def test_parser_quarantines_a_failing_article(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uploader.parse.volume as parser_module

    real = parser_module.structure

    def flaky(blocks: Any, pkg: Any) -> Any:
        if "БҰЗЫҚ" in blocks[0].text:
            raise ValueError("simulated damage")
        return real(blocks, pkg)

    monkeypatch.setattr(parser_module, "structure", flaky)
    volume = g.Volume(
        [
            E("АЛМА", "жеміс ағашы.", title="Алма"),
            E("БҰЗЫҚ", "мақала.", title="Бұзық"),
            E("БАЛЫҚ", "су жануары.", title="Балық"),
        ]
    )
    got, report = _parse(tmp_path, volume)
    assert [r["title"] for r in got] == ["Алма", "Балық"]
    (q,) = report.quarantined
    assert q.headword == "БҰЗЫҚ" and "simulated damage" in q.reason and q.source.start == 1


def test_parser_huge_paragraph_streams(tmp_path: Path) -> None:
    words = "өзен ағады, " * 17000  # about 200,000 characters in one paragraph
    volume = g.Volume([E("АЛҰЗЫН", words, title="Алұзын"), E("БАЛҰЗЫН", "қысқа.", title="Балұзын")])
    got, _ = _parse(tmp_path, volume)
    assert [r["title"] for r in got] == ["Алұзын", "Балұзын"]
    assert len(got[0]["text"]) > 200_000


def test_parser_quarantines_an_unreadable_paragraph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uploader.parse.blocks as blocks_module

    real = blocks_module._Reader.paragraph

    def fragile(self: Any, p: Any, index: int) -> Any:
        if "тосын" in "".join(p.itertext()):
            raise KeyError("w:unexpected")
        return real(self, p, index)

    monkeypatch.setattr(blocks_module._Reader, "paragraph", fragile)
    volume = g.Volume(
        [
            E("АЛМА", "жеміс ағашы.", title="Алма"),
            E("БАЛА", "жас адам.", title="Бала", more=[g.body("тосын құрылым.")]),
            E("ВАЗА", "ыдыс.", title="Ваза"),
        ]
    )
    got, report = _parse(tmp_path, volume)
    assert [r["title"] for r in got] == ["Алма", "Ваза"]
    (q,) = report.quarantined
    assert q.headword == "БАЛА" and "¶2 could not be read: KeyError" in q.reason
