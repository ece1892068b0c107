"""Article → JSON record (the ``upload parse --jsonl`` format the scorer reads)."""

from __future__ import annotations

from typing import Any

from uploader.model import Article, Role, Span, Vert

# The enums' values as plain str (a dict look-up: str() of an enum member is a Python call).
_ROLE = {role: role.value for role in Role}
_VERT = {vert: vert.value for vert in Vert}


def _span(span: Span) -> dict[str, Any]:
    out: dict[str, Any] = {"text": span.text}
    if span.bold:
        out["bold"] = True
    if span.italic:
        out["italic"] = True
    if span.vert:
        out["vert"] = _VERT[span.vert]
    return out


def article_record(article: Article, *, spans: bool = True) -> dict[str, Any]:
    """A JSON-ready dict with the headword, title, text and every other field of the article."""
    record: dict[str, Any] = {
        "headword": article.headword,
        "title": article.title,
        "title_alternatives": list(article.title_alternatives),
        "redirects": list(article.redirects),
        "lead": article.lead,
        "kind": str(article.kind),
        "text": article.text,
        "signature": article.signature,
        "works": article.works.text if article.works else None,
        "literature": article.literature.text if article.literature else None,
        "crossrefs": list(article.crossrefs),
        "sup": article.sup,
        "sub": article.sub,
        "has_table": bool(article.tables),
        "has_picture": bool(article.pictures),
        "tables": [
            {"after_paragraph": t.after_paragraph, "rows": t.text_rows} for t in article.tables
        ],
        "captions": [p.text for p in article.by_role(Role.CAPTION)],
        "pictures": [
            {"name": p.name, "after_paragraph": p.after_paragraph, "caption": p.caption}
            for p in article.pictures
        ],
        "legacy_font": article.legacy_font,
        "source": {
            "file": article.source.file,
            "start": article.source.start,
            "end": article.source.end,
        },
        "volume": article.volume,
        "warnings": list(article.warnings),
        "corrected": article.corrected,
    }
    if spans:
        record["paragraphs"] = [
            {"role": _ROLE[p.role], "index": p.index, "spans": list(map(_span, p.spans))}
            for p in article.paragraphs
        ]
    return record
