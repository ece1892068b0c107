"""Matching the current rendering of a volume to the articles the bot published before.

A corrected file shifts every paragraph index, so the ledger's position key cannot say which
new article is which old one. The match goes in two steps:

1. **headword and occurrence**: the n-th article with a headword is the n-th article with
   that headword before (rows from before the ledger knew headwords use the title), when the
   two texts are still alike (``KEY_SIMILARITY``);
2. **position and text**: an article left over lies between two matched neighbours; among
   the new articles between the same neighbours, the one whose text is most alike is taken
   when it is alike enough (``SIMILARITY``), clearly better than the next (``MARGIN``) and the
   old article is its best choice too.

What is left is never guessed: an old article with no new article anywhere near it in its
place is *gone*; one with candidates none of which is sure is *unsure* (for a person); new
articles nobody claimed are *new* (``upload volume`` creates them).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from uploader.model import Page
from uploader.publish.ledger import Identity, Published, expand
from uploader.wikitext import text_sha1

KEY_SIMILARITY = 0.5  # a headword match whose texts are less alike than this is unsure
SIMILARITY = 0.6  # a match by position needs texts at least this alike
MARGIN = 0.1  # ... and this much more alike than the next candidate
GONE_BELOW = 0.3  # candidates all less alike than this: the old article is gone

# Wikitext that every page of a volume shares (footnotes, templates, headings, links on a
# line of their own such as categories), left out before texts are compared.
_BOILERPLATE = re.compile(
    r"(?s:<ref[^>/]*>.*?</ref>)|^[ \t]*(\{\{[^\n]*\}\}|==[^\n]*==|\[\[[^\]\n]*\]\]|<[^>\n]+/>)[ \t]*$",
    re.M,
)

_WORD = re.compile(r"\w+")  # texts are compared word by word, markup left out


@dataclass(frozen=True, slots=True)
class Fresh:
    """An article of the current rendering: where it is, what it is, what it would be."""

    index: int  # order in the volume
    pos: str
    title: str
    headword: str
    occurrence: int
    text: str  # storage form, as it would be sent
    sha1: str
    source_sha1: str  # of the article's source text ("" when the rendering does not say)

    @property
    def identity(self) -> Identity:
        """The ledger's note of which article this is."""
        return Identity(self.pos, self.headword, self.occurrence, self.source_sha1, self.sha1)


def headword_key(headword: str) -> str:
    """A headword compared across renderings: spaces collapsed, case folded."""
    return " ".join(headword.split()).casefold()


def fresh_articles(pages: Iterable[Page]) -> list[Fresh]:
    """The articles of a rendering in order, each with its headword's occurrence."""
    seen: Counter[str] = Counter()
    out = []
    for index, page in enumerate(pages):
        article = expand(page)[0]
        key = headword_key(page.headword or page.title)
        seen[key] += 1
        source = str(getattr(page, "source_text", "") or "")
        out.append(
            Fresh(
                index,
                page.key,
                page.title,
                page.headword,
                seen[key],
                article.text,
                article.sha1,
                text_sha1(source) if source else "",
            )
        )
    return out


def identities(pages: Iterable[Page]) -> list[Identity]:
    """What ``Ledger.record_identity`` keeps for a rendering's articles."""
    return [f.identity for f in fresh_articles(pages)]


@dataclass(frozen=True, slots=True)
class Pair:
    """A published article and the article of the current rendering that it is."""

    old: Published
    new: Fresh
    how: str  # "headword", "title", "position"
    similarity: float


@dataclass(frozen=True, slots=True)
class Unsure:
    """A published article whose counterpart cannot be told with confidence."""

    old: Published
    reason: str


@dataclass
class Matching:
    """The outcome: pairs, and what could not be paired."""

    pairs: list[Pair] = field(default_factory=list)
    gone: list[Published] = field(default_factory=list)
    unsure: list[Unsure] = field(default_factory=list)
    new: list[Fresh] = field(default_factory=list)


def similarity(a: str, b: str) -> float:
    """How alike two page texts are (0..1, word by word), their shared boilerplate left out."""
    if a == b:
        return 1.0
    left, right = (_WORD.findall(_BOILERPLATE.sub("", t)) for t in (a, b))
    matcher = SequenceMatcher(None, left, right, autojunk=False)
    if matcher.real_quick_ratio() < GONE_BELOW / 2:
        return matcher.real_quick_ratio()
    return matcher.ratio()


def match(old: Sequence[Published], new: Sequence[Fresh]) -> Matching:
    """Pair published articles (in source order) with the current ones (see the module)."""
    result = Matching()
    taken: dict[int, Pair] = {}  # new index -> pair
    left: list[tuple[int, Published]] = []
    by_key = {(headword_key(f.headword or f.title), f.occurrence): f for f in new}
    by_title: dict[str, Fresh] = {}
    for f in new:
        by_title.setdefault(f.title, f)
    for i, row in enumerate(old):
        candidate, how = _by_key(row, by_key, by_title)
        if candidate is not None and candidate.index not in taken:
            score = similarity(row.text, candidate.text)
            if score >= KEY_SIMILARITY:
                taken[candidate.index] = Pair(row, candidate, how, score)
                continue
        left.append((i, row))
    matched_at = {id(p.old): p.new.index for p in taken.values()}
    anchors = [(i, matched_at[id(row)]) for i, row in enumerate(old) if id(row) in matched_at]
    gaps: dict[tuple[int, int], list[Published]] = {}
    for i, row in left:
        low = max((n for o, n in anchors if o < i), default=-1)
        high = min((n for o, n in anchors if o > i), default=len(new))
        gaps.setdefault((low, high), []).append(row)
    for (low, high), rows in gaps.items():
        pool = [f for f in new[low + 1 : high] if f.index not in taken] if low < high else []
        _by_position(rows, pool, taken, result)
    result.pairs = sorted(taken.values(), key=lambda p: p.new.index)
    result.new = [f for f in new if f.index not in taken]
    return result


def _by_key(
    row: Published, by_key: dict[tuple[str, int], Fresh], by_title: dict[str, Fresh]
) -> tuple[Fresh | None, str]:
    if row.headword:
        return by_key.get((headword_key(row.headword), row.occurrence or 1)), "headword"
    return by_title.get(row.title), "title"


def _by_position(
    rows: list[Published], pool: list[Fresh], taken: dict[int, Pair], out: Matching
) -> None:
    """Pair the left-over articles of one gap with the new articles of the same gap: each
    pair must be both sides' clear best; the rest are gone or unsure."""
    scores = {
        (o, n): similarity(row.text, f.text)
        for o, row in enumerate(rows)
        for n, f in enumerate(pool)
    }
    for o, row in enumerate(rows):
        ranked = sorted(((scores[o, n], n) for n in range(len(pool))), reverse=True)
        if not ranked or ranked[0][0] < GONE_BELOW:
            out.gone.append(row)
            continue
        best, n = ranked[0]
        second = ranked[1][0] if len(ranked) > 1 else 0.0
        rivals = sorted(
            (scores[other, n] for other in range(len(rows)) if other != o), reverse=True
        )
        rival = rivals[0] if rivals else 0.0
        if best >= SIMILARITY and best - second >= MARGIN and best - rival >= MARGIN:
            taken[pool[n].index] = Pair(row, pool[n], "position", best)
            continue
        names = ", ".join(f"«{pool[k].title}» {s:.2f}" for s, k in ranked[:3])
        out.unsure.append(Unsure(row, f"no sure counterpart near its place (alike: {names})"))
