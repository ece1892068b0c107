"""Wiki-escaping: text from a volume becomes literal wikitext, never markup.

One scheme throughout: characters MediaWiki could read as markup become numeric HTML
entities (``&#91;`` for ``[``, ``&#39;`` for ``'``, ``&lt;`` for ``<`` ...). Entities render
as the character itself, survive mwparserfromhell round trips, and ``strip_code()`` decodes
them, so plain-text comparisons are unaffected. ``<nowiki>`` is never used.
"""

from __future__ import annotations

import re

from uploader.wikitext import URI_SCHEMES

# Characters escaped wherever they occur: brackets, braces, pipes, apostrophes (bold and
# italic), angle brackets (tags), ampersands (entities), tildes (signatures).
_ALWAYS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "[": "&#91;",
    "]": "&#93;",
    "{": "&#123;",
    "}": "&#125;",
    "|": "&#124;",
    "'": "&#39;",
    "~": "&#126;",
}

# Behaviour switches (__NOTOC__) need two underscores; a table header separator needs "!!".
_UNDERSCORES = re.compile(r"_{2,}")
_BANGS = re.compile(r"!{2,}")

# Free external links (http://x, mailto:x ...) start with a URL scheme and a colon.
_FREE_LINK = re.compile(rf"(?i)(?<![\w])({URI_SCHEMES}):")
# Magic links (ISBN 5-8980..., RFC 1234, PMID 123) need a space between word and number.
_MAGIC_LINK = re.compile(r"\b(ISBN|RFC|PMID)(\s+)(?=[\dXx])")
# Characters that start block markup at the beginning of a line.
_LINE_START = {"*": "&#42;", "#": "&#35;", ":": "&#58;", ";": "&#59;", "=": "&#61;"}


def _entity(match: re.Match[str]) -> str:
    return "".join(f"&#{ord(ch)};" for ch in match.group(0))


# Invisible characters: control characters and soft hyphens are dropped, whitespace that
# would break the line becomes a space (\v is a control character: dropped).
_INVISIBLE = {ch: "" for ch in "\u00ad\x7f" + "".join(map(chr, range(0x20)))}
_INVISIBLE.update(dict.fromkeys("\t\n\r\f\u2028\u2029\x85", " "))
_INVISIBLE_RE = re.compile(r"[\u00ad\x00-\x1f\x7f\u2028\u2029\x85]")
_NEEDS_CHARACTERS = re.compile(r"[&<>\[\]{}|'~\u00ad\x00-\x1f\x7f\u2028\u2029\x85]")
# str.replace per markup character ("&" first) beats str.translate on Cyrillic text.
_ENTITIES = tuple(_ALWAYS.items())
# A scheme ends in a Latin letter right before the colon; without one there is no free link.
_LETTER_COLON = re.compile(r"(?i)[a-z]:")


def escape_text(text: str) -> str:
    """Escape a piece of inline text so that MediaWiki shows it literally.

    Newlines and tabs become spaces (a paragraph is one line); soft hyphens and control
    characters are dropped. Safe anywhere inside a line; see ``escape_line_start`` for the
    first characters of a line.
    """
    if not text:
        return text
    if _NEEDS_CHARACTERS.search(text) is not None:
        if _INVISIBLE_RE.search(text) is not None:
            text = _INVISIBLE_RE.sub(lambda m: _INVISIBLE[m.group(0)], text)
        for char, entity in _ENTITIES:
            if char in text:
                text = text.replace(char, entity)
    if "__" in text:
        text = _UNDERSCORES.sub(_entity, text)
    if "!!" in text:
        text = _BANGS.sub(_entity, text)
    if ":" in text and _LETTER_COLON.search(text) is not None:
        text = _FREE_LINK.sub(lambda m: m.group(1) + "&#58;", text)
    if "ISBN" in text or "RFC" in text or "PMID" in text:
        text = _MAGIC_LINK.sub(lambda m: m.group(1) + "&#32;", text)
    return text


def escape_line_start(line: str) -> str:
    """Make the start of an already escaped line harmless: no list, indent, heading, rule or pre."""
    line = line.lstrip(" ")
    if line[:1] in _LINE_START:
        return _LINE_START[line[0]] + line[1:]
    if line.startswith("----"):
        return "&#45;" + line[1:]
    return line


def escape_line(text: str) -> str:
    """Escape a whole line of volume text (inline escaping plus the line-start rules)."""
    return escape_line_start(escape_text(text))


# A link target from the volume may not carry markup, a namespace or interwiki prefix
# (``Санат:X`` would categorise the page), a percent-escape or a relative path.
_LINK_FORBIDDEN = re.compile(r"[#<>\[\]{}|:%&~'\x00-\x1f\u2028\u2029\x85]")


def is_linkable(target: str) -> bool:
    """True when ``target`` can stand inside ``[[...]]`` as a plain article title."""
    stripped = target.strip()
    return (
        bool(stripped)
        and not stripped.startswith(("/", "."))
        and _LINK_FORBIDDEN.search(stripped) is None
        and "__" not in stripped
    )
