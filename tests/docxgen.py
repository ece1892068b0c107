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
* Word quirks a reader of the printed page never sees, or sees differently from the XML:
  ``Run.hidden`` / ``HIDDEN_CHAR_STYLE`` / ``HIDDEN_PARA_STYLE`` (``w:vanish``), ``Sym``
  (``w:sym``), ``Removed`` (tracked deletion / move-from), ``Comment``, ``Field`` (code and
  result), ``TextBox`` (DrawingML choice and VML fallback), ``Alternate`` (paragraph-level
  ``mc:AlternateContent``), ``Math`` (Office Math), ``Footnote``, ``Nested`` (a table in a
  cell), ``Para.mark_deleted`` (deleted paragraph mark), ``Para.num`` with ``NumList``
  (automatic numbering), ``Run.legacy`` "cp1252" / "cp1252-kazakh" (KZ-1048 read as Western)
  and "symbol" / "symbol-ascii" (symbol-font positions), ``Volume.main_part`` and
  ``Volume.strict`` (a main part not called word/document.xml, Strict Open XML).
* ``Entry``: one article's blocks plus what a parser should say about it; ``Entry.record()``
  computes the expected truth record (same keys as the shared ``*.truth.json``) from the
  very same runs that are written, so expectations are never typed twice.
* ``Volume`` → ``write_docx(volume, path)`` / ``docx_bytes(volume)``; output is
  deterministic (fixed zip timestamps and part order).
"""

from __future__ import annotations

import io
import posixpath
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

Legacy = Literal["kz1048", "pt154", "cp1252", "cp1252-kazakh", "symbol", "symbol-ascii"]
KAZAKH_LEGACY = ("kz1048", "pt154", "cp1252", "cp1252-kazakh")  # legacy Kazakh layouts
HIDDEN_CHAR_STYLE = "HiddenChar"  # built-in character style whose rPr sets w:vanish
HIDDEN_PARA_STYLE = "HiddenPara"  # built-in paragraph style whose rPr sets w:vanish
_KAZAKH_ONLY = "ӘәҒғҚқҢңӨөҰұҮүҺһ"
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


# What the Symbol font draws on a few of its byte positions (from the font's chart).
SYMBOL_CHART = {
    "°": 0xB0,
    "±": 0xB1,
    "×": 0xB4,
    "≤": 0xA3,
    "≥": 0xB3,
    "≈": 0xBB,
    "∞": 0xA5,
    "→": 0xAE,
    "•": 0xB7,
    "α": 0x61,
    "β": 0x62,
    "γ": 0x67,
    "μ": 0x6D,
    "π": 0x70,
    "Δ": 0x44,
    "Ω": 0x57,
}


def _western(byte: int) -> str:
    """A byte as Word shows it read as cp1252 (unassigned bytes become C1 controls)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def to_legacy(text: str, encoding: Legacy = "kz1048") -> str:
    """Unicode text → what Word shows for it typed in a legacy layout: KZ-1048 / PT154 bytes
    read as cp1251; "cp1252": KZ-1048 bytes read as cp1252; "cp1252-kazakh": only the Kazakh
    letters so; "symbol": Symbol-font characters as private-use U+F0xx; "symbol-ascii": as
    their byte (what a Symbol-font run holds)."""
    if encoding == "cp1252":
        return "".join(_western(b) for b in text.encode("kz1048"))
    if encoding == "cp1252-kazakh":
        return "".join(_western(c.encode("kz1048")[0]) if c in _KAZAKH_ONLY else c for c in text)
    if encoding in ("symbol", "symbol-ascii"):
        base = 0xF000 if encoding == "symbol" else 0
        return "".join(chr(base + SYMBOL_CHART[c]) if c in SYMBOL_CHART else c for c in text)
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
    hidden: bool = False  # w:vanish in the run's own properties
    char_style: str | None = None  # w:rStyle (HIDDEN_CHAR_STYLE hides the run)
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


@dataclass(frozen=True, slots=True)
class Sym:
    """A ``<w:sym>`` symbol: ``char`` is the hex code Word writes, ``shows`` what it prints."""

    char: str
    shows: str
    font: str = "Symbol"


@dataclass(frozen=True, slots=True)
class Removed:
    """Runs removed as a tracked change: ``w:del`` (text in ``w:delText``) or ``w:moveFrom``."""

    runs: tuple[Run, ...]
    tag: Literal["w:del", "w:moveFrom"] = "w:del"


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on ``anchored`` (visible runs): range marks, reference run, and ``text`` in
    comments.xml (never article text)."""

    text: str
    anchored: tuple[Run, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    """A complex field: ``code`` (instrText), then ``result`` (what is printed). ``code_result``
    puts a nested field inside the code whose result is part of the code, not printed."""

    code: str
    result: tuple[Run, ...]
    code_result: str = ""


@dataclass(frozen=True, slots=True)
class TextBox:
    """A text box anchored in the paragraph: DrawingML (``choice``) and/or VML (``fallback``);
    both: ``mc:AlternateContent`` holding the same paragraphs twice."""

    paras: tuple[Para, ...]
    choice: bool = True
    fallback: bool = True


@dataclass(frozen=True, slots=True)
class Alternate:
    """A paragraph-level ``mc:AlternateContent``: runs of the Choice (printed) and of the
    Fallback (read only by older Word)."""

    choice: tuple[Run, ...]
    fallback: tuple[Run, ...]


MathItem: TypeAlias = str | tuple[Literal["sup", "sub", "frac"], str, str]


@dataclass(frozen=True, slots=True)
class Math:
    """An Office Math equation: items are text, ("sup", base, exponent), ("sub", base, index)
    or ("frac", numerator, denominator); ``display`` puts it in an ``m:oMathPara``."""

    items: tuple[MathItem, ...]
    display: bool = False

    def runs(self) -> list[Run]:
        """The runs a reader keeps: plain text, sub/superscripts, fractions as ``a/b``."""
        out: list[Run] = []
        for item in self.items:
            if isinstance(item, str):
                out.append(Run(item))
            elif item[0] == "frac":
                out.extend([Run(item[1]), Run("/"), Run(item[2])])
            else:
                out.extend([Run(item[1]), Run(item[2], vert=item[0])])
        return out

    def plain(self) -> str:
        """The equation's plain text."""
        return "".join(r.text for r in self.runs())


@dataclass(frozen=True, slots=True)
class Footnote:
    """A footnote reference; ``text`` goes to footnotes.xml (not converted: reported)."""

    text: str


Inline: TypeAlias = (
    Run | Noise | Group | Sym | Removed | Comment | Field | TextBox | Alternate | Math | Footnote
)
_INLINE_TYPES = (
    Run,
    Noise,
    Group,
    Sym,
    Removed,
    Comment,
    Field,
    TextBox,
    Alternate,
    Math,
    Footnote,
)
# text content for the convenience constructors: str items become plain runs
Piece: TypeAlias = str | Inline | Iterable[Any]


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
    ``section`` ends a section here (sectPr in pPr). ``mark_deleted``: its paragraph mark is
    a tracked deletion (it runs on into the next paragraph). ``num`` = (numId, level) of a
    ``NumList``: Word draws the list number before the text.
    """

    runs: tuple[Inline, ...] = ()
    align: Align | None = None
    indent: bool | int = False
    style: str | None = None
    page_break: bool = False
    section: Section | None = None
    keep_next: bool = False
    mark_deleted: bool = False
    num: tuple[int, int] | None = None

    def __init__(
        self,
        runs: Iterable[Inline] | str = (),
        align: Align | None = None,
        indent: bool | int = False,
        style: str | None = None,
        page_break: bool = False,
        section: Section | None = None,
        keep_next: bool = False,
        mark_deleted: bool = False,
        num: tuple[int, int] | None = None,
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
            ("mark_deleted", mark_deleted),
            ("num", num),
        ):
            object.__setattr__(self, name, value)


@dataclass(frozen=True, slots=True)
class Nested:
    """A cell holding paragraphs and tables (a table nested in a cell)."""

    blocks: tuple[Para | Table, ...]

    def flat(self) -> Para:
        """What a reader keeps of the cell: its paragraphs (nested cells' too) as lines."""
        runs: list[Inline] = []
        for para in _nested_paras(self.blocks):
            if runs:
                runs.append(Run("\n"))
            runs.extend(para.runs)
        return Para(runs, align="left")


def _nested_paras(blocks: Iterable[Para | Table]) -> Iterator[Para]:
    for b in blocks:
        if isinstance(b, Para):
            yield b
        else:
            for row in b.rows:
                for cell in row:
                    if isinstance(cell, Nested):
                        yield from _nested_paras(cell.blocks)
                    else:
                        yield _cell_para(cell, False)


Cell: TypeAlias = str | Run | Sequence[Inline] | Para | Nested


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
    """A custom paragraph style; ``font`` sets rFonts in its rPr (runs inherit it).
    ``kind`` "character" makes a character style; ``hidden`` sets w:vanish."""

    style_id: str
    name: str
    font: str | None = None
    bold: bool = False
    italic: bool = False
    based_on: str = "Normal"
    kind: Literal["paragraph", "character"] = "paragraph"
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class NumLevel:
    """One level of a list: number format, level text (``%1)``), start value."""

    fmt: str = "decimal"
    text: str = "%1)"
    start: int = 1


@dataclass(frozen=True, slots=True)
class NumList:
    """A list in numbering.xml (``w:num`` over its ``w:abstractNum``); ``restart`` writes a
    level-0 startOverride."""

    num_id: int
    levels: tuple[NumLevel, ...] = (NumLevel(),)
    restart: int | None = None


Block: TypeAlias = Para | Table | Picture
_BUILT_IN_STYLES = (
    Style(LEGACY_STYLE, "KZ Text", font=KZ_FONT),
    Style(HIDDEN_CHAR_STYLE, "Hidden Char", kind="character", hidden=True),
    Style(HIDDEN_PARA_STYLE, "Hidden Para", hidden=True),
)


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
    numbering: tuple[NumList, ...] = ()
    main_part: str = "word/document.xml"
    strict: bool = False

    def __init__(
        self,
        blocks: Iterable[Block | Entry],
        front_matter: Iterable[Block] = (),
        styles: Iterable[Style] = (),
        header_text: str | None = None,
        page_number: bool = True,
        numbering: Iterable[NumList] = (),
        main_part: str = "word/document.xml",
        strict: bool = False,
    ) -> None:
        object.__setattr__(self, "blocks", tuple(blocks))
        object.__setattr__(self, "front_matter", tuple(front_matter))
        object.__setattr__(self, "styles", tuple(styles))
        object.__setattr__(self, "header_text", header_text)
        object.__setattr__(self, "page_number", page_number)
        object.__setattr__(self, "numbering", tuple(numbering))
        object.__setattr__(self, "main_part", main_part)
        object.__setattr__(self, "strict", strict)

    def entries(self) -> list[Entry]:
        """The article entries in document order."""
        return [b for b in self.blocks if isinstance(b, Entry)]

    def records(self) -> list[dict[str, Any]]:
        """Expected truth records for every entry, in document order."""
        labels = number_labels(self)
        return [entry_record(e, self.all_styles(), labels) for e in self.entries()]

    def all_styles(self) -> tuple[Style, ...]:
        """Built-in custom styles plus the volume's own (the hidden ones only when used, so
        that volumes without them keep their bytes)."""
        used = {HIDDEN_CHAR_STYLE, HIDDEN_PARA_STYLE} & self._style_ids()
        return (
            _BUILT_IN_STYLES[0],
            *(s for s in _BUILT_IN_STYLES[1:] if s.style_id in used),
            *self.styles,
        )

    def _style_ids(self) -> set[str]:
        ids: set[str] = set()
        for b in self.flat_blocks():
            paras = [b] if isinstance(b, Para) else []
            if isinstance(b, Table):
                paras = [c for row in b.cell_paras() for c in row]
            for p in paras:
                ids.add(p.style or "")
                ids.update(r.char_style or "" for r in p.runs if isinstance(r, Run))
                for box in text_boxes(p):
                    ids.add(box.style or "")
        return ids

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
    """The printed runs of a paragraph in order: runs inside groups, field results, a
    comment's anchored text, a Choice's runs, symbols and equations included; hidden,
    deleted and comment text, field codes and text boxes (their own paragraphs) left out."""
    out: list[Run] = []
    for item in inlines:
        if isinstance(item, Run):
            out.append(item)
        elif isinstance(item, Group):
            out.extend(item.runs)
        elif isinstance(item, Field):
            out.extend(item.result)
        elif isinstance(item, Comment):
            out.extend(item.anchored)
        elif isinstance(item, Alternate):
            out.extend(item.choice)
        elif isinstance(item, Sym):
            out.append(Run(item.shows))
        elif isinstance(item, Math):
            out.extend(item.runs())
    return [r for r in out if not r.hidden and r.char_style != HIDDEN_CHAR_STYLE]


def text_boxes(para: Para) -> list[Para]:
    """The paragraphs of the text boxes anchored in ``para`` (printed once, after it)."""
    return [p for item in para.runs if isinstance(item, TextBox) for p in item.paras]


def left_out(para: Para) -> list[str]:
    """What a parser must report as not converted in ``para``: "equation", "footnote"."""
    return [
        "equation" if isinstance(item, Math) else "footnote"
        for item in para.runs
        if isinstance(item, (Math, Footnote))
    ]


_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"))
_ROMAN += ((40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))


def _number(n: int, fmt: str) -> str:
    if fmt == "lowerLetter":
        return "abcdefghijklmnopqrstuvwxyz"[n - 1]
    if fmt == "russianLower":
        return "абвгдежзиклмнопрстуфхцчшщэюя"[n - 1]
    if fmt == "upperRoman":
        out = ""
        for value, digits in _ROMAN:
            while n >= value:
                out, n = out + digits, n - value
        return out
    return str(n)


def number_labels(volume: Volume) -> dict[int, str]:
    """The list number Word draws before each numbered paragraph (keyed by ``id(para)``)."""
    lists = {n.num_id: n for n in volume.numbering}
    counts: dict[int, list[int]] = {}
    labels: dict[int, str] = {}
    for b in volume.flat_blocks():
        if not isinstance(b, Para) or b.num is None or b.num[0] not in lists:
            continue
        nl = lists[b.num[0]]
        level = b.num[1]
        starts = [lv.start for lv in nl.levels]
        if nl.restart is not None:
            starts[0] = nl.restart
        seen = counts.setdefault(nl.num_id, [])
        seen[:] = seen[: level + 1]  # deeper levels start again
        while len(seen) <= level:
            seen.append(starts[len(seen)] - 1)
        seen[level] += 1
        lv = nl.levels[level]
        if lv.fmt == "bullet":
            labels[id(b)] = lv.text + " "
            continue
        text = lv.text
        for k, n in enumerate(seen):
            text = text.replace(f"%{k + 1}", _number(n, nl.levels[k].fmt))
        labels[id(b)] = text + " "
    return labels


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
        elif isinstance(item, _INLINE_TYPES):
            out.append(item)
        else:
            out.extend(_inlines(item))
    return out


def _cell_para(cell: Cell, bold_: bool) -> Para:
    if isinstance(cell, Nested):
        return cell.flat()
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


def para_text(para: Para, label: str = "") -> str:
    """Plain text of a paragraph (after its list number ``label``), whitespace collapsed
    (truth-format rules); nothing for a paragraph in the hidden paragraph style."""
    if para.style == HIDDEN_PARA_STYLE:
        return ""
    return " ".join((label + "".join(run_text(r) for r in runs_of(para.runs))).split())


def _run_on(first: Para, second: Para) -> Para:
    """A paragraph whose mark is deleted and the next one, as the one paragraph printed."""
    return Para(
        (*first.runs, *second.runs),
        align=first.align,
        indent=first.indent,
        style=first.style,
        mark_deleted=second.mark_deleted,
        num=first.num,
    )


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
        and (
            r.legacy in KAZAKH_LEGACY
            or r.font in (KZ_FONT, PT_FONT)
            or (style_legacy and not r.font)
        )
        for r in runs_of(p.runs)
    )


def entry_record(
    entry: Entry, styles: Iterable[Style] = (), labels: dict[int, str] | None = None
) -> dict[str, Any]:
    """Compute the truth record of an entry from its blocks (see tools/README.md)."""
    by_id = {s.style_id: s for s in (*_BUILT_IN_STYLES, *styles)}
    labels = dict(labels or {})
    paras: list[Para] = []
    captions: list[str] = []
    tables: list[dict[str, Any]] = []
    has_picture = False
    held: Para | None = None  # a paragraph whose mark is deleted
    blocks: list[Block] = []
    for b in entry.blocks:  # paragraphs with a deleted mark run on into the next one
        if held is not None and isinstance(b, Para):
            joined = _run_on(held, b)
            if id(held) in labels:
                labels[id(joined)] = labels[id(held)]
            b, held = joined, None
        elif held is not None:
            blocks.append(held)
            held = None
        if isinstance(b, Para) and b.mark_deleted:
            held = b
        else:
            blocks.append(b)
    if held is not None:
        blocks.append(held)
    for b in blocks:
        if isinstance(b, Para):
            if para_text(b, labels.get(id(b), "")):
                paras.append(b)
            paras.extend(p for p in text_boxes(b) if para_text(p))
        elif isinstance(b, Table):
            rows = [[para_text(c) for c in row] for row in b.cell_paras()]
            tables.append({"after_paragraph": len(paras) - 1, "rows": rows})
        else:
            has_picture = True
            cap = b.caption_para()
            if cap is not None and para_text(cap):
                paras.append(cap)
                captions.append(para_text(cap))
    texts = [para_text(p, labels.get(id(p), "")) for p in paras]
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
    if run.char_style:
        rpr.append(f"<w:rStyle w:val={quoteattr(run.char_style)}/>")
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
    if run.hidden:
        rpr.append("<w:vanish/>")
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
        self.comments: list[str] = []
        self.footnotes: list[str] = []
        self.shapes = 0

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


_MC_NS = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
_WPS_NS = 'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
_V_NS = 'xmlns:v="urn:schemas-microsoft-com:vml"'
_M_NS = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'
_TRACK = 'w:author="Редактор" w:date="2004-01-01T00:00:00Z"'


def _deleted_run_xml(run: Run, tag: str, default_font: str | None) -> str:
    """A run inside w:del (its text as w:delText) or w:moveFrom (w:t)."""
    xml = _run_xml(run, default_font)
    return (
        xml.replace("<w:t ", "<w:delText ").replace("</w:t>", "</w:delText>")
        if (tag == "w:del")
        else xml
    )


def _field_xml(field: Field, default_font: str | None) -> str:
    def char(kind: str) -> str:
        return f'<w:r><w:fldChar w:fldCharType="{kind}"/></w:r>'

    def instr(code: str) -> str:
        return f'<w:r><w:instrText xml:space="preserve">{escape(code)}</w:instrText></w:r>'

    nested = ""
    if field.code_result:
        nested = (
            char("begin")
            + instr(" QUOTE ")
            + char("separate")
            + _run_xml(Run(field.code_result), default_font)
            + char("end")
        )
    result = "".join(_run_xml(r, default_font) for r in field.result)
    return char("begin") + instr(field.code) + nested + char("separate") + result + char("end")


def _text_box_xml(box: TextBox, parts: _Parts) -> str:
    parts.shapes += 1
    n = parts.shapes
    content = f"<w:txbxContent>{''.join(_para_xml(p, parts) for p in box.paras)}</w:txbxContent>"
    drawing = (
        f'<w:drawing><wp:anchor distT="0" distB="0" distL="114300" distR="114300" '
        'simplePos="0" relativeHeight="2" behindDoc="0" locked="0" layoutInCell="1" '
        'allowOverlap="1"><wp:simplePos x="0" y="0"/><wp:positionH relativeFrom="column">'
        '<wp:posOffset>0</wp:posOffset></wp:positionH><wp:positionV relativeFrom="paragraph">'
        '<wp:posOffset>0</wp:posOffset></wp:positionV><wp:extent cx="1800000" cy="720000"/>'
        f'<wp:wrapSquare wrapText="bothSides"/><wp:docPr id="{900 + n}" name="Text Box {n}"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
        f'wordprocessingShape"><wps:wsp {_WPS_NS}><wps:cNvSpPr txBox="1"/><wps:spPr>'
        '<a:xfrm><a:off x="0" y="0"/><a:ext cx="1800000" cy="720000"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></wps:spPr>'
        f"<wps:txbx>{content}</wps:txbx><wps:bodyPr/></wps:wsp></a:graphicData></a:graphic>"
        "</wp:anchor></w:drawing>"
    )
    vml = (
        f'<w:pict><v:shape {_V_NS} id="Text Box {n}" type="#_x0000_t202" '
        'style="position:absolute;width:141.75pt;height:56.7pt"><v:textbox>'
        f"{content}</v:textbox></v:shape></w:pict>"
    )
    if box.choice and box.fallback:
        return (
            f'<w:r><mc:AlternateContent {_MC_NS}><mc:Choice Requires="wps" {_WPS_NS}>'
            f"{drawing}</mc:Choice><mc:Fallback>{vml}</mc:Fallback></mc:AlternateContent></w:r>"
        )
    return f"<w:r>{drawing if box.choice else vml}</w:r>"


def _math_xml(math: Math) -> str:
    def r(text: str) -> str:
        return f"<m:r><m:t>{escape(text)}</m:t></m:r>"

    items = []
    for item in math.items:
        if isinstance(item, str):
            items.append(r(item))
        elif item[0] == "frac":
            items.append(f"<m:f><m:num>{r(item[1])}</m:num><m:den>{r(item[2])}</m:den></m:f>")
        else:
            kind = "sSup" if item[0] == "sup" else "sSub"
            items.append(
                f"<m:{kind}><m:e>{r(item[1])}</m:e><m:{item[0]}>{r(item[2])}</m:{item[0]}></m:{kind}>"
            )
    body = f"<m:oMath {_M_NS}>{''.join(items)}</m:oMath>"
    return f"<m:oMathPara {_M_NS}>{body}</m:oMathPara>" if math.display else body


def _inline_xml(item: Inline, default_font: str | None = None, parts: _Parts | None = None) -> str:
    if isinstance(item, Noise):
        return item.xml
    if isinstance(item, Group):
        attrs = "".join(f" {k}={quoteattr(v)}" for k, v in item.attrs)
        inner = "".join(_run_xml(r, default_font) for r in item.runs)
        return f"<{item.tag}{attrs}>{inner}</{item.tag}>"
    if isinstance(item, Run):
        return _run_xml(item, default_font)
    return _quirk_xml(item, default_font, parts or _Parts())


def _quirk_xml(item: Inline, default_font: str | None, parts: _Parts) -> str:
    """The XML of the inline Word quirks (symbols, tracked changes, fields, text boxes …)."""
    if isinstance(item, Sym):
        return f"<w:r><w:sym w:font={quoteattr(item.font)} w:char={quoteattr(item.char)}/></w:r>"
    if isinstance(item, Removed):
        inner = "".join(_deleted_run_xml(r, item.tag, default_font) for r in item.runs)
        return f'<{item.tag} w:id="{800 + len(parts.comments)}" {_TRACK}>{inner}</{item.tag}>'
    if isinstance(item, Comment):
        cid = len(parts.comments)
        parts.comments.append(item.text)
        inner = "".join(_run_xml(r, default_font) for r in item.anchored)
        return (
            f'<w:commentRangeStart w:id="{cid}"/>{inner}<w:commentRangeEnd w:id="{cid}"/>'
            '<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
            f'<w:commentReference w:id="{cid}"/></w:r>'
        )
    if isinstance(item, Field):
        return _field_xml(item, default_font)
    if isinstance(item, TextBox):
        return _text_box_xml(item, parts)
    if isinstance(item, Alternate):
        choice = "".join(_run_xml(r, default_font) for r in item.choice)
        fallback = "".join(_run_xml(r, default_font) for r in item.fallback)
        return (
            f'<mc:AlternateContent {_MC_NS}><mc:Choice Requires="w14" xmlns:w14="http://'
            f'schemas.microsoft.com/office/word/2010/wordml">{choice}</mc:Choice>'
            f"<mc:Fallback>{fallback}</mc:Fallback></mc:AlternateContent>"
        )
    if isinstance(item, Math):
        return _math_xml(item)
    assert isinstance(item, Footnote)
    fid = len(parts.footnotes) + 1
    parts.footnotes.append(item.text)
    return (
        '<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr>'
        f'<w:footnoteReference w:id="{fid}"/></w:r>'
    )


def _para_xml(p: Para, parts: _Parts) -> str:
    ppr = []
    if p.style:
        ppr.append(f"<w:pStyle w:val={quoteattr(p.style)}/>")
    if p.keep_next:
        ppr.append("<w:keepNext/>")
    if p.num is not None:
        ppr.append(f'<w:numPr><w:ilvl w:val="{p.num[1]}"/><w:numId w:val="{p.num[0]}"/></w:numPr>')
    if p.indent:
        twips = INDENT if p.indent is True else int(p.indent)
        ppr.append(f'<w:ind w:firstLine="{twips}"/>')
    if p.align:
        ppr.append(f'<w:jc w:val="{p.align}"/>')
    if p.mark_deleted:
        ppr.append(f'<w:rPr><w:del w:id="700" {_TRACK}/></w:rPr>')
    if p.section:
        ppr.append(parts.sect_pr(p.section))
    runs = "".join(_inline_xml(r, None if p.style else BODY_FONT, parts) for r in p.runs)
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
    for raw, row in zip(t.rows, cells, strict=True):
        tc_pr = f'<w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
        tcs = "".join(
            f"<w:tc>{tc_pr}{_cell_xml(rc, c, parts)}</w:tc>" for rc, c in zip(raw, row, strict=True)
        )
        rows.append(f"<w:tr>{tcs}</w:tr>")
    return (
        '<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
        f'<w:tblLook w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{"".join(rows)}</w:tbl>'
    )


def _cell_xml(raw: Cell, para: Para, parts: _Parts) -> str:
    """A cell's content: its paragraph, or the paragraphs and tables of a Nested cell (Word
    wants a paragraph after a nested table)."""
    if not isinstance(raw, Nested):
        return _para_xml(para, parts)
    xml = "".join(_block_xml(b, parts) for b in raw.blocks)
    return xml + ("<w:p/>" if isinstance(raw.blocks[-1], Table) else "")


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
        rpr += "<w:vanish/>" if s.hidden else ""
        based = s.based_on if s.kind == "paragraph" else "DefaultParagraphFont"
        custom.append(
            f'<w:style w:type="{s.kind}" w:customStyle="1" w:styleId={quoteattr(s.style_id)}>'
            f"<w:name w:val={quoteattr(s.name)}/><w:basedOn w:val={quoteattr(based)}/>"
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
    extra = _extra_parts(volume, parts)
    main = volume.main_part
    overrides = [
        (f"/{main}", "document.main"),
        ("/word/styles.xml", "styles"),
        ("/word/settings.xml", "settings"),
        ("/word/fontTable.xml", "fontTable"),
        *parts.overrides,
    ]
    package_rels = [
        ("rId1", f"{_REL}/officeDocument", main),
        (
            "rId2",
            "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
            "docProps/core.xml",
        ),
    ]
    folder, _, name = main.rpartition("/")
    # relationship targets are written relative to word/; make them relative to the main part
    rels = [
        (rid, kind, posixpath.relpath(f"word/{t}", folder or ".")) for rid, kind, t in parts.rels
    ]
    out = {
        "[Content_Types].xml": _content_types(overrides).encode(),
        "_rels/.rels": _rels_xml(package_rels).encode(),
        "docProps/core.xml": _CORE.encode(),
        main: document.encode(),
        "word/styles.xml": _styles_xml(volume.all_styles()).encode(),
        "word/settings.xml": settings.encode(),
        "word/fontTable.xml": _font_table_xml(_fonts_used(volume)).encode(),
        f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels": _rels_xml(rels).encode(),
    }
    out.update(extra)
    out.update(parts.files)
    return _to_strict(out) if volume.strict else out


def _extra_parts(volume: Volume, parts: _Parts) -> dict[str, bytes]:
    """numbering.xml, comments.xml and footnotes.xml, when the volume needs them (with their
    relationships and content types registered in ``parts``)."""
    out: dict[str, bytes] = {}
    if volume.numbering:
        out["word/numbering.xml"] = _numbering_xml(volume.numbering).encode()
        parts.add_rel("numbering", "numbering.xml")
        parts.overrides.append(("/word/numbering.xml", "numbering"))
    if parts.comments:
        items = "".join(
            f'<w:comment w:id="{i}" {_TRACK} w:initials="Р"><w:p><w:r><w:annotationRef/></w:r>'
            f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:comment>'
            for i, text in enumerate(parts.comments)
        )
        out["word/comments.xml"] = f"{_DECL}<w:comments {_NS}>{items}</w:comments>".encode()
        parts.add_rel("comments", "comments.xml")
        parts.overrides.append(("/word/comments.xml", "comments"))
    if parts.footnotes:
        items = "".join(
            f'<w:footnote w:id="{i + 1}"><w:p><w:r><w:footnoteRef/></w:r>'
            f'<w:r><w:t xml:space="preserve"> {escape(text)}</w:t></w:r></w:p></w:footnote>'
            for i, text in enumerate(parts.footnotes)
        )
        separators = (
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p>'
            '</w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r>'
            "<w:continuationSeparator/></w:r></w:p></w:footnote>"
        )
        out["word/footnotes.xml"] = (
            f"{_DECL}<w:footnotes {_NS}>{separators}{items}</w:footnotes>".encode()
        )
        parts.add_rel("footnotes", "footnotes.xml")
        parts.overrides.append(("/word/footnotes.xml", "footnotes"))
    return out


def _numbering_xml(lists: Sequence[NumList]) -> str:
    abstract = []
    nums = []
    for nl in lists:
        levels = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="{lv.start}"/><w:numFmt w:val="{lv.fmt}"/>'
            f'<w:lvlText w:val={quoteattr(lv.text)}/><w:lvlJc w:val="left"/>'
            f'<w:pPr><w:ind w:left="{360 * (i + 1)}" w:hanging="360"/></w:pPr></w:lvl>'
            for i, lv in enumerate(nl.levels)
        )
        abstract.append(
            f'<w:abstractNum w:abstractNumId="{nl.num_id}"><w:multiLevelType '
            f'w:val="hybridMultilevel"/>{levels}</w:abstractNum>'
        )
        override = (
            f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{nl.restart}"/></w:lvlOverride>'
            if nl.restart is not None
            else ""
        )
        nums.append(
            f'<w:num w:numId="{nl.num_id}"><w:abstractNumId w:val="{nl.num_id}"/>{override}</w:num>'
        )
    return f"{_DECL}<w:numbering {_NS}>{''.join(abstract)}{''.join(nums)}</w:numbering>"


# Strict Open XML: the same parts under other namespace names.
_STRICT = {
    "http://schemas.openxmlformats.org/wordprocessingml/2006/main": (
        "http://purl.oclc.org/ooxml/wordprocessingml/main"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        "http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
    "http://schemas.openxmlformats.org/officeDocument/2006/math": (
        "http://purl.oclc.org/ooxml/officeDocument/math"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing": (
        "http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/main": (
        "http://purl.oclc.org/ooxml/drawingml/main"
    ),
    "http://schemas.openxmlformats.org/drawingml/2006/picture": (
        "http://purl.oclc.org/ooxml/drawingml/picture"
    ),
}


def _to_strict(parts: dict[str, bytes]) -> dict[str, bytes]:
    out = {}
    for name, data in parts.items():
        if name.endswith((".xml", ".rels")):
            text = data.decode()
            for transitional, strict in _STRICT.items():
                text = text.replace(f'"{transitional}"', f'"{strict}"')
                text = text.replace(f'"{transitional}/', f'"{strict}/')  # relationship types
            data = text.encode()
        out[name] = data
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
    "HIDDEN_CHAR_STYLE",
    "HIDDEN_PARA_STYLE",
    "INDENT",
    "KZ_FONT",
    "LATIN_TWINS",
    "LEGACY_STYLE",
    "NBSP",
    "NB_HYPHEN_EL",
    "PT_FONT",
    "SOFT_HYPHEN",
    "SOFT_HYPHEN_EL",
    "SYMBOL_CHART",
    "Alternate",
    "Comment",
    "Entry",
    "Field",
    "Footnote",
    "Group",
    "Math",
    "Nested",
    "Noise",
    "NumLevel",
    "NumList",
    "Para",
    "Picture",
    "Removed",
    "Run",
    "Section",
    "Style",
    "Sym",
    "Table",
    "TextBox",
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
    "left_out",
    "literature",
    "number_labels",
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
    "text_boxes",
    "tiny_png",
    "to_legacy",
    "tracked_insert",
    "works",
    "write_docx",
]
