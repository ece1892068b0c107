"""From an article's blocks to its structure: paragraphs with roles, tables, pictures, links.

Roles follow the house style: an italic ``Шығ.:`` paragraph lists works, ``Әдеб.:``
literature; a short italic paragraph after a picture is its caption; the last paragraph,
right-aligned and italic, is the author signature. Cross-references are the italic targets
after ``қ.`` (``(қ. Ертіс)``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple

from uploader.media import content_type
from uploader.model import Paragraph, Picture, Role, Span, Table
from uploader.parse.blocks import Block
from uploader.parse.package import DocxPackage
from uploader.wikitext import UPPER

_WORKS = re.compile(r"^\s*(Шығ\.|Шығармалары|Шығ\s*\.)\s*:?")
_LITERATURE = re.compile(r"^\s*(Әдеб\.|Әдебиет|Әдеб\s*\.)\s*:?")
_SIGNATURE = re.compile(
    rf"^([{UPPER}]\.\s?){{1,3}}\s?[{UPPER}][\w'-]+"
    rf"(\s*,\s*([{UPPER}]\.\s?){{1,3}}\s?[{UPPER}][\w'-]+)*\.?$"
)
_SEE = re.compile(r"(^|[\s(;,])[қҚ]\.\s*$")
_INLINE_SEE = re.compile(r"^\s*қ\.\s+")  # «қ. » inside the italic group itself
_LIST_JOIN = re.compile(r"^\s*(,|;|және|мен|пен|бен)\s*$")


class Structure(NamedTuple):
    """The parts of an article that do not depend on naming."""

    paragraphs: tuple[Paragraph, ...]
    tables: tuple[Table, ...]
    pictures: tuple[Picture, ...]
    crossrefs: tuple[str, ...]
    legacy_font: bool
    warnings: tuple[str, ...]
    texts: tuple[str, ...]  # plain text of each paragraph (equal to ``Paragraph.text``)
    left_out: tuple[tuple[int, str], ...] = ()  # (body index, what) not converted


def italic_share(spans: Sequence[Span]) -> float:
    """The share of letters set in italic."""
    if not any(s.italic for s in spans):
        return 0.0
    total = italic = 0
    for s in spans:
        n = sum(map(str.isalpha, s.text))
        total += n
        if s.italic:
            italic += n
    return italic / total if total else 0.0


def _is_caption(block: Block) -> bool:
    return len(block.text) <= 300 and (italic_share(block.spans) >= 0.6 or block.align == "center")


def _is_signature(block: Block) -> bool:
    text = block.text
    if len(text) > 150 or italic_share(block.spans) < 0.6:
        return False
    return block.align == "right" or bool(_SIGNATURE.match(text))


def _role(block: Block) -> Role:
    text = block.text
    if _WORKS.match(text):
        return Role.WORKS
    if _LITERATURE.match(text):
        return Role.LITERATURE
    return Role.BODY


def _trim(spans: Sequence[Span]) -> tuple[Span, ...]:
    """Drop line breaks and blank runs at both ends of a paragraph."""
    start, end = 0, len(spans)
    while start < end and _is_blank(spans[start]):
        start += 1
    while end > start and _is_blank(spans[end - 1]):
        end -= 1
    return tuple(spans[start:end])


def _is_blank(span: Span) -> bool:
    return span.text == "\n" or not span.text.strip()


def crossrefs(spans: Sequence[Span]) -> list[str]:
    """Targets of ``қ. X`` references: the italic text right after ``қ.``."""
    targets: list[str] = []
    i = 0
    last_target_end = -2
    while i < len(spans):
        if not spans[i].italic:
            i += 1
            continue
        j = i
        while j < len(spans) and spans[j].italic and spans[j].text != "\n":
            j += 1
        group = "".join(s.text for s in spans[i:j])
        before = spans[i - 1].text if i > 0 else ""
        inline_see = _INLINE_SEE.match(group)
        if (
            inline_see
            or _SEE.search(before[-12:])
            or (last_target_end == i - 1 and _LIST_JOIN.match(before))
        ):
            target = group[inline_see.end() :] if inline_see else group
            target = " ".join(target.split()).strip(" .,;:)(")
            if target:
                targets.append(target)
                last_target_end = j
        i = j
    return targets


def _picture(pkg: DocxPackage, rel_id: str, after: int, index: int) -> Picture | None:
    found = pkg.read_media(rel_id)
    if found is None:
        return None
    name, data = found
    return Picture(after, name, content_type(name), data, None, index)


def structure(blocks: Sequence[Block], pkg: DocxPackage) -> Structure:
    """Paragraphs with roles, tables, pictures, cross-references and warnings of one article."""
    paragraphs: list[Paragraph] = []
    kept: list[tuple[Block, tuple[Span, ...]]] = []  # the block and trimmed spans of each
    tables: list[Table] = []
    pictures: list[Picture] = []
    warnings: list[str] = []
    awaiting_caption: list[int] = []  # indexes into pictures
    left_out: list[tuple[int, str]] = []
    for block in blocks:
        if block.error:
            raise ValueError(f"¶{block.index} could not be read: {block.error}")
        for note in block.notes:  # never dropped silently: a warning and a review item
            left_out.append((block.index, note))
            warnings.append(f"¶{block.index}: {note}")
        if block.is_table:
            rows = tuple(tuple(_trim(cell) for cell in row) for row in block.rows)
            tables.append(Table(len(paragraphs) - 1, rows, block.index))
            awaiting_caption = []
            continue
        for rel_id in block.images:
            pic = _picture(pkg, rel_id, len(paragraphs) - 1, block.index)
            if pic is None:
                warnings.append(f"¶{block.index}: picture {rel_id} is missing from the file")
            else:
                pictures.append(pic)
                awaiting_caption.append(len(pictures) - 1)
        spans = _trim(block.spans)
        if not spans:
            continue
        role = _role(block)
        if awaiting_caption and role is Role.BODY and not block.images and _is_caption(block):
            role = Role.CAPTION
            for k in awaiting_caption:
                p = pictures[k]
                pictures[k] = Picture(
                    p.after_paragraph, p.name, p.content_type, p.data, len(paragraphs), p.index
                )
        awaiting_caption = [] if not block.images else awaiting_caption
        paragraphs.append(Paragraph(spans, role, block.index))
        kept.append((block, spans))
    signed = len(paragraphs) > 1 and paragraphs[-1].role is Role.BODY and _is_signature(kept[-1][0])
    if signed:
        last = paragraphs[-1]
        paragraphs[-1] = Paragraph(last.spans, Role.SIGNATURE, last.index)
    refs = [ref for _, spans in (kept[:-1] if signed else kept) for ref in crossrefs(spans)]
    return Structure(
        tuple(paragraphs),
        tuple(tables),
        tuple(pictures),
        tuple(dict.fromkeys(refs)),
        any([b.legacy for b in blocks]),
        tuple(warnings),
        tuple([b.text for b, _ in kept]),
        tuple(left_out),
    )
