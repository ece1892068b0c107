"""Latin look-alike letters typed inside Cyrillic words, set right in a parsed article.

A title or link with one hidden Latin letter (``Қaзaқстaн`` with Latin ``a``) is another page,
so paragraphs, table cells and cross-references are normalised with
``wikitext.fix_lookalikes`` (real Latin words stay). The fix is letter for letter, so each
paragraph is fixed as a whole (a word may be split over runs) and cut back into its spans.
"""

from __future__ import annotations

from dataclasses import replace

from uploader.model import Paragraph, Span, Table
from uploader.parse.articles import Structure
from uploader.wikitext import fix_lookalikes


def fix_spans(spans: tuple[Span, ...]) -> tuple[Span, ...]:
    """The spans with look-alike letters fixed across span boundaries."""
    joined = "".join(s.text for s in spans)
    fixed = fix_lookalikes(joined)
    if fixed == joined:
        return spans
    out: list[Span] = []
    pos = 0
    for span in spans:
        end = pos + len(span.text)
        out.append(span if fixed[pos:end] == span.text else replace(span, text=fixed[pos:end]))
        pos = end
    return tuple(out)


def _fix_paragraph(paragraph: Paragraph) -> Paragraph:
    spans = fix_spans(paragraph.spans)
    return paragraph if spans is paragraph.spans else replace(paragraph, spans=spans)


def _fix_table(table: Table) -> Table:
    rows = tuple(tuple(fix_spans(cell) for cell in row) for row in table.rows)
    return table if rows == table.rows else replace(table, rows=rows)


def fix_structure(parts: Structure) -> Structure:
    """The article's paragraphs, tables, cross-references and texts with look-alikes fixed."""
    if not any(fix_lookalikes(t) != t for t in (*parts.texts, *parts.crossrefs)) and not any(
        fix_lookalikes(c) != c for t in parts.tables for row in t.text_rows for c in row
    ):
        return parts
    return parts._replace(
        paragraphs=tuple(map(_fix_paragraph, parts.paragraphs)),
        tables=tuple(map(_fix_table, parts.tables)),
        crossrefs=tuple(map(fix_lookalikes, parts.crossrefs)),
        texts=tuple(map(fix_lookalikes, parts.texts)),
    )
