"""Grouping body blocks into article drafts: where each article starts and ends.

Front matter before the first article, letter dividers, running heads, empty and page-break
paragraphs are dropped; everything between two headwords belongs to the first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from uploader.parse.blocks import Block
from uploader.parse.headword import (
    HeadwordMatch,
    is_letter_divider,
    is_running_head,
    match_headword,
)


class Draft(NamedTuple):
    """An article's blocks, from its headword paragraph to the block before the next one.

    ``overflow`` says which limit the article went past (its blocks are then only the first
    and the last: the article is quarantined, and memory stays flat).
    """

    match: HeadwordMatch
    blocks: tuple[Block, ...]
    overflow: str = ""


class TextLimits(NamedTuple):
    """Caps on the visible text of one paragraph and of one article (0: no cap)."""

    paragraph: int = 0
    article: int = 0


def block_chars(block: Block) -> int:
    """The visible text length of a block (a table: all its cells)."""
    if not block.is_table:
        return len(block.text)
    return sum(len(span.text) for row in block.rows for cell in row for span in cell)


class _Current:
    """The article being collected: its blocks, text size and the limit it went past."""

    def __init__(self, match: HeadwordMatch, first: Block, limits: TextLimits) -> None:
        self.match = match
        self.blocks = [first]
        self.limits = limits
        self.size = 0
        self.overflow = ""
        self._measure(first)

    def add(self, block: Block) -> None:
        if self.overflow:
            self.blocks[1:] = [block]  # keep the first and the last for the position
            return
        self.blocks.append(block)
        self._measure(block)

    def _measure(self, block: Block) -> None:
        limits = self.limits
        if not (limits.paragraph or limits.article):
            return
        chars = block_chars(block)
        self.size += chars
        if limits.paragraph and chars > limits.paragraph:
            self.overflow = (
                f"¶{block.index} has {chars} characters, past [limits] max_paragraph_chars = "
                f"{limits.paragraph}; article set aside"
            )
        elif limits.article and self.size > limits.article:
            self.overflow = (
                f"article text passes [limits] max_article_chars = {limits.article} at "
                f"¶{block.index}; article set aside"
            )
        if self.overflow:
            self.blocks[1:] = self.blocks[-1:] if len(self.blocks) > 1 else []

    def draft(self) -> Draft:
        return Draft(self.match, tuple(self.blocks), self.overflow)


class Skipped(NamedTuple):
    """Blocks outside any article (front matter, dividers), reported for the record."""

    block: Block
    reason: str


_NO_LIMITS = TextLimits()


def segment(blocks: Iterable[Block], limits: TextLimits = _NO_LIMITS) -> Iterator[Draft | Skipped]:
    """Yield one Draft per article, and Skipped for text that belongs to none."""
    current: _Current | None = None
    for block in blocks:
        if block.error:  # unreadable: belongs to the article it sits in, which is quarantined
            if current is None:
                yield Skipped(block, f"unreadable element outside any article ({block.error})")
            else:
                current.add(block)
            continue
        if not block.is_table and not block.spans and not block.images:
            continue  # empty or page-break paragraph
        if not block.is_table:
            found = match_headword(block)
            if found is not None:
                if current is not None:
                    yield current.draft()
                current = _Current(found, block, limits)
                continue
            if is_letter_divider(block):
                if current is not None:
                    yield current.draft()
                current = None
                yield Skipped(block, "letter divider")
                continue
            if is_running_head(block):
                yield Skipped(block, "running head")
                continue
        if current is None:
            yield Skipped(block, "outside any article (front matter)")
        else:
            current.add(block)
    if current is not None:
        yield current.draft()
