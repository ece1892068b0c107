"""A volume whose text holds markup renders all of it as literal text.

Each row puts one markup form everywhere volume text can go (headword line, line start,
mid-sentence, bold, italic, sup, table cell, works, literature, caption, cross-reference,
signature → citation). The page is parsed with mwparserfromhell: it must hold exactly the
nodes the converter makes for the same article with harmless text, and show the form as text.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import mwparserfromhell
import pytest
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Tag,
    Template,
    Text,
    Wikilink,
)

from tests.renderkit import article, b, context, i, para, sup, table
from tests.test_escape import MARKUP_FORMS
from uploader.model import Paragraph, Role, Span, Table, Vert
from uploader.render.article import render
from uploader.render.escape import is_linkable
from uploader.render.validate import markup_problems

HARMLESS = "зиянсыз"
HARMLESS_UNLINKABLE = "зиян:сыз"  # a cross-reference the converter keeps as text, not a link


def _volume_article(form: str):  # type: ignore[no-untyped-def]
    return article(
        "ТЕСТ",
        para(form, " басында."),
        para("Ортасында ", form, " бар."),
        para(b(form), " және ", i(form), " және км", sup(form), "."),
        para(i(form), role=Role.CAPTION),
        para(i("Шығ.:"), " ", form, role=Role.WORKS),
        para(i("Әдеб.:"), " ", form, ", А., 1961.", role=Role.LITERATURE),
        para(i(form), role=Role.SIGNATURE),
        rest=(" – ", form, " анықтама (қ. ", i(form), ")."),
        tables=(table((form, "x"), ("y", form), after=2),),
        crossrefs=(form,),
    )


def _inventory(wikitext: str) -> Counter[tuple[str, str]]:
    """Every node that is not plain text or an entity, by type and identity."""
    code = mwparserfromhell.parse(wikitext)
    found: Counter[tuple[str, str]] = Counter()
    for node in code.ifilter(recursive=True):
        if isinstance(node, Template):
            found[("template", str(node.name).strip())] += 1
        elif isinstance(node, Wikilink):
            found[("link", "category" if ":" in str(node.title) else "article")] += 1
        elif isinstance(node, ExternalLink):
            found[("external", str(node.url))] += 1
        elif isinstance(node, Tag):
            found[("tag", str(node.tag))] += 1
        elif isinstance(node, Heading):
            found[("heading", str(node.title).strip())] += 1
        elif isinstance(node, Comment | Argument):
            found[(type(node).__name__, "")] += 1
        elif not isinstance(node, Text | HTMLEntity):
            found[(type(node).__name__, str(node))] += 1
    return found


def _lines_outside_converter(wikitext: str) -> list[str]:
    return [line for line in wikitext.split("\n") if line]


@pytest.fixture(scope="module")
def plain_ctx():  # type: ignore[no-untyped-def]
    return context(latin_protect=False)


@pytest.mark.parametrize("form", MARKUP_FORMS)
def test_render_volume_markup_is_literal(form, plain_ctx) -> None:  # type: ignore[no-untyped-def]
    harmless = HARMLESS if is_linkable(form) else HARMLESS_UNLINKABLE
    baseline = render(_volume_article(harmless), plain_ctx).wikitext
    page = render(_volume_article(form), plain_ctx)
    text = page.wikitext
    assert markup_problems(text) == []
    assert _inventory(text) == _inventory(baseline)
    assert "~~~" not in text
    assert not re.search(r"__[^\W_]+__", text)
    outside_links = re.sub(r"\[\[[^\]]*\]\]", "", text)  # no magic links inside [[...]]
    assert not re.search(r"\b(ISBN|RFC|PMID)\s+\d", outside_links)
    assert "-{" not in text
    assert not text.startswith("#")
    for line, base in zip(
        _lines_outside_converter(text), _lines_outside_converter(baseline), strict=True
    ):
        if line[:1] in "*#:;= " or line.startswith("----"):
            assert line[:1] == base[:1], line  # only the converter's own list/heading lines
    shown = " ".join(mwparserfromhell.parse(text).strip_code(normalize=True).split())
    assert shown.count(" ".join(form.split())) >= 6, shown


def test_render_volume_markup_with_latin_protection_opens_no_converter_markup() -> None:
    ctx = context(latin_protect=True, latin_single_words=True)
    text = render(_volume_article("-{zh-hans:x}- and }- -{"), ctx).wikitext
    assert markup_problems(text) == []
    for inner in re.findall(r"-\{(.*?)\}-", text):
        assert "{" not in inner and "}" not in inner and "|" not in inner


_ALPHABET = [
    *"абвӘҚҢӨҰҮ ЖЕЗzoXIV12'{}[]|<>&~_=*#:;!-–.,()«»\u00a0\u00ad",
    "қ. ",
    "ж. ",
    "обл-ның ",
    "Ж-лар ",
    "http://x.kz ",
    "ISBN 5 ",
    "__TOC__",
    "-{",
    "}-",
    "''",
    "'''",
    "\t",
]


def _random_spans(rng: random.Random, count: int) -> list[Span]:
    spans = []
    for _ in range(count):
        if rng.random() < 0.05:
            spans.append(Span("\n"))
            continue
        text = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 8)))
        spans.append(
            Span(
                text,
                bold=rng.random() < 0.3,
                italic=rng.random() < 0.3,
                vert=rng.choice([Vert.BASELINE, Vert.BASELINE, Vert.SUP, Vert.SUB]),
            )
        )
    return spans


@pytest.mark.parametrize("seed", range(40))
def test_render_random_formatting_always_valid(seed: int) -> None:
    rng = random.Random(seed)
    ctx = context(latin_single_words=bool(seed % 2))
    paragraphs = [
        Paragraph(tuple(_random_spans(rng, rng.randint(1, 25))), role=role)
        for role in (Role.BODY, Role.BODY, Role.CAPTION, Role.WORKS, Role.LITERATURE)
    ]
    art = article(
        "ТЕСТ",
        *paragraphs,
        rest=tuple(_random_spans(rng, 10)),
        crossrefs=("".join(rng.choice(_ALPHABET) for _ in range(6)),),
        tables=(Table(0, ((tuple(_random_spans(rng, 4)), tuple(_random_spans(rng, 3))),)),),
    )
    page = render(art, ctx)
    assert markup_problems(page.wikitext) == []
    assert str(mwparserfromhell.parse(page.wikitext)) == page.wikitext
