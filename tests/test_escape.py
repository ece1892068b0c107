"""Wiki-escaping: every markup form in volume text comes out as literal text."""

from __future__ import annotations

import re

import mwparserfromhell
import pytest
from mwparserfromhell.nodes import HTMLEntity, Text

from uploader.render.escape import escape_line, escape_text, is_linkable

# One row per markup form MediaWiki would act on.
MARKUP_FORMS = [
    "{{Үлгі|x}}",
    "{{{1}}}",
    "{{PAGENAME}}",
    "{{#if:x|y}}",
    "[[Абай]]",
    "[[Санат:Жаңа]]",
    "[[Сурет:X.png|thumb]]",
    "''көлбеу''",
    "'''жуан'''",
    "'''''екеуі'''''",
    "~~~",
    "~~~~",
    "~~~~~",
    "__NOTOC__",
    "__TOC__",
    "__NOCONTENTCONVERT__",
    "<b>x</b>",
    "<script>alert(1)</script>",
    "<ref>x</ref>",
    "<nowiki>x</nowiki>",
    "<!-- x -->",
    "#АЙДАУ [[Абай]]",
    "#REDIRECT [[Абай]]",
    "* тізім",
    "# нөмір",
    ": шегініс",
    "; анықтама",
    "== Тақырып ==",
    "----",
    "{| class=x",
    "|}",
    "|-",
    "&amp;",
    "&lt;b&gt;",
    "&#91;&#91;Абай&#93;&#93;",
    "-{zh-hans:x}-",
    "[http://example.org мысал]",
    "http://example.org/x",
    "https://example.org",
    "mailto:a@b.kz",
    "[//example.org x]",
    "ISBN 5-89800-123-9",
    "RFC 1234",
    "PMID 12345",
    "a|b",
    "a !! b",
]

_FOREIGN = (HTMLEntity, Text)


def _plain(wikitext: str) -> str:
    return " ".join(mwparserfromhell.parse(wikitext).strip_code(normalize=True).split())


@pytest.mark.parametrize("form", MARKUP_FORMS)
def test_escape_text_markup_stays_literal(form: str) -> None:
    escaped = escape_line(f"алдында {form} кейін")
    code = mwparserfromhell.parse(escaped)
    assert all(isinstance(node, _FOREIGN) for node in code.nodes), code.nodes
    assert _plain(escaped) == f"алдында {form} кейін"
    assert "~~~" not in escaped
    assert not re.search(r"__\w+__", escaped)
    assert not re.search(r"\b(ISBN|RFC|PMID)\s+\d", escaped)
    assert "-{" not in escaped and "}-" not in escaped
    assert not re.search(r"(?i)\b(https?|mailto):", escaped)


@pytest.mark.parametrize("form", MARKUP_FORMS)
def test_escape_line_start_is_harmless(form: str) -> None:
    escaped = escape_line(form)
    assert escaped[:1] not in ("*", "#", ":", ";", "=", " ", "{", "|", "!")
    assert not escaped.startswith("----")
    assert _plain(escaped) == form.strip()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("қарапайым мәтін", "қарапайым мәтін"),
        ("км² және H₂O", "км² және H₂O"),
        ("жол\nжаңа\tтаб", "жол жаңа таб"),
        ("жұм\u00adсақ", "жұмсақ"),
        ("a'b", "a&#39;b"),
        ("x_y", "x_y"),
        ("x__y", "x&#95;&#95;y"),
        ("_\u00ad_", "&#95;&#95;"),  # the soft hyphen goes first: the underscores meet
        ("a\x07[b]\u2028c\vd\fe", "a&#91;b&#93; cd e"),
        ("a&b <c>", "a&amp;b &lt;c&gt;"),
        ("Бот: мақала", "Бот: мақала"),
        ("f.docx:¶12", "f.docx:¶12"),
        ("HTTPS://x", "HTTPS&#58;//x"),
        ("\u017fftp:x", "\u017fftp&#58;x"),  # ſ is s to a case-insensitive match
        ("жhttp:x", "жhttp:x"),
        ("ISBN 5-89800", "ISBN&#32;5-89800"),
    ],
)
def test_escape_text_examples(text: str, expected: str) -> None:
    assert escape_text(text) == expected


@pytest.mark.parametrize(
    ("target", "ok"),
    [
        ("Алтын адам", True),
        ("Ақтабан шұбырынды, Алқакөл сұлама", True),
        ("Санат:Жаңа", False),
        ("a|b", False),
        ("[[x]]", False),
        ("x{{y}}", False),
        ("../x", False),
        ("", False),
        ("a__b", False),
    ],
)
def test_is_linkable_examples(target: str, ok: bool) -> None:
    assert is_linkable(target) is ok
