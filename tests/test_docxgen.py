"""Tests for the .docx test-volume generator and the bundled sample volume."""

from __future__ import annotations

import importlib.util
import io
import itertools
import json
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import docx
import pytest
from lxml import etree

from tests.docxgen import (
    BODY_FONT,
    INDENT,
    KZ_FONT,
    LEGACY_STYLE,
    NB_HYPHEN_EL,
    NBSP,
    PT_FONT,
    SOFT_HYPHEN,
    SOFT_HYPHEN_EL,
    Entry,
    Group,
    Para,
    Picture,
    Run,
    Section,
    Table,
    Volume,
    article,
    bold,
    divider,
    docx_bytes,
    docx_parts,
    from_legacy,
    kz,
    page_break,
    para_text,
    proof_err,
    pt,
    repeat_volume,
    runs_of,
    section_break,
    see,
    smart_tag,
    sub,
    sup,
    tiny_png,
    to_legacy,
    tracked_insert,
    write_docx,
)

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SHARED_SCORER = Path("/work/shared/tools/score.py")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, SAMPLES / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample_module() -> ModuleType:
    return _load("make_sample_volume")


@pytest.fixture(scope="module")
def sample_volume(sample_module: ModuleType) -> Volume:
    volume: Volume = sample_module.sample_volume()
    return volume


@pytest.fixture(scope="module")
def sample_records(sample_volume: Volume) -> list[dict[str, Any]]:
    return sample_volume.records()


def _one_para_doc(tmp_path: Path, para: Para, **volume_kw: Any) -> tuple[Path, etree._Element]:
    path = write_docx(Volume([para], **volume_kw), tmp_path / "one.docx")
    with zipfile.ZipFile(path) as zf:
        root = etree.fromstring(zf.read("word/document.xml"))
    first = root.find(f"{W}body/{W}p")
    assert first is not None
    return path, first


# ---------------------------------------------------------------------------
# runs


RUN_CASES = [
    (Run("АБАЙ", bold=True), {"b": True}),
    (Run("Шығ.:", italic=True), {"i": True}),
    (Run("2", vert="sup"), {"vertAlign": "superscript"}),
    (Run("3", vert="sub"), {"vertAlign": "subscript"}),
    (Run("ЖЎМАБАЕВ", font=KZ_FONT), {"font": KZ_FONT}),
    (Run("Инициалдық", spacing=40), {"spacing": "40"}),
    (Run("абай", caps=True), {"caps": True}),
    (Run("Ә", bold=True, size=32), {"b": True, "sz": "32"}),
]


@pytest.mark.parametrize(("run", "expected"), RUN_CASES, ids=[c[0].text for c in RUN_CASES])
def test_run_formatting_written_as_asked(
    tmp_path: Path, run: Run, expected: dict[str, Any]
) -> None:
    path, p = _one_para_doc(tmp_path, Para([run]))
    rpr = p.find(f"{W}r/{W}rPr")
    assert rpr is not None
    for key in ("b", "i", "caps"):
        assert (rpr.find(f"{W}{key}") is not None) is expected.get(key, False), key
    for key in ("vertAlign", "spacing", "sz"):
        el = rpr.find(f"{W}{key}")
        assert (el.get(f"{W}val") if el is not None else None) == expected.get(key), key
    fonts = rpr.find(f"{W}rFonts")
    # like the publisher's files, every run names its font (Times New Roman unless set)
    assert (fonts.get(f"{W}ascii") if fonts is not None else None) == expected.get(
        "font", BODY_FONT
    )
    # python-docx, an independent reader, sees the same formatting
    read = docx.Document(str(path)).paragraphs[0].runs[0]
    assert read.text == run.text
    assert bool(read.bold) is run.bold and bool(read.italic) is run.italic
    assert bool(read.font.superscript) is (run.vert == "sup")
    assert bool(read.font.subscript) is (run.vert == "sub")
    assert read.font.name == (run.font or BODY_FONT)
    assert bool(read.font.all_caps) is run.caps


SPECIAL_CASES = [
    ("а\tб", "tab", "а\tб"),
    ("а\nб", "br", "а\nб"),
    (f"а{SOFT_HYPHEN_EL}б", "softHyphen", "аб"),
    (f"а{NB_HYPHEN_EL}б", "noBreakHyphen", "а-б"),
]


@pytest.mark.parametrize(("text", "element", "docx_text"), SPECIAL_CASES)
def test_run_special_characters_become_word_elements(
    tmp_path: Path, text: str, element: str, docx_text: str
) -> None:
    path, p = _one_para_doc(tmp_path, Para([Run(text)]))
    assert p.find(f"{W}r/{W}{element}") is not None
    assert docx.Document(str(path)).paragraphs[0].text == docx_text


@pytest.mark.parametrize("char", [SOFT_HYPHEN, NBSP, "<", "&", '"'])
def test_run_literal_characters_survive_escaping(tmp_path: Path, char: str) -> None:
    path, _ = _one_para_doc(tmp_path, Para([Run(f"а{char}б")]))
    assert docx.Document(str(path)).paragraphs[0].text == f"а{char}б"


def test_run_page_break_character_writes_typed_break(tmp_path: Path) -> None:
    _, p = _one_para_doc(tmp_path, Para([Run("а\fб")]))
    br = p.find(f"{W}r/{W}br")
    assert br is not None and br.get(f"{W}type") == "page"


@pytest.mark.parametrize(
    ("group", "tag"),
    [(smart_tag(Run("Іле Алатауы")), "smartTag"), (tracked_insert(Run("Іле Алатауы")), "ins")],
    ids=["smartTag", "ins"],
)
def test_group_wraps_runs_and_keeps_text(tmp_path: Path, group: Group, tag: str) -> None:
    para = Para([Run("Қала "), group, Run(" бөктерінде.")])
    _, p = _one_para_doc(tmp_path, para)
    wrapped = p.find(f"{W}{tag}/{W}r/{W}t")
    assert wrapped is not None and wrapped.text == "Іле Алатауы"
    assert para_text(para) == "Қала Іле Алатауы бөктерінде."


def test_noise_elements_sit_between_runs(tmp_path: Path) -> None:
    _, p = _one_para_doc(tmp_path, Para([bold("ӘУЕ"), proof_err(), bold("ЗОВ"), Run(" – ")]))
    tags = [etree.QName(el).localname for el in p]
    assert tags == ["r", "proofErr", "r", "r"]


# ---------------------------------------------------------------------------
# legacy encodings


LEGACY_CASES = [
    ("kz1048", "Әә Ғғ Ққ Ңң Өө Ұұ Үү Һһ Іі", "Јј Єє Ќќ Ѕѕ Ґґ Ўў Її Ћћ Іі"),
    ("pt154", "ә ғ ң", "є ѓ њ"),
]


@pytest.mark.parametrize(("encoding", "unicode_text", "glyphs"), LEGACY_CASES)
def test_legacy_encoding_round_trips(encoding: Any, unicode_text: str, glyphs: str) -> None:
    assert to_legacy(unicode_text, encoding) == glyphs
    assert from_legacy(glyphs, encoding) == unicode_text


@pytest.mark.parametrize(("make", "font"), [(kz, KZ_FONT), (pt, PT_FONT)], ids=["kz1048", "pt154"])
def test_legacy_run_written_as_legacy_glyphs(
    tmp_path: Path, make: Callable[..., Run], font: str
) -> None:
    text = "ЖҰМАБАЕВ Мағжан – ақын, Қазақстаң"
    run = make(text, bold=True)
    path, _ = _one_para_doc(tmp_path, Para([run]))
    read = docx.Document(str(path)).paragraphs[0].runs[0]
    assert read.font.name == font
    assert read.text == to_legacy(text, run.legacy or "kz1048")
    assert read.text.encode("cp1251").decode(run.legacy or "kz1048") == text


def test_legacy_style_font_inherited_by_runs(tmp_path: Path) -> None:
    path, p = _one_para_doc(tmp_path, Para([Run("Қазақ", legacy="kz1048")], style=LEGACY_STYLE))
    assert p.find(f"{W}r/{W}rPr/{W}rFonts") is None
    para = docx.Document(str(path)).paragraphs[0]
    assert para.style is not None and para.style.font.name == KZ_FONT
    assert para.text == "Ќазаќ"


# ---------------------------------------------------------------------------
# paragraphs, sections, tables, pictures

PARA_CASES = [
    (Para("а", align="center"), "jc", "center"),
    (Para("а", align="right"), "jc", "right"),
    (Para("а", align="both"), "jc", "both"),
    (Para("а", indent=True), "ind", str(INDENT)),
    (Para("а", indent=567), "ind", "567"),
]


@pytest.mark.parametrize(("para", "tag", "value"), PARA_CASES)
def test_para_properties_written_as_asked(tmp_path: Path, para: Para, tag: str, value: str) -> None:
    _, p = _one_para_doc(tmp_path, para)
    el = p.find(f"{W}pPr/{W}{tag}")
    assert el is not None
    attr = "firstLine" if tag == "ind" else "val"
    assert el.get(f"{W}{attr}") == value


def test_para_page_break_paragraph_holds_page_break(tmp_path: Path) -> None:
    path, p = _one_para_doc(tmp_path, page_break())
    br = p.find(f"{W}r/{W}br")
    assert br is not None and br.get(f"{W}type") == "page"
    assert docx.Document(str(path)).paragraphs[0].text == ""


def test_section_breaks_carry_running_heads_and_page_fields(tmp_path: Path) -> None:
    volume = Volume(
        [divider("А"), Para("а"), section_break("АБАЙ – АБАҚ"), Para("ә")],
        header_text="ӘБІЛҚАЙЫР – ӘУЕЗОВ",
    )
    path = write_docx(volume, tmp_path / "sections.docx")
    document = docx.Document(str(path))
    heads = [s.header.paragraphs[0].text for s in document.sections]
    assert heads == ["АБАЙ – АБАҚ", "ӘБІЛҚАЙЫР – ӘУЕЗОВ"]
    for section in document.sections:
        field = section.footer._element.find(f".//{W}fldSimple")
        assert field is not None and "PAGE" in field.get(f"{W}instr")


def test_section_without_header_writes_no_header(tmp_path: Path) -> None:
    _, p = _one_para_doc(tmp_path, Para(section=Section(header=None)))
    sect = p.find(f"{W}pPr/{W}sectPr")
    assert sect is not None
    assert sect.find(f"{W}headerReference") is None
    assert sect.find(f"{W}footerReference") is not None


def test_table_cells_read_back(tmp_path: Path) -> None:
    rows = [["АУДАН", "ОРТАЛЫҒЫ"], ["Абай", "Қарауыл а."]]
    path = write_docx(Volume([Para("а"), Table(rows, header=True)]), tmp_path / "t.docx")
    table = docx.Document(str(path)).tables[0]
    assert [[c.text for c in r.cells] for r in table.rows] == rows
    assert table.rows[0].cells[0].paragraphs[0].runs[0].bold
    assert not table.rows[1].cells[0].paragraphs[0].runs[0].bold


def test_picture_embedded_with_italic_centred_caption(tmp_path: Path) -> None:
    png = tiny_png(5, 7)
    path = write_docx(Volume([Picture(png, caption="Абай.")]), tmp_path / "p.docx")
    document = docx.Document(str(path))
    assert len(document.inline_shapes) == 1
    blip = document.element.body.find(f".//{{{_A}}}blip")
    rid = blip.get(f"{{{_R}}}embed")
    assert document.part.related_parts[rid].blob == png
    caption = document.paragraphs[1]
    assert caption.text == "Абай."
    assert caption.runs[0].italic and caption.alignment == 1  # WD_ALIGN_PARAGRAPH.CENTER


_A = "http://schemas.openxmlformats.org/drawingml/2006/main"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@pytest.mark.parametrize(("width", "height"), [(1, 1), (4, 3), (17, 9)])
def test_tiny_png_is_valid(width: int, height: int) -> None:
    png = tiny_png(width, height)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert int.from_bytes(png[16:20], "big") == width
    assert int.from_bytes(png[20:24], "big") == height


def test_package_parts_are_well_formed_and_declared(sample_volume: Volume) -> None:
    parts = docx_parts(sample_volume)
    types = etree.fromstring(parts["[Content_Types].xml"])
    declared = {el.get("PartName") for el in types if el.get("PartName")}
    for name, data in parts.items():
        if name.endswith((".xml", ".rels")):
            etree.fromstring(data)  # raises on malformed XML
        if name.endswith(".xml") and name != "[Content_Types].xml":
            assert f"/{name}" in declared, name


# ---------------------------------------------------------------------------
# expected records computed from the description


def _reference_text(path: Path) -> str:
    """Article text as an independent reader (python-docx) sees it, per the truth rules."""
    paras = []
    for p in docx.Document(str(path)).paragraphs:
        text = ""
        for r in p.runs:
            piece = r.text
            if r.font.name in (KZ_FONT, PT_FONT):
                piece = from_legacy(piece, "kz1048" if r.font.name == KZ_FONT else "pt154")
            text += piece.replace(SOFT_HYPHEN, "")
        text = " ".join(text.split())
        if text:
            paras.append(text)
    return "\n".join(paras)


RECORD_CASES = [
    article(
        [bold("ӘУЕ"), bold("ЗОВ Мұхтар "), bold("Омарханұлы")],
        " (28.9.1897, Семей уезі – 27.6.1961, Мәскеу) – жазушы.",
        dash="",
        title="Мұхтар Әуезов",
        kind="person",
        sig="Р. Нұрғалиев.",
    ),
    article(
        "ЕСІЛ",
        ["өзен, ұз. 2450 км, алабы 177 мың км", sup("2"), " ", *see("Ертіс")],
        title="Есіл (өзен)",
        kind="place",
    ),
    article(
        "АЗОТ ҚЫШҚЫЛЫ",
        [", HNO", sub("3"), " – қышқыл; H", sub("2"), f"SO{SOFT_HYPHEN}", sub("4")],
        dash="",
        title="Азот қышқылы",
    ),
    Entry(
        (
            Para([kz("ЖҰМАБАЕВ Мағжан", bold=True), kz(" – ақын.\tТұңғыш жинағы")]),
            Para([Run("Сурет", italic=True)], align="right"),
        ),
        title="Мағжан Жұмабаев",
        kind="person",
    ),
]


@pytest.mark.parametrize("entry", RECORD_CASES, ids=[e.title for e in RECORD_CASES])
def test_entry_record_text_matches_independent_reader(tmp_path: Path, entry: Entry) -> None:
    path = write_docx(Volume([entry]), tmp_path / "entry.docx")
    record = entry.record()
    assert record["text"] == _reference_text(path)
    assert record["text"].startswith(record["headword"])
    assert record["title"] == entry.title and record["kind"] == entry.kind


@pytest.mark.parametrize(
    ("entry", "key", "expected"),
    [
        (RECORD_CASES[0], "headword", "ӘУЕЗОВ Мұхтар Омарханұлы"),
        (RECORD_CASES[0], "signature", "Р. Нұрғалиев."),
        (RECORD_CASES[1], "lead", "Есіл"),
        (RECORD_CASES[1], "crossrefs", ["Ертіс"]),
        (RECORD_CASES[1], "sup", ["2"]),
        (RECORD_CASES[2], "headword", "АЗОТ ҚЫШҚЫЛЫ"),
        (RECORD_CASES[2], "sub", ["3", "2", "4"]),
        (RECORD_CASES[3], "legacy_font", True),
        (RECORD_CASES[3], "signature", "Сурет"),
        (RECORD_CASES[1], "legacy_font", False),
    ],
)
def test_entry_record_fields(entry: Entry, key: str, expected: Any) -> None:
    assert entry.record()[key] == expected


def test_entry_record_table_and_caption_positions() -> None:
    entry = Entry(
        (
            Para([bold("АБАЙ ОБЛЫСЫ"), Run(" – облыс.")]),
            Picture(tiny_png(), caption="Семей."),
            Para("Аудандары:"),
            Table([["АУДАН", "ОРТ."], ["Абай", "Қарауыл а."]], header=True),
            Para("Соңы."),
        ),
        title="Абай облысы",
        kind="place",
    )
    record = entry.record()
    assert record["captions"] == ["Семей."]
    assert record["tables"] == [
        {"after_paragraph": 2, "rows": [["АУДАН", "ОРТ."], ["Абай", "Қарауыл а."]]}
    ]
    assert record["text"].split("\n")[2] == "Аудандары:"
    assert "Қарауыл" not in record["text"]
    assert record["has_picture"] and record["has_table"]


# ---------------------------------------------------------------------------
# the bundled sample volume


def test_sample_volume_opens_with_python_docx() -> None:
    document = docx.Document(str(SAMPLES / "sample-volume.docx"))
    assert len(document.paragraphs) > 100
    assert len(document.tables) == 1 and len(document.inline_shapes) == 1


def test_sample_volume_is_reproducible(tmp_path: Path) -> None:
    script = SAMPLES / "make_sample_volume.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    for name in ("sample-volume.docx", "sample-volume.truth.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


def test_bad_inputs_are_reproducible(tmp_path: Path) -> None:
    script = SAMPLES / "make_bad_inputs.py"
    subprocess.run([sys.executable, str(script), str(tmp_path)], check=True, capture_output=True)
    names = sorted(p.name for p in (SAMPLES / "bad").glob("*.docx"))
    assert names == sorted(p.name for p in tmp_path.glob("*.docx"))
    for name in names:
        assert (tmp_path / name).read_bytes() == (SAMPLES / "bad" / name).read_bytes(), name


def _zip_names(data: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def _is_bad_zip(data: bytes) -> bool:
    try:
        zipfile.ZipFile(io.BytesIO(data)).testzip()
    except zipfile.BadZipFile:
        return True
    return False


def _document_xml_broken(data: bytes) -> bool:
    try:
        etree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml"))
    except etree.XMLSyntaxError:
        return True
    return False


def _cfb_streams(data: bytes) -> bool:
    names = {"EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le")}
    return data[:8] == bytes.fromhex("D0CF11E0A1B11AE1") and all(n in data for n in names)


def _front_matter_only(data: bytes) -> bool:
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs if p.text]
    return bool(texts) and all(p.alignment == 1 for p in document.paragraphs if p.text)


BAD_INPUTS: list[tuple[str, Callable[[bytes], bool]]] = [
    ("empty.docx", lambda d: d == b""),
    ("text.docx", lambda d: d.decode("utf-8").startswith("ЕРТІС")),
    ("rtf.docx", lambda d: d.startswith(b"{\\rtf1")),
    ("truncated.docx", lambda d: d.startswith(b"PK\x03\x04") and _is_bad_zip(d)),
    ("no-document.docx", lambda d: "word/document.xml" not in _zip_names(d)),
    ("encrypted.docx", _cfb_streams),
    ("not-xml.docx", _document_xml_broken),
    ("no-articles.docx", _front_matter_only),
]


@pytest.mark.parametrize(("name", "check"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_has_its_defect(name: str, check: Callable[[bytes], bool]) -> None:
    assert check((SAMPLES / "bad" / name).read_bytes())


def _count(records: list[dict[str, Any]], pred: Callable[[dict[str, Any]], bool]) -> int:
    return sum(1 for r in records if pred(r))


def _paras(volume: Volume) -> list[Para]:
    return [b for b in volume.flat_blocks() if isinstance(b, Para)]


def _runs(volume: Volume) -> list[Run]:
    return [r for p in _paras(volume) for r in runs_of(p.runs)]


COVERAGE: list[tuple[str, Callable[[Volume, list[dict[str, Any]]], bool]]] = [
    ("40-50 articles", lambda v, rs: 40 <= len(rs) <= 50),
    ("persons", lambda v, rs: _count(rs, lambda r: r["kind"] == "person") >= 8),
    ("places", lambda v, rs: _count(rs, lambda r: r["kind"] == "place") >= 8),
    ("sonda", lambda v, rs: any("сонда)" in r["text"] for r in rs)),
    ("born-in year", lambda v, rs: any("ж. т.," in r["text"] for r in rs)),
    ("nickname in bold", lambda v, rs: any("(" in r["headword"] for r in rs)),
    ("ruler title", lambda v, rs: any(r["headword"].endswith(" хан") for r in rs)),
    ("etymology", lambda v, rs: any("(итал. " in r["text"] for r in rs)),
    (
        "formula after comma",
        lambda v, rs: any(r["text"].startswith(r["headword"] + ", ") for r in rs),
    ),
    ("multi-paragraph", lambda v, rs: _count(rs, lambda r: r["text"].count("\n") >= 3) >= 3),
    (
        "bold acronyms opening paragraphs",
        lambda v, rs: (
            {"КСРО", "ҚазКСР", "ЮНЕСКО"}
            <= {
                p.runs[0].text
                for p in _paras(v)
                if p.runs and isinstance(p.runs[0], Run) and p.runs[0].bold
            }
        ),
    ),
    (
        "bold lower-case sub-term",
        lambda v, rs: any(
            p.runs and isinstance(p.runs[0], Run) and p.runs[0].bold and p.runs[0].text.islower()
            for p in _paras(v)
        ),
    ),
    ("spaced letters", lambda v, rs: any(" ".join("Инициалдық") in r["text"] for r in rs)),
    ("character spacing", lambda v, rs: any(r.spacing for r in _runs(v))),
    ("numbered senses", lambda v, rs: any("1) " in r["text"] and "2) " in r["text"] for r in rs)),
    ("initials", lambda v, rs: any("А-ның" in r["text"] for r in rs)),
    ("crossrefs in parens", lambda v, rs: any("(қ. " in r["text"] and r["crossrefs"] for r in rs)),
    ("crossrefs bare", lambda v, rs: any(" қ. " in r["text"] and r["crossrefs"] for r in rs)),
    (
        "works and literature",
        lambda v, rs: any("\nШығ.: " in r["text"] and "\nӘдеб.: " in r["text"] for r in rs),
    ),
    ("imprint", lambda v, rs: any(", А., 19" in r["text"] for r in rs)),
    (
        "one-author signature",
        lambda v, rs: any(r["signature"] and "," not in r["signature"] for r in rs),
    ),
    (
        "two-author signature",
        lambda v, rs: any(r["signature"] and "," in r["signature"] for r in rs),
    ),
    ("no signature", lambda v, rs: _count(rs, lambda r: r["signature"] is None) >= 20),
    ("sup", lambda v, rs: {"2", "3", "22"} <= {s for r in rs for s in r["sup"]}),
    ("sub", lambda v, rs: any(r["sub"] == ["3", "3", "2", "4"] for r in rs)),
    ("table", lambda v, rs: _count(rs, lambda r: r["has_table"]) == 1),
    ("picture + caption", lambda v, rs: any(r["has_picture"] and r["captions"] for r in rs)),
    (
        "same-headword pair",
        lambda v, rs: any(a["headword"] == b["headword"] for a, b in itertools.pairwise(rs)),
    ),
    ("em dash", lambda v, rs: any(r["text"].startswith(r["headword"] + " — ") for r in rs)),
    ("hyphen", lambda v, rs: any(r["text"].startswith(r["headword"] + " - ") for r in rs)),
    ("legacy run font", lambda v, rs: any(r.font == KZ_FONT for r in _runs(v))),
    ("legacy style font", lambda v, rs: any(p.style == LEGACY_STYLE for p in _paras(v))),
    ("pt154", lambda v, rs: any(r.legacy == "pt154" for r in _runs(v))),
    (
        "mixed legacy paragraph",
        lambda v, rs: any(
            len({r.legacy for r in p.runs if isinstance(r, Run) and r.text.strip()}) > 1
            for p in _paras(v)
        ),
    ),
    ("legacy articles", lambda v, rs: _count(rs, lambda r: r["legacy_font"]) >= 4),
    ("soft hyphen char", lambda v, rs: any(SOFT_HYPHEN in r.text for r in _runs(v))),
    ("soft hyphen element", lambda v, rs: any(SOFT_HYPHEN_EL in r.text for r in _runs(v))),
    ("no-break hyphen", lambda v, rs: any(NB_HYPHEN_EL in r.text for r in _runs(v))),
    ("nbsp", lambda v, rs: any(NBSP in r.text for r in _runs(v))),
    ("tab", lambda v, rs: any("\t" in r.text for r in _runs(v))),
    ("line break", lambda v, rs: any("\n" in r.text for r in _runs(v))),
    (
        "trailing space in bold",
        lambda v, rs: any(r.bold and r.text.endswith(" ") for r in _runs(v)),
    ),
    ("page-break paragraphs", lambda v, rs: any(p.page_break for p in _paras(v))),
    ("empty paragraphs", lambda v, rs: any(not p.runs and not p.section for p in _paras(v))),
    (
        "running heads",
        lambda v, rs: v.header_text is not None and any(p.section for p in _paras(v)),
    ),
    ("letter dividers", lambda v, rs: sum(1 for p in _paras(v) if p.keep_next) >= 2),
    ("caps run", lambda v, rs: any(r.caps for r in _runs(v))),
    ("wrapped runs", lambda v, rs: any(isinstance(i, Group) for p in _paras(v) for i in p.runs)),
]


@pytest.mark.parametrize(("name", "check"), COVERAGE, ids=[c[0] for c in COVERAGE])
def test_sample_volume_covers_convention(
    sample_volume: Volume, sample_records: list[dict[str, Any]], name: str, check: Any
) -> None:
    assert check(sample_volume, sample_records), name


def test_sample_truth_matches_description(sample_records: list[dict[str, Any]]) -> None:
    truth = json.loads((SAMPLES / "sample-volume.truth.json").read_text(encoding="utf-8"))
    assert truth == sample_records


def test_sample_truth_has_no_legacy_glyphs_or_soft_hyphens(
    sample_records: list[dict[str, Any]],
) -> None:
    for record in sample_records:
        for key in ("headword", "title", "text"):
            assert not set(record[key]) & set("ЈјЄєЌќЅѕҐґЎўЇїЋћњѓ\u00ad\t\u00a0"), record[key]
            assert unicodedata.is_normalized("NFC", record[key])


def test_sample_titles_are_unique(sample_records: list[dict[str, Any]]) -> None:
    titles = [r["title"] for r in sample_records]
    assert len(titles) == len(set(titles))


@pytest.mark.shared
@pytest.mark.skipif(not SHARED_SCORER.exists(), reason="../shared scorer absent")
def test_sample_truth_accepted_by_shared_scorer(tmp_path: Path) -> None:
    truth = SAMPLES / "sample-volume.truth.json"
    records = tmp_path / "records.jsonl"
    rows = json.loads(truth.read_text(encoding="utf-8"))
    records.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, str(SHARED_SCORER), "records", str(truth), str(records)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "F1=1.000 title_acc=1.000 text_sim=1.000 legacy_glyphs=0" in result.stdout


# ---------------------------------------------------------------------------
# speed


@pytest.mark.slow
def test_repeat_volume_builds_bench_sized_docx_fast(sample_volume: Volume) -> None:
    times = 3500 // len(sample_volume.entries()) + 1
    started = time.perf_counter()
    data = docx_bytes(repeat_volume(sample_volume, times))
    elapsed = time.perf_counter() - started
    assert len(repeat_volume(sample_volume, times).entries()) >= 3500
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    assert elapsed < 5.0
