"""Word quirks read as printed, one row per quirk, on generated .docx volumes.

Each row describes an article with tests/docxgen.py; the expected record is computed by the
generator from the same description it writes, so the expectation is never typed twice. What
a reader never sees (hidden, deleted and comment text, field codes, Fallback copies) must be in
no record; what is not converted (equations, footnotes, charts, objects) must be flagged.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest

from tests import docxgen as g
from uploader.errors import InputError
from uploader.parse.records import article_record
from uploader.parse.volume import iter_articles
from uploader.report import Report, Review

COMPARED = ("headword", "text", "signature", "sup", "sub", "has_table", "tables", "legacy_font")
# Words that only hidden, deleted, comment, field-code or fallback text holds.
NEVER_PRINTED = (
    "ЖАСЫРЫН",
    "ӨШІРІЛГЕН",
    "КӨШІРІЛГЕН",
    "ПІКІР",
    "КОДЫ",
    "HYPERLINK",
    "ЕСКІ",
    "ІЗДЕМЕ",
)
_V = 'xmlns:v="urn:schemas-microsoft-com:vml"'
_O = 'xmlns:o="urn:schemas-microsoft-com:office:office"'
OLE_OBJECT = g.Noise(
    f'<w:r><w:object w:dxaOrig="900" w:dyaOrig="300"><v:shape {_V} id="_x0000_i1025" '
    'style="width:45pt;height:15pt"/><o:OLEObject '
    f'{_O} Type="Embed" ProgID="Equation.3" ShapeID="_x0000_i1025" DrawAspect="Content" '
    'ObjectID="_1"/></w:object></w:r>'
)
CHART = g.Noise(
    '<w:r><w:drawing><wp:inline><wp:extent cx="3000000" cy="2000000"/><wp:docPr id="77" '
    'name="Chart 1"/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/'
    'drawingml/2006/chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/'
    '2006/chart" r:id="rId77"/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>'
)
NUMBERING = (
    g.NumList(1),
    g.NumList(2, (g.NumLevel("decimal", "%1."), g.NumLevel("russianLower", "%2)"))),
    g.NumList(3, restart=5),
    g.NumList(4, (g.NumLevel("upperRoman", "%1."), g.NumLevel("lowerLetter", "%1.%2"))),
    g.NumList(5, (g.NumLevel("bullet", "–"),)),
)


# (id, definition runs, further blocks, extra left-out words expected in the review)
QUIRKS: list[tuple[str, list[Any], list[g.Block], tuple[str, ...]]] = [
    ("hidden-direct", ["ақын ", g.Run("ЖАСЫРЫН сөз ", hidden=True), "және ойшыл."], [], ()),
    (
        "hidden-char-style",
        ["өзен ", g.Run("ЖАСЫРЫН ", char_style=g.HIDDEN_CHAR_STYLE), "ағады."],
        [],
        (),
    ),
    (
        "hidden-para-style",
        ["қала."],
        [g.Para("ЖАСЫРЫН абзац.", style=g.HIDDEN_PARA_STYLE), g.body("Көрінетін абзац.")],
        (),
    ),
    (
        "symbols",
        [
            "ауа темп-расы 20",
            g.Sym("F0B0", "°"),
            "C, ауытқу ",
            g.Sym("F0B1", "±"),
            "2, ауданы 3",
            g.Sym("F0B4", "×"),
            "4 км, бұрышы 5",
            g.Sym("B0", "°"),
            ".",
        ],
        [],
        (),
    ),
    (
        "deleted-paragraph-mark",
        ["тау жотасы."],
        [
            g.body("Ұзындығы 200 км, ", "биікт", mark_deleted=True),
            g.Para([g.Run("ігі 3000 м.")]),
        ],
        (),
    ),
    (
        "tracked-changes",
        [
            "көл ",
            g.Removed((g.Run("ӨШІРІЛГЕН сөз "),)),
            g.tracked_insert(g.Run("қосылған ")),
            g.Removed((g.Run("КӨШІРІЛГЕН "),), tag="w:moveFrom"),
            g.Group("w:moveTo", (g.Run("көшкен "),), (("w:id", "5"), ("w:author", "Р"))),
            "мәтін.",
        ],
        [],
        (),
    ),
    (
        "comments",
        ["ел, ", g.Comment("ПІКІР мәтіні", (g.Run("белгіленген"),)), " сөз."],
        [],
        (),
    ),
    (
        "fields",
        [
            "бет (",
            g.Field(' HYPERLINK "http://example.org" ', (g.Run("сілтеме"),), "КОДЫ ішінде"),
            ", ",
            g.Field(" PAGE ", (g.Run("12"),)),
            ")",
        ],
        [],
        (),
    ),
    (
        "nested-table",
        ["кесте."],
        [
            g.Table(
                [
                    ["Атауы", "Мәні"],
                    [
                        "Су",
                        g.Nested(
                            (g.Para("сыртқы"), g.Table([["ішкі 1", "ішкі 2"], ["ішкі 3", ""]]))
                        ),
                    ],
                ],
                header=True,
            )
        ],
        (),
    ),
    (
        "text-box-choice-and-fallback",
        ["сурет."],
        [g.body("Мәтін жолы.", g.TextBox((g.Para("Қорап мәтіні."), g.Para("Екінші жол."))))],
        (),
    ),
    (
        "text-box-vml",
        ["аймақ."],
        [g.body("Жол.", g.TextBox((g.Para("VML қорап."),), choice=False))],
        (),
    ),
    (
        "text-box-drawingml",
        ["жер."],
        [g.Para([g.TextBox((g.Para("Тек DrawingML."),), fallback=False)])],
        (),
    ),
    (
        "alternate-content",
        ["бас ", g.Alternate((g.Run("таңдау"),), (g.Run("ЕСКІ нұсқа"),)), " соң."],
        [],
        (),
    ),
    (
        "numbering-decimal",
        ["сөз мағыналары:"],
        [g.Para("бірінші мағына;", num=(1, 0)), g.Para("екінші мағына.", num=(1, 0))],
        (),
    ),
    (
        "numbering-levels",
        ["тізім:"],
        [
            g.Para("бөлім;", num=(2, 0)),
            g.Para("тармақ;", num=(2, 1)),
            g.Para("тармақ;", num=(2, 1)),
            g.Para("бөлім;", num=(2, 0)),
            g.Para("тармақ.", num=(2, 1)),
        ],
        (),
    ),
    ("numbering-start-override", ["тізім:"], [g.Para("бесінші.", num=(3, 0))], ()),
    (
        "numbering-roman-and-bullet",
        ["тізім:"],
        [
            g.Para("бір;", num=(4, 0)),
            g.Para("ішкі;", num=(4, 1)),
            g.Para("белгі.", num=(5, 0)),
        ],
        (),
    ),
    (
        "equation-inline",
        ["формула ", g.Math(("E=m", ("sup", "c", "2"))), " белгілі."],
        [],
        (),
    ),
    (
        "equation-display",
        ["теңдеу:"],
        [g.Para([g.Math((("frac", "a", "b"), "+", ("sub", "x", "1")), display=True)])],
        (),
    ),
    ("footnote", ["мәтін", g.Footnote("ІЗДЕМЕ мәтіні"), " соңы."], [], ()),
    ("ole-object", ["өрнек ", OLE_OBJECT, " түрі."], [], ("embedded object",)),
    ("chart", ["диаграмма:"], [g.body("Сурет ", CHART, " көрсетеді.")], ("chart",)),
    ("chart-alone", ["график:"], [g.Para([CHART]), g.body("Соңы.")], ("chart",)),
    (
        "cp1252-legacy-font",
        [g.Run("Қазақстан Республикасындағы өзен", legacy="cp1252", font=g.KZ_FONT)],
        [],
        (),
    ),
    ("cp1252-no-font", [g.Run("Әліппе және Өнер, Ұлы қаған", legacy="cp1252")], [], ()),
    ("cp1252-kazakh-letters", [g.Run("Әліппе мен қазақ тілі", legacy="cp1252-kazakh")], [], ()),
    ("latin-stays-latin", ["неміс. Müller, франц. café, исл. Þórsá."], [], ()),
    ("latin-in-legacy-font", ["франц. ", g.Run("café", font=g.KZ_FONT), "."], [], ()),
    ("signs-stay-signs", ["көлемі ", g.Run("3×4×5×6"), " м, ", g.Run("6÷2"), "."], [], ()),
    (
        "symbol-font-pua",
        ["бұрыш 30", g.Run("°±", legacy="symbol", font="Symbol"), "5."],
        [],
        (),
    ),
    ("symbol-pua-text-font", ["көбейту 3", g.Run("×", legacy="symbol"), "4, 20°C."], [], ()),
    ("symbol-pua-mixed", [g.Run("температура 20°C, ≈ 5", legacy="symbol")], [], ()),
    (
        "symbol-font-ascii",
        ["тұрақты ", g.Run("απ", legacy="symbol-ascii", font="Symbol"), "."],
        [],
        (),
    ),
]
_HEADWORDS = [
    "АБАЙ",
    "АБАҚ",
    "АБАЛЫ",
    "АБАТ",
    "АБДАЛ",
    "АБЗАЛ",
    "АБЫЗ",
    "АБЫЛАЙ",
    "АДАЙ",
    "АДАМ",
    "АЖАР",
    "АЗАТ",
    "АЙДАР",
    "АЙНА",
    "АЙТЫС",
    "АҚЖОЛ",
    "АҚСУ",
    "АҚТАУ",
    "АЛАТАУ",
    "АЛМАТЫ",
    "АЛТАЙ",
    "АМАН",
    "АНАР",
    "АРАЛ",
    "АРДАҚ",
    "АРМАН",
    "АСАН",
    "АСТАНА",
    "АТАУ",
    "АУЫЛ",
    "АШЫҚ",
    "АЮ",
    "АЯ",
]
assert len(_HEADWORDS) >= len(QUIRKS)


def _entry(k: int) -> g.Entry:
    _, rest, more, _ = QUIRKS[k]
    head = _HEADWORDS[k]
    return g.article(head, rest, title=head.capitalize(), more=more)


def _volume(entries: list[g.Entry], **kw: Any) -> g.Volume:
    return g.Volume(
        [g.divider("А"), *entries],
        front_matter=[g.Para([g.bold("ҚАЗАҚ ЭНЦИКЛОПЕДИЯСЫ")], align="center")],
        numbering=NUMBERING,
        **kw,
    )


def _parse(tmp_path: Path, volume: g.Volume) -> tuple[list[dict[str, Any]], Report]:
    path = g.write_docx(volume, tmp_path / "vol.docx")
    report = Report()
    return [article_record(a) for a in iter_articles(path, report)], report


def _assert_records(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [r["headword"] for r in got] == [e["headword"] for e in expected]
    for record, truth in zip(got, expected, strict=True):
        for key in COMPARED:
            assert record[key] == truth[key], (record["headword"], key)


def _left_out_expected(k: int) -> list[str]:
    entry = _entry(k)
    words = [w for b in entry.blocks if isinstance(b, g.Para) for w in g.left_out(b)]
    return words + list(QUIRKS[k][3])


@pytest.mark.parametrize("k", range(len(QUIRKS)), ids=[q[0] for q in QUIRKS])
def test_word_quirk_reads_as_printed(tmp_path: Path, k: int) -> None:
    volume = _volume([_entry(k)])
    got, report = _parse(tmp_path, volume)
    _assert_records(got, volume.records())
    flagged = [item for item in report.review if item.kind is Review.LEFT_OUT]
    expected = _left_out_expected(k)
    assert len(flagged) == len(expected), [f.reason for f in flagged]
    for item, word in zip(flagged, expected, strict=True):
        assert word in item.reason and "¶" in item.where
        assert item.headword == got[0]["headword"]


def test_word_quirks_never_publish_unprinted_text(tmp_path: Path) -> None:
    volume = _volume([_entry(k) for k in range(len(QUIRKS))])
    got, report = _parse(tmp_path, volume)
    _assert_records(got, volume.records())
    dumped = json.dumps(got, ensure_ascii=False)
    for word in NEVER_PRINTED:
        assert word not in dumped, word
    assert "\ufffd" not in dumped and not any(0xF020 <= ord(c) <= 0xF0FF for c in dumped)
    counts = report.review_counts()
    assert counts["left_out"] == sum(len(_left_out_expected(k)) for k in range(len(QUIRKS)))


def test_word_quirk_equation_keeps_its_plain_text(tmp_path: Path) -> None:
    k = next(i for i, q in enumerate(QUIRKS) if q[0] == "equation-inline")
    got, report = _parse(tmp_path, _volume([_entry(k)]))
    assert "E=mc2" in got[0]["text"] and got[0]["sup"] == ["2"]
    (item,) = [i for i in report.review if i.kind is Review.LEFT_OUT]
    assert "«E=mc2»" in item.reason


PACKAGES = [
    ("main-part-renamed", {"main_part": "word/main.xml"}),
    ("main-part-elsewhere", {"main_part": "content/body.xml"}),
    ("strict", {"strict": True}),
    ("strict-main-part-renamed", {"strict": True, "main_part": "word/document2.xml"}),
]


@pytest.mark.parametrize("kw", [p[1] for p in PACKAGES], ids=[p[0] for p in PACKAGES])
def test_word_package_main_part_and_strict_read(tmp_path: Path, kw: dict[str, Any]) -> None:
    picked = [
        "hidden-char-style",
        "symbols",
        "numbering-levels",
        "text-box-choice-and-fallback",
        "equation-inline",
    ]
    entries = [_entry(k) for k, q in enumerate(QUIRKS) if q[0] in picked]
    pic = g.Picture(g.tiny_png(), caption="Сурет.")
    last = g.article("АУЫЛ", "елді мекен.", title="Ауыл", more=[pic])
    legacy = g.article(  # a legacy font set by a paragraph style
        "АЯҚ", "мүше.", title="Аяқ", more=[g.Para("Аяқ туралы мәтін.", style=g.LEGACY_STYLE)]
    )
    volume = _volume([*entries, last, legacy], **kw)
    got, _ = _parse(tmp_path, volume)
    _assert_records(got, volume.records())
    assert got[-2]["has_picture"]
    with zipfile.ZipFile(tmp_path / "vol.docx") as zf:
        assert (kw.get("main_part", "word/document.xml") in zf.namelist()) is True
        if kw.get("strict"):
            assert b"purl.oclc.org/ooxml/wordprocessingml" in zf.read(
                kw.get("main_part", "word/document.xml")
            )


def test_word_quirks_volume_opens_with_python_docx(tmp_path: Path) -> None:
    path = g.write_docx(_volume([_entry(k) for k in range(len(QUIRKS))]), tmp_path / "q.docx")
    document = docx.Document(str(path))  # an independent reader accepts what is written
    assert len(document.paragraphs) > len(QUIRKS) and len(document.tables) == 1


def test_word_quirk_imported_document_is_reported(tmp_path: Path) -> None:
    src = g.write_docx(_volume([_entry(0), _entry(1)]), tmp_path / "src.docx")
    with zipfile.ZipFile(src) as zf:
        xml = zf.read("word/document.xml")
    chunk = b'<w:altChunk r:id="rId90"/>'
    first_end = xml.index(b"</w:p>", xml.index("АБАЙ".encode())) + len(b"</w:p>")
    path = _rewrite(
        src,
        tmp_path / "chunk.docx",
        {"word/document.xml": xml[:first_end] + chunk + xml[first_end:]},
    )
    report = Report()
    got = [article_record(a) for a in iter_articles(path, report)]
    assert [r["headword"] for r in got] == ["АБАЙ", "АБАҚ"]
    (item,) = [i for i in report.review if i.kind is Review.LEFT_OUT]
    assert "altChunk" in item.reason and item.headword == "АБАЙ"


def _rewrite(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            data = change.get(name, zin.read(name))
            if data is not None:
                zout.writestr(name, data)
    return dst


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"word/document.xml": None},
            "names the main part word/document.xml, which is missing",
        ),
        (
            {
                "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.'
                b'openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
                b'document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                b'spreadsheetml.sheet.main+xml"/></Types>'
            },
            "is an Excel workbook, not a Word document",
        ),
        (
            {
                "word/document.xml": b'<?xml version="1.0"?><x:doc xmlns:x="urn:other"><x:p/></x:doc>'
            },
            "its main part word/document.xml is not WordprocessingML",
        ),
    ],
    ids=["main-part-missing", "not-word", "not-wordprocessingml"],
)
def test_word_package_refused_with_one_line(
    tmp_path: Path, change: dict[str, bytes | None], message: str
) -> None:
    src = g.write_docx(_volume([_entry(0)]), tmp_path / "src.docx")
    bad = _rewrite(src, tmp_path / "bad.docx", change)
    with pytest.raises(InputError) as err:
        list(iter_articles(bad))
    assert message in str(err.value) and "\n" not in str(err.value)
