"""Legacy Kazakh fonts: text typed in KZ-1048 or PT154 byte layouts but shown as Windows-1251.

Fonts such as "KZ Times New Roman" put Kazakh letters on the byte positions of a Kazakh code
page, so Word shows ``Ў`` where ``Ұ`` is meant. Decoding is a per-run decision (font name and
telltale glyphs), never per file.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import lru_cache

KAZAKH_LETTERS = set("ӘәҒғҚқҢңӨөҰұҮүҺһ")
# Glyphs a Kazakh text only shows when it is legacy-encoded (cp1251 shapes of KZ-1048 bytes).
TELLTALE = set("ЈјЄєЌќЅѕҐґЎўЇїЋћ")
_PT154_MARKERS = set("њЊѓЃ")
_KZ1048_MARKERS = set("ЈјЅѕЎўҐґЇї")

# "KZ Times New Roman", "KZ Arial", "Times KZ", "Kazakh Times", "Times/Kazakh", ...
_LEGACY_FONT = re.compile(r"^kz|\bkz\b|_kz\b|kazakh|kaz\s", re.I)


class Codepage(StrEnum):
    """Legacy layouts a run can be in."""

    KZ1048 = "kz1048"
    PT154 = "pt154"


def _table(codec: str) -> dict[str, str]:
    """Glyph shown (cp1251) → Kazakh letter meant, for the bytes where they differ."""
    table: dict[str, str] = {}
    for byte in range(0x80, 0x100):
        shown = bytes([byte]).decode("cp1251", errors="replace")
        meant = bytes([byte]).decode(codec, errors="replace")
        if shown != meant and meant in KAZAKH_LETTERS and shown != "\ufffd":
            table[shown] = meant
    # No letter meant is itself a glyph shown, so replacing glyph by glyph (far faster than
    # str.translate on Cyrillic text) gives the same result as one simultaneous mapping.
    assert not set(table) & set(table.values())
    return table


_TABLES = {Codepage.KZ1048: _table("kz1048"), Codepage.PT154: _table("pt154")}


_TELLTALE_RE = re.compile(f"[{''.join(sorted(TELLTALE))}]")
_KAZAKH_RE = re.compile(f"[{''.join(sorted(KAZAKH_LETTERS))}]")
_PT154_RE = re.compile(f"[{''.join(sorted(_PT154_MARKERS))}]")
_KZ1048_RE = re.compile(f"[{''.join(sorted(_KZ1048_MARKERS))}]")


@lru_cache(maxsize=256)
def is_legacy_font(font: str | None) -> bool:
    """True for font names of the pre-Unicode Kazakh font families (e.g. "KZ Times New Roman")."""
    return bool(font) and bool(_LEGACY_FONT.search(font or ""))


def looks_legacy(text: str) -> bool:
    """True when text shows legacy glyphs and no real Kazakh letters (so it is not Unicode)."""
    return _TELLTALE_RE.search(text) is not None and _KAZAKH_RE.search(text) is None


def guess_codepage(text: str) -> Codepage | None:
    """The legacy layout the glyphs point to, or None when the text does not tell."""
    if _PT154_RE.search(text):
        return Codepage.PT154
    if _KZ1048_RE.search(text):
        return Codepage.KZ1048
    return None


def decode(text: str, codepage: Codepage = Codepage.KZ1048) -> str:
    """Turn legacy-encoded text (as Word shows it) into Unicode Kazakh."""
    for shown, meant in _TABLES[codepage].items():
        if shown in text:
            text = text.replace(shown, meant)
    return text
