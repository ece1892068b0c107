"""The parser-tests volume, judged by the real MediaWiki: every construct shows as typed.

A volume carries the constructs of MediaWiki's own parser tests (magic links with ordinary
and no-break spaces, free URLs and colon-only schemes, signatures, behaviour switches in
English and Kazakh, line-start markup, a leading space, rules, tables, quotes, entities, tags,
comments, converter rules, tokens split across runs) in body text, table cells, signatures,
literature lines and cross-reference targets. Each rendered page goes through the harness's
MediaWiki (``action=parse`` with the pre-save transform, Cite and ParserFunctions loaded,
magic links on): every construct must show in the page's visible text
as typed, and the page may have no link, template, category, page property, external link,
list, heading, ``<pre>`` or ``<hr>`` but those the converter made itself.
"""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import pytest
from lxml import html as lxml_html

from tests import docxgen as g
from tests.wiki.server import LocalWiki
from uploader.config import load_config
from uploader.model import Page
from uploader.pipeline import iter_pages
from uploader.render.title_index import TitleIndex
from uploader.report import Report
from uploader.wikitext import normalise_title

NBSP = "\u00a0"
# Typed mid-line. (No abbreviations of the table: they are written out, by design.)
INLINE = [
    "ISBN 5-89800-123-9",
    f"ISBN{NBSP}5-89800-123-9",
    "RFC 1234",
    f"RFC{NBSP}2345",
    "PMID 12345",
    f"PMID{NBSP}67890",
    "http://example.org/x",
    "https://example.org",
    "mailto:a@example.org",
    "news:comp.lang",
    "urn:isbn:123",
    "//example.org/y",
    "~~~",
    "~~~~",
    "~~~~~",
    "__NOTOC__",
    "__TOC__",
    "__FORCETOC__",
    "__NOEDITSECTION__",
    "__NOGALLERY__",
    "__HIDDENCAT__",
    "__МАЗМҰНСЫЗ__",
    "__МСЫЗ__",
    "__МАЗМҰНЫ__",
    "__ЖАСЫРЫНСАНАТ__",
    "__NOCC__",
    "{{PAGENAME}}",
    "{{#if:x|иә|жоқ}}",
    "{{Stub}}",
    "{{{1}}}",
    "[[Абай]]",
    "[[Санат:Жаңа]]",
    "[[:en:Kazakh]]",
    "[http://example.org сілтеме]",
    "[[Сурет:X.png]]",
    "''көлбеу''",
    "'''жуан'''",
    "<b>тег</b>",
    "<ref>ескерту</ref>",
    "<references />",
    "<nowiki>x</nowiki>",
    "<!-- түсініктеме -->",
    "<pre>x</pre>",
    "&amp;",
    "&nbsp;",
    "&#91;",
    "-{kk: Kazakh}-",
    "-{zh-hans:x}-",
    "}- -{",
    "kk: Kazakh; ru: Russian",
    "kk-latn: Qazaq",
    "{| || !! |- |}",
    "#АЙДАУ [[Абай]]",
    "#REDIRECT [[Абай]]",
    "DEFAULTSORT:X",
]
# Typed at the start of a line (a paragraph of its own).
LINE_START = [
    "= Тақырып =",
    "== Бөлім ==",
    "* тізім",
    "# нөмірлі",
    ": шегініс",
    "; анықтама : мәні",
    "! тақырып",
    "----",
    "{| кесте",
    "|} соңы",
    "|- жол",
]
# Tokens formed only when two runs are joined.
SPLIT = [
    ("[", "[Абай]]"),
    ("{", "{Stub}}"),
    ("'", "'жуан''"),
    ("~~", "~~"),
    ("__NO", "TOC__"),
    ("ISBN", " 5-89800-123-9"),
    ("htt", "p://example.org/z"),
    ("-", "{kk: Kazakh}-"),
    ("&", "amp;"),
    ("<", "b>жуан</b>"),
    ("-", "---"),
]


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[k : k + size] for k in range(0, len(items), size)]


def _volume() -> g.Volume:
    entries: list[g.Entry] = []
    letters = "АӘБВГҒДЕЖЗИКҚЛМНҢОӨПРСТУҰҮФХҺЦЧШЫІЭЮЯ"
    names = iter(f"СЫНАҚ{a}{b}" for a in letters for b in letters)

    def headword() -> str:
        return next(names)

    for chunk in _chunks(INLINE, 8):  # body paragraphs
        runs: list[g.Piece] = ["мәтін " + " мәтін ".join(chunk) + " соңы."]
        lines = [g.body("ары қарай " + c + " және.") for c in chunk]
        entries.append(g.article(headword(), runs, title="", more=lines))
    entries.append(  # line starts, each a paragraph
        g.article(
            headword(), "жолдар.", title="", more=[g.body(c, indent=False) for c in LINE_START]
        )
    )
    entries.append(g.article(headword(), "бос орын.", title="", more=[g.body(" бос орынмен")]))
    split_runs = [g.body(*[g.Run(a), g.Run(b, italic=True), g.Run(" сөз ")]) for a, b in SPLIT]
    split_plain = [g.body(g.Run("алды "), g.Run(a), g.Run(b), g.Run(" соңы")) for a, b in SPLIT]
    entries.append(g.article(headword(), "бөлінген.", title="", more=[*split_runs, *split_plain]))
    for chunk in _chunks(INLINE + LINE_START, 12):  # table cells
        rows = [["Атауы", "Мәні"], *[[c, "x " + c] for c in chunk]]
        entries.append(g.article(headword(), "кесте.", title="", more=[g.Table(rows)]))
    for chunk in _chunks(INLINE, 6):  # literature lines
        lit = [g.literature(g.Run("Әдеб.: ", italic=True), f"Кітап {c}, 1990.") for c in chunk]
        entries.append(g.article(headword(), "әдебиет.", title="", more=lit))
    for c in INLINE[:20]:  # signatures (they go into the citation's author)
        entries.append(g.article(headword(), "қолтаңба.", title="", sig=f"Ә. Әлиев {c}"))
    for chunk in _chunks(INLINE, 6):  # cross-reference targets
        runs = [p for c in chunk for p in g.see(c, before=" сөз ")]
        entries.append(g.article(headword(), ["сілтемелер", *runs, "."], title=""))
    return g.Volume(entries)


def _norm(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def _visible(html: str) -> str:
    tree = lxml_html.fromstring(f"<div>{html}</div>")
    for bad in tree.xpath("//style|//script"):
        bad.drop_tree()
    return _norm(tree.text_content())


_OWN_LINE = re.compile(r"^(=+|\*|#|:|;|----|\{\|)")


def _parse(wiki: LocalWiki, page: Page, **variant: str) -> dict[str, Any]:
    """``action=parse`` of the page (``variant="kk-cyrl"``: as Cyrillic readers see it; the
    default shows the text unconverted, as lone Latin words are left to the converter)."""
    reply = wiki.api(
        "POST",
        action="parse",
        title=page.title,
        text=page.wikitext,
        pst=1,
        contentmodel="wikitext",
        prop="text|links|templates|categories|properties|externallinks",
        disablelimitreport=1,
        **variant,
    )
    assert "error" not in reply, reply
    return reply["parse"]


def _own_structure(wikitext: str) -> dict[str, int]:
    """What block markup the converter wrote itself (its own lines, never volume text)."""
    lines = wikitext.splitlines()
    return {
        "h": sum(1 for line in lines if line.startswith("==")),
        "li": sum(1 for line in lines if line.startswith(("* ", "# "))),
        "table": sum(1 for line in lines if line.startswith("{|")),
    }


def _count(html: str, tag: str) -> int:
    return len(re.findall(rf"<{tag}[\s>]", html))


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Page]:
    folder = tmp_path_factory.mktemp("parsertests")
    path = g.write_docx(_volume(), folder / "parsertests.docx")
    report = Report()
    out = list(iter_pages(path, load_config(), report, index=TitleIndex()))
    assert not report.quarantined, report.quarantined
    return out


def _templates(wiki: LocalWiki) -> None:
    """Stand-ins for the wiki's templates that show every parameter (so a signature in the
    citation's author is seen)."""
    shown = " ".join(f"{{{{{{{name}|}}}}}}" for name in ("author", "chapter", "title", "isbn"))
    for title, text in (("Үлгі:Cite book", f"<span>{shown}</span>"), ("Үлгі:Stub", "stub")):
        if wiki.page_text(title) != text:
            wiki.edit_as_admin(title, text)


@pytest.mark.wiki
def test_wiki_parser_constructs_show_as_typed(wiki: LocalWiki, pages: list[Page]) -> None:
    _templates(wiki)
    expected = [_norm(c) for c in INLINE + LINE_START] + [_norm(a + b) for a, b in SPLIT]
    seen: set[str] = set()
    problems: list[str] = []
    for page in pages:
        parsed = _parse(wiki, page)
        text = parsed["text"]
        visible = _visible(text)
        seen.update(c for c in expected if c in visible)
        own = _own_structure(page.wikitext)
        links = {link["title"] for link in parsed["links"]}
        made = re.findall(r"\[\[([^\]|:]+)(?:\|[^\]]*)?\]\]", page.wikitext)
        allowed_links = {normalise_title(htmllib.unescape(t)) for t in made}
        if links - allowed_links:
            problems.append(f"{page.title}: links {sorted(links - allowed_links)}")
        templates = {t["title"] for t in parsed["templates"]}
        if templates - {"Үлгі:Cite book", "Үлгі:Stub"}:
            problems.append(f"{page.title}: templates {sorted(templates)}")
        categories = {c["category"] for c in parsed["categories"]}
        if categories - {"Қазақ_энциклопедиясынан_алынған_мақалалар"}:
            problems.append(f"{page.title}: categories {sorted(categories)}")
        properties = {p["name"] for p in parsed["properties"]} - {"defaultsort"}
        if properties:
            problems.append(f"{page.title}: page properties {sorted(properties)}")
        if parsed["externallinks"]:
            problems.append(f"{page.title}: external links {parsed['externallinks']}")
        for tag in ("pre", "hr", "dl", "ul"):
            if _count(text, tag):
                problems.append(f"{page.title}: <{tag}>")
        if _count(text, "ol") != text.count('<ol class="references"'):  # Cite's list only
            problems.append(f"{page.title}: <ol>")
        if _count(text, "h[1-6]") != own["h"]:
            problems.append(f"{page.title}: {_count(text, 'h[1-6]')} headings, made {own['h']}")
        if _count(text, "li") != own["li"] + len(re.findall(r'<li id="cite', text)):
            problems.append(f"{page.title}: list items")
        if _count(text, "table") != own["table"]:
            problems.append(f"{page.title}: tables")
        if "mw-magiclink" in text or ("redlink=1" in text and "Қатысушы" in text):
            problems.append(f"{page.title}: a magic link or a signature")
    assert not problems, "\n".join(problems)
    missing = [c for c in expected if c not in seen]
    assert not missing, missing


@pytest.mark.wiki
def test_wiki_latin_rule_lookalike_stays_visible(wiki: LocalWiki, pages: list[Page]) -> None:
    _templates(wiki)
    page = next(p for p in pages if "kk: Kazakh; ru: Russian" in p.source_text)  # type: ignore[attr-defined]
    assert "-{kk&#58; Kazakh" in page.wikitext
    visible = _visible(_parse(wiki, page, variant="kk-cyrl")["text"])
    assert "kk: Kazakh; ru: Russian" in visible and "kk-latn: Qazaq" in visible


def test_parser_constructs_volume_renders(pages: list[Page]) -> None:
    assert len(pages) > 20
    assert all("~~~" not in p.wikitext for p in pages)
