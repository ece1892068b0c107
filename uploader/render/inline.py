"""Inline wikitext: formatted spans → one escaped line of wikitext.

A paragraph becomes a list of ``Seg`` (text with bold/italic/vertical alignment, or a link,
or converter-made markup). Transformations (lead, cross-references, abbreviations, Latin
protection) edit that list; ``emit`` writes it out, escaping every piece of volume text and
balancing every piece of markup it adds.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from uploader.model import Span, Vert
from uploader.render.escape import escape_line_start, escape_text
from uploader.wikitext import LOWER

BR = "<br />"
NOWIKI_SEPARATOR = "<nowiki/>"
_SPACES = re.compile(r"[ \t\r\n\v\f]+")
_OTHER_SPACES = re.compile(r"[\t\r\n\v\f]")
_MULTI_SPACE = re.compile(" {2,}")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
# A run of Latin script: letters first and last, digits, spaces and formula signs between.
LATIN_RUN = re.compile(r"[A-Za-z](?:[A-Za-z0-9 .,·+=/*:'\u2032-]*[A-Za-z0-9])?")
_LONE_WORD = re.compile(r"[A-Za-z]+[.']?[A-Za-z]*")


@dataclass(slots=True)
class Seg:
    """A piece of a paragraph: formatted text, a link (``link`` = page title) or raw markup."""

    text: str = ""
    bold: bool = False
    italic: bool = False
    vert: Vert = Vert.BASELINE
    link: str | None = None
    raw: str | None = None  # markup the converter made; emitted verbatim, formatting closed
    latin: bool = False

    @property
    def is_text(self) -> bool:
        """True for ordinary text (not a link, not raw markup)."""
        return self.link is None and self.raw is None

    def fmt(self) -> tuple[bool, bool, Vert]:
        """The formatting key of the segment."""
        return (self.bold, self.italic, self.vert)

    def with_text(self, text: str) -> Seg:
        """A copy of the segment with other text (``dataclasses.replace``, only faster)."""
        return Seg(text, self.bold, self.italic, self.vert, self.link, self.raw, self.latin)


def segments(spans: Iterable[Span]) -> list[Seg]:
    """Spans → segments: line breaks become ``<br />``, spaces collapse, equal formats merge."""
    out: list[Seg] = []
    last: Seg | None = None  # the last segment when it is text (formatting can merge)
    merged: list[str] = []  # the texts merged into ``last`` (joined once: linear)
    for span in spans:
        if span.is_break:
            if len(merged) > 1 and last is not None:
                last.text = "".join(merged)
            merged = []
            out.append(Seg(raw=BR))
            last = None
            continue
        text = span.text
        if "\u00ad" in text:
            text = text.replace("\u00ad", "")
        if "  " in text or (not text.isprintable() and _OTHER_SPACES.search(text) is not None):
            text = _SPACES.sub(" ", text)  # (a printable text holds no tab or line break)
        if not text:
            continue
        bold, italic, vert = span.bold, span.italic, span.vert
        if vert is Vert.BASELINE and text.isspace():
            bold = italic = False  # formatting on whitespace is invisible
        if last is not None and last.bold == bold and last.italic == italic and last.vert == vert:
            merged.append(text)
        else:
            if len(merged) > 1 and last is not None:
                last.text = "".join(merged)
            last = Seg(text, bold, italic, vert)
            merged = [text]
            out.append(last)
    if len(merged) > 1 and last is not None:
        last.text = "".join(merged)
    _collapse_spaces(out)
    return _spaces_outside(out)


def _collapse_spaces(segs: list[Seg]) -> None:
    previous_space = True  # drops leading spaces of the paragraph
    for seg in segs:
        if seg.raw is not None:
            previous_space = seg.raw == BR
            continue
        text = seg.text
        if previous_space:
            text = text.lstrip(" ")
        if "  " in text:
            text = _MULTI_SPACE.sub(" ", text)
        seg.text = text
        if text:
            previous_space = text.endswith(" ")
    for seg in reversed(segs):  # drop trailing spaces and trailing line breaks
        if seg.raw == BR:
            seg.raw, seg.text = None, ""
            continue
        if seg.raw is not None:
            break
        seg.text = seg.text.rstrip(" ")
        if seg.text:
            break
    segs[:] = [s for s in segs if s.raw is not None or s.text]


def _spaces_outside(segs: list[Seg]) -> list[Seg]:
    """Move leading/trailing spaces of bold/italic text out of the formatting."""
    out: list[Seg] = []
    for seg in segs:
        text = seg.text
        if (
            not (seg.bold or seg.italic)
            or seg.vert is not Vert.BASELINE
            or not seg.is_text
            or not (text.startswith(" ") or text.endswith(" "))
        ):
            out.append(seg)  # nothing to move (each segment is used once: no copy needed)
            continue
        core = text.strip(" ")
        if not core:
            out.append(Seg(text=text))
            continue
        lead = text[: len(text) - len(text.lstrip(" "))]
        trail = text[len(text.rstrip(" ")) :]
        if lead:
            out.append(Seg(text=lead))
        out.append(seg.with_text(core))
        if trail:
            out.append(Seg(text=trail))
    return out


def plain(segs: Iterable[Seg]) -> str:
    """The plain text of segments (links by their label, line breaks as spaces)."""
    return "".join(" " if s.raw == BR else s.text for s in segs if s.raw is None or s.raw == BR)


# How much of the paragraph around a segment ``map_text`` passes on: the rules look at the
# word or sentence mark next to it, never further (a bounded window keeps paragraphs linear).
_CONTEXT = 256


def map_text(segs: list[Seg], func: Callable[[str, str, str], str]) -> list[Seg]:
    """Apply ``func(text, before, after)`` to every text segment.

    ``before`` and ``after`` are the paragraph's plain text around the segment (as printed),
    up to a few hundred characters each way; ``after`` is blank only at the paragraph's end.
    """
    pieces = [" " if s.raw == BR else s.text if s.raw is None else "" for s in segs]
    full = "".join(pieces)
    text_end = len(full.rstrip())
    offset = 0
    for seg, piece in zip(segs, pieces, strict=True):
        end = offset + len(piece)
        if seg.is_text and piece:
            after = full[end : end + _CONTEXT]
            if end < text_end and (not after or after.isspace()):
                after = full[end:text_end]
            seg.text = func(piece, full[max(0, offset - _CONTEXT) : offset], after)
        offset = end
    return segs


def replace_lead(segs: list[Seg], headword: str, lead_markup: str) -> tuple[list[Seg], bool]:
    """Replace the printed headword at the start with ``lead_markup`` (already wikitext).

    Returns the new segments and whether the headword was found where expected.
    """
    target = [ch.casefold() for ch in headword if not ch.isspace() and ch != "\u00ad"]
    pos = 0
    for i, seg in enumerate(segs):
        if seg.raw is not None:
            break
        for j, ch in enumerate(seg.text):
            if ch.isspace():
                continue
            if pos < len(target) and ch.casefold() == target[pos]:
                pos += 1
                if pos == len(target):
                    if _continues_word(segs, i, j + 1):
                        break  # «ЖЕЗДІ» is not the headword «ЖЕЗ»
                    rest = [*_cut_after(segs, i, j + 1)]
                    return [Seg(raw=lead_markup), *rest], True
                continue
            return _replace_caps_opening(segs, lead_markup), False
    return _replace_caps_opening(segs, lead_markup), False


def _continues_word(segs: list[Seg], i: int, j: int) -> bool:
    for seg in segs[i:]:
        if seg.raw is not None:
            return False
        text = seg.text[j:] if seg is segs[i] else seg.text
        if text:
            return text[0].isalnum()
    return False


def _cut_after(segs: list[Seg], i: int, j: int) -> list[Seg]:
    head = segs[i]
    remainder = head.text[j:]
    rest = segs[i + 1 :]
    if remainder:
        rest = [head.with_text(remainder), *rest]
    if rest and rest[0].is_text and rest[0].text[:1] not in (" ", ",", ".", ";", ":", ")"):
        rest = [Seg(text=" "), *rest]
    return _normalise_after_lead(rest)


def _normalise_after_lead(rest: list[Seg]) -> list[Seg]:
    # Bold left over from the headword line (a dash, a trailing space) is not the name.
    for seg in rest:
        if not seg.is_text:
            break
        if seg.bold and not any(ch.isalnum() for ch in seg.text):
            seg.bold = False
        elif seg.text.strip():
            break
    return rest


_CAPS_WORD = re.compile(rf"[«\"]?[^\W\d_{LOWER}]{{2,}}[»\"]?[,.]?")


def _replace_caps_opening(segs: list[Seg], lead_markup: str) -> list[Seg]:
    """Fallback: drop all-caps words at the start (the headword as printed), then add the lead."""
    text = plain(segs)
    words = text.split(" ")
    drop = 0
    for word in words:
        if word and _CAPS_WORD.fullmatch(word) and any(ch.isalpha() for ch in word):
            drop += len(word) + 1
        else:
            break
    drop = min(drop, len(text))
    rest = _drop_chars(segs, drop)
    spacer = [Seg(text=" ")] if rest else []
    return [Seg(raw=lead_markup), *spacer, *rest]


def _drop_chars(segs: list[Seg], count: int) -> list[Seg]:
    out: list[Seg] = []
    for seg in segs:
        if count <= 0:
            out.append(seg)
            continue
        size = 1 if seg.raw == BR else len(seg.text) if seg.raw is None else 0
        if size <= count:
            count -= size
            continue
        out.append(seg.with_text(seg.text[count:]))
        count = 0
    while out and out[0].is_text and not out[0].text.strip():
        out.pop(0)
    if out and out[0].is_text:
        out[0] = out[0].with_text(out[0].text.lstrip())
    return out


def strip_label(segs: list[Seg], label: re.Pattern[str]) -> list[Seg]:
    """Remove a leading label such as «Шығ.:» (matched on the plain text)."""
    m = label.match(plain(segs))
    if not m:
        return segs
    return _drop_chars(segs, m.end())


def protect_latin(
    segs: list[Seg], skip: re.Pattern[str] | None, single_words: bool = True
) -> list[Seg]:
    """Mark runs of Latin script so ``emit`` wraps them in ``-{...}-``.

    Runs are found per stretch of equal bold/italic text; a run never splits a sup/sub.
    Runs matching ``skip`` are left alone, and so are lone words unless ``single_words``
    (a passage has several words, a digit, a formula sign or a sub/superscript).
    """
    if _LATIN_LETTER.search("".join([s.text for s in segs if s.raw is None])) is None:
        return segs  # no Latin letter, no run
    out: list[Seg] = []
    i = 0
    while i < len(segs):
        seg = segs[i]
        if not seg.is_text:
            out.append(seg)
            i += 1
            continue
        j = i
        while j < len(segs) and segs[j].is_text and segs[j].fmt()[:2] == seg.fmt()[:2]:
            j += 1
        out.extend(_latin_group(segs[i:j], skip, single_words))
        i = j
    return out


def _latin_group(group: list[Seg], skip: re.Pattern[str] | None, single_words: bool) -> list[Seg]:
    text = "".join(s.text for s in group)
    bounds = []
    offset = 0
    for seg in group:
        bounds.append((offset, offset + len(seg.text)))
        offset += len(seg.text)
    scripts = [ab for ab, seg in zip(bounds, group, strict=True) if seg.vert is not Vert.BASELINE]
    script_ends = [b for _, b in scripts]
    zones = []
    for m in LATIN_RUN.finditer(text):
        if skip is not None and skip.fullmatch(m.group(0)):
            continue
        k = bisect.bisect_right(script_ends, m.start())  # the first script ending after it
        touches_script = k < len(scripts) and scripts[k][0] < m.end()
        if single_words or touches_script or not _LONE_WORD.fullmatch(m.group(0)):
            zones.append(m.span())
    if not zones:
        return group
    starts = [a for a, _ in bounds]
    snapped = []
    for start, end in zones:  # a zone never splits a sup/sub: widen it to the whole run
        snapped.append((_snap(start, starts, bounds, group), _snap(end, starts, bounds, group, 1)))
    snapped.sort()
    reach = list(itertools.accumulate((e for _, e in snapped), max))
    zone_starts = [s for s, _ in snapped]
    cuts = sorted({p for zone in snapped for p in zone})
    out: list[Seg] = []
    for (a, b), seg in zip(bounds, group, strict=True):
        inner = cuts[bisect.bisect_right(cuts, a) : bisect.bisect_left(cuts, b)]
        points = [a, *inner, b]
        for p, q in itertools.pairwise(points):
            piece = seg.with_text(seg.text[p - a : q - a])
            k = bisect.bisect_right(zone_starts, p) - 1  # zones starting at or before p
            piece.latin = k >= 0 and reach[k] >= q
            out.append(piece)
    return out


def _snap(
    pos: int, starts: list[int], bounds: list[tuple[int, int]], group: list[Seg], to_end: int = 0
) -> int:
    """``pos``, moved to the start (or, ``to_end``, the end) of a sup/sub run it falls inside."""
    k = bisect.bisect_right(starts, pos) - 1
    if k < 0:
        return pos
    a, b = bounds[k]
    if group[k].vert is not Vert.BASELINE and a < pos < b:
        return b if to_end else a
    return pos


_WANT: dict[tuple[bool, bool], tuple[str, ...]] = {
    (False, False): (),
    (True, False): ("'''",),
    (False, True): ("''",),
    (True, True): ("'''", "''"),
}


def emit(segs: Iterable[Seg]) -> str:
    """Write segments as one line of wikitext: escaped text, balanced markup."""
    out: list[str] = []
    stack: list[str] = []  # open quote markers, "'''" (bold) and "''" (italic)
    in_latin = 0  # where the open -{ sits in ``out`` (+1); 0 when none is open
    for seg in segs:
        if seg.raw is not None:
            if in_latin:
                in_latin = _close_latin(out, in_latin)
            if stack:
                _transition(out, stack, ())
            _append(out, seg.raw + " " if seg.raw == BR else seg.raw)
            continue
        want = _WANT[seg.bold, seg.italic and seg.link is None]
        same = (not stack and not want) or (
            len(stack) == len(want) and all(m in want for m in stack)
        )
        if in_latin and (not seg.latin or not same):
            in_latin = _close_latin(out, in_latin)
        if not same:
            _transition(out, stack, want)
        if seg.latin and not in_latin:
            out.append("-{")
            in_latin = len(out)
        out.append(_piece(seg))
    _close_latin(out, in_latin)
    if stack:
        _transition(out, stack, ())
    return escape_line_start("".join(out))


def _close_latin(out: list[str], in_latin: int) -> int:
    """Close the open ``-{``. A colon inside becomes ``&#58;``: the script converter reads
    ``-{kk: Kazakh}-`` as a variant rule (and hides the text), never ``-{kk&#58; Kazakh}-``."""
    if in_latin:
        for k in range(in_latin, len(out)):
            if ":" in out[k]:
                out[k] = out[k].replace(":", "&#58;")
        out.append("}-")
    return 0


def _piece(seg: Seg) -> str:
    if seg.link is not None:
        if seg.link == seg.text:
            return f"[[{seg.link}]]"
        return f"[[{seg.link}|{escape_text(seg.text)}]]"
    text = escape_text(seg.text)
    if seg.vert is Vert.BASELINE:
        return text
    if seg.vert is Vert.SUP:
        return f"<sup>{text}</sup>"
    if seg.vert is Vert.SUB:
        return f"<sub>{text}</sub>"
    return text


def _transition(out: list[str], stack: list[str], want: tuple[str, ...]) -> None:
    keep = 0
    while keep < len(stack) and stack[keep] in want:
        keep += 1
    pops = "".join(reversed(stack[keep:]))
    del stack[keep:]
    pushes = "".join(m for m in ("'''", "''") if m in want and m not in stack)
    stack.extend(m for m in ("'''", "''") if m in want and m not in stack)
    if pops:
        _append(out, pops)
    if pops and pushes:
        out.append(NOWIKI_SEPARATOR)
    if pushes:
        _append(out, pushes)


def _append(out: list[str], markup: str) -> None:
    """Append markup; keep apostrophe runs from touching (``'''`` + ``''`` would misparse)."""
    if markup.startswith("'") and out and out[-1].endswith("'"):
        out.append(NOWIKI_SEPARATOR)
    out.append(markup)


def has_text(segs: Iterable[Seg]) -> bool:
    """True when any segment carries visible text."""
    segs = list(segs)
    text = "".join([s.text for s in segs if s.raw is None])  # ``\S`` is ``not isspace()``
    return (bool(text) and not text.isspace()) or any(
        s.raw is not None and s.raw != BR for s in segs
    )
