"""Does a paragraph start an article? The headword rule of the publisher's house style.

An article starts a paragraph with a bold, upper-case headword, followed (after an optional
parenthesis, a comma-separated formula or given names) by a dash and the definition. Bold
acronyms (``КСРО басшылығы ...``), bold lower-case or letter-spaced sub-terms, centred
captions and dividers, right-aligned signatures and running heads do not start articles.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from uploader.parse.blocks import Block
from uploader.wikitext import DASHES, LOWER

_DASH_SEP = re.compile(r"\s[–—‒―-]\s|\s[–—‒―]\S|\s[–—‒―-]$")
_QUOTES = "«»\"“”„'’‘()[]"
_DATE_HINT = re.compile(
    r"\d{1,2}\.\d{1,2}\.\d{3,4}|\d{3,4}\s*ж\.\s*[тө]\.|ж\.\s*т\.|ғ\.|\d{4}\s*[–—-]"
)
_SPACED_LETTERS = re.compile(r"^\W*(\w\s){2,}\w")
_RUNNING_HEAD = re.compile(
    rf"^[«\"]?[^\W\d_{LOWER}]+[»\"]?\s*[–—-]\s*[«\"]?[^\W\d_{LOWER}]+[»\"]?$"
)
_PARENS = re.compile(r"([()])")
_FORMULA = re.compile(r",[^,;.()–—]{1,40}?(?=\s*\(|\s[–—‒-]\s)")  # ", formula" before ( or the dash
_WORD = re.compile(r"\S+")
_LOOKAHEAD = 400  # characters of the definition examined; keeps huge paragraphs linear


class HeadwordMatch(NamedTuple):
    """The headword as printed, plus person name words that followed it unbolded."""

    headword: str
    extra_names: tuple[str, ...] = ()


def _is_caps_word(word: str) -> bool:
    letters = list(filter(str.isalpha, word))
    return len(letters) >= 2 and all(map(str.isupper, letters))


def _words_outside_parens(text: str) -> list[str]:
    depth = 0
    out: list[str] = []
    for chunk in _PARENS.split(text):
        if chunk == "(":
            depth += 1
        elif chunk == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.extend(chunk.split())
    return out


def is_running_head(block: Block) -> bool:
    """A typed-in running head such as ``АБАЙ – АБАҚ`` (two capitalised words, nothing else)."""
    style = block.style.lower()
    if "header" in style or "колонтитул" in style:
        return True
    return len(block.text) < 80 and bool(_RUNNING_HEAD.match(block.text))


def is_letter_divider(block: Block) -> bool:
    """A centred one-letter divider such as ``Ә``."""
    if block.align != "center":
        return False
    text = block.text.strip(" .")
    return 0 < len(text) <= 2 and text.isalpha() and text.isupper()


def _bold_prefix(block: Block) -> tuple[str, str] | None:
    """Split the paragraph into its leading bold text and the rest (both plain text)."""
    spans = block.spans
    i = 0
    while i < len(spans) and not spans[i].text.strip():
        i += 1
    if i == len(spans) or not spans[i].bold or block.spaced[i]:
        return None
    bold: list[str] = []
    while i < len(spans):
        s = spans[i]
        if s.text == "\n":
            break
        if s.bold or not s.text.strip():
            bold.append(s.text)
            i += 1
            continue
        break
    rest: list[str] = []
    size = 0
    while i < len(spans) and size < _LOOKAHEAD:
        rest.append(" " if spans[i].text == "\n" else spans[i].text)
        size += len(spans[i].text)
        i += 1
    return "".join(bold), "".join(rest)[:_LOOKAHEAD]


def _skip_parens(text: str) -> str | None:
    """The text after the parenthesis that opens it (nesting counted), or None if unclosed."""
    depth = 0
    for paren in _PARENS.finditer(text):
        if paren.group() == "(":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return text[paren.end() :]
    return None


def _reaches_dash(tail: str, allow_names: bool) -> tuple[bool, tuple[str, ...]]:
    """Whether the definition dash follows after parentheses, a formula or given names."""
    names: list[str] = []
    text = tail
    for _ in range(6):
        text = text.lstrip()
        if not text:
            return False, ()
        if text[0] in DASHES:
            return (len(text) == 1 or text[1].isspace() or text[0] != "-"), tuple(names)
        if text[0] == "(":
            inner = _skip_parens(text)
            if inner is None:
                return False, ()
            text = inner
            continue
        if text[0] == ",":
            match = _FORMULA.match(text)
            if not match:
                return False, ()
            text = text[match.end() :]
            continue
        word = _WORD.match(text)
        if allow_names and word and word.group()[0].isupper() and not _is_caps_word(word.group()):
            names.append(word.group().strip(","))
            text = text[word.end() :]
            if len(names) > 3:
                return False, ()
            continue
        return False, ()
    return False, ()


def match_headword(block: Block) -> HeadwordMatch | None:
    """The headword if this paragraph starts an article, else None."""
    if block.is_table or block.align in ("center", "right"):
        return None
    split = _bold_prefix(block)
    if split is None:
        return None
    bold, rest = split
    bold = " ".join(bold.split())
    if not bold or _SPACED_LETTERS.match(bold):
        return None
    dash = _DASH_SEP.search(bold)
    if dash:
        headword, tail = bold[: dash.start()], bold[dash.start() :] + rest
    else:
        headword, tail = bold, rest
    headword = headword.strip().rstrip(",;:" + DASHES).strip()
    words = _words_outside_parens(headword)
    if not words:
        return None
    # The first word with letters decides (a headword may open with a year: «1916 ЖЫЛҒЫ …»).
    first = next((w for w in words if any(map(str.isalpha, w))), "").strip(_QUOTES + ",.")
    single_letter = len(first) == 1 and first.isalpha() and first.isupper() and len(words) == 1
    if not (_is_caps_word(first) or single_letter):
        return None
    if is_running_head(block):
        return None
    ok, names = _reaches_dash(tail, allow_names=False)
    if not ok and len(words) == 1 and _DATE_HINT.search(tail[:200]):
        # Given names may follow an all-caps surname without bold (typists differ); accept
        # them only when a date parenthesis follows, as in persons' entries.
        ok, names = _reaches_dash(tail, allow_names=True)
    if not ok:
        return None
    if single_letter:
        definition = tail.lstrip().lstrip(DASHES)
        if len(definition.split()) < 3:
            return None
    return HeadwordMatch(headword, names)
