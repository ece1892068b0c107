"""Grouping body blocks into article drafts: where each article starts and ends.

Front matter before the first article, letter dividers, running heads, empty and page-break
paragraphs are dropped; everything between two headwords belongs to the first.

Alphabetical order is weighed with the other signals: a candidate headword whose initial
letter leaves the letter group while the headwords after it (read ahead a bounded number of
paragraphs) continue the group is far out of order, such as a list of acronyms with dashes
inside an article (``ТМД – ...`` after ``АББРЕВИАТУРА``); it becomes part of the article
before, unless that article has ended (a signature or literature list before it) or the
headword has a person's mixed-case shape. A headword slightly out of order within its letter
(a typist's slip) still starts an article. Both cases go to the review queue.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from uploader.parse.blocks import Block
from uploader.parse.headword import (
    HeadwordMatch,
    is_letter_divider,
    is_running_head,
    match_headword,
)
from uploader.report import Report, Review
from uploader.wikitext import KAZAKH_ALPHABET, alphabet_key, fix_lookalikes, initial_letter

_RANK = {letter: rank for rank, letter in enumerate(KAZAKH_ALPHABET.split())}
_LITERATURE = ("Әдеб.", "Әдеб:")


class Draft(NamedTuple):
    """An article's blocks, from its headword paragraph to the block before the next one."""

    match: HeadwordMatch
    blocks: tuple[Block, ...]


class Skipped(NamedTuple):
    """Blocks outside any article (front matter, dividers), reported for the record."""

    block: Block
    reason: str


class _Item(NamedTuple):
    block: Block
    match: HeadwordMatch | None
    divider: bool


def _items(blocks: Iterable[Block]) -> Iterator[_Item]:
    for block in blocks:
        if block.error or block.is_table or (not block.spans and not block.images):
            yield _Item(block, None, False)
            continue
        found = match_headword(block)
        yield _Item(block, found, found is None and is_letter_divider(block))


class _Lookahead:
    """The items in order, with a bounded window of the ones not yet taken."""

    def __init__(self, items: Iterator[_Item], size: int) -> None:
        self.items = items
        self.size = max(0, size)
        self.window: deque[_Item] = deque()

    def __iter__(self) -> Iterator[_Item]:
        while True:
            if self.window:
                yield self.window.popleft()
                continue
            item = next(self.items, None)
            if item is None:
                return
            yield item

    def initials(self) -> list[str]:
        """Initial letters of the candidate headwords ahead, up to a letter divider."""
        while len(self.window) < self.size:
            item = next(self.items, None)
            if item is None:
                break
            self.window.append(item)
        out = []
        for item in self.window:
            if item.divider:
                break
            if item.match is not None:
                letter = initial_letter(item.match.headword.lstrip('«"('))
                if letter:
                    out.append(letter)
        return out


def _ends_article(block: Block | None) -> bool:
    """A signature (right-aligned italic) or a literature list: the article has ended."""
    if block is None or block.is_table:
        return False
    if block.text.startswith(_LITERATURE):
        return True
    texts = [s for s in block.spans if s.text.strip()]
    return block.align == "right" and bool(texts) and all(s.italic for s in texts)


class _Order:
    """Alphabetical order as evidence: the last accepted headword and the letter group."""

    def __init__(self, report: Report | None, label: str) -> None:
        self.report = report
        self.label = label
        self.last = ""
        self.divider = ""

    def _note(self, block: Block, reason: str, headword: str) -> None:
        if self.report is not None:
            self.report.flag(Review.ORDER, f"{self.label}:¶{block.index}", reason, headword)

    def accepts(self, item: _Item, ahead: _Lookahead, after_end: bool) -> bool:
        """Whether a candidate headword starts an article (notes what is out of order)."""
        assert item.match is not None
        headword = fix_lookalikes(item.match.headword)
        letter = initial_letter(headword.lstrip('«"('))
        if not letter:
            return True  # a year or a Latin name: order says nothing
        if not self.last:
            if self.divider and letter != self.divider:
                self._note(
                    item.block,
                    f"first article after the divider «{self.divider}» starts with «{letter}»",
                    headword,
                )
            self.last = headword
            return True
        before = initial_letter(self.last.lstrip('«"('))
        if letter == before or not before:
            if alphabet_key(headword) < alphabet_key(self.last):
                self._note(
                    item.block,
                    f"accepted against alphabetical order: «{headword}» after «{self.last}»",
                    headword,
                )
            self.last = headword
            return True
        if self._group_goes_on(letter, before, ahead.initials()):
            if after_end or any(c.islower() for c in headword):
                why = "the article before has ended" if after_end else "it names a person"
                self._note(
                    item.block,
                    f"accepted against alphabetical order ({why}): «{headword}» "
                    f"inside the «{before}» articles after «{self.last}»",
                    headword,
                )
                self.last = headword
                return True
            self._note(
                item.block,
                f"«{headword}» is far out of alphabetical order (after «{self.last}», and the "
                f"«{before}» articles go on): kept as part of «{self.last}»",
                headword,
            )
            return False
        if _RANK[letter] < _RANK[before]:
            self._note(
                item.block,
                f"accepted against alphabetical order: «{headword}» after «{self.last}»",
                headword,
            )
        self.last = headword
        return True

    @staticmethod
    def _group_goes_on(letter: str, before: str, ahead: list[str]) -> bool:
        """True when more headwords ahead sort with the group before than with this one."""
        mine, theirs = _RANK[letter], _RANK[before]
        if mine > theirs:
            with_group = sum(theirs <= _RANK[a] < mine for a in ahead)
            with_this = sum(_RANK[a] >= mine for a in ahead)
        else:
            with_group = sum(_RANK[a] >= theirs for a in ahead)
            with_this = sum(_RANK[a] < theirs for a in ahead)
        return with_group > with_this

    def new_group(self, letter: str) -> None:
        """A letter divider: a new group starts, the next headword opens it."""
        self.last = ""
        self.divider = letter


def segment(
    blocks: Iterable[Block],
    report: Report | None = None,
    label: str = "",
    lookahead: int = 60,
) -> Iterator[Draft | Skipped]:
    """Yield one Draft per article, and Skipped for text that belongs to none.

    ``lookahead`` bounds how many blocks are read ahead to weigh alphabetical order; order
    notes go to ``report``'s review queue.
    """
    match: HeadwordMatch | None = None
    current: list[Block] = []
    order = _Order(report, label)
    items = _Lookahead(_items(blocks), lookahead)
    last_text: Block | None = None
    for item in items:
        block = item.block
        if block.error:  # unreadable: belongs to the article it sits in, which is quarantined
            if match is None:
                yield Skipped(block, f"unreadable element outside any article ({block.error})")
            else:
                current.append(block)
            continue
        if not block.is_table and not block.spans and not block.images:
            continue  # empty or page-break paragraph
        if item.match is not None and (
            match is None or order.accepts(item, items, _ends_article(last_text))
        ):
            if match is not None:
                yield Draft(match, tuple(current))
            elif order.last == "":
                order.accepts(item, items, False)
            match, current, last_text = item.match, [block], block
            continue
        if not block.is_table and item.match is None:
            if item.divider:
                if match is not None:
                    yield Draft(match, tuple(current))
                match, current = None, []
                order.new_group(block.text.strip(" .").upper()[:1])
                yield Skipped(block, "letter divider")
                continue
            if is_running_head(block):
                yield Skipped(block, "running head")
                continue
        if match is None:
            yield Skipped(block, "outside any article (front matter)")
        else:
            current.append(block)
            last_text = block
    if match is not None:
        yield Draft(match, tuple(current))
