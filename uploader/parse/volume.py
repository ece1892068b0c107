"""The parser stage: ``iter_articles(path) -> Iterator[Article]``, streaming over a volume.

Blocks are read one at a time, grouped into articles, structured and named. Articles that
share a title in the volume are told apart by a qualifier (``Ақсу (өзен)``, ``Ақсу (қала)``);
as same-name entries sit next to each other in an alphabetical volume, only a run of equal
titles is held back. An article that fails is quarantined; the volume goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from uploader.config import Limits
from uploader.model import Article, Kind, SourcePos
from uploader.parse.articles import Structure, structure
from uploader.parse.corrections import (
    Correction,
    Corrections,
    apply_fields,
    correct_drafts,
    load_corrections,
)
from uploader.parse.letters import fix_structure
from uploader.parse.naming import (
    Lexicon,
    NamingRules,
    found_qualifier,
    name_article,
    qualifier,
    without_epithet,
    words_of,
)
from uploader.parse.offload import Offload, Segmenting, drafts_of
from uploader.parse.package import DocxPackage, open_volume
from uploader.parse.segment import Draft, TextLimits
from uploader.report import Report, Review
from uploader.wikitext import fix_lookalikes


def _definition(structure_: Structure, headword: str) -> str:
    if not structure_.texts:
        return ""
    text = structure_.texts[0]
    return text[len(headword) :] if text.startswith(headword) else text


def _build(
    draft: Draft,
    pkg: DocxPackage,
    label: str,
    volume: str | None,
    rules: NamingRules,
    lex: Lexicon,
    report: Report,
) -> Article:
    parts = fix_structure(structure(draft.blocks, pkg))
    headword = fix_lookalikes(draft.match.headword)
    extra = tuple(map(fix_lookalikes, draft.match.extra_names))
    definition = _definition(parts, headword)
    body_text = "\n".join([definition, *parts.texts[1:]])
    words = words_of(body_text[:4000])
    # Only later words of a headword need the article's own case evidence.
    own = words if len(headword.split()) > 1 else None
    naming = name_article(headword, extra, definition, lex, rules, own)
    alternatives = naming.alternatives
    if naming.kind is Kind.PERSON:  # hand-made pages often drop the epithet
        names = (naming.title, *naming.alternatives)
        bare = tuple(n for n in without_epithet(names, rules) if n not in names)
        alternatives = (*alternatives, *bare)
    lex.add_words(*words)
    source = SourcePos(label, draft.blocks[0].index, draft.blocks[-1].index)
    for kind, reason in naming.notes:
        report.flag(kind, source, reason, draft.match.headword)
    return Article(
        headword=headword,
        title=naming.title,
        lead=naming.lead,
        kind=naming.kind,
        paragraphs=parts.paragraphs,
        source=source,
        tables=parts.tables,
        pictures=parts.pictures,
        crossrefs=parts.crossrefs,
        redirects=naming.redirects,
        title_alternatives=alternatives,
        qualifier=qualifier(naming.kind, definition, rules, lex),
        legacy_font=parts.legacy_font,
        warnings=parts.warnings,
        volume=volume,
        left_out=parts.left_out,
    )


def _disambiguate(
    group: list[Article],
    taken: set[str],
    serial: dict[str, int],
    rules: NamingRules,
    lex: Lexicon,
    report: Report,
) -> list[Article]:
    """Give every article of a same-title run (or a late clash) its own qualified title."""
    if len(group) == 1 and group[0].title.casefold() not in taken:
        return group
    out: list[Article] = []
    used: set[str] = set()
    subject = _subject(group, taken)
    for art in group:
        if art is subject:
            used.add(art.title.casefold())
            out.append(art)
            continue
        quoted = art.headword.lstrip().startswith("«")
        definition = _definition_of(art)
        found = found_qualifier(art.kind, definition, rules, lex, quoted)
        qual = found or qualifier(art.kind, definition, rules, lex, quoted)
        if found is None:
            report.flag(
                Review.TITLE_GUESSED,
                art.source,
                f"qualifier «{qual}» invented: the definition names no kind",
                art.headword,
            )
        title = f"{art.title} ({qual})"
        n = 2
        while title.casefold() in used or title.casefold() in taken:
            n = max(n, serial.get(title.casefold(), 2))
            serial[f"{art.title} ({qual})".casefold()] = n + 1
            title = f"{art.title} ({qual}, {n})"
            n += 1
        used.add(title.casefold())
        if len(group) == 1:
            report.warn(
                art.source, f"title «{art.title}» is already used in this volume; using «{title}»"
            )
        others = tuple(t for t in art.title_alternatives if t.casefold() != title.casefold())
        out.append(replace(art, title=title, title_alternatives=others))
    return out


def _subject(group: list[Article], taken: set[str]) -> Article | None:
    """In a run of one subject and «quoted» works named after it (ҚАЗАҚ ӘДЕБИЕТІ and the
    newspaper «ҚАЗАҚ ӘДЕБИЕТІ»), the subject keeps the bare title; the works are qualified."""
    plain = [a for a in group if not a.headword.lstrip().startswith("«")]
    if len(plain) == 1 and len(group) > 1 and plain[0].title.casefold() not in taken:
        return plain[0]
    return None


def _definition_of(art: Article) -> str:
    text = art.paragraphs[0].text if art.paragraphs else ""
    headword = fix_lookalikes(art.headword)
    return text[len(headword) :] if text.startswith(headword) else text


def iter_articles(
    path: str | Path,
    report: Report | None = None,
    volume: str | None = None,
    rules: NamingRules | None = None,
    corrections: str | Path | Corrections | None = None,
    limits: Limits | None = None,
    offload: Offload | None = None,
) -> Iterator[Article]:
    """Yield the articles of a volume file in document order.

    ``corrections`` is a corrections file (or loaded ``Corrections``); by default the file
    ``NAME.corrections.toml`` beside the volume is used when it exists. ``limits`` (the
    configured ``[limits]`` when None) bound what the file may make the parser read: past a
    part limit the file is refused (``InputError``), past a paragraph or article limit the
    article is quarantined, past the picture limit the picture is skipped (a review item).
    With ``offload``, the XML is read and cut into drafts in a second process while this
    one builds the articles (``uploader.parse.offload``: the same articles, reports and
    errors).
    """
    report = report if report is not None else Report()
    rules = rules or NamingRules.load()
    limits = limits if limits is not None else Limits.load()
    caps = TextLimits(limits.max_paragraph_chars, limits.max_article_chars)
    label = Path(path).name
    fixes = (
        corrections if isinstance(corrections, Corrections) else load_corrections(path, corrections)
    )
    lex = Lexicon()
    taken: set[str] = set()
    serial: dict[str, int] = {}  # next number for an already-taken qualified title
    group: list[Article] = []

    def emit(art: Article) -> Article:
        taken.add(art.title.casefold())
        report.articles += 1
        for warning in art.warnings:
            report.warn(art.source, warning)
        for index, what in art.left_out:
            where = SourcePos(art.source.file, index, index)
            report.flag(Review.LEFT_OUT, where, what, art.headword)
        return art

    def flush() -> Iterator[Article]:
        for art in _disambiguate(group, taken, serial, rules, lex, report):
            yield emit(art)
        group.clear()

    with open_volume(path, limits) as pkg:
        segmenting = Segmenting(label, rules.order_lookahead, caps)
        drafts = drafts_of(pkg, report, segmenting, offload)
        for item, found in correct_drafts(drafts, fixes, report, label):
            pos = SourcePos(label, item.blocks[0].index, item.blocks[-1].index)
            if item.overflow:
                report.quarantine(pos, item.overflow, item.match.headword)
                continue
            try:
                article = _build(item, pkg, label, volume, rules, lex, report)
            except Exception as exc:  # one bad article never sinks a volume
                report.quarantine(
                    pos, f"cannot be parsed ({exc.__class__.__name__}: {exc})", item.match.headword
                )
                continue
            finally:
                skipped = pkg.take_skipped()
                for reason in skipped:
                    report.flag(Review.LEFT_OUT, pos, reason, item.match.headword)
            if skipped:  # also on the page, where the preview shows it
                article = replace(article, warnings=(*article.warnings, *skipped))
            if found:
                article = _corrected(article, found, report)
            if any(c.title is not None for c in found):
                # The operator's title is final: no qualifier is added to it.
                yield from flush()
                if article.title.casefold() in taken:
                    report.warn(article.source, f"corrected title «{article.title}» is used twice")
                yield emit(article)
                continue
            if group and group[0].title.casefold() != article.title.casefold():
                yield from flush()
            group.append(article)
        yield from flush()
    for missed in fixes.unmatched():
        reason = f"correction {missed.describe()} (entry {missed.entry}) matched no article"
        report.warn(str(fixes.path or label), reason)
        report.flag(Review.CORRECTION, str(fixes.path or label), reason, missed.headword)
    if report.articles == 0:
        report.warn(label, "no articles found (is this an encyclopedia volume?)")


def _corrected(article: Article, found: list[Correction], report: Report) -> Article:
    fixed = apply_fields(article, found)
    if fixed is not article:
        changes = "; ".join(c.changes() for c in found)
        report.flag(Review.CORRECTION, article.source, f"corrected: {changes}", article.headword)
    return fixed
