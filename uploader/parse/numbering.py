"""Automatic numbering: the ``1)``, ``а)``, ``•`` Word draws before a list paragraph.

The number is not in the paragraph's text: the paragraph names a list (``w:numPr``: numId and
level, set directly or by its style) and ``numbering.xml`` says how each level is drawn
(``w:lvlText`` such as ``%1)``, ``w:numFmt``, ``w:start``). Counters run per list (numId) and
level, a level restarting when a higher one advances.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from lxml import etree

from uploader.parse.runs import RunStyle, read_rpr
from uploader.parse.symbols import decode_symbols

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_VAL = W + "val"
_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)
_RUSSIAN = "абвгдежзиклмнопрстуфхцчшщэюя"  # Word's russianLower letters (no ё й ъ ы ь)


@dataclass(frozen=True, slots=True)
class Level:
    """How one list level is drawn."""

    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1  # the schema's default is 0, but Word always writes it; 1 is what is meant
    suffix: str = " "  # w:suff: tab (read as a space), space, or nothing
    restart: int | None = None  # w:lvlRestart: restart after this (1-based) level; 0 never
    legal: bool = False  # w:isLgl: every %n as a decimal
    style: RunStyle = field(default_factory=RunStyle)


@dataclass(frozen=True, slots=True)
class NumberingDefs:
    """The lists of a document: numId → its nine levels."""

    lists: dict[str, dict[int, Level]] = field(default_factory=dict)


def _int(el: etree._Element | None, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(_VAL) or default)
    except ValueError:
        return default


def _level(lvl: etree._Element, base: Level | None = None) -> Level:
    base = base or Level()
    fmt = lvl.find(W + "numFmt")
    text = lvl.find(W + "lvlText")
    suff = lvl.find(W + "suff")
    restart = lvl.find(W + "lvlRestart")
    return Level(
        fmt=(fmt.get(_VAL) or "decimal") if fmt is not None else base.fmt,
        text=(text.get(_VAL) or "") if text is not None else base.text,
        start=_int(lvl.find(W + "start"), base.start),
        suffix={"space": " ", "nothing": ""}.get(suff.get(_VAL) or "", " ")
        if suff is not None
        else base.suffix,
        restart=_int(restart, 0) if restart is not None else base.restart,
        legal=lvl.find(W + "isLgl") is not None or base.legal,
        style=read_rpr(lvl.find(W + "rPr"), base.style),
    )


def read_numbering(root: etree._Element | None) -> NumberingDefs:
    """The lists defined in ``numbering.xml`` (abstract definitions with each list's overrides)."""
    if root is None:
        return NumberingDefs()
    abstract: dict[str, dict[int, Level]] = {}
    for an in root.iter(W + "abstractNum"):
        levels = {}
        for lvl in an.iterchildren(W + "lvl"):
            levels[_int_attr(lvl, W + "ilvl")] = _level(lvl)
        abstract[an.get(W + "abstractNumId") or ""] = levels
    lists: dict[str, dict[int, Level]] = {}
    for num in root.iter(W + "num"):
        ref = num.find(W + "abstractNumId")
        levels = dict(abstract.get(ref.get(_VAL) or "" if ref is not None else "", {}))
        for override in num.iterchildren(W + "lvlOverride"):
            ilvl = _int_attr(override, W + "ilvl")
            own = override.find(W + "lvl")
            level = _level(own, levels.get(ilvl)) if own is not None else levels.get(ilvl, Level())
            start = override.find(W + "startOverride")
            if start is not None:
                level = replace(level, start=_int(start, level.start))
            levels[ilvl] = level
        lists[num.get(W + "numId") or ""] = levels
    return NumberingDefs(lists)


def _int_attr(el: etree._Element, name: str) -> int:
    try:
        return int(el.get(name) or 0)
    except ValueError:
        return 0


def format_number(n: int, fmt: str) -> str:
    """``n`` drawn in a Word number format (decimal, lowerLetter, upperRoman, russianLower …)."""
    if fmt in ("decimal", "ordinal", "cardinalText", "ordinalText", "decimalHalfWidth"):
        return str(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("lowerLetter", "upperLetter"):
        letter = "abcdefghijklmnopqrstuvwxyz"[(n - 1) % 26] * ((n - 1) // 26 + 1) if n > 0 else ""
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("russianLower", "russianUpper"):
        letter = _RUSSIAN[(n - 1) % len(_RUSSIAN)] * ((n - 1) // len(_RUSSIAN) + 1) if n > 0 else ""
        return letter.upper() if fmt == "russianUpper" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        roman = _roman(n)
        return roman.upper() if fmt == "upperRoman" else roman
    if fmt == "none":
        return ""
    return str(n)


def _roman(n: int) -> str:
    out = []
    for value, digits in _ROMAN:
        while n >= value > 0:
            out.append(digits)
            n -= value
    return "".join(out)


class Counters:
    """The running numbers of a document's lists, advanced paragraph by paragraph."""

    def __init__(self, defs: NumberingDefs) -> None:
        self.defs = defs
        self._counts: dict[str, dict[int, int]] = {}

    def label(self, num_id: str, ilvl: int) -> tuple[str, RunStyle] | None:
        """The visible label of the next paragraph of list ``num_id`` at level ``ilvl`` (with
        its suffix) and its formatting; None when the list draws nothing."""
        levels = self.defs.lists.get(num_id)
        if not levels or num_id == "0":
            return None
        ilvl = max(0, min(ilvl, 8))
        level = levels.get(ilvl, Level())
        counts = self._counts.setdefault(num_id, {})
        counts[ilvl] = counts[ilvl] + 1 if ilvl in counts else level.start
        for deeper in [k for k in counts if k > ilvl]:
            restart = levels.get(deeper, Level()).restart
            if restart is None or (restart and restart >= ilvl + 1):
                del counts[deeper]
        if level.fmt == "bullet":
            text, _ = decode_symbols(level.text, level.style.font)
            text = text or "•"
        else:
            text = level.text
            for k in range(9):
                mark = f"%{k + 1}"
                if mark in text:
                    sub = levels.get(k, Level())
                    n = counts.get(k, sub.start)
                    text = text.replace(
                        mark, format_number(n, "decimal" if level.legal else sub.fmt)
                    )
        if not text:
            return None
        return text + level.suffix, level.style
