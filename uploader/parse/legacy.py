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
    """Legacy layouts a run can be in (as Word shows them: Windows-1251 unless named)."""

    KZ1048 = "kz1048"
    PT154 = "pt154"
    KZ1048_CP1252 = "kz1048-cp1252"  # KZ-1048 bytes that Word read as Western (cp1252)


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


def _cp1252_glyph(byte: int) -> str:
    """What Word shows for a byte read as cp1252 (its five unassigned bytes become C1 controls,
    as Windows converts them)."""
    try:
        return bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return chr(byte)


def _cp1252_table() -> dict[int, str]:
    """Glyph shown (cp1252) → character meant (KZ-1048), for every byte where they differ."""
    table: dict[int, str] = {}
    for byte in range(0x80, 0x100):
        shown, meant = _cp1252_glyph(byte), bytes([byte]).decode("kz1048", errors="replace")
        if shown != meant and meant != "\ufffd":
            table[ord(shown)] = meant
    return table


_TABLES = {Codepage.KZ1048: _table("kz1048"), Codepage.PT154: _table("pt154")}
_CP1252 = _cp1252_table()
# The Kazakh letters' KZ-1048 bytes as cp1252 glyphs (£ ¼ ª º ½ ¾ ¥ ´ ¡ ¢ ¯ ¿ Ž ž and two C1
# controls). І і (² ³) are left out: ``км²`` is real text, so they never decide alone.
CP1252_TELLTALE = {_cp1252_glyph(letter.encode("kz1048")[0]) for letter in KAZAKH_LETTERS} - set(
    "²³"
)
_CYRILLIC = "\u0400-\u04ff"
_CP1252_TELLTALE = "".join(sorted(CP1252_TELLTALE))
# a Kazakh-letter glyph inside a Cyrillic word (``£ліппе``): Cyrillic text with Kazakh letters
# read as Western
_CP1252_IN_WORD = re.compile(f"[{_CYRILLIC}][{_CP1252_TELLTALE}]|[{_CP1252_TELLTALE}][{_CYRILLIC}]")
# the Latin-1 letters À–ÿ are where KZ-1048 puts А–я: a whole run read as Western
_CP1252_GLYPH = re.compile(f"[\u00c0-\u00ff{_CP1252_TELLTALE}]")
_CYRILLIC_LETTER = re.compile(f"[{_CYRILLIC}]")


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


def looks_cp1252(text: str, legacy_font: bool = False) -> bool:
    """True when the run is KZ-1048 text that Word read as Western (cp1252).

    Either Kazakh-letter glyphs sit inside Cyrillic words (``£ліппе``), or the run has no
    Cyrillic at all and its letters are nearly all Latin-1 ones (``ÀÁÀÉ`` for ``АБАЙ``): real
    Latin text (``Müller``, ``café``) has a few accented letters among plain ones. In a legacy
    font half of the letters is enough.
    """
    if _CP1252_IN_WORD.search(text):
        return True
    if _CYRILLIC_LETTER.search(text) or not _CP1252_GLYPH.search(text):
        return False
    letters = [ch for ch in text if ch.isalpha() or ch in CP1252_TELLTALE]
    glyphs = sum(1 for ch in letters if "\u00c0" <= ch <= "\u00ff" or ch in CP1252_TELLTALE)
    if not glyphs:  # signs alone (3×4, 6÷2) tell nothing
        return False
    if legacy_font:
        return glyphs >= 0.5 * len(letters) and _TELLTALE_RE.search(text) is None
    return glyphs >= 3 and glyphs >= 0.8 * len(letters)


def decode(text: str, codepage: Codepage = Codepage.KZ1048) -> str:
    """Turn legacy-encoded text (as Word shows it) into Unicode Kazakh."""
    if codepage is Codepage.KZ1048_CP1252:
        return text.translate(_CP1252)
    for shown, meant in _TABLES[codepage].items():
        if shown in text:
            text = text.replace(shown, meant)
    return text
