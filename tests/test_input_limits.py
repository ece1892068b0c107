"""Input limits and hardening: budgeted zip reads, safe XML, checked zips, caps, .doc, names."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
import zipfile
from pathlib import Path

import pytest

from tests import docxgen as g
from tests import hostile
from tests.wiki.server import LocalWiki
from uploader.config import Limits, load_config
from uploader.errors import InputError
from uploader.parse import package
from uploader.parse.volume import iter_articles
from uploader.parse.zipread import (
    Budget,
    LimitExceeded,
    check_archive,
    image_problem,
    parse_part,
    resolve_target,
)
from uploader.preview.writer import _Names, safe_name
from uploader.report import Report, Review
from uploader.wikitext import _INVISIBLE_EXTRA, invisible_chars, title_problems


def _limits(**changes: int) -> Limits:
    return dataclasses.replace(load_config().limits, **changes)


def _error(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(InputError) as info:
        list(iter_articles(path, Report(), limits=limits))
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


# --- XML ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (hostile.external_entity, "declares a DTD"),
        (hostile.parameter_entity, "declares a DTD"),
        (hostile.billion_laughs, "not well-formed XML"),
        (hostile.styles_entity, "word/styles.xml declares a DTD"),
    ],
    ids=["external entity", "parameter entity", "billion laughs", "entity in styles"],
)
def test_xml_entity_tricks_refused(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "v.docx"
    make(path)  # type: ignore[operator]
    text = _error(path)
    assert message in text and "root:" not in text  # nothing of /etc/passwd


def test_xml_xinclude_not_processed(tmp_path: Path) -> None:
    path = tmp_path / "v.docx"
    hostile.xinclude(path)
    articles = list(iter_articles(path))
    assert articles and "root:" not in articles[0].text


def test_xml_parser_options_explicit() -> None:
    xml = b'<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>'
    with pytest.raises(InputError, match="DTD"):
        parse_part(xml, "v.docx", "word/styles.xml")
    root = parse_part(b"<d><!-- c --><?pi x?>t</d>", "v.docx", "p.xml")
    assert root.text == "t" and len(root) == 0  # comments and PIs dropped


# --- zip ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (hostile.deflate64, "Deflate64"),
        (hostile.unknown_method, "method 99"),
        (hostile.dotdot_member, "'..' segment"),
        (hostile.absolute_member, "absolute path"),
        (hostile.nul_member, "NUL"),
        (hostile.duplicate_document, "occurs twice"),
    ],
    ids=["deflate64", "unknown method", "dotdot", "absolute", "nul", "duplicate"],
)
def test_zip_odd_entries_one_line_refusal(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "v.docx"
    make(path)  # type: ignore[operator]
    assert message in _error(path)


def test_zip_check_archive_passes_real_volume(tmp_path: Path) -> None:
    path = g.write_docx(g.Volume([g.article("АЛМА", "жеміс.", title="Алма")]), tmp_path / "v.docx")
    with zipfile.ZipFile(path) as zf:
        check_archive(zf, str(path))


@pytest.mark.parametrize(
    ("base", "target", "part"),
    [
        ("word", "media/image1.png", "word/media/image1.png"),
        ("word", "../media/x.png", "media/x.png"),
        ("word", "/word/media/x.png", "word/media/x.png"),
        ("word", "../../etc/passwd", None),
        ("word", "media/a\\b.png", None),
    ],
)
def test_zip_resolve_target(base: str, target: str, part: str | None) -> None:
    assert resolve_target(base, target) == part


@pytest.mark.parametrize(
    ("name", "data", "ok"),
    [
        ("word/media/a.png", g.tiny_png(), True),
        ("word/media/a.jpeg", b"\xff\xd8\xff\xe0rest", True),
        ("word/media/a.svg", b"<svg/>", False),
        ("word/media/a.html", b"<html/>", False),
        ("word/media/a.png", b"<html/>", False),
        ("word/media/a", g.tiny_png(), False),
    ],
)
def test_zip_picture_must_be_image(name: str, data: bytes, ok: bool) -> None:
    assert (image_problem(name, data) is None) is ok


# --- budgets and caps ----------------------------------------------------------------------


def test_budget_counts_actual_bytes_and_total(tmp_path: Path) -> None:
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a", b"x" * 5000)
        zf.writestr("b", b"y" * 5000)
    with zipfile.ZipFile(path) as zf:
        budget = Budget(zf, "z.zip", _limits(max_total_bytes=8000))
        assert budget.read("a", 10000, "max_part_bytes") == b"x" * 5000
        with pytest.raises(LimitExceeded, match="max_total_bytes"):
            budget.read("b", 10000, "max_part_bytes")
        with pytest.raises(LimitExceeded, match="max_part_bytes = 100"):
            Budget(zf, "z.zip", _limits()).read("a", 100, "max_part_bytes")


def test_budget_stops_a_lying_member_while_streaming(tmp_path: Path) -> None:
    path = tmp_path / "z.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a", b"\0" * 200_000)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("a")
        info.file_size = 100  # the central directory lies
        stream = Budget(zf, "z.zip", _limits()).open("a", 1000, "max_part_bytes")
        stream.raw._left = 10**9  # and the reader believes a larger size: only counting stops it
        with pytest.raises(LimitExceeded, match="inflates past 1000"):
            while stream.read(4096):
                pass


def test_budget_ratio_refused_past_floor(tmp_path: Path) -> None:
    path = tmp_path / "v.docx"
    hostile._streamed_document(path, b"<w:p/>", (40 << 20) // 6)  # 40 MB packed ~600 times
    assert "max_ratio = 100" in _error(path)
    # Within a lower document cap it stops at the cap.
    assert "max_document_bytes" in _error(path, _limits(max_document_bytes=1 << 20))


def test_budget_element_cap_refuses_giant_paragraph(tmp_path: Path) -> None:
    path = tmp_path / "v.docx"
    para = "ұзын сөз " * 40000
    g.write_docx(g.Volume([g.article("АЛМА", para, title="Алма")]), path)
    assert "max_element_bytes" in _error(path, _limits(max_element_bytes=100_000))
    assert list(iter_articles(path))  # within the default caps it is read


def test_budget_body_elements_cap(tmp_path: Path) -> None:
    path = tmp_path / "v.docx"
    g.write_docx(g.Volume([g.article("АЛМА", "жеміс.", title="Алма"), *[g.empty()] * 50]), path)
    assert "max_body_elements = 20" in _error(path, _limits(max_body_elements=20))


def test_caps_quarantine_long_paragraph_and_article(tmp_path: Path) -> None:
    path = tmp_path / "v.docx"
    vol = g.Volume(
        [
            g.article("АЛҰЗЫН", "өзен " * 3000, title="Алұзын"),
            g.article("АЛКӨП", "өзен.", title="Алкөп", more=[g.body("сөз " * 200)] * 30),
            g.article("АЛМА", "жеміс.", title="Алма"),
        ]
    )
    g.write_docx(vol, path)
    report = Report()
    limits = _limits(max_paragraph_chars=10_000, max_article_chars=20_000)
    titles = [a.title for a in iter_articles(path, report, limits=limits)]
    assert titles == ["Алма"]
    reasons = [q.reason for q in report.quarantined]
    assert any("max_paragraph_chars = 10000" in r for r in reasons)
    assert any("max_article_chars = 20000" in r for r in reasons)


def test_caps_picture_too_large_skipped_with_review_flag(tmp_path: Path) -> None:
    path = tmp_path / "v.docx"
    big = g.tiny_png(400, 400)
    vol = g.Volume([g.Entry((g.headline("АЛМА", "жеміс."), g.Picture(big, "Алма")), title="Алма")])
    g.write_docx(vol, path)
    report = Report()
    articles = list(iter_articles(path, report, limits=_limits(max_picture_bytes=len(big) - 1)))
    assert articles[0].pictures == ()
    flags = [item for item in report.review if item.kind is Review.LEFT_OUT]
    assert flags and "max_picture_bytes" in flags[0].reason and "v.docx" in flags[0].where


@pytest.mark.parametrize("make", [hostile.svg_picture, hostile.html_as_png])
def test_caps_non_image_picture_skipped(tmp_path: Path, make: object) -> None:
    path = tmp_path / "v.docx"
    make(path)  # type: ignore[operator]
    report = Report()
    articles = list(iter_articles(path, report))
    assert articles[0].pictures == ()
    assert any("picture skipped" in item.reason for item in report.review)


def test_empty_paragraphs_read_fast(tmp_path: Path) -> None:
    path = tmp_path / "v.docx"
    parts = g.docx_parts(g.Volume([g.article("АЛМА", "жеміс.", title="Алма")]))
    head, tail = hostile._body(parts)
    parts["word/document.xml"] = head + b"<w:p/>" * 300_000 + tail
    g.zip_parts(parts, path)
    start = time.perf_counter()
    articles = list(iter_articles(path))
    assert [a.title for a in articles] == ["Алма"]
    assert time.perf_counter() - start < 15  # ~1 s; was ~3 µs + 9 µs of Python per paragraph


# --- .doc -----------------------------------------------------------------------------------


def _soffice() -> str:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    return soffice


def test_doc_corrupt_is_an_error_not_zero_articles(tmp_path: Path) -> None:
    _soffice()
    path = tmp_path / "old.doc"
    hostile.corrupt_doc(path)
    assert "LibreOffice cannot read this .doc" in _error(path)


def test_doc_timeout_ends_the_whole_process_group(tmp_path: Path) -> None:
    fake = tmp_path / "soffice"
    marker = tmp_path / "child.pid"
    # A stand-in for soffice that, like it, leaves a child (soffice.bin) running.
    fake.write_text(f"#!/bin/sh\nsleep 300 &\necho $! > {marker}\nwait\n", encoding="utf-8")
    fake.chmod(0o755)
    old = os.environ["PATH"]
    os.environ["PATH"] = f"{tmp_path}{os.pathsep}{old}"
    try:
        with pytest.raises(InputError, match=r"did not convert this \.doc within 1 s"):
            package.convert_doc(tmp_path / "x.doc", "x.doc", tmp_path, timeout=1)
    finally:
        os.environ["PATH"] = old
    child = int(marker.read_text())
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        if _is_zombie(child):
            break
        time.sleep(0.1)
    else:
        os.kill(child, signal.SIGKILL)
        pytest.fail("the converter's child was left running")


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_doc_real_conversion_still_works(tmp_path: Path) -> None:
    soffice = _soffice()
    src = g.write_docx(
        g.Volume([g.article("АЛМА", "жеміс ағашы.", title="Алма")]), tmp_path / "v.docx"
    )
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/p", "--headless", "--convert-to",
         "doc", "--outdir", str(tmp_path / "d"), str(src)],
        capture_output=True, timeout=180, check=True,
    )  # fmt: skip
    assert [a.title for a in iter_articles(tmp_path / "d" / "v.doc")] == ["Алма"]


# --- names ----------------------------------------------------------------------------------


def test_names_cut_by_bytes() -> None:
    title = "".join(chr(0x10400 + k % 40) for k in range(63))
    name = safe_name(title)
    assert len((name + "-99.wiki").encode("utf-8")) <= 255
    assert len(safe_name("Ә" * 300).encode("utf-8")) <= 200


def test_names_case_and_normalisation_never_collide() -> None:
    names = _Names()
    taken = [
        names.take(safe_name(t), ".wiki")
        for t in ("Ångström", "ångström", "A\u030angström", "\u212bngström", "ÅNGSTRÖM")
    ]
    keys = {n.casefold() for n in taken}
    assert len(keys) == len(taken)


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("Қатысушы талқылауы:Абай", "namespace"),
        ("User talk:Abai", "namespace"),
        ("Уикипедия:Ереже", "namespace"),
        ("WP:Abai", "interwiki"),
        ("En:Kazakh", "interwiki"),
        ("zh-yue:X", "interwiki"),
        ("Абай\u200e", "invisible"),
        ("Абай\u202eх", "invisible"),
        ("Аб\u2066ай", "invisible"),
        ("Аб\u200dай", "invisible"),
        ("Абай: өмірі", None),
        ("Қ:Х", None),
    ],
)
def test_titles_prefixes_and_invisible_characters(title: str, problem: str | None) -> None:
    found = title_problems(title)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


def test_invisible_chars_printable_shortcut_holds_for_every_code_point() -> None:
    """``invisible_chars`` answers "none" for a printable text without the extra fillers;
    no printable code point is of the categories it looks for."""
    for code in range(sys.maxunicode + 1):
        ch = chr(code)
        if ch.isprintable() and ch not in _INVISIBLE_EXTRA:
            category = unicodedata.category(ch)
            assert category not in ("Cf", "Zl", "Zp") and (category != "Zs" or ch == " "), code
    assert invisible_chars("Абай Құнанбайұлы (1845–1904)") == []
    for ch in ("\u200b", "\u00a0", "\u2028", "\u3164", "\u2800"):
        assert invisible_chars("Абай" + ch) == [f"U+{ord(ch):04X}"]


@pytest.mark.wiki
def test_publisher_refuses_titles_the_wiki_puts_outside_articles(wiki: LocalWiki) -> None:
    from uploader.publish.wiki import HttpTransport, WikiClient

    session = wiki.bot_session().http  # logged in as the bot, as the publisher is
    client = WikiClient(HttpTransport(session, wiki.api_url), wiki.bot_login)
    titles = ["Қатысушы талқылауы:Абай", "User talk:Abai", "Санат:Жаңа", "Үлгі:Х", "Абай"]
    infos = client.page_infos(titles)
    for title in titles[:-1]:
        assert "namespace" in infos[title].invalid, (title, infos[title])
    assert not infos["Абай"].invalid


@pytest.mark.parametrize("text", ["kk: Kazakh; ru: Russian", "kk-latn: Qazaq", "zh-hans:x y"])
def test_latin_rule_lookalike_has_no_colon_inside_converter_markup(text: str) -> None:
    from tests import renderkit as rk
    from uploader.model import Span
    from uploader.render import render

    page = render(rk.article("АЛМА", rk.para(Span(f"мәтін {text} соңы"))), rk.default_context())
    inner = re.findall(r"-\{(.*?)\}-", page.wikitext)
    assert inner and all(":" not in part for part in inner)
    assert any("&#58;" in part for part in inner)
