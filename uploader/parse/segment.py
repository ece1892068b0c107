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

import functools
import re
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
_OPENERS = '«"('  # quotes and brackets before a headword's first letter


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


class Item(NamedTuple):
    """A body block with what segmentation asks of it alone (``classify``)."""

    block: Block
    match: HeadwordMatch | None
    divider: bool
    headword: str = ""  # the candidate headword, look-alikes fixed, opening quotes dropped
    letter: str = ""  # its initial letter ("" when not a letter of the alphabet)


def classify(blocks: Iterable[Block]) -> Iterator[Item]:
    """Each block with its headword match (if it may start an article), whether it is a
    letter divider, and the candidate headword and its letter: what depends on the block
    alone, so it can be worked out apart from the segmentation (``uploader.parse.offload``)."""
    for block in blocks:
        if (
            block.error
            or block.is_table
            or block.floating
            or (not block.spans and not block.images)
        ):
            yield Item(block, None, False)  # a text box never starts an article
            continue
        found = match_headword(block)
        if found is None:
            yield Item(block, None, is_letter_divider(block))
            continue
        headword = fix_lookalikes(found.headword).lstrip(_OPENERS)
        yield Item(block, found, False, headword, initial_letter(headword))


class _Lookahead:
    """The items in order, with a bounded window of the ones not yet taken."""

    def __init__(self, items: Iterator[Item], size: int) -> None:
        self.items = items
        self.size = max(0, size)
        self.window: deque[Item] = deque()

    def __iter__(self) -> Iterator[Item]:
        while True:
            if self.window:
                yield self.window.popleft()
                continue
            item = next(self.items, None)
            if item is None:
                return
            yield item

    def candidates(self) -> list[tuple[str, str, bool]]:
        """The candidate headwords ahead, up to and with a letter divider: (headword with
        look-alikes fixed, its initial letter, whether it is the very next paragraph)."""
        while len(self.window) < self.size:
            item = next(self.items, None)
            if item is None:
                break
            self.window.append(item)
        out = []
        first = True
        for item in self.window:
            if item.divider:
                # The next group's letter closes this one: what sorts after it is out of order.
                letter = initial_letter(item.block.text)
                if letter:
                    out.append((letter, letter, first))
                break
            if item.letter:
                out.append((item.headword, item.letter, first))
            if item.block.spans or item.block.is_table:
                first = False
        return out

    def next_candidate(self) -> str:
        """The initial letter of the next paragraph when it is a candidate headword, else ""."""
        for item in self.window:
            if item.block.spans or item.block.is_table or item.divider:
                return item.letter
        while len(self.window) < max(self.size, 1):
            new = next(self.items, None)
            if new is None:
                return ""
            self.window.append(new)
            if new.block.spans or new.block.is_table or new.divider:
                return new.letter
        return ""

    def initials(self) -> list[str]:
        """Initial letters of the candidate headwords ahead, up to a letter divider."""
        return [letter for _, letter, _ in self.candidates()]


_PAREN_RE = re.compile(r"\([^()]*\)")
# Headwords are compared again with every candidate read ahead of them: their keys are kept.
_sort_key = functools.lru_cache(maxsize=1024)(alphabet_key)


@functools.lru_cache(maxsize=256)
def _order_keys(headword: str) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """Sort keys of the capitalised words that open a headword (what a volume is sorted by):
    letter by letter, and word by word."""
    words = []
    for word in _PAREN_RE.sub(" ", headword).split():
        if any(map(str.islower, word)):
            break
        words.append(word)
    return _sort_key(" ".join(words)), tuple(map(_sort_key, words))


def _before(headword: str, last: str) -> bool:
    """Whether a headword sorts before the last one, letter by letter and word by word
    (volumes differ in how they sort «АҚ ЖАЙЫҚ» against «АҚАДЫР»; either is in order)."""
    mine, theirs = _order_keys(headword), _order_keys(last)
    return mine[0] < theirs[0] and mine[1] < theirs[1]


def _person_shaped(headword: str) -> bool:
    """A name after the capitals (``ӘУЕЗОВ Мұхтар``, ``АБЫЛАЙ хан``), not a mixed-case
    acronym such as ``ҚазКСР``."""
    later = _PAREN_RE.sub(" ", headword).split()[1:]
    return any(
        (w[:1].isupper() and w[1:].islower()) or (w.isalpha() and w.islower()) for w in later
    )


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
        self.after_rejected = False  # the paragraph before was a candidate kept as text

    def _note(self, block: Block, reason: str, headword: str) -> None:
        if self.report is not None:
            self.report.flag(Review.ORDER, f"{self.label}:¶{block.index}", reason, headword)

    def accepts(self, item: Item, ahead: _Lookahead, after_end: bool) -> bool:
        """Whether a candidate headword starts an article (notes what is out of order)."""
        assert item.match is not None
        headword, letter = fix_lookalikes(item.match.headword), item.letter
        if not letter:
            return True  # a year or a Latin name: order says nothing
        if not self.last:
            if self.divider and letter != self.divider:
                reason = f"first article after the divider «{self.divider}» starts with «{letter}»"
                self._note(item.block, reason, headword)
            self.last = headword
            return True
        before = initial_letter(self.last.lstrip(_OPENERS))
        if letter == before:
            return self._same_letter(item, headword, before, ahead)
        return self._other_letter(item, headword, letter, before, ahead, after_end)

    def _same_letter(self, item: Item, headword: str, before: str, ahead: _Lookahead) -> bool:
        """A headword of the current group: an article, unless it sits in a list of far ones."""
        if self._inside_list(headword, before, ahead):
            reason = (
                f"«{headword}» sorts after the next «{before}» article and sits in a list of "
                f"headwords far out of order: kept as part of «{self.last}»"
            )
            self._note(item.block, reason, headword)
            return False
        if _before(headword, self.last):  # a typist's slip: still an article
            reason = f"accepted against alphabetical order: «{headword}» after «{self.last}»"
            self._note(item.block, reason, headword)
        self.last = headword
        return True

    def _other_letter(
        self,
        item: Item,
        headword: str,
        letter: str,
        before: str,
        ahead: _Lookahead,
        after_end: bool,
    ) -> bool:
        """A headword of another letter: a new group, or far out of order when the current
        group goes on after it (then an article only if the one before has ended or it
        names a person)."""
        if self._group_goes_on(letter, before, ahead.initials()):
            if not after_end and not _person_shaped(headword):
                reason = (
                    f"«{headword}» is far out of alphabetical order (after «{self.last}», and "
                    f"the «{before}» articles go on): kept as part of «{self.last}»"
                )
                self._note(item.block, reason, headword)
                return False
            why = "the article before has ended" if after_end else "it names a person"
            reason = (
                f"accepted against alphabetical order ({why}): «{headword}» inside the "
                f"«{before}» articles after «{self.last}»"
            )
            self._note(item.block, reason, headword)
        elif _RANK[letter] < _RANK[before]:
            reason = f"accepted against alphabetical order: «{headword}» after «{self.last}»"
            self._note(item.block, reason, headword)
        self.last = headword
        return True

    def _inside_list(self, headword: str, before: str, ahead: _Lookahead) -> bool:
        """A headword of the group that sorts after the group's next article and stands next
        to one far out of order (an acronym list: ``АҚШ – ...`` beside ``ТМД – ...``)."""
        if not self.after_rejected and ahead.next_candidate() in ("", before):
            return False  # the cheap test first: no list item of another letter beside it
        upcoming = ahead.candidates()
        last = _sort_key(self.last)
        later = [k for h, letter, _ in upcoming if letter == before and (k := _sort_key(h)) >= last]
        if not later or min(later) >= _sort_key(headword):
            return False
        if self.after_rejected:
            return True
        if not upcoming or not upcoming[0][2] or upcoming[0][1] == before:
            return False
        letters = [letter for _, letter, _ in upcoming]
        return self._group_goes_on(letters[0], before, letters[1:])

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
    limits: TextLimits = _NO_LIMITS,
) -> Iterator[Draft | Skipped]:
    """Yield one Draft per article, and Skipped for text that belongs to none.

    ``lookahead`` bounds how many blocks are read ahead to weigh alphabetical order; order
    notes go to ``report``'s review queue. An article past one of ``limits`` keeps only its
    first and last block and says which limit in ``Draft.overflow``.
    """
    return segment_items(classify(blocks), report, label, lookahead, limits)


def segment_items(
    classified: Iterable[Item],
    report: Report | None = None,
    label: str = "",
    lookahead: int = 60,
    limits: TextLimits = _NO_LIMITS,
) -> Iterator[Draft | Skipped]:
    """``segment`` over blocks already classified (``classify``)."""
    current: _Current | None = None
    order = _Order(report, label)
    items = _Lookahead(iter(classified), lookahead)
    last_text: Block | None = None
    for item in items:
        block = item.block
        if block.error:  # unreadable: belongs to the article it sits in, which is quarantined
            if current is None:
                yield Skipped(block, f"unreadable element outside any article ({block.error})")
            else:
                current.add(block)
            continue
        if not block.is_table and not block.spans and not block.images and not block.notes:
            continue  # empty or page-break paragraph (one holding a chart is reported)
        if item.match is not None and (
            current is None or order.accepts(item, items, _ends_article(last_text))
        ):
            if current is not None:
                yield current.draft()
            elif order.last == "":
                order.accepts(item, items, False)
            current, last_text = _Current(item.match, block, limits), block
            order.after_rejected = False
            continue
        order.after_rejected = item.match is not None and current is not None
        if not block.is_table and not block.floating and item.match is None:
            if item.divider:
                if current is not None:
                    yield current.draft()
                current = None
                order.new_group(block.text.strip(" .").upper()[:1])
                yield Skipped(block, "letter divider")
                continue
            if is_running_head(block):
                yield Skipped(block, "running head")
                continue
        if current is None:
            yield Skipped(block, "outside any article (front matter)")
        else:
            current.add(block)
            last_text = block
    if current is not None:
        yield current.draft()
