"""Streaming reader: word/document.xml → body blocks (paragraphs and tables) with clean runs.

Runs carry their effective formatting (paragraph style, character style, direct formatting),
legacy-font text decoded per run, and Word noise removed: soft hyphens, non-breaking spaces
and hyphens, tabs, zero-width characters. Memory stays flat: each body element is cleared once
read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from typing import NamedTuple

from lxml import etree

from uploader.docx_package import DocxPackage, ParaStyle, R, RunStyle, W, merge
from uploader.errors import InputError
from uploader.legacy import TELLTALE, Codepage, decode, guess_codepage, is_legacy_font, looks_legacy
from uploader.model import Span, Vert

A_BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
V_IMAGEDATA = "{urn:schemas-microsoft-com:vml}imagedata"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"

_TEXT_FIXES = str.maketrans(
    {
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\ufeff": None,
        "\u200c": None,
        "\u200d": None,
        "\u00a0": " ",  # no-break spaces
        "\u202f": " ",
        "\u2007": " ",
        "\u2011": "-",  # non-breaking hyphen
        "\t": " ",
        "\r": " ",
    }
)
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
_P, _R, _T, _BR, _RPR, _PPR, _TR, _TC = (
    W + t for t in ("p", "r", "t", "br", "rPr", "pPr", "tr", "tc")
)
_PSTYLE, _JC, _RSTYLE, _VAL, _TYPE, _BODY = (
    W + t for t in ("pStyle", "jc", "rStyle", "val", "type", "body")
)
_B, _I, _VERT, _FONTS, _CAPS, _SPACING = (
    W + t for t in ("b", "i", "vertAlign", "rFonts", "caps", "spacing")
)
_ASCII, _HANSI, _CS = W + "ascii", W + "hAnsi", W + "cs"
_OFF = ("0", "false", "off", "none")
_TELLTALE = re.compile(f"[{''.join(sorted(TELLTALE))}]")
_RUN_CHARS = {W + "tab": " ", W + "ptab": " ", W + "cr": "\n", W + "noBreakHyphen": "-"}
_ALIGN = {"start": "left", "end": "right", "justify": "both", "distribute": "both"}


class RawSpan(NamedTuple):
    """A run as read: text plus formatting, and whether it is letter-spaced or legacy."""

    text: str
    bold: bool = False
    italic: bool = False
    vert: Vert = Vert.BASELINE
    spaced: bool = False
    legacy: bool = False

    def span(self) -> Span:
        """The model span for this run."""
        return Span(self.text, self.bold, self.italic, self.vert)


@dataclass(frozen=True, slots=True)
class Block:
    """One body element: a paragraph (``rows`` empty) or a table (``rows`` set)."""

    index: int
    spans: tuple[RawSpan, ...] = ()
    align: str = ""
    style: str = ""
    images: tuple[str, ...] = ()  # relationship ids of inline pictures
    page_break: bool = False
    rows: tuple[tuple[tuple[RawSpan, ...], ...], ...] = ()
    is_table: bool = False
    text: str = ""  # visible text, line breaks as spaces, whitespace collapsed

    @property
    def legacy(self) -> bool:
        """True when any run was typed in a legacy font."""
        return any(s.legacy for s in self.spans) or any(
            s.legacy for row in self.rows for cell in row for s in cell
        )


class _Reader:
    """Turns <w:p> and <w:tbl> elements into Blocks, resolving styles and legacy fonts."""

    def __init__(self, pkg: DocxPackage) -> None:
        self.pkg = pkg
        self.font_codepage: dict[str, Codepage] = {}
        self._default_style = pkg.para_styles.get(pkg.default_para or "", ParaStyle())
        self._base: dict[str, RunStyle] = {}

    def paragraph(self, p: etree._Element, index: int) -> Block:
        """Read one <w:p> into a Block."""
        style = self._default_style
        align = ""
        ppr = p.find(_PPR)
        if ppr is not None:
            for child in ppr:
                tag = child.tag
                if tag == _PSTYLE:
                    style = self.pkg.para_styles.get(child.get(_VAL) or "", style)
                elif tag == _JC:
                    align = child.get(_VAL) or ""
        align = align or style.align or ""
        base = self._base.get(style.name)
        if base is None:
            base = self._base[style.name] = merge(self.pkg.default_run, style.run)
        runs: list[tuple[str, RunStyle]] = []
        images: list[str] = []
        page_break = self._collect(p, base, runs, images)
        spans = self._finish(runs)
        text = " ".join("".join(" " if s.text == "\n" else s.text for s in spans).split())
        return Block(
            index, spans, _ALIGN.get(align, align), style.name, tuple(images), page_break, text=text
        )

    def table(self, tbl: etree._Element, index: int) -> Block:
        """Read one <w:tbl> into a Block of rows of cells."""
        rows = []
        for tr in tbl.iter(_TR):
            cells = []
            for tc in tr.iterchildren(_TC):
                cell: list[RawSpan] = []
                for p in tc.iter(_P):
                    block = self.paragraph(p, index)
                    if cell and block.spans:
                        cell.append(RawSpan("\n"))
                    cell.extend(block.spans)
                cells.append(tuple(cell))
            rows.append(tuple(cells))
        return Block(index, rows=tuple(rows), is_table=True)

    def _collect(
        self,
        parent: etree._Element,
        base: RunStyle,
        out: list[tuple[str, RunStyle]],
        images: list[str],
    ) -> bool:
        page_break = False
        for child in parent:
            tag = child.tag
            if tag == _R:
                page_break |= self._run(child, base, out, images)
            elif tag in _TRANSPARENT:
                page_break |= self._collect(child, base, out, images)
        return page_break

    def _style(self, rpr: etree._Element, base: RunStyle) -> RunStyle:
        """Effective run formatting: ``base`` (paragraph style), character style, direct."""
        bold, italic, font, vert, caps, spacing = base
        for child in rpr:
            tag = child.tag
            if tag == _B:
                bold = child.get(_VAL) not in _OFF
            elif tag == _I:
                italic = child.get(_VAL) not in _OFF
            elif tag == _VERT:
                vert = child.get(_VAL)
            elif tag == _FONTS:
                font = child.get(_ASCII) or child.get(_HANSI) or child.get(_CS) or font
            elif tag == _RSTYLE:
                cs = self.pkg.char_styles.get(child.get(_VAL) or "")
                if cs is not None:
                    bold, italic, font, vert, caps, spacing = merge(
                        RunStyle(bold, italic, font, vert, caps, spacing), cs
                    )
            elif tag == _CAPS:
                caps = child.get(_VAL) not in _OFF
            elif tag == _SPACING:
                with suppress(ValueError):
                    spacing = int(child.get(_VAL) or 0)
        return RunStyle(bold, italic, font, vert, caps, spacing)

    def _run(
        self,
        r: etree._Element,
        base: RunStyle,
        out: list[tuple[str, RunStyle]],
        images: list[str],
    ) -> bool:
        style = base
        page_break = False
        parts: list[str] = []
        for child in r:
            tag = child.tag
            if tag == _T:
                parts.append(child.text or "")
            elif tag == _RPR:
                style = self._style(child, base)
            elif tag in _RUN_CHARS:
                parts.append(_RUN_CHARS[tag])
            elif tag == _BR:
                if child.get(_TYPE) in ("page", "column"):
                    page_break = True
                else:
                    parts.append("\n")
            elif tag in _IMAGE_HOLDERS:
                images.extend(_image_ids(child))
        if parts:
            text = "".join(parts)
            if style.caps:
                text = text.upper()
            out.append((text, style))
        return page_break

    def _finish(self, runs: list[tuple[str, RunStyle]]) -> tuple[RawSpan, ...]:
        if not runs:
            return ()
        joined = "".join([t for t, _ in runs])
        if (
            "\n" in joined
            or _TELLTALE.search(joined)
            or any(is_legacy_font(st.font) for _, st in runs)
        ):
            return self._finish_slow(runs)
        noisy = _NOISE.search(joined) is not None
        spans: list[RawSpan] = []
        last: tuple[bool, bool, Vert, bool] | None = None
        for text, st in runs:
            if noisy:
                text = text.translate(_TEXT_FIXES)
                if not text:
                    continue
            key = (
                bool(st.bold),
                bool(st.italic),
                _VERTS.get(st.vert or "", Vert.BASELINE),
                (st.spacing or 0) >= 20,
            )
            if key == last:
                prev = spans[-1]
                spans[-1] = RawSpan(prev.text + text, *key)
            else:
                spans.append(RawSpan(text, *key))
                last = key
        return tuple(spans)

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
            text = text.translate(_TEXT_FIXES)
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


_NOISE = re.compile("[\u00ad\u200b\ufeff\u200c\u200d\u00a0\u202f\u2007\u2011\t\r]")


def _fix(text: str) -> str:
    """Remove Word noise characters (soft hyphens, no-break spaces, zero-widths, tabs)."""
    return text.translate(_TEXT_FIXES) if _NOISE.search(text) else text


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
    for s in spans[1:]:
        prev = merged[-1]
        if s[1:5] == prev[1:5] and s.text != "\n" and prev.text != "\n":
            merged[-1] = prev._replace(text=prev.text + s.text, legacy=prev.legacy or s.legacy)
        else:
            merged.append(s)
    return tuple(merged)


def _is_top_level(el: etree._Element) -> bool:
    parent = el.getparent()
    if parent is not None and parent.tag == _BODY:
        return True
    while parent is not None:
        tag = parent.tag
        if tag == W + "body":
            return True
        if tag in _TOP_LEVEL_SKIP:
            return False
        parent = parent.getparent()
    return False


def iter_blocks(pkg: DocxPackage) -> Iterator[Block]:
    """Yield the body's paragraphs and tables in order, each with its body index."""
    reader = _Reader(pkg)
    index = 0
    try:
        with pkg.open_document() as stream:
            for _, el in etree.iterparse(
                stream,
                events=("end",),
                tag=(W + "p", W + "tbl"),
                huge_tree=True,
                remove_comments=True,
            ):
                if not _is_top_level(el):
                    continue
                if el.tag == W + "tbl":
                    yield reader.table(el, index)
                else:
                    yield reader.paragraph(el, index)
                index += 1
                parent = el.getparent()
                el.clear(keep_tail=False)
                if parent is not None:
                    while el.getprevious() is not None:
                        del parent[0]
    except etree.XMLSyntaxError as exc:
        line = getattr(exc, "lineno", None) or (exc.position[0] if exc.position else "?")
        raise InputError(
            pkg.display,
            f"word/document.xml is not well-formed XML ({exc.msg})",
            position=f"XML line {line}, after body element {index}",
        ) from None
    except (OSError, EOFError, ValueError) as exc:
        raise InputError(
            pkg.display,
            f"is damaged: word/document.xml cannot be read ({exc.__class__.__name__})",
            position=f"after body element {index}",
        ) from None
