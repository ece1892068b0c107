"""How alike two texts are, and what our page has that a page on the wiki lacks.

A page typed by hand from the encyclopedia is the same text with its formatting flattened
(``км2`` for ``км²``), a few words changed, wiki links added, sections missing. So texts are
compared as plain words: the wiki's wikitext is stripped with mwparserfromhell, both sides
are NFKC-folded (``²`` → ``2``) and case-folded, and the measure is the share of the shorter
text's word triples (single words for very short texts) found in the other text: a hand-made
stub of the first paragraph scores as high as a full copy, another subject scores near zero.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")
_NON_TEXT_LINK = re.compile(r"\[\[\s*(санат|category|сурет|файл|file|image)\s*:[^\]]*\]\]", re.I)
_REF = re.compile(r"<ref[^>/]*/>|<ref[^>]*>.*?</ref>", re.S | re.I)
_HEADING = re.compile(r"^\s*=+\s*(.*?)\s*=+\s*$", re.M)
_TEMPLATE = re.compile(r"\{\{\s*([^|{}\n]+?)\s*[|}]")
_TABLE = re.compile(r"^\s*\{\|", re.M)
_SUPSUB = re.compile(r"(\w{0,12})<(sup|sub)>([^<]{1,12})</(?:sup|sub)>", re.I)
SHINGLE = 3
SHORT = 24  # words: below this, compare words rather than word triples


def plain_of_wikitext(wikitext: str) -> str:
    """The text a reader sees, roughly: markup, templates, references, categories removed."""
    import mwparserfromhell  # only when a page was found (keeps start-up fast)

    text = _REF.sub(" ", _NON_TEXT_LINK.sub(" ", wikitext))
    return str(mwparserfromhell.parse(text).strip_code(normalize=True, collapse=True))


def words(text: str) -> list[str]:
    """The words of a plain text, NFKC- and case-folded."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def _shingles(tokens: list[str], size: int) -> set[tuple[str, ...]]:
    if len(tokens) < size:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def similarity(ours: str, theirs: str, ignore: Iterable[str] = ()) -> float:
    """0..1: the share of the shorter plain text's word triples found in the other.

    When either text is shorter than ``SHORT`` words, triples are too few to tell; then the
    share of its words found in the other is used, leaving out the words of the page's name
    (``ignore``), which both texts share whatever they are about.
    """
    a, b = words(ours), words(theirs)
    if min(len(a), len(b)) < SHORT:
        skip = {w for name in ignore for w in words(name)}
        a, b = [w for w in a if w not in skip], [w for w in b if w not in skip]
        size = 1
    else:
        size = SHINGLE
    if not a or not b:
        return 0.0
    sa, sb = _shingles(a, size), _shingles(b, size)
    return len(sa & sb) / min(len(sa), len(sb))


@dataclass(frozen=True, slots=True)
class Features:
    """What a page's wikitext carries that a flattened copy tends to lose."""

    sup: tuple[str, ...] = ()  # e.g. "км²" for км<sup>2</sup>
    sub: tuple[str, ...] = ()
    tables: int = 0
    headings: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        """A JSON-ready dict (the ledger keeps it for the wiki's pages)."""
        return {
            "sup": list(self.sup),
            "sub": list(self.sub),
            "tables": self.tables,
            "headings": list(self.headings),
            "templates": list(self.templates),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Features:
        """Back from ``as_json``."""

        def strings(key: str) -> tuple[str, ...]:
            value = data.get(key) or []
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        tables = data.get("tables", 0)
        return cls(
            strings("sup"),
            strings("sub"),
            int(tables) if isinstance(tables, int) else 0,
            strings("headings"),
            strings("templates"),
        )


def features(wikitext: str) -> Features:
    """The superscripts, subscripts, tables, section headings and templates of a wikitext."""
    sup: list[str] = []
    sub: list[str] = []
    for before, kind, inside in _SUPSUB.findall(wikitext):
        (sup if kind.lower() == "sup" else sub).append(before + inside)
    return Features(
        tuple(sup),
        tuple(sub),
        len(_TABLE.findall(wikitext)),
        tuple(dict.fromkeys(h.strip() for h in _HEADING.findall(wikitext) if h.strip())),
        tuple(dict.fromkeys(t.strip() for t in _TEMPLATE.findall(wikitext))),
    )


def additions(ours: Features, theirs: Features, theirs_plain: str = "") -> list[str]:
    """What our page would add to the wiki's: lost super/subscripts (``км²`` where the wiki
    has ``км2``), tables, sections (literature, sources) and templates (the citation)."""
    out = []
    for label, mine, wiki in (
        ("superscripts", ours.sup, theirs.sup),
        ("subscripts", ours.sub, theirs.sub),
    ):
        if len(mine) > len(wiki):
            flat = [m for m in mine if m in theirs_plain]
            example = f": {', '.join(flat[:3])} flattened on the wiki" if flat else ""
            out.append(f"{label} {len(mine)} (wiki {len(wiki)}){example}")
    if ours.tables > theirs.tables:
        out.append(f"tables {ours.tables} (wiki {theirs.tables})")
    have = {h.casefold() for h in theirs.headings}
    out += [f"section «{h}»" for h in ours.headings if h.casefold() not in have]
    used = {t.casefold() for t in theirs.templates}
    out += [f"{{{{{t}}}}}" for t in ours.templates if t.casefold() not in used]
    return out
