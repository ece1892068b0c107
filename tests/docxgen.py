"""Build real .docx volumes for tests from a structured description.

The description mirrors how the publisher's Word files are built (see volume-format.md):

* ``Run``: a run of text with bold / italic / vertAlign / font / character spacing / caps.
  Special characters in ``Run.text`` become Word elements: ``\\t`` → ``<w:tab/>``,
  ``\\n`` → ``<w:br/>``, ``\\f`` → ``<w:br w:type="page"/>``, ``SOFT_HYPHEN_EL`` →
  ``<w:softHyphen/>``, ``NB_HYPHEN_EL`` → ``<w:noBreakHyphen/>``; U+00AD and NBSP stay literal.
  ``Run.legacy`` ("kz1048" / "pt154") means: ``text`` is Unicode source, written in the
  legacy byte layout shown as Windows-1251 (``to_legacy``).
* ``Noise``: raw inline XML between runs (``proof_err``, ``bookmark``); ``Group``: runs
  wrapped in a container whose text stays visible (``smart_tag``, ``tracked_insert``).
* ``Para``: a paragraph (alignment, first-line indent, pStyle, page break, section break).
* ``Table``, ``Picture`` (inline PNG + italic centred caption), ``Style`` (custom styles,
  e.g. one whose rPr sets a legacy font), ``Section`` (header running head, footer PAGE field).
* ``Entry``: one article's blocks plus what a parser should say about it; ``Entry.record()``
  computes the expected truth record (same keys as the shared ``*.truth.json``) from the
  very same runs that are written, so expectations are never typed twice.
* ``Volume`` → ``write_docx(volume, path)`` / ``docx_bytes(volume)``; output is
  deterministic (fixed zip timestamps and part order).
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any, Literal, TypeAlias
from xml.sax.saxutils import escape, quoteattr

# ---------------------------------------------------------------------------
# constants

SOFT_HYPHEN = "\u00ad"  # literal soft hyphen character inside <w:t>
SOFT_HYPHEN_EL = "\ue000"  # written as <w:softHyphen/>
NB_HYPHEN_EL = "\ue001"  # written as <w:noBreakHyphen/>
NBSP = "\u00a0"
KZ_FONT = "KZ Times New Roman"  # legacy font with KZ-1048 byte layout
PT_FONT = "Times/Kazakh"  # legacy font with PT154 byte layout
BODY_FONT = "Times New Roman"
INDENT = 340  # first-line indent in twips, as in the publisher's files
LEGACY_STYLE = "KZText"  # id of the built-in custom style whose rPr sets KZ_FONT
# Cyrillic letters and the Latin look-alikes typists enter for them (volume-format.md).
LATIN_TWINS = dict(zip("асеһіорхуәАВСЕНІКМОРТХУӘ", "acehiopxyəABCEHIKMOPTXYƏ", strict=True))

Legacy = Literal["kz1048", "pt154"]
Align = Literal["left", "center", "right", "both"]

_NS = (
    'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
    'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
    'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
    'xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"'
)
_DECL = "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------------------
# legacy encodings


def to_legacy(text: str, encoding: Legacy = "kz1048") -> str:
    """Unicode Kazakh → the glyphs a legacy font shows (bytes of ``encoding`` read as cp1251)."""
    return text.encode(encoding).decode("cp1251")


def from_legacy(text: str, encoding: Legacy = "kz1048") -> str:
    """Glyphs of a legacy-font run → Unicode Kazakh (inverse of ``to_legacy``)."""
    return text.encode("cp1251").decode(encoding)


# ---------------------------------------------------------------------------
# the description


@dataclass(frozen=True, slots=True)
class Run:
    """A run of text with one formatting (see the module docstring for special characters).

    ``vert`` is "sup" or "sub"; ``spacing`` is character spacing in twentieths of a point;
    ``size`` is in half-points; ``xref`` marks the run as a cross-reference target and names
    the target title (metadata for ``Entry.record``; not written). ``latin`` names Cyrillic
    letters the typist entered as Latin look-alikes (``"а"``: Latin ``a`` is written for each
    ``а``); ``text`` stays the Cyrillic a reader sees, as the truth does.
    """

    text: str
    bold: bool = False
    italic: bool = False
    vert: Literal["sup", "sub"] | None = None
    font: str | None = None
    spacing: int | None = None
    caps: bool = False
    size: int | None = None
    legacy: Legacy | None = None
    xref: str | None = None
    latin: str = ""  # Cyrillic letters of ``text`` typed as their Latin look-alikes


@dataclass(frozen=True, slots=True)
class Noise:
    """Raw inline XML placed between runs (proofErr, bookmarks…); carries no text."""

    xml: str


@dataclass(frozen=True, slots=True)
class Group:
    """Runs wrapped in a container element whose text is visible: ``w:smartTag``,
    ``w:ins`` (tracked insertion), ``w:customXml``…; ``attrs`` are written verbatim."""

    tag: str
    runs: tuple[Run, ...]
    attrs: tuple[tuple[str, str], ...] = ()


Inline: TypeAlias = Run | Noise | Group
# text content for the convenience constructors: str items become plain runs
Piece: TypeAlias = str | Run | Noise | Group | Iterable[Any]


@dataclass(frozen=True, slots=True)
class Section:
    """Properties of a section that ends at a paragraph: running head and page-number footer."""

    header: str | None = None
    page_number: bool = True


@dataclass(frozen=True, slots=True, init=False)
class Para:
    """A paragraph: inline runs plus paragraph properties.

    ``indent`` is True for the standard first-line indent, an int for twips, False for none.
    ``page_break`` makes a paragraph holding a single page-break run (after any runs).
    ``section`` ends a section here (sectPr in pPr).
    """

    runs: tuple[Inline, ...] = ()
    align: Align | None = None
    indent: bool | int = False
    style: str | None = None
    page_break: bool = False
    section: Section | None = None
    keep_next: bool = False

    def __init__(
        self,
        runs: Iterable[Inline] | str = (),
        align: Align | None = None,
        indent: bool | int = False,
        style: str | None = None,
        page_break: bool = False,
        section: Section | None = None,
        keep_next: bool = False,
    ) -> None:
        items = (Run(runs),) if isinstance(runs, str) else tuple(runs)
        for name, value in (
            ("runs", items),
            ("align", align),
            ("indent", indent),
            ("style", style),
            ("page_break", page_break),
            ("section", section),
            ("keep_next", keep_next),
        ):
            object.__setattr__(self, name, value)


Cell: TypeAlias = str | Run | Sequence[Inline] | Para


@dataclass(frozen=True, slots=True, init=False)
class Table:
    """A table: rows of cells; each cell is a str, a Run, a run list or a Para.

    With ``header=True`` the first row's plain-string cells are written bold.
    """

    rows: tuple[tuple[Cell, ...], ...]
    header: bool = False

    def __init__(self, rows: Iterable[Iterable[Cell]], header: bool = False) -> None:
        object.__setattr__(self, "rows", tuple(tuple(r) for r in rows))
        object.__setattr__(self, "header", header)

    def cell_paras(self) -> list[list[Para]]:
        """The cells as paragraphs (header cells bold)."""
        out = []
        for i, row in enumerate(self.rows):
            bold = self.header and i == 0
            out.append([_cell_para(c, bold) for c in row])
        return out


@dataclass(frozen=True, slots=True)
class Picture:
    """An inline picture in its own centred paragraph, optionally followed by a caption.

    ``caption`` is a str (written as an italic centred paragraph) or a ready Para.
    """

    png: bytes
    caption: str | Para | None = None
    width_emu: int = 1440000
    height_emu: int = 1080000

    def caption_para(self) -> Para | None:
        """The caption paragraph, or None."""
        if self.caption is None or isinstance(self.caption, Para):
            return self.caption
        return Para([Run(self.caption, italic=True)], align="center")


@dataclass(frozen=True, slots=True)
class Style:
    """A custom paragraph style; ``font`` sets rFonts in its rPr (runs inherit it)."""

    style_id: str
    name: str
    font: str | None = None
    bold: bool = False
    italic: bool = False
    based_on: str = "Normal"


Block: TypeAlias = Para | Table | Picture


@dataclass(frozen=True)
class Entry:
    """One article: its blocks (first Para = headword line) and what a parser should report.

    ``headword`` defaults to the leading bold text of the first paragraph (cleaned as the
    truth format says); ``lead`` defaults to ``title`` without a trailing "(…)" qualifier;
    ``signature`` True/False forces the last paragraph to be / not be the signature, None
    detects a last right-aligned all-italic paragraph.
    """

    blocks: tuple[Block, ...]
    title: str
    kind: Literal["person", "place", "other"] = "other"
    headword: str | None = None
    lead: str | None = None
    title_alternatives: tuple[str, ...] = ()
    redirects: tuple[str, ...] = ()
    signature: bool | None = None

    def record(self, styles: Iterable[Style] = ()) -> dict[str, Any]:
        """The expected truth record for this article (keys of the shared truth format)."""
        return entry_record(self, styles)


@dataclass(frozen=True, init=False)
class Volume:
    """A whole volume: front matter, then blocks/entries, custom styles, running head."""

    blocks: tuple[Block | Entry, ...]
    front_matter: tuple[Block, ...] = ()
    styles: tuple[Style, ...] = ()
    header_text: str | None = None
    page_number: bool = True

    def __init__(
        self,
        blocks: Iterable[Block | Entry],
        front_matter: Iterable[Block] = (),
        styles: Iterable[Style] = (),
        header_text: str | None = None,
        page_number: bool = True,
    ) -> None:
        object.__setattr__(self, "blocks", tuple(blocks))
        object.__setattr__(self, "front_matter", tuple(front_matter))
        object.__setattr__(self, "styles", tuple(styles))
        object.__setattr__(self, "header_text", header_text)
        object.__setattr__(self, "page_number", page_number)

    def entries(self) -> list[Entry]:
        """The article entries in document order."""
        return [b for b in self.blocks if isinstance(b, Entry)]

    def records(self) -> list[dict[str, Any]]:
        """Expected truth records for every entry, in document order."""
        return [entry_record(e, self.all_styles()) for e in self.entries()]

    def all_styles(self) -> tuple[Style, ...]:
        """Built-in custom styles plus the volume's own."""
        return (Style(LEGACY_STYLE, "KZ Text", font=KZ_FONT), *self.styles)

    def flat_blocks(self) -> Iterator[Block]:
        """Front matter and body blocks with entries expanded."""
        yield from self.front_matter
        for b in self.blocks:
            if isinstance(b, Entry):
                yield from b.blocks
            else:
                yield b


# ---------------------------------------------------------------------------
# convenience constructors


def bold(text: str, **kw: Any) -> Run:
    """A bold run."""
    return Run(text, bold=True, **kw)


def italic(text: str, **kw: Any) -> Run:
    """An italic run."""
    return Run(text, italic=True, **kw)


def sup(text: str, **kw: Any) -> Run:
    """A superscript run."""
    return Run(text, vert="sup", **kw)


def sub(text: str, **kw: Any) -> Run:
    """A subscript run."""
    return Run(text, vert="sub", **kw)


def kz(text: str, **kw: Any) -> Run:
    """A run in the KZ-1048 legacy font; ``text`` is Unicode source."""
    kw.setdefault("font", KZ_FONT)
    return Run(text, legacy="kz1048", **kw)


def pt(text: str, **kw: Any) -> Run:
    """A run in a PT154 legacy font; ``text`` is Unicode source."""
    kw.setdefault("font", PT_FONT)
    return Run(text, legacy="pt154", **kw)


def see(target: str, paren: bool = True, before: str = "", after: str = "") -> list[Run]:
    """A cross-reference ``(қ. Target)`` / ``қ. Target`` with the target in italics.

    ``before`` / ``after`` are plain text glued around it (e.g. after=".").
    """
    open_, close = ("(қ. ", ")") if paren else ("қ. ", "")
    return [Run(before + open_), Run(target, italic=True, xref=target), Run(close + after)]


def spaced(word: str, bold_: bool = False, italic_: bool = False) -> Run:
    """A sub-term letter-spaced with spaces between its letters (``И н и ц и а л``)."""
    return Run(" ".join(word), bold=bold_, italic=italic_)


def body(*runs: Piece, indent: bool | int = True, **kw: Any) -> Para:
    """A justified body paragraph with first-line indent; str items become plain runs."""
    return Para(_inlines(runs), align="both", indent=indent, **kw)


def headline(
    headword: str | Sequence[Piece],
    rest: str | Sequence[Piece],
    dash: str = " – ",
    **kw: Any,
) -> Para:
    """The headword paragraph: bold headword, dash, definition (str items are plain runs)."""
    hw = [bold(headword)] if isinstance(headword, str) else _inlines(headword)
    tail = _inlines([rest])
    return body(*hw, *([Run(dash)] if dash else []), *tail, **kw)


def signature(text: str) -> Para:
    """A right-aligned italic author signature."""
    return Para([italic(text)], align="right")


def works(*runs: Piece) -> Para:
    """A «Шығ.:» paragraph (italic label)."""
    return body(italic("Шығ.:"), " ", *runs)


def literature(*runs: Piece) -> Para:
    """An «Әдеб.:» paragraph (italic label)."""
    return body(italic("Әдеб.:"), " ", *runs)


def divider(letter: str) -> Para:
    """A letter divider: one centred bold capital letter."""
    return Para([Run(letter, bold=True, size=32)], align="center", keep_next=True)


def page_break() -> Para:
    """A paragraph holding only a page break."""
    return Para(page_break=True)


def empty() -> Para:
    """An empty paragraph."""
    return Para()


def section_break(header: str | None) -> Para:
    """An empty paragraph that ends a section whose pages carry ``header`` as running head."""
    return Para(section=Section(header=header))


def smart_tag(*runs: Run, element: str = "place") -> Group:
    """Runs wrapped in a Word 2003 ``<w:smartTag>`` (the text stays visible)."""
    attrs = (("w:uri", "urn:schemas-microsoft-com:office:smarttags"), ("w:element", element))
    return Group("w:smartTag", runs, attrs)


def tracked_insert(*runs: Run, author: str = "Редактор") -> Group:
    """Runs wrapped in a tracked-change insertion ``<w:ins>`` (the text stays visible)."""
    attrs = (("w:id", "901"), ("w:author", author), ("w:date", "2004-01-01T00:00:00Z"))
    return Group("w:ins", runs, attrs)


def runs_of(inlines: Iterable[Inline]) -> list[Run]:
    """The text runs of a paragraph in order, including runs inside groups."""
    out: list[Run] = []
    for item in inlines:
        if isinstance(item, Run):
            out.append(item)
        elif isinstance(item, Group):
            out.extend(item.runs)
    return out


def proof_err(kind: str = "spellStart") -> Noise:
    """A ``<w:proofErr>`` marker."""
    return Noise(f"<w:proofErr w:type={quoteattr(kind)}/>")


def bookmark(bid: int, name: str) -> tuple[Noise, Noise]:
    """A bookmark start/end pair."""
    return (
        Noise(f'<w:bookmarkStart w:id="{bid}" w:name={quoteattr(name)}/>'),
        Noise(f'<w:bookmarkEnd w:id="{bid}"/>'),
    )


def article(
    headword: str | Sequence[Piece],
    rest: str | Sequence[Piece],
    *,
    title: str,
    kind: Literal["person", "place", "other"] = "other",
    more: Iterable[Block] = (),
    sig: str | None = None,
    dash: str = " – ",
    **entry_kw: Any,
) -> Entry:
    """An Entry: headword line, further blocks, optional signature."""
    blocks: list[Block] = [headline(headword, rest, dash=dash), *more]
    if sig:
        blocks.append(signature(sig))
    return Entry(tuple(blocks), title=title, kind=kind, **entry_kw)


def tiny_png(width: int = 4, height: int = 3, rgb: tuple[int, int, int] = (40, 90, 160)) -> bytes:
    """A small valid RGB PNG of one colour (deterministic bytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def repeat_volume(volume: Volume, times: int) -> Volume:
    """The volume with its body blocks repeated ``times`` times (for benchmarks)."""
    return replace(volume, blocks=volume.blocks * times)


def _inlines(items: Iterable[Any]) -> list[Inline]:
    out: list[Inline] = []
    for item in items:
        if isinstance(item, str):
            out.append(Run(item))
        elif isinstance(item, (Run, Noise, Group)):
            out.append(item)
        else:
            out.extend(_inlines(item))
    return out


def _cell_para(cell: Cell, bold_: bool) -> Para:
    if isinstance(cell, Para):
        return cell
    if isinstance(cell, str):
        return Para([Run(cell, bold=bold_)], align="left")
    if isinstance(cell, Run):
        return Para([cell], align="left")
    return Para(list(cell), align="left")


# ---------------------------------------------------------------------------
# expected values


def run_text(run: Run) -> str:
    """The text a reader sees for a run (legacy already Unicode, caps applied), Word marks
    mapped: soft hyphens dropped, no-break hyphen → "-", tab/NBSP/breaks → space."""
    text = run.text.upper() if run.caps else run.text
    text = text.replace(SOFT_HYPHEN, "").replace(SOFT_HYPHEN_EL, "").replace(NB_HYPHEN_EL, "-")
    return re.sub(r"[\t\n\f\u00a0]", " ", text)


def para_text(para: Para) -> str:
    """Plain text of a paragraph, whitespace collapsed (truth-format rules)."""
    return " ".join("".join(run_text(r) for r in runs_of(para.runs)).split())


def _clean_headword(text: str) -> str:
    text = " ".join(text.split())
    return re.sub(r"\s*[-–—,.;:]+$", "", text).strip()


def entry_headword(entry: Entry) -> str:
    """The headword: the leading bold runs of the first paragraph, cleaned."""
    first = next(b for b in entry.blocks if isinstance(b, Para))
    parts = []
    for r in runs_of(first.runs):
        if not r.bold:
            break
        parts.append(run_text(r))
    return _clean_headword("".join(parts))


def _is_signature(p: Para) -> bool:
    runs = [r for r in runs_of(p.runs) if r.text.strip()]
    return p.align == "right" and bool(runs) and all(r.italic for r in runs)


def _legacy_used(p: Para, styles: dict[str, Style]) -> bool:
    style = styles.get(p.style or "")
    style_legacy = style is not None and style.font in (KZ_FONT, PT_FONT)
    return any(
        r.text.strip() != ""
        and (r.legacy is not None or r.font in (KZ_FONT, PT_FONT) or (style_legacy and not r.font))
        for r in runs_of(p.runs)
    )


def entry_record(entry: Entry, styles: Iterable[Style] = ()) -> dict[str, Any]:
    """Compute the truth record of an entry from its blocks (see tools/README.md)."""
    by_id = {s.style_id: s for s in (Style(LEGACY_STYLE, "KZ Text", font=KZ_FONT), *styles)}
    paras: list[Para] = []
    captions: list[str] = []
    tables: list[dict[str, Any]] = []
    has_picture = False
    for b in entry.blocks:
        if isinstance(b, Para):
            if para_text(b):
                paras.append(b)
        elif isinstance(b, Table):
            rows = [[para_text(c) for c in row] for row in b.cell_paras()]
            tables.append({"after_paragraph": len(paras) - 1, "rows": rows})
        else:
            has_picture = True
            cap = b.caption_para()
            if cap is not None and para_text(cap):
                paras.append(cap)
                captions.append(para_text(cap))
    texts = [para_text(p) for p in paras]
    sig_flag = entry.signature if entry.signature is not None else _is_signature(paras[-1])
    runs = [r for p in paras for r in runs_of(p.runs)]
    return {
        "headword": entry.headword or entry_headword(entry),
        "title": entry.title,
        "title_alternatives": list(entry.title_alternatives),
        "redirects": list(entry.redirects),
        "lead": entry.lead or re.sub(r"\s*\([^()]*\)$", "", entry.title),
        "kind": entry.kind,
        "text": "\n".join(texts),
        "signature": texts[-1] if sig_flag and len(texts) > 1 else None,
        "crossrefs": [r.xref for r in runs if r.xref],
        "sup": [run_text(r) for r in runs if r.vert == "sup"],
        "sub": [run_text(r) for r in runs if r.vert == "sub"],
        "has_table": bool(tables),
        "has_picture": has_picture,
        "tables": tables,
        "captions": captions,
        "legacy_font": any(_legacy_used(p, by_id) for p in paras),
    }


# ---------------------------------------------------------------------------
# XML writing

_SPECIAL = re.compile("([\t\n\f\ue000\ue001])")
_SPECIAL_XML = {
    "\t": "<w:tab/>",
    "\n": "<w:br/>",
    "\f": '<w:br w:type="page"/>',
    SOFT_HYPHEN_EL: "<w:softHyphen/>",
    NB_HYPHEN_EL: "<w:noBreakHyphen/>",
}


def _fonts_xml(font: str) -> str:
    f = quoteattr(font)
    return f"<w:rFonts w:ascii={f} w:hAnsi={f} w:cs={f} w:eastAsia={f}/>"


def _run_xml(run: Run, default_font: str | None = None) -> str:
    """A <w:r>. Like the publisher's files, a run names its font explicitly (``default_font``)
    unless it inherits one from a paragraph style."""
    rpr = []
    if run.font or default_font:
        rpr.append(_fonts_xml(run.font or default_font or ""))
    if run.bold:
        rpr.append("<w:b/>")
    if run.italic:
        rpr.append("<w:i/>")
    if run.caps:
        rpr.append("<w:caps/>")
    if run.spacing is not None:
        rpr.append(f'<w:spacing w:val="{int(run.spacing)}"/>')
    if run.size is not None:
        rpr.append(f'<w:sz w:val="{int(run.size)}"/>')
    if run.vert:
        rpr.append(f'<w:vertAlign w:val="{"superscript" if run.vert == "sup" else "subscript"}"/>')
    rpr.append('<w:lang w:val="kk-KZ"/>')
    text = run.text
    if run.latin:
        text = "".join(LATIN_TWINS[ch] if ch in run.latin else ch for ch in text)
    if run.legacy:
        text = "".join(
            to_legacy(part, run.legacy) if part not in _SPECIAL_XML else part
            for part in _SPECIAL.split(text)
        )
    body_parts = []
    for part in _SPECIAL.split(text):
        if not part:
            continue
        if part in _SPECIAL_XML:
            body_parts.append(_SPECIAL_XML[part])
        else:
            body_parts.append(f'<w:t xml:space="preserve">{escape(part)}</w:t>')
    return f"<w:r><w:rPr>{''.join(rpr)}</w:rPr>{''.join(body_parts)}</w:r>"


class _Parts:
    """Collects relationships, media and header/footer parts while writing the body."""

    def __init__(self) -> None:
        self.rels: list[tuple[str, str, str]] = []  # (id, type, target)
        self.files: dict[str, bytes] = {}
        self.overrides: list[tuple[str, str]] = []
        self.pictures = 0
        self.sections = 0

    def add_rel(self, kind: str, target: str) -> str:
        rid = f"rId{len(self.rels) + 1}"
        self.rels.append((rid, f"{_REL}/{kind}", target))
        return rid

    def picture(self, png: bytes) -> tuple[str, int]:
        self.pictures += 1
        name = f"media/image{self.pictures}.png"
        self.files[f"word/{name}"] = png
        return self.add_rel("image", name), self.pictures

    def sect_pr(self, section: Section) -> str:
        self.sections += 1
        n = self.sections
        refs = []
        if section.header is not None:
            hdr = (
                f'{_DECL}<w:hdr {_NS}><w:p><w:pPr><w:pStyle w:val="Header"/><w:jc w:val="center"/>'
                f"</w:pPr>{_run_xml(Run(section.header, bold=True))}</w:p></w:hdr>"
            )
            self.files[f"word/header{n}.xml"] = hdr.encode()
            self.overrides.append((f"/word/header{n}.xml", "header"))
            rid = self.add_rel("header", f"header{n}.xml")
            refs.append(f'<w:headerReference w:type="default" r:id="{rid}"/>')
        if section.page_number:
            ftr = (
                f'{_DECL}<w:ftr {_NS}><w:p><w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="center"/>'
                '</w:pPr><w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'
                "</w:p></w:ftr>"
            )
            self.files[f"word/footer{n}.xml"] = ftr.encode()
            self.overrides.append((f"/word/footer{n}.xml", "footer"))
            rid = self.add_rel("footer", f"footer{n}.xml")
            refs.append(f'<w:footerReference w:type="default" r:id="{rid}"/>')
        return (
            f"<w:sectPr>{''.join(refs)}"
            '<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" '
            'w:bottom="1134" w:left="1134" w:header="709" w:footer="709" w:gutter="0"/>'
            '<w:cols w:num="2" w:space="340"/></w:sectPr>'
        )


def _inline_xml(item: Inline, default_font: str | None = None) -> str:
    if isinstance(item, Noise):
        return item.xml
    if isinstance(item, Group):
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in item.attrs)
        inner = "".join(_run_xml(r, default_font) for r in item.runs)
        return f"<{item.tag}{attrs}>{inner}</{item.tag}>"
    return _run_xml(item, default_font)


def _para_xml(p: Para, parts: _Parts) -> str:
    ppr = []
    if p.style:
        ppr.append(f"<w:pStyle w:val={quoteattr(p.style)}/>")
    if p.keep_next:
        ppr.append("<w:keepNext/>")
    if p.indent:
        twips = INDENT if p.indent is True else int(p.indent)
        ppr.append(f'<w:ind w:firstLine="{twips}"/>')
    if p.align:
        ppr.append(f'<w:jc w:val="{p.align}"/>')
    if p.section:
        ppr.append(parts.sect_pr(p.section))
    runs = "".join(_inline_xml(r, None if p.style else BODY_FONT) for r in p.runs)
    if p.page_break:
        runs += '<w:r><w:br w:type="page"/></w:r>'
    ppr_xml = f"<w:pPr>{''.join(ppr)}</w:pPr>" if ppr else ""
    return f"<w:p>{ppr_xml}{runs}</w:p>"


def _table_xml(t: Table, parts: _Parts) -> str:
    cells = t.cell_paras()
    ncols = max((len(r) for r in cells), default=1)
    width = 9638 // max(ncols, 1)
    grid = "".join(f'<w:gridCol w:w="{width}"/>' for _ in range(ncols))
    rows = []
    for row in cells:
        tc_pr = f'<w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
        tcs = "".join(f"<w:tc>{tc_pr}{_para_xml(c, parts)}</w:tc>" for c in row)
        rows.append(f"<w:tr>{tcs}</w:tr>")
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
        f'<w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>'
    )


def _picture_xml(pic: Picture, parts: _Parts) -> str:
    rid, n = parts.picture(pic.png)
    cx, cy = pic.width_emu, pic.height_emu
    drawing = (
        f'<w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{cx}" '
        f'cy="{cy}"/><wp:docPr id="{n}" name="Picture {n}"/><wp:cNvGraphicFramePr>'
        '<a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr><a:graphic>'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        f'<pic:pic><pic:nvPicPr><pic:cNvPr id="{n}" name="image{n}.png"/><pic:cNvPicPr/>'
        f'</pic:nvPicPr><pic:blipFill><a:blip r:embed="{rid}"/><a:stretch><a:fillRect/>'
        '</a:stretch></pic:blipFill><pic:spPr><a:xfrm><a:off x="0" y="0"/>'
        f'<a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom>'
        "</pic:spPr></pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing>"
    )
    xml = f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r>{drawing}</w:r></w:p>'
    cap = pic.caption_para()
    return xml + (_para_xml(cap, parts) if cap is not None else "")


def _block_xml(b: Block, parts: _Parts) -> str:
    if isinstance(b, Para):
        return _para_xml(b, parts)
    if isinstance(b, Table):
        return _table_xml(b, parts)
    return _picture_xml(b, parts)


def _styles_xml(styles: Sequence[Style]) -> str:
    base = (
        '<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/>'
        "<w:qFormat/></w:style>"
        '<w:style w:type="character" w:default="1" w:styleId="DefaultParagraphFont">'
        '<w:name w:val="Default Paragraph Font"/><w:uiPriority w:val="1"/><w:semiHidden/>'
        "</w:style>"
        '<w:style w:type="paragraph" w:styleId="Header"><w:name w:val="header"/>'
        '<w:basedOn w:val="Normal"/></w:style>'
        '<w:style w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/>'
        '<w:basedOn w:val="Normal"/></w:style>'
        '<w:style w:type="table" w:default="1" w:styleId="TableNormal">'
        '<w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/>'
        '<w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/>'
        '<w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar>'
        "</w:tblPr></w:style>"
        '<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/>'
        '<w:basedOn w:val="TableNormal"/><w:tblPr><w:tblBorders>'
        + "".join(
            f'<w:{e} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
            for e in ("top", "left", "bottom", "right", "insideH", "insideV")
        )
        + "</w:tblBorders></w:tblPr></w:style>"
    )
    custom = []
    for s in styles:
        rpr = (_fonts_xml(s.font) if s.font else "") + ("<w:b/>" if s.bold else "")
        rpr += "<w:i/>" if s.italic else ""
        custom.append(
            f'<w:style w:type="paragraph" w:customStyle="1" w:styleId={quoteattr(s.style_id)}>'
            f"<w:name w:val={quoteattr(s.name)}/><w:basedOn w:val={quoteattr(s.based_on)}/>"
            f"<w:qFormat/><w:rPr>{rpr}</w:rPr></w:style>"
        )
    return (
        f"{_DECL}<w:styles {_NS}><w:docDefaults><w:rPrDefault><w:rPr>{_fonts_xml(BODY_FONT)}"
        '<w:sz w:val="20"/><w:szCs w:val="20"/><w:lang w:val="kk-KZ" w:eastAsia="en-US"/>'
        '</w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="240" '
        'w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>'
        f"{base}{''.join(custom)}</w:styles>"
    )


def _font_table_xml(fonts: Iterable[str]) -> str:
    items = "".join(
        f'<w:font w:name={quoteattr(f)}><w:charset w:val="{"CC" if f != BODY_FONT else "00"}"/>'
        '<w:family w:val="roman"/><w:pitch w:val="variable"/></w:font>'
        for f in sorted(set(fonts))
    )
    return f"{_DECL}<w:fonts {_NS}>{items}</w:fonts>"


def _fonts_used(volume: Volume) -> set[str]:
    fonts = {BODY_FONT} | {s.font for s in volume.all_styles() if s.font}
    for b in volume.flat_blocks():
        paras: list[Para] = []
        if isinstance(b, Para):
            paras = [b]
        elif isinstance(b, Table):
            paras = [c for row in b.cell_paras() for c in row]
        fonts |= {r.font for p in paras for r in runs_of(p.runs) if r.font}
    return fonts


_CT_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml"


def _content_types(overrides: Sequence[tuple[str, str]]) -> str:
    items = "".join(
        f'<Override PartName="{name}" ContentType="{_CT_MAIN}.{kind}+xml"/>'
        for name, kind in overrides
    )
    return (
        f'{_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="png" ContentType="image/png"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/>'
        f"{items}</Types>"
    )


def _rels_xml(rels: Iterable[tuple[str, str, str]]) -> str:
    items = "".join(
        f'<Relationship Id="{rid}" Type="{kind}" Target="{target}"/>' for rid, kind, target in rels
    )
    return (
        f'{_DECL}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{items}</Relationships>'
    )


_CORE = (
    f'{_DECL}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>Қазақ энциклопедиясы'
    "</dc:title><dc:creator>tests.docxgen</dc:creator>"
    '<dcterms:created xsi:type="dcterms:W3CDTF">2020-01-01T00:00:00Z</dcterms:created>'
    "</cp:coreProperties>"
)


def docx_parts(volume: Volume) -> dict[str, bytes]:
    """All parts of the package, name → bytes, in the order they are zipped."""
    parts = _Parts()
    parts.add_rel("styles", "styles.xml")
    parts.add_rel("settings", "settings.xml")
    parts.add_rel("fontTable", "fontTable.xml")
    body = "".join(_block_xml(b, parts) for b in volume.flat_blocks())
    final = parts.sect_pr(Section(header=volume.header_text, page_number=volume.page_number))
    document = f"{_DECL}<w:document {_NS}><w:body>{body}{final}</w:body></w:document>"
    settings = f'{_DECL}<w:settings {_NS}><w:defaultTabStop w:val="708"/></w:settings>'
    overrides = [
        ("/word/document.xml", "document.main"),
        ("/word/styles.xml", "styles"),
        ("/word/settings.xml", "settings"),
        ("/word/fontTable.xml", "fontTable"),
        *parts.overrides,
    ]
    package_rels = [
        ("rId1", f"{_REL}/officeDocument", "word/document.xml"),
        (
            "rId2",
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
            "docProps/core.xml",
        ),
    ]
    out = {
        "[Content_Types].xml": _content_types(overrides).encode(),
        "_rels/.rels": _rels_xml(package_rels).encode(),
        "docProps/core.xml": _CORE.encode(),
        "word/document.xml": document.encode(),
        "word/styles.xml": _styles_xml(volume.all_styles()).encode(),
        "word/settings.xml": settings.encode(),
        "word/fontTable.xml": _font_table_xml(_fonts_used(volume)).encode(),
        "word/_rels/document.xml.rels": _rels_xml(parts.rels).encode(),
    }
    out.update(parts.files)
    return out


def zip_parts(parts: dict[str, bytes], target: str | Path | IO[bytes]) -> None:
    """Write parts into a zip with fixed timestamps (identical bytes on every run)."""
    with zipfile.ZipFile(target, "w") as zf:
        for name, data in parts.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=6)


def write_docx(volume: Volume, path: str | Path) -> Path:
    """Write ``volume`` as a .docx at ``path`` (deterministic bytes); returns the path."""
    zip_parts(docx_parts(volume), path)
    return Path(path)


def docx_bytes(volume: Volume) -> bytes:
    """The .docx file of ``volume`` as bytes."""
    buf = io.BytesIO()
    zip_parts(docx_parts(volume), buf)
    return buf.getvalue()


__all__ = [
    "INDENT",
    "KZ_FONT",
    "LATIN_TWINS",
    "LEGACY_STYLE",
    "NBSP",
    "NB_HYPHEN_EL",
    "PT_FONT",
    "SOFT_HYPHEN",
    "SOFT_HYPHEN_EL",
    "Entry",
    "Group",
    "Noise",
    "Para",
    "Picture",
    "Run",
    "Section",
    "Style",
    "Table",
    "Volume",
    "article",
    "body",
    "bold",
    "bookmark",
    "divider",
    "docx_bytes",
    "docx_parts",
    "empty",
    "entry_record",
    "from_legacy",
    "headline",
    "italic",
    "kz",
    "literature",
    "page_break",
    "para_text",
    "proof_err",
    "pt",
    "repeat_volume",
    "runs_of",
    "section_break",
    "see",
    "signature",
    "smart_tag",
    "spaced",
    "sub",
    "sup",
    "tiny_png",
    "to_legacy",
    "tracked_insert",
    "works",
    "write_docx",
]
