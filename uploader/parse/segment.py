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
    """An article's blocks, from its headword paragraph to the block before the next one."""

    match: HeadwordMatch
    blocks: tuple[Block, ...]


class Skipped(NamedTuple):
    """Blocks outside any article (front matter, dividers), reported for the record."""

    block: Block
    reason: str


def segment(blocks: Iterable[Block]) -> Iterator[Draft | Skipped]:
    """Yield one Draft per article, and Skipped for text that belongs to none."""
    match: HeadwordMatch | None = None
    current: list[Block] = []
    for block in blocks:
        if block.error:  # unreadable: belongs to the article it sits in, which is quarantined
            if match is None:
                yield Skipped(block, f"unreadable element outside any article ({block.error})")
            else:
                current.append(block)
            continue
        if not block.is_table and not block.spans and not block.images and not block.notes:
            continue  # empty or page-break paragraph (one holding a chart is reported)
        if not block.is_table and not block.floating:  # a text box never starts an article
            found = match_headword(block)
            if found is not None:
                if match is not None:
                    yield Draft(match, tuple(current))
                match, current = found, [block]
                continue
            if is_letter_divider(block):
                if match is not None:
                    yield Draft(match, tuple(current))
                match, current = None, []
                yield Skipped(block, "letter divider")
                continue
            if is_running_head(block):
                yield Skipped(block, "running head")
                continue
        if match is None:
            yield Skipped(block, "outside any article (front matter)")
        else:
            current.append(block)
    if match is not None:
        yield Draft(match, tuple(current))
