"""Building blocks for renderer tests: articles made in code, and render contexts."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from typing import Any

from uploader.config import load_config
from uploader.model import (
    Article,
    Kind,
    Page,
    Paragraph,
    Picture,
    Role,
    SourcePos,
    Span,
    Table,
    Vert,
)
from uploader.render.article import (
    Citation,
    RenderContext,
    RenderSettings,
    render_redirect,
    render_redirect_summary,
)
from uploader.render.title_index import TitleIndex

Item = str | Span


def span(text: str, **kw: Any) -> Span:
    """A span; keywords bold / italic / vert."""
    return Span(text, **kw)


def b(text: str) -> Span:
    """A bold span."""
    return Span(text, bold=True)


def i(text: str) -> Span:
    """An italic span."""
    return Span(text, italic=True)


def sup(text: str) -> Span:
    """A superscript span."""
    return Span(text, vert=Vert.SUP)


def sub(text: str) -> Span:
    """A subscript span."""
    return Span(text, vert=Vert.SUB)


BR = Span("\n")


def para(*items: Item, role: Role = Role.BODY) -> Paragraph:
    """A paragraph from strings (plain spans) and spans."""
    return Paragraph(tuple(Span(x) if isinstance(x, str) else x for x in items), role=role)


def article(
    headword: str,
    *paragraphs: Paragraph,
    rest: Iterable[Item] = (" – мысал мақаланың анықтамасы.",),
    title: str | None = None,
    lead: str | None = None,
    kind: Kind = Kind.OTHER,
    crossrefs: tuple[str, ...] = (),
    tables: tuple[Table, ...] = (),
    pictures: tuple[Picture, ...] = (),
    redirects: tuple[str, ...] = (),
    volume: str | None = None,
    head_spans: tuple[Span, ...] | None = None,
) -> Article:
    """An article: the bold headword line (``head_spans`` or the headword + ``rest``), then more."""
    name = title or headword.capitalize()
    first = para(*(head_spans if head_spans is not None else (b(headword),)), *rest)
    return Article(
        headword=headword,
        title=name,
        lead=lead or name,
        kind=kind,
        paragraphs=(first, *paragraphs),
        source=SourcePos("test.docx", 10, 10 + len(paragraphs)),
        tables=tables,
        pictures=pictures,
        crossrefs=crossrefs,
        redirects=redirects,
        volume=volume,
    )


def context(
    index: TitleIndex | None = None,
    volume: str | None = None,
    citation: Mapping[str, Any] | None = None,
    **render: Any,
) -> RenderContext:
    """A render context from the default config with [render] keys overridden."""
    config = load_config(None)
    settings = RenderSettings.from_section({**config.section("render"), **render})
    cite = Citation.from_section({**config.section("citation"), **(citation or {})})
    return RenderContext.build(settings, cite, index=index, volume=volume)


def table(*rows: Iterable[Item], after: int = 0) -> Table:
    """A table of plain or formatted cells."""
    return Table(
        after_paragraph=after,
        rows=tuple(tuple((Span(c) if isinstance(c, str) else c,) for c in row) for row in rows),
    )


def with_redirect_texts(page: Page, ctx: RenderContext | None = None) -> Page:
    """``page`` with its redirects' wikitext and summary made as the render stage makes them."""
    ctx = ctx or default_context()
    return dataclasses.replace(
        page,
        redirect_text=render_redirect(page.title, ctx),
        redirect_summary=render_redirect_summary(page.title, str(page.source), page.volume, ctx),
    )


@functools.lru_cache(maxsize=1)
def default_context() -> RenderContext:
    """The render context of the default configuration (built once)."""
    return context()
