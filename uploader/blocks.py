"""Streaming reader: word/document.xml → body blocks (paragraphs and tables) with clean runs.

Runs carry their effective formatting (paragraph style, character style, direct formatting),
legacy-font text decoded per run, and Word noise removed: soft hyphens, non-breaking spaces
and hyphens, tabs, zero-width characters. Memory stays flat: each body element is cleared once
read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from uploader.docx_package import DocxPackage, ParaStyle, R, RunStyle, W, merge, parse_rpr
from uploader.errors import InputError
from uploader.legacy import Codepage, decode, guess_codepage, is_legacy_font, looks_legacy
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


@dataclass(frozen=True, slots=True)
class RawSpan:
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

    @property
    def text(self) -> str:
        """Visible text with line breaks as spaces and whitespace collapsed."""
        return " ".join("".join(" " if s.text == "\n" else s.text for s in self.spans).split())

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

    def paragraph(self, p: etree._Element, index: int) -> Block:
        ppr = p.find(W + "pPr")
        style = self._default_style
        align = ""
        if ppr is not None:
            ps = ppr.find(W + "pStyle")
            if ps is not None:
                style = self.pkg.para_styles.get(ps.get(W + "val") or "", style)
            jc = ppr.find(W + "jc")
            if jc is not None:
                align = jc.get(W + "val") or ""
        align = align or style.align or ""
        base = merge(self.pkg.default_run, style.run)
        runs: list[tuple[str, RunStyle]] = []
        images: list[str] = []
        page_break = self._collect(p, base, runs, images)
        spans = self._finish(runs)
        return Block(index, spans, _norm_align(align), style.name, tuple(images), page_break)

    def table(self, tbl: etree._Element, index: int) -> Block:
        rows = []
        for tr in tbl.iter(W + "tr"):
            cells = []
            for tc in tr.iterchildren(W + "tc"):
                cell: list[RawSpan] = []
                for p in tc.iter(W + "p"):
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
            if tag == W + "r":
                page_break |= self._run(child, base, out, images)
            elif tag in _TRANSPARENT:
                page_break |= self._collect(child, base, out, images)
        return page_break

    def _run(
        self,
        r: etree._Element,
        base: RunStyle,
        out: list[tuple[str, RunStyle]],
        images: list[str],
    ) -> bool:
        rpr = r.find(W + "rPr")
        style = base
        if rpr is not None:
            rs = rpr.find(W + "rStyle")
            if rs is not None:
                style = merge(style, self.pkg.char_styles.get(rs.get(W + "val") or "", RunStyle()))
            style = merge(style, parse_rpr(rpr))
        page_break = False
        parts: list[str] = []
        for child in r:
            tag = child.tag
            if tag == W + "t":
                parts.append(child.text or "")
            elif tag == W + "tab" or tag == W + "ptab":
                parts.append(" ")
            elif tag == W + "br":
                if child.get(W + "type") in ("page", "column"):
                    page_break = True
                else:
                    parts.append("\n")
            elif tag == W + "cr":
                parts.append("\n")
            elif tag == W + "noBreakHyphen":
                parts.append("-")
            elif tag in (W + "drawing", W + "pict", W + "object", _MC_ALT):
                images.extend(_image_ids(child))
        if parts:
            text = "".join(parts)
            if style.caps:
                text = text.upper()
            out.append((text, style))
        return page_break

    def _finish(self, runs: list[tuple[str, RunStyle]]) -> tuple[RawSpan, ...]:
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
                cp = self._codepage(st.font, codepage)
                text = decode(text, cp)
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


def _image_ids(el: etree._Element) -> list[str]:
    ids = []
    for node in el.iter(A_BLIP, V_IMAGEDATA):
        if any(anc.tag == MC_FALLBACK for anc in node.iterancestors()):
            continue
        rid = node.get(R + "embed") or node.get(R + "id")
        if rid and rid not in ids:
            ids.append(rid)
    return ids


def _raw(text: str, st: RunStyle, legacy: bool) -> RawSpan:
    vert = Vert.BASELINE
    if st.vert == "superscript":
        vert = Vert.SUP
    elif st.vert == "subscript":
        vert = Vert.SUB
    return RawSpan(
        text,
        bold=bool(st.bold),
        italic=bool(st.italic),
        vert=vert,
        spaced=(st.spacing or 0) >= 20,
        legacy=legacy,
    )


def _merge_adjacent(spans: list[RawSpan]) -> tuple[RawSpan, ...]:
    merged: list[RawSpan] = []
    for s in spans:
        if (
            merged
            and s.text != "\n"
            and merged[-1].text != "\n"
            and (merged[-1].bold, merged[-1].italic, merged[-1].vert, merged[-1].spaced)
            == (s.bold, s.italic, s.vert, s.spaced)
        ):
            prev = merged[-1]
            merged[-1] = RawSpan(
                prev.text + s.text, s.bold, s.italic, s.vert, s.spaced, prev.legacy or s.legacy
            )
        else:
            merged.append(s)
    return tuple(merged)


def _norm_align(value: str) -> str:
    return {"start": "left", "end": "right", "justify": "both", "distribute": "both"}.get(
        value, value
    )


def _is_top_level(el: etree._Element) -> bool:
    parent = el.getparent()
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
