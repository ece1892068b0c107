"""Streaming reader: word/document.xml → body blocks (paragraphs and tables) with clean runs.

Runs carry their effective formatting (paragraph style, character style, direct formatting),
legacy-font text decoded per run, and Word noise removed: soft hyphens, non-breaking spaces
and hyphens, tabs, zero-width characters. Memory stays flat: each body element is cleared once
read.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import NamedTuple

from lxml import etree

from uploader.errors import InputError
from uploader.model import Span, Vert
from uploader.parse.legacy import (
    TELLTALE,
    Codepage,
    decode,
    guess_codepage,
    is_legacy_font,
    looks_legacy,
)
from uploader.parse.package import DocxPackage, ParaStyle, R, W
from uploader.parse.runs import RunStyle, merge, read_rpr
from uploader.parse.zipread import ITERPARSE_OPTIONS, refuse_doctype

A_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
V_IMAGEDATA = "{urn:schemas-microsoft-com:vml}imagedata"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"

# Word noise and its replacement. No replacement is itself noise, so the fixes can be applied
# one after another (str.replace is many times faster than str.translate on Cyrillic text).
_TEXT_FIXES = {
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\ufeff": "",
    "\u200c": "",
    "\u200d": "",
    "\u00a0": " ",  # no-break spaces
    "\u202f": " ",
    "\u2007": " ",
    "\u2011": "-",  # non-breaking hyphen
    "\t": " ",
    "\r": " ",
}
# Containers whose runs are part of the paragraph's visible text.
_TRANSPARENT = {
    W + "hyperlink",
    W + "ins",
    W + "smartTag",
    W + "sdt",
    W + "sdtContent",
    W + "fldSimple",
    W + "customXml",
    W + "moveTo",
    W + "dir",
    W + "bdo",
}
_TOP_LEVEL_SKIP = {W + "tbl", W + "txbxContent", W + "tc"}
_P, _TBL, _R, _T, _BR, _RPR, _PPR, _TR, _TC = (
    W + t for t in ("p", "tbl", "r", "t", "br", "rPr", "pPr", "tr", "tc")
)
_PSTYLE, _JC, _RSTYLE, _VAL, _TYPE, _BODY = (
    W + t for t in ("pStyle", "jc", "rStyle", "val", "type", "body")
)
_SLOW = re.compile(f"[\n{''.join(sorted(TELLTALE))}]")  # line breaks, legacy glyphs
_SPECIAL = re.compile(f"[\n{''.join(sorted(TELLTALE))}{''.join(_TEXT_FIXES)}]")  # or Word noise
_RUN_CHARS = {W + "tab": " ", W + "ptab": " ", W + "cr": "\n", W + "noBreakHyphen": "-"}
_ALIGN = {"start": "left", "end": "right", "justify": "both", "distribute": "both"}


_Key = tuple[bool, bool, Vert, bool]  # bold, italic, vertical alignment, letter-spaced


class RawSpan(NamedTuple):
    """A run as read (where lines break or legacy text is decoded): text, formatting, and
    whether it is letter-spaced or was typed in a legacy font."""

    text: str
    bold: bool = False
    italic: bool = False
    vert: Vert = Vert.BASELINE
    spaced: bool = False
    legacy: bool = False


class Block(NamedTuple):
    """One body element: a paragraph (``rows`` empty) or a table (``rows`` set)."""

    index: int  # type: ignore[assignment]  # position in the body; shadows tuple.index
    spans: tuple[Span, ...] = ()
    align: str = ""
    style: str = ""
    images: tuple[str, ...] = ()  # relationship ids of inline pictures
    page_break: bool = False
    rows: tuple[tuple[tuple[Span, ...], ...], ...] = ()
    is_table: bool = False
    text: str = ""  # visible text, line breaks as spaces, whitespace collapsed
    legacy: bool = False  # some run was typed in a legacy font
    spaced: tuple[bool, ...] = ()  # for each span: is it letter-spaced (s p a c e d)?
    error: str = ""  # set when the element could not be read; its article is quarantined


class _Runs(NamedTuple):
    """What a paragraph's runs yield as they are read: texts, their styles, picture ids."""

    texts: list[str]
    styles: list[RunStyle]
    images: list[str]


class _Reader:
    """Turns <w:p> and <w:tbl> elements into Blocks, resolving styles and legacy fonts."""

    def __init__(self, pkg: DocxPackage) -> None:
        self.pkg = pkg
        self.font_codepage: dict[str, Codepage] = {}
        self._default_style = pkg.para_styles.get(pkg.default_para or "", ParaStyle())
        self._base: dict[str, RunStyle] = {}
        self._formats: dict[RunStyle, _Key | None] = {}

    def paragraph(self, p: etree._Element, index: int) -> Block:
        """Read one <w:p> into a Block."""
        style, align = self._properties(p)
        base = self._base.get(style.name)
        if base is None:
            base = self._base[style.name] = merge(self.pkg.default_run, style.run)
        runs = _Runs([], [], [])
        page_break = self._collect(p, base, runs)
        spans, spaced, text, legacy = self._finish(runs.texts, runs.styles)
        align = _ALIGN.get(align, align)
        return Block(
            index,
            spans,
            align,
            style.name,
            tuple(runs.images),
            page_break,
            text=text,
            legacy=legacy,
            spaced=spaced,
        )

    def _properties(self, p: etree._Element) -> tuple[ParaStyle, str]:
        """The paragraph's style and its alignment (set directly or by the style)."""
        style = self._default_style
        align = ""
        ppr = _first_child(p, _PPR)
        if ppr is not None:
            for child in ppr:
                tag = child.tag
                if tag == _PSTYLE:
                    style = self.pkg.para_styles.get(child.get(_VAL) or "", style)
                elif tag == _JC:
                    align = child.get(_VAL) or ""
        return style, align or style.align or ""

    def table(self, tbl: etree._Element, index: int) -> Block:
        """Read one <w:tbl> into a Block of rows of cells."""
        rows = []
        legacy = False
        for tr in tbl.iter(_TR):
            cells = []
            for tc in tr.iterchildren(_TC):
                cell: list[Span] = []
                for p in tc.iter(_P):
                    block = self.paragraph(p, index)
                    if cell and block.spans:
                        cell.append(Span("\n"))
                    cell.extend(block.spans)
                    legacy = legacy or block.legacy
                cells.append(tuple(cell))
            rows.append(tuple(cells))
        return Block(index, rows=tuple(rows), is_table=True, legacy=legacy)

    def _collect(
        self,
        parent: etree._Element,
        base: RunStyle,
        runs: _Runs,
    ) -> bool:
        page_break = False
        for child in parent:
            tag = child.tag
            if tag == _R:
                page_break |= self._run(child, base, runs)
            elif tag in _TRANSPARENT:
                page_break |= self._collect(child, base, runs)
        return page_break

    def _run(
        self,
        r: etree._Element,
        base: RunStyle,
        runs: _Runs,
    ) -> bool:
        style = base
        page_break = False
        parts: list[str] = []
        for child in r:
            tag = child.tag
            if tag == _T:
                parts.append(child.text or "")
            elif tag == _RPR:
                style = read_rpr(child, base, self.pkg.char_styles)
            elif tag in _RUN_CHARS:
                parts.append(_RUN_CHARS[tag])
            elif tag == _BR:
                if child.get(_TYPE) in ("page", "column"):
                    page_break = True
                else:
                    parts.append("\n")
            elif tag in _IMAGE_HOLDERS:
                runs.images.extend(_image_ids(child))
        if parts:
            text = "".join(parts)
            if style.caps:
                text = text.upper()
            runs.texts.append(text)
            runs.styles.append(style)
        return page_break

    def _finish(
        self, texts: list[str], styles: list[RunStyle]
    ) -> tuple[tuple[Span, ...], tuple[bool, ...], str, bool]:
        """Spans of the paragraph's runs (noise removed, legacy text decoded), whether each is
        letter-spaced, the plain text, and whether any run was in a legacy font."""
        if not texts:
            return (), (), "", False
        keys = list(map(self._format, styles))
        joined = "".join(texts)
        noisy = False
        if None in keys or _SPECIAL.search(joined):
            if None in keys or _SLOW.search(joined):  # legacy text or line breaks
                raw = self._finish_slow(list(zip(texts, styles, strict=True)))
                spans = tuple([Span(s.text, s.bold, s.italic, s.vert) for s in raw])
                spaced = tuple([s.spaced for s in raw])
                return spans, spaced, _plain(spans), any(s.legacy for s in raw)
            noisy = True
            texts = [_fix(t) for t in texts]
            joined = "".join(texts)
        spans, spaced = _merge_fast(texts, keys, drop_empty=noisy)
        return spans, spaced, " ".join(joined.split()), False

    def _format(self, st: RunStyle) -> _Key | None:
        """A run style's span formatting (cached); None when its font is a legacy one."""
        try:
            return self._formats[st]
        except KeyError:
            key = None
            if not is_legacy_font(st.font):
                key = (
                    bool(st.bold),
                    bool(st.italic),
                    _VERTS.get(st.vert or "", Vert.BASELINE),
                    (st.spacing or 0) >= 20,
                )
            self._formats[st] = key
            return key

    def _finish_slow(self, runs: list[tuple[str, RunStyle]]) -> tuple[RawSpan, ...]:
        legacy_flags = [is_legacy_font(st.font) or looks_legacy(text) for text, st in runs]
        codepage = None
        if any(legacy_flags):
            sample = "".join(
                text for (text, _), flag in zip(runs, legacy_flags, strict=True) if flag
            )
            codepage = guess_codepage(sample)
        spans: list[RawSpan] = []
        for (text, st), legacy in zip(runs, legacy_flags, strict=True):
            if legacy:
                text = decode(text, self._codepage(st.font, codepage))
            text = _fix(text)
            # Line breaks are their own spans so that renderers can place <br />.
            for i, piece in enumerate(text.split("\n")):
                if i:
                    spans.append(RawSpan("\n", legacy=legacy))
                if piece:
                    spans.append(_raw(piece, st, legacy))
        return _merge_adjacent(spans)

    def _codepage(self, font: str | None, seen: Codepage | None) -> Codepage:
        key = font or ""
        if seen is not None:
            self.font_codepage[key] = seen
            return seen
        return self.font_codepage.get(key, Codepage.KZ1048)


_MC_ALT = "{http://schemas.openxmlformats.org/markup-compatibility/2006}AlternateContent"
_IMAGE_HOLDERS = {W + "drawing", W + "pict", W + "object", _MC_ALT}


def _fix(text: str) -> str:
    """Remove Word noise characters (soft hyphens, no-break spaces, zero-widths, tabs)."""
    for char, fixed in _TEXT_FIXES.items():
        if char in text:
            text = text.replace(char, fixed)
    return text


def _first_child(el: etree._Element, tag: str) -> etree._Element | None:
    """The first child with ``tag``; cheap when it is the first child, as a pPr should be."""
    first = el[0] if len(el) else None
    if first is None or first.tag == tag:
        return first
    return next(el.iterchildren(tag), None)


def _merge_fast(
    texts: list[str], keys: list[_Key | None], drop_empty: bool
) -> tuple[tuple[Span, ...], tuple[bool, ...]]:
    """Spans of runs (no line breaks, no legacy text), adjacent equal formatting merged, and
    whether each is letter-spaced."""
    spans: list[Span] = []
    spaced: list[bool] = []
    pieces: list[list[str]] = []  # the texts of each span, joined once (linear)
    last = None
    for i, text in enumerate(texts):
        if drop_empty and not text:
            continue
        key = keys[i]
        assert key is not None  # legacy runs take the slow path
        if key == last:
            pieces[-1].append(text)
        else:
            bold, italic, vert, letter_spaced = key
            spans.append(Span(text, bold, italic, vert))
            pieces.append([text])
            spaced.append(letter_spaced)
            last = key
    if len(pieces) < len(texts):  # some runs merged
        for k, texts_k in enumerate(pieces):
            if len(texts_k) > 1:
                prev = spans[k]
                spans[k] = Span("".join(texts_k), prev.bold, prev.italic, prev.vert)
    return tuple(spans), tuple(spaced)


def _plain(spans: tuple[Span, ...]) -> str:
    """Visible text of spans: line breaks as spaces, whitespace collapsed."""
    return " ".join("".join(" " if s.text == "\n" else s.text for s in spans).split())


def _image_ids(el: etree._Element) -> list[str]:
    ids = []
    for node in el.iter(A_BLIP, V_IMAGEDATA):
        if any(anc.tag == MC_FALLBACK for anc in node.iterancestors()):
            continue
        rid = node.get(R + "embed") or node.get(R + "id")
        if rid and rid not in ids:
            ids.append(rid)
    return ids


_VERTS = {"superscript": Vert.SUP, "subscript": Vert.SUB}


def _raw(text: str, st: RunStyle, legacy: bool) -> RawSpan:
    return RawSpan(
        text,
        bool(st.bold),
        bool(st.italic),
        _VERTS.get(st.vert or "", Vert.BASELINE),
        (st.spacing or 0) >= 20,
        legacy,
    )


def _merge_adjacent(spans: list[RawSpan]) -> tuple[RawSpan, ...]:
    if len(spans) < 2:
        return tuple(spans)
    merged: list[RawSpan] = [spans[0]]
    texts: list[list[str]] = [[spans[0].text]]  # joined once at the end (linear)
    for s in spans[1:]:
        prev = merged[-1]
        if s[1:5] == prev[1:5] and s.text != "\n" and prev.text != "\n":
            texts[-1].append(s.text)
            if s.legacy and not prev.legacy:
                merged[-1] = prev._replace(legacy=True)
        else:
            merged.append(s)
            texts.append([s.text])
    return tuple(
        m if len(t) == 1 else m._replace(text="".join(t))
        for m, t in zip(merged, texts, strict=True)
    )


def _is_top_level(parent: etree._Element | None) -> bool:
    """Whether an element under ``parent`` is a body element (not in a table or text box)."""
    while parent is not None:
        tag = parent.tag
        if tag == _BODY:
            return True
        if tag in _TOP_LEVEL_SKIP:
            return False
        parent = parent.getparent()
    return False


def _read_one(reader: _Reader, el: etree._Element, index: int) -> Block:
    """One body element as a Block; an element the reader cannot handle becomes an error
    Block, so that only the article holding it is quarantined, not the volume."""
    try:
        return reader.table(el, index) if el.tag == _TBL else reader.paragraph(el, index)
    except Exception as exc:  # an unforeseen Word construct must not sink the volume
        return Block(index, error=f"{type(exc).__name__}: {exc}"[:300])


def iter_blocks(pkg: DocxPackage) -> Iterator[Block]:
    """Yield the body's paragraphs and tables in order, each with its body index."""
    reader = _Reader(pkg)
    index = 0
    try:
        with pkg.open_document() as stream:
            events = etree.iterparse(stream, events=("end",), tag=(_P, _TBL), **ITERPARSE_OPTIONS)
            body = None
            cleaned = 0  # bytes read when the read elements were last dropped
            for seen, (_, el) in enumerate(events, 1):
                if seen > stream.element_count_cap:
                    stream.too_many_elements()
                parent = el.getparent()
                if parent is not body:
                    if not _is_top_level(parent):
                        continue
                    if parent is not None and parent.tag == _BODY:
                        body = parent
                if not index:
                    refuse_doctype(el, pkg.display, "word/document.xml")
                # An empty paragraph (<w:p/>) needs no reading and yields nothing (it would be
                # dropped): hostile files hold millions.
                full = len(el)
                if full:
                    yield _read_one(reader, el, index)
                    el.clear(keep_tail=False)
                stream.mark()
                index += 1
                if parent is not None and (full or stream.read_bytes - cleaned > 1 << 16):
                    del parent[: parent.index(el)]
                    cleaned = stream.read_bytes
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None) or (exc.position[0] if exc.position else "?")
        raise InputError(
            pkg.display,
            f"word/document.xml is not well-formed XML ({exc.msg})",
            position=f"XML line {line}, after body element {index}",
        ) from None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(
            pkg.display,
            f"is damaged: word/document.xml cannot be read ({exc.__class__.__name__})",
            position=f"after body element {index}",
        ) from None
