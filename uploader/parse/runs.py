"""Run formatting: the one reader of ``<w:rPr>`` (direct, character-style and style runs).

Paragraph styles, character styles and direct formatting all go through ``read_rpr``; a
value a level does not set stays as the level below left it (None: not set anywhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import NamedTuple

from lxml import etree

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_OFF = ("0", "false", "off", "none")
_B, _I, _VERT, _FONTS, _CAPS, _SPACING, _RSTYLE, _VANISH, _SPEC_VANISH = (
    W + t
    for t in ("b", "i", "vertAlign", "rFonts", "caps", "spacing", "rStyle", "vanish", "specVanish")
)
_VAL, _ASCII, _HANSI, _CS = W + "val", W + "ascii", W + "hAnsi", W + "cs"
RUN_PROPERTIES = frozenset({_B, _I, _VERT, _FONTS, _RSTYLE, _CAPS, _SPACING, _VANISH, _SPEC_VANISH})


class RunStyle(NamedTuple):
    """Formatting a level contributes to runs; None means "not set here"."""

    bold: bool | None = None
    italic: bool | None = None
    font: str | None = None
    vert: str | None = None
    caps: bool | None = None
    spacing: int | None = None
    hidden: bool | None = None  # w:vanish: not printed, so not published


UNSET = RunStyle()


def is_on(el: etree._Element | None) -> bool | None:
    """A toggle property's value (``<w:b/>`` on, ``<w:b w:val="0"/>`` off), None if absent."""
    if el is None:
        return None
    return el.get(_VAL) not in _OFF


def merge(base: RunStyle, over: RunStyle) -> RunStyle:
    """``over`` wins where it sets a value."""
    return RunStyle(
        bold=over.bold if over.bold is not None else base.bold,
        italic=over.italic if over.italic is not None else base.italic,
        font=over.font or base.font,
        vert=over.vert if over.vert is not None else base.vert,
        caps=over.caps if over.caps is not None else base.caps,
        spacing=over.spacing if over.spacing is not None else base.spacing,
        hidden=over.hidden if over.hidden is not None else base.hidden,
    )


def read_rpr(
    rpr: etree._Element | None,
    base: RunStyle = UNSET,
    char_styles: Mapping[str, RunStyle] | None = None,
) -> RunStyle:
    """The formatting of ``base`` with ``<w:rPr>`` applied (its character style, then direct).

    Returns ``base`` itself when the element sets nothing this reader knows.
    """
    if rpr is None:
        return base
    bold, italic, font, vert, caps, spacing, hidden = base
    changed = False
    for child in rpr:
        tag = child.tag
        # The common properties first: most children of a run's rPr are fonts, bold, italic
        # or what this reader does not know (size, language).
        if tag == _FONTS:
            font = child.get(_ASCII) or child.get(_HANSI) or child.get(_CS) or font
        elif tag == _B:
            bold = child.get(_VAL) not in _OFF
        elif tag == _I:
            italic = child.get(_VAL) not in _OFF
        elif tag not in RUN_PROPERTIES:
            continue
        elif tag == _VERT:
            vert = child.get(_VAL)
        elif tag == _RSTYLE:
            cs = (char_styles or {}).get(child.get(_VAL) or "")
            if cs is not None:
                bold, italic, font, vert, caps, spacing, hidden = merge(
                    RunStyle(bold, italic, font, vert, caps, spacing, hidden), cs
                )
        elif tag == _CAPS:
            caps = child.get(_VAL) not in _OFF
        elif tag == _SPACING:
            with suppress(ValueError):
                spacing = int(child.get(_VAL) or 0)
        else:  # vanish, specVanish
            hidden = child.get(_VAL) not in _OFF
        changed = True
    return RunStyle(bold, italic, font, vert, caps, spacing, hidden) if changed else base
