"""Streaming reader: word/document.xml → body blocks (paragraphs and tables) with clean runs.

Runs carry their effective formatting (paragraph style, character style, direct formatting),
legacy-font text decoded per run, and Word noise removed: soft hyphens, non-breaking spaces
and hyphens, tabs, zero-width characters. Memory stays flat: each body element is cleared once
read.

What is read is what the printed page shows: hidden text (``w:vanish``), deleted text
(``w:del``, ``w:moveFrom``), comments and field codes are not; symbols (``w:sym``), automatic
numbers, inserted text and field results are. A deleted paragraph mark joins its paragraph to
the next. A text box's paragraphs follow the paragraph that anchors it, marked ``floating``
(read once: the DrawingML choice, not its VML fallback). A table inside a cell stays inside
that cell, its paragraphs as lines. What is not converted (equations beyond their plain text,
footnotes, charts, embedded objects) is named in the block's ``notes``.
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
    CP1252_TELLTALE,
    TELLTALE,
    Codepage,
    decode,
    guess_codepage,
    is_legacy_font,
    looks_cp1252,
    looks_legacy,
)
from uploader.parse.numbering import Counters
from uploader.parse.package import DocxPackage, ParaStyle, R, W, check_wordprocessingml
from uploader.parse.runs import RunStyle, merge, read_rpr
from uploader.parse.symbols import PUA_RE, decode_symbols, is_symbol_font
from uploader.parse.zipread import ITERPARSE_OPTIONS, refuse_doctype

A_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
V_IMAGEDATA = "{urn:schemas-microsoft-com:vml}imagedata"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
MC_FALLBACK, MC_CHOICE, _MC_ALT = _MC + "Fallback", _MC + "Choice", _MC + "AlternateContent"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
_C_CHART = "{http://schemas.openxmlformats.org/drawingml/2006/chart}chart"
_DGM_RELIDS = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}relIds"
_O_OLE = "{urn:schemas-microsoft-com:office:office}OLEObject"

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
_TOP_LEVEL_SKIP = {W + "tbl", W + "txbxContent", W + "tc", MC_FALLBACK}
_P, _TBL, _R, _T, _BR, _RPR, _PPR, _TR, _TC = (
    W + t for t in ("p", "tbl", "r", "t", "br", "rPr", "pPr", "tr", "tc")
)
_PSTYLE, _JC, _RSTYLE, _VAL, _TYPE, _BODY = (
    W + t for t in ("pStyle", "jc", "rStyle", "val", "type", "body")
)
_TXBX, _SYM, _FLDCHAR, _NUMPR, _DEL, _VANISH = (
    W + t for t in ("txbxContent", "sym", "fldChar", "numPr", "del", "vanish")
)
_ALT_CHUNK = W + "altChunk"
_NOTE_REFS = {W + "footnoteReference": "footnote", W + "endnoteReference": "endnote"}
_RUN_RARE = {_SYM, _FLDCHAR, *_NOTE_REFS}
_GLYPHS = (
    "".join(sorted(TELLTALE))  # legacy glyphs (KZ-1048 / PT154 shown as cp1251)
    + re.escape("".join(sorted(CP1252_TELLTALE)))  # KZ-1048 shown as cp1252 …
    + "\u00c0-\u00ff"  # … whose А–я are À–ÿ
    + "\uf020-\uf0ff"  # symbol-font private-use characters
)
_SLOW = re.compile(f"[\n{_GLYPHS}]")  # line breaks, legacy glyphs, symbols
_SPECIAL = re.compile(f"[\n{_GLYPHS}{''.join(_TEXT_FIXES)}]")  # or Word noise
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
    notes: tuple[str, ...] = ()  # what the element holds that is not converted (left out)
    joins_next: bool = False  # its paragraph mark is deleted: it runs on into the next one
    floating: bool = False  # a text box's paragraph, placed after the one that anchors it


class _Runs(NamedTuple):
    """What a paragraph's runs yield as they are read: texts, their styles, picture ids, notes
    on what is left out, and the text boxes they anchor."""

    texts: list[str]
    styles: list[RunStyle]
    images: list[str]
    notes: list[str]
    boxes: list[etree._Element]


class _Reader:
    """Turns <w:p> and <w:tbl> elements into Blocks, resolving styles and legacy fonts."""

    def __init__(self, pkg: DocxPackage) -> None:
        self.pkg = pkg
        self.font_codepage: dict[str, Codepage] = {}
        self._default_style = pkg.para_styles.get(pkg.default_para or "", ParaStyle())
        self._base: dict[str, RunStyle] = {}
        self._formats: dict[RunStyle, _Key | None] = {}
        self.pending: list[Block] = []  # text-box blocks read, to follow the element read
        self._fields: list[bool] = []  # open fields, innermost last: True while in its code
        self._in_code = 0  # how many open fields are in their code part (text not shown)
        self._counters = Counters(pkg.numbering)
        self._char_styles = pkg.char_styles

    def paragraph(self, p: etree._Element, index: int) -> Block:
        """Read one <w:p> into a Block (its text boxes' blocks go to ``pending``)."""
        style, align, num, joins = self._properties(p)
        base = self._base.get(style.name)
        if base is None:
            base = self._base[style.name] = merge(self.pkg.default_run, style.run)
        runs = _Runs([], [], [], [], [])
        if num is not None:
            self._number(num, base, runs)
        page_break = self._collect(p, base, runs)
        if self._in_code:  # a field code never runs on past its paragraph
            self._fields = [False] * len(self._fields)
            self._in_code = 0
        spans, spaced, text, legacy = self._finish(runs.texts, runs.styles, runs.notes)
        align = _ALIGN.get(align, align)
        block = Block(
            index,
            spans,
            align,
            style.name,
            tuple(runs.images),
            page_break,
            text=text,
            legacy=legacy,
            spaced=spaced,
            notes=tuple(runs.notes),
            joins_next=joins,
        )
        if runs.boxes:
            self._read_boxes(runs.boxes, index)
        return block

    def _properties(self, p: etree._Element) -> tuple[ParaStyle, str, tuple[str, int] | None, bool]:
        """The paragraph's style, its alignment (set directly or by the style), the list it is
        numbered in, and whether its mark is deleted or hidden (it runs on into the next)."""
        style = self._default_style
        align = ""
        num_pr = None
        joins = False
        ppr = _first_child(p, _PPR)
        if ppr is not None:
            for child in ppr:
                tag = child.tag
                if tag == _PSTYLE:
                    style = self.pkg.para_styles.get(child.get(_VAL) or "", style)
                elif tag == _JC:
                    align = child.get(_VAL) or ""
                elif tag == _NUMPR:
                    num_pr = child
                elif tag == _RPR:
                    joins = _mark_gone(child)
        num = style.num if num_pr is None else _num(num_pr, style.num)
        return style, align or style.align or "", num, joins

    def _number(self, num: tuple[str, int], base: RunStyle, runs: _Runs) -> None:
        """Put the paragraph's automatic number (``1)``, ``а)``, ``•``) before its runs."""
        label = self._counters.label(*num)
        if label is not None:
            text, style = label
            runs.texts.append(text)
            # the label is already Unicode: it keeps the paragraph's font, not the level's
            runs.styles.append(merge(base, style)._replace(hidden=None, font=base.font))

    def table(self, tbl: etree._Element, index: int) -> Block:
        """Read one <w:tbl> into a Block of rows of cells; a table inside a cell stays in that
        cell (its paragraphs as lines), never among the outer rows."""
        rows = []
        legacy = False
        notes: list[str] = []
        for tr in _children(tbl, _TR):
            if _row_deleted(tr):
                continue
            cells = []
            for tc in _children(tr, _TC):
                cell: list[Span] = []
                joined = False
                for block in self._cell_blocks(tc, index):
                    if cell and block.spans and not joined:
                        cell.append(Span("\n"))
                    cell.extend(block.spans)
                    joined = block.joins_next
                    legacy = legacy or block.legacy
                    notes.extend(block.notes)
                cells.append(tuple(cell))
            rows.append(tuple(cells))
        return Block(index, rows=tuple(rows), is_table=True, legacy=legacy, notes=tuple(notes))

    def _cell_blocks(self, tc: etree._Element, index: int) -> Iterator[Block]:
        """The paragraphs of a cell in order, those of a nested table's cells included."""
        for el in _children(tc, _P, _TBL):
            if el.tag == _P:
                yield self.paragraph(el, index)
            else:
                for tr in _children(el, _TR):
                    if not _row_deleted(tr):
                        for inner in _children(tr, _TC):
                            yield from self._cell_blocks(inner, index)

    def _read_boxes(self, boxes: list[etree._Element], index: int) -> None:
        """Read text boxes into ``pending`` as floating blocks, each box's own boxes after it."""
        for box in boxes:
            for el in _children(box, _P, _TBL):
                mark = len(self.pending)
                block = self.table(el, index) if el.tag == _TBL else self.paragraph(el, index)
                self.pending.insert(mark, block._replace(floating=True))

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
            elif tag == _MC_ALT:  # runs in a Choice (or, without one, the Fallback)
                chosen = _choice(child)
                if chosen is not None:
                    page_break |= self._collect(chosen, base, runs)
            elif tag in _MATH:
                self._math(child, base, runs)
        return page_break

    def _math(self, el: etree._Element, base: RunStyle, runs: _Runs) -> None:
        """An Office Math equation: its plain text kept (sub/superscripts as such), and named
        in the notes, since its layout is not converted."""
        pieces: list[tuple[str, str | None]] = []
        _omml(el, None, pieces)
        for text, vert in pieces:
            if text:
                self._add(runs, text, base if vert is None else base._replace(vert=vert))
        plain = " ".join("".join(text for text, _ in pieces).split())
        runs.notes.append(
            f"equation (Office Math) kept as plain text «{plain}»"
            if plain
            else "equation (Office Math) left out"
        )

    def _run(
        self,
        r: etree._Element,
        base: RunStyle,
        runs: _Runs,
    ) -> bool:
        style = base
        page_break = False
        parts: list[str] = []
        code = self._in_code  # inside a field's code: its text is not shown
        for child in r:
            tag = child.tag
            if tag == _T:
                if not code:
                    parts.append(child.text or "")
            elif tag == _RPR:
                style = read_rpr(child, base, self._char_styles)
            elif tag in _RUN_CHARS:
                if not code:
                    parts.append(_RUN_CHARS[tag])
            elif tag == _BR:
                if child.get(_TYPE) in ("page", "column"):
                    page_break = True
                elif not code:
                    parts.append("\n")
            elif tag in _IMAGE_HOLDERS:
                if not style.hidden:
                    runs.images.extend(_image_ids(child))
                    self._objects(child, runs)
            elif tag in _RUN_RARE:
                if tag == _FLDCHAR:
                    code = self._field(child.get(W + "fldCharType") or "")
                elif code or style.hidden:
                    continue
                elif tag == _SYM:
                    if parts:
                        self._add(runs, "".join(parts), style)
                        parts = []
                    self._symbol(child, style, runs)
                else:
                    runs.notes.append(
                        f"{_NOTE_REFS[tag]} {child.get(W + 'id') or ''} left out".replace("  ", " ")
                    )
        if parts:
            self._add(runs, "".join(parts), style)
        return page_break

    @staticmethod
    def _add(runs: _Runs, text: str, style: RunStyle) -> None:
        """Add a run's text, unless it is hidden (w:vanish); capitals made by w:caps applied."""
        if style.hidden:
            return
        runs.texts.append(text.upper() if style.caps else text)
        runs.styles.append(style)

    def _field(self, kind: str) -> int:
        """Follow a field character (begin, separate, end); the number of fields now in code."""
        fields = self._fields
        if kind == "begin":
            fields.append(True)
        elif kind == "separate":
            if fields:
                fields[-1] = False
        elif kind == "end" and fields:
            fields.pop()
        self._in_code = sum(fields)
        return self._in_code

    def _symbol(self, sym: etree._Element, style: RunStyle, runs: _Runs) -> None:
        """A ``<w:sym>``: its character, as its own run in its font (read in ``_finish``)."""
        try:
            code = int(sym.get(W + "char") or "", 16)
        except ValueError:
            runs.notes.append("symbol without a character code left out")
            return
        font = sym.get(W + "font") or style.font
        if code < 0x100 and is_symbol_font(font):
            code += 0xF000  # the byte position in the symbol font
        self._add(runs, chr(code), style._replace(font=font))

    def _objects(self, holder: etree._Element, runs: _Runs) -> None:
        """Text boxes to read after the paragraph, and what is not converted (charts, diagrams,
        embedded objects), in a drawing, a VML picture, an object or an alternate content."""
        for el in holder.iter(_TXBX, _C_CHART, _DGM_RELIDS, _O_OLE, W + "object"):
            if _in_ignored_fallback(el, holder) or _inside(el, _TXBX, holder):
                continue
            tag = el.tag
            if tag == _TXBX:
                runs.boxes.append(el)
            elif tag == _C_CHART:
                runs.notes.append("chart left out")
            elif tag == _DGM_RELIDS:
                runs.notes.append("diagram (SmartArt) left out")
            elif tag == _O_OLE:
                runs.notes.append(f"embedded object ({el.get('ProgID') or 'OLE'}) left out")
            elif el.find(".//" + _O_OLE) is None:
                runs.notes.append("embedded object left out")

    def _finish(
        self, texts: list[str], styles: list[RunStyle], notes: list[str]
    ) -> tuple[tuple[Span, ...], tuple[bool, ...], str, bool]:
        """Spans of the paragraph's runs (noise removed, legacy text decoded), whether each is
        letter-spaced, the plain text, and whether any run was in a legacy font."""
        if not texts:
            return (), (), "", False
        formats = self._formats
        try:
            keys = [formats[st] for st in styles]
        except KeyError:
            keys = list(map(self._format, styles))
        joined = texts[0] if len(texts) == 1 else "".join(texts)
        noisy = False
        if None in keys or _SPECIAL.search(joined):
            if None in keys or _SLOW.search(joined):  # legacy text or line breaks
                raw = self._finish_slow(list(zip(texts, styles, strict=True)), notes)
                spans = tuple([Span(s.text, s.bold, s.italic, s.vert) for s in raw])
                spaced = tuple([s.spaced for s in raw])
                return spans, spaced, _plain(spans), any(s.legacy for s in raw)
            noisy = True
            texts = [_fix(t) for t in texts]
            joined = "".join(texts)
        if len(texts) == 1 and joined:  # one run: one span (most paragraphs)
            key = keys[0]
            assert key is not None  # legacy runs took the slow path
            bold, italic, vert, letter_spaced = key
            return (Span(joined, bold, italic, vert),), (letter_spaced,), _collapse(joined), False
        spans, spaced = _merge_fast(texts, keys, drop_empty=noisy)
        return spans, spaced, _collapse(joined), False

    def _format(self, st: RunStyle) -> _Key | None:
        """A run style's span formatting (cached); None when its font is a legacy or a symbol
        one (its text is decoded)."""
        try:
            return self._formats[st]
        except KeyError:
            key = None
            if not is_legacy_font(st.font) and not is_symbol_font(st.font):
                key = (
                    bool(st.bold),
                    bool(st.italic),
                    _VERTS.get(st.vert or "", Vert.BASELINE),
                    (st.spacing or 0) >= 20,
                )
            self._formats[st] = key
            return key

    def _finish_slow(
        self, runs: list[tuple[str, RunStyle]], notes: list[str]
    ) -> tuple[RawSpan, ...]:
        kinds = [_encoding(text, st.font) for text, st in runs]
        codepage = None
        if _CP1251 in kinds:
            sample = "".join(
                text for (text, _), kind in zip(runs, kinds, strict=True) if kind is _CP1251
            )
            codepage = guess_codepage(sample)
        spans: list[RawSpan] = []
        for (text, st), kind in zip(runs, kinds, strict=True):
            legacy = kind is _CP1251 or kind is _CP1252
            if kind is _CP1251:
                text = decode(text, self._codepage(st.font, codepage))
            elif kind is _CP1252:
                text = decode(text, Codepage.KZ1048_CP1252)
            elif kind is _SYMBOLS:
                text, lost = decode_symbols(text, st.font)
                if lost:
                    codes = " ".join(f"U+{ord(ch):04X}" for ch in lost)
                    notes.append(f"symbols {codes} of font {st.font or '?'} left out")
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


_IMAGE_HOLDERS = {W + "drawing", W + "pict", W + "object", _MC_ALT}
_MATH = {_M + "oMath", _M + "oMathPara"}
_CP1251, _CP1252, _SYMBOLS = "cp1251", "cp1252", "symbols"  # how a run's text is encoded


def _encoding(text: str, font: str | None) -> str | None:
    """How a run's text must be read: legacy Kazakh shown as cp1251 or as cp1252, symbol
    positions, or (None) as it is. Decided per run, from its font and its glyphs."""
    if is_symbol_font(font):
        return _SYMBOLS
    legacy_font = is_legacy_font(font)
    if looks_cp1252(text, legacy_font):
        return _CP1252
    if legacy_font or looks_legacy(text):
        return _CP1251
    if PUA_RE.search(text):
        return _SYMBOLS
    return None


def _mark_gone(rpr: etree._Element) -> bool:
    """Whether a paragraph mark's run properties delete or hide it."""
    for child in rpr:
        tag = child.tag
        if tag == _DEL or (tag == _VANISH and child.get(_VAL) not in ("0", "false", "off")):
            return True
    return False


def _num(num_pr: etree._Element, inherited: tuple[str, int] | None) -> tuple[str, int] | None:
    """The list (numId, level) of a ``w:numPr``; what it does not say comes from the style."""
    num_id, level = inherited or ("0", 0)
    for child in num_pr:
        if child.tag == W + "numId":
            num_id = child.get(_VAL) or "0"
        elif child.tag == W + "ilvl":
            try:
                level = int(child.get(_VAL) or 0)
            except ValueError:
                level = 0
    return None if num_id == "0" else (num_id, level)


_WRAPPERS = {W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "moveTo"}


def _children(el: etree._Element, *tags: str) -> Iterator[etree._Element]:
    """Children with one of ``tags``, looking through content controls and custom XML."""
    for child in el:
        tag = child.tag
        if tag in tags:
            yield child
        elif tag in _WRAPPERS:
            yield from _children(child, *tags)
        elif tag == _MC_ALT:
            chosen = _choice(child)
            if chosen is not None:
                yield from _children(chosen, *tags)


def _row_deleted(tr: etree._Element) -> bool:
    """A table row removed as a tracked change (``w:trPr/w:del``)."""
    trpr = _first_child(tr, W + "trPr")
    return trpr is not None and trpr.find(_DEL) is not None


def _choice(alt: etree._Element) -> etree._Element | None:
    """The branch of an ``mc:AlternateContent`` to read: its first Choice, else its Fallback."""
    return alt.find(MC_CHOICE) if alt.find(MC_CHOICE) is not None else alt.find(MC_FALLBACK)


def _in_ignored_fallback(el: etree._Element, stop: etree._Element) -> bool:
    """Whether ``el`` (below ``stop``) is in an mc:Fallback whose Choice is read instead."""
    node = el.getparent()
    while node is not None and node is not stop.getparent():
        if node.tag == MC_FALLBACK:
            alt = node.getparent()
            if alt is not None and alt.find(MC_CHOICE) is not None:
                return True
        node = node.getparent()
    return False


def _inside(el: etree._Element, tag: str, stop: etree._Element) -> bool:
    """Whether ``el`` has an ancestor ``tag`` below ``stop`` (a text box in a text box)."""
    node = el.getparent()
    while node is not None and node is not stop:
        if node.tag == tag:
            return True
        node = node.getparent()
    return False


_M_T, _M_SUP, _M_SUB, _M_DEN, _M_D, _M_E, _M_RAD, _M_NARY, _M_DEG = (
    _M + t for t in ("t", "sup", "sub", "den", "d", "e", "rad", "nary", "deg")
)
_M_SKIP = {W + "del", W + "moveFrom", _M_DEG}


def _omml(el: etree._Element, vert: str | None, out: list[tuple[str, str | None]]) -> None:
    """Plain text of Office Math, in reading order: fractions as ``a/b``, delimiters and
    n-ary operators as their characters, sub/superscripts marked."""
    for child in el:
        tag = child.tag
        if not isinstance(tag, str) or tag.endswith("Pr") or tag in _M_SKIP:
            continue
        if tag == _M_T:
            out.append((child.text or "", vert))
        elif tag == _M_SUP:
            _omml(child, "superscript", out)
        elif tag == _M_SUB:
            _omml(child, "subscript", out)
        elif tag == _M_DEN:
            out.append(("/", vert))
            _omml(child, vert, out)
        elif tag == _M_D:
            begin, sep, end = _math_chars(
                child, "dPr", ("begChr", "("), ("sepChr", "|"), ("endChr", ")")
            )
            out.append((begin, vert))
            for i, e in enumerate(child.iterchildren(_M_E)):
                if i:
                    out.append((sep, vert))
                _omml(e, vert, out)
            out.append((end, vert))
        elif tag == _M_RAD:
            out.append(("√", vert))
            _omml(child, vert, out)
        elif tag == _M_NARY:
            (op,) = _math_chars(child, "naryPr", ("chr", "∫"))
            out.append((op, vert))
            _omml(child, vert, out)
        else:
            _omml(child, vert, out)


def _math_chars(el: etree._Element, props: str, *wanted: tuple[str, str]) -> list[str]:
    """Characters an equation element's properties set (``m:begChr``…), or their defaults."""
    pr = el.find(_M + props)
    out = []
    for name, default in wanted:
        found = pr.find(_M + name) if pr is not None else None
        out.append(found.get(_M + "val", default) if found is not None else default)
    return out


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


def _collapse(text: str) -> str:
    """Whitespace collapsed to single spaces, none at the ends (``" ".join(text.split())``,
    without splitting a text that has nothing to collapse: every other whitespace character
    is unprintable)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(text.split())


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
        tag = el.tag
        if tag == _ALT_CHUNK:  # a document imported whole (HTML, RTF, .docx): not read
            return Block(index, notes=("imported document (w:altChunk) left out",))
        return reader.table(el, index) if tag == _TBL else reader.paragraph(el, index)
    except Exception as exc:  # an unforeseen Word construct must not sink the volume
        return Block(index, error=f"{type(exc).__name__}: {exc}"[:300])


def iter_blocks(pkg: DocxPackage) -> Iterator[Block]:
    """Yield the body's paragraphs and tables in order, each with its body index."""
    reader = _Reader(pkg)
    read = [0]  # body elements read so far, for the position of an error
    try:
        yield from _marks_joined(_body(pkg, reader, read), reader)
        if read[0] == 0:
            check_wordprocessingml(pkg)
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None) or (exc.position[0] if exc.position else "?")
        raise InputError(
            pkg.display,
            f"{pkg.main} is not well-formed XML ({exc.msg})",
            position=f"XML line {line}, after body element {read[0]}",
        ) from None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise InputError(
            pkg.display,
            f"is damaged: {pkg.main} cannot be read ({exc.__class__.__name__})",
            position=f"after body element {read[0]}",
        ) from None


def _body(pkg: DocxPackage, reader: _Reader, read: list[int]) -> Iterator[Block | None]:
    """Each top-level body element as a Block (None for an empty paragraph), read through
    the package's budget; read elements are dropped as the parse goes (memory stays flat)."""
    with pkg.open_document() as stream:
        events = etree.iterparse(
            stream, events=("end",), tag=(_P, _TBL, _ALT_CHUNK), **ITERPARSE_OPTIONS
        )
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
            if not read[0]:
                refuse_doctype(el, pkg.display, pkg.main)
            # An empty paragraph (<w:p/>) needs no reading: hostile files hold millions.
            full = len(el) or el.tag != _P  # an altChunk is empty and still reported
            block = _read_one(reader, el, read[0]) if full else None
            if full:
                el.clear(keep_tail=False)
            stream.mark()
            read[0] += 1
            if parent is not None and (full or stream.read_bytes - cleaned > 1 << 16):
                del parent[: parent.index(el)]
                cleaned = stream.read_bytes
            yield block


def _marks_joined(items: Iterator[Block | None], reader: _Reader) -> Iterator[Block]:
    """The blocks with each paragraph whose mark is deleted joined to the next paragraph
    (not across a table, an unreadable element or an empty paragraph), each followed by the
    text-box paragraphs it anchors."""
    held: Block | None = None
    for block in items:
        if block is None:
            if held is not None:  # a deleted mark before an empty paragraph
                yield held
                held = None
            continue
        if held is not None:
            if block.is_table or block.error:
                yield held
            else:
                block = _join(held, block)
            held = None
        if block.joins_next:
            held = block
            continue
        yield block
        if reader.pending:
            yield from reader.pending
            reader.pending.clear()
    if held is not None:
        yield held
        yield from reader.pending


def _join(first: Block, second: Block) -> Block:
    """Two paragraphs as one, the first's mark being deleted: text runs on, no break between;
    the first's paragraph properties kept."""
    spans = list(first.spans)
    spaced = list(first.spaced)
    for span, is_spaced in zip(second.spans, second.spaced, strict=True):
        prev = spans[-1] if spans else None
        if (
            prev is not None
            and not prev.is_break
            and not span.is_break
            and (prev.bold, prev.italic, prev.vert) == (span.bold, span.italic, span.vert)
            and spaced[-1] == is_spaced
        ):
            spans[-1] = Span(prev.text + span.text, prev.bold, prev.italic, prev.vert)
        else:
            spans.append(span)
            spaced.append(is_spaced)
    merged = tuple(spans)
    return first._replace(
        spans=merged,
        spaced=tuple(spaced),
        text=_plain(merged),
        images=first.images + second.images,
        page_break=first.page_break or second.page_break,
        legacy=first.legacy or second.legacy,
        notes=first.notes + second.notes,
        joins_next=second.joins_next,
    )
