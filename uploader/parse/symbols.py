"""Symbol fonts: what their character codes print as, in Unicode.

A symbol-charset font (Symbol) draws its own glyph on each byte position; Word stores such
text either as ``<w:sym w:font="Symbol" w:char="F0B0"/>`` or as private-use characters
U+F020–U+F0FF (the byte plus 0xF000), sometimes as the plain byte. The table is the
Windows Symbol font's chart (the Adobe Symbol encoding, with the Euro at 0xA0).
"""

from __future__ import annotations

import re

PUA_FIRST, PUA_LAST = 0xF020, 0xF0FF  # where Word puts a symbol font's byte positions
PUA_RE = re.compile("[\uf020-\uf0ff]")

# Symbol font byte → Unicode. Bytes not listed print nothing a reader could name.
_SYMBOL: dict[int, str] = {
    **{b: chr(b) for b in range(0x20, 0x7F)},
    0x22: "∀",
    0x24: "∃",
    0x27: "∋",
    0x2A: "∗",
    0x2D: "−",
    0x40: "≅",
    0x5C: "∴",
    0x5E: "⊥",
    0x60: "‾",
    0x7E: "∼",
    **dict(zip(range(0x41, 0x5B), "ΑΒΧΔΕΦΓΗΙϑΚΛΜΝΟΠΘΡΣΤΥςΩΞΨΖ", strict=True)),
    **dict(zip(range(0x61, 0x7B), "αβχδεφγηιϕκλμνοπθρστυϖωξψζ", strict=True)),
    **dict(zip(range(0xA0, 0xC0), "€ϒ′≤⁄∞ƒ♣♦♥♠↔←↑→↓°±″≥×∝∂•÷≠≡≈…⏐⎯↵", strict=True)),
    **dict(
        zip(range(0xC0, 0xF0), "ℵℑℜ℘⊗⊕∅∩∪⊃⊇⊄⊂⊆∈∉∠∇®©™∏√⋅¬∧∨⇔⇐⇑⇒⇓◊〈®©™∑⎛⎜⎝⎡⎢⎣⎧⎨⎩⎪", strict=True)
    ),
    **dict(zip(range(0xF1, 0xFF), "〉∫⌠⎮⌡⎞⎟⎠⎤⎥⎦⎫⎬⎭", strict=True)),
}

# Font name (lower case) → its chart. Fonts named in SYMBOL_FONTS without a chart are symbol
# fonts whose glyphs have no faithful text (dingbats): their characters are reported, not kept.
_CHARTS: dict[str, dict[int, str]] = {"symbol": _SYMBOL}
SYMBOL_FONTS = frozenset({"symbol", "wingdings", "wingdings 2", "wingdings 3", "webdings"})


def is_symbol_font(font: str | None) -> bool:
    """True for a symbol-charset font (Symbol, Wingdings …)."""
    return bool(font) and (font or "").strip().lower() in SYMBOL_FONTS


def symbol_char(font: str | None, code: int) -> str | None:
    """What ``code`` (a byte, or a private-use U+F0xx) prints as in ``font``; None if unknown.

    A font without a chart (or no font) is read with the Symbol chart only for private-use
    codes, which no text font prints.
    """
    chart = _CHARTS.get((font or "").strip().lower())
    if chart is None:
        if not PUA_FIRST <= code <= PUA_LAST or is_symbol_font(font):
            return None
        chart = _SYMBOL
    return chart.get(code - 0xF000 if code >= 0xF000 else code)


def decode_symbols(text: str, font: str | None) -> tuple[str, str]:
    """Text of a run in Unicode, symbol positions read through ``font``'s chart, and the
    characters that could not be named (left out).

    In a symbol font every byte position is a symbol; in any other font only the private-use
    characters are (read with the Symbol chart), the rest is text and stays as it is.
    """
    symbol = is_symbol_font(font)
    chart = _CHARTS.get((font or "").strip().lower()) if symbol else _SYMBOL
    out: list[str] = []
    lost: list[str] = []
    for ch in text:
        code = ord(ch)
        if not PUA_FIRST <= code <= PUA_LAST and (
            not symbol or code < 0x20 or code > 0xFF or ch.isspace()
        ):
            out.append(ch)  # text a text font draws (Cyrillic, Latin, spaces …)
            continue
        mapped = chart.get(code & 0xFF) if chart is not None else None
        if mapped is None:
            lost.append(ch)
        else:
            out.append(mapped)
    return "".join(out), "".join(lost)


def is_all_pua(text: str) -> bool:
    """True when every visible character is a symbol-font private-use character."""
    seen = False
    for ch in text:
        if ch.isspace():
            continue
        if not PUA_FIRST <= ord(ch) <= PUA_LAST:
            return False
        seen = True
    return seen
