"""Wikitext definitions shared by every stage: one place for each fact about MediaWiki.

Letter classes of the Kazakh Cyrillic alphabet, quote marks, the ``(qualifier)`` pattern,
page-title rules (forbidden characters, 255 bytes, namespace prefixes), URI schemes, the form
in which MediaWiki stores text (and so its SHA-1), and the edit-summary length.
Modules that need one of these import it from here; none keeps its own copy.
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from pathlib import Path

# --- letters ------------------------------------------------------------------------------
# Regex character-class bodies (use inside [...]). Kazakh Cyrillic with Ё, plus basic Latin.
CYRILLIC_UPPER = "А-ЯЁӘҒҚҢӨҰҮҺІ"
CYRILLIC_LOWER = "а-яёәғқңөұүһі"
UPPER = "A-Z" + CYRILLIC_UPPER
LOWER = "a-z" + CYRILLIC_LOWER
KAZAKH_ALPHABET = (
    "А Ә Б В Г Ғ Д Е Ё Ж З И Й К Қ Л М Н Ң О Ө П Р С Т У Ұ Ү Ф Х Һ Ц Ч Ш Щ Ъ Ы І Ь Э Ю Я"
)
_ALPHABET_RANK = {letter: rank for rank, letter in enumerate(KAZAKH_ALPHABET.split())}
CYRILLIC_LETTER_RE = re.compile(f"[{CYRILLIC_UPPER}{CYRILLIC_LOWER}]")
# Latin letters typed for their Cyrillic twins inside Cyrillic words (ə U+0259, Ə U+018F).
LATIN_LOOKALIKES = {
    **dict(zip("acehiopxyə", "асеһіорхуә", strict=True)),
    **dict(zip("ABCEHIKMOPTXYƏ", "АВСЕНІКМОРТХУӘ", strict=True)),
}
_LATIN_LETTER_RE = re.compile("[A-Za-zƏə]")
_WORD_RE = re.compile(r"[^\W\d_]+")

# --- punctuation --------------------------------------------------------------------------
QUOTE_MARKS = '«»"“”„'
QUOTES_RE = re.compile(f"[{QUOTE_MARKS}]")
DASHES = "–—‒―-"

# --- titles -------------------------------------------------------------------------------
QUALIFIER_RE = re.compile(r"\s*\([^)]*\)$")  # a final «(қала)» that tells same names apart
MAX_TITLE_BYTES = 255
TITLE_FORBIDDEN_CHARS = "#<>[]{}|"
TITLE_FORBIDDEN_RE = re.compile(r"[#<>\[\]{}|\x00-\x1f\x7f\ufffd]")
TITLES_LIST = Path(__file__).parent / "defaults" / "titles.toml"  # the prefix word lists


def _prefix_key(prefix: str) -> str:
    return " ".join(prefix.replace("_", " ").split()).casefold()


@functools.cache
def _prefix_lists() -> tuple[frozenset[str], frozenset[str]]:
    """The namespace and interwiki prefixes of ``defaults/titles.toml``, folded."""
    with TITLES_LIST.open("rb") as fh:
        data = tomllib.load(fh)
    return (
        frozenset(map(_prefix_key, data["namespaces"])),
        frozenset(map(_prefix_key, data["interwiki"])),
    )


NAMESPACE_PREFIXES = frozenset(_prefix_lists()[0])
INTERWIKI_PREFIXES = frozenset(_prefix_lists()[1])
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")
# Characters a reader cannot see, or that turn the text around: format characters (bidi
# marks, embeddings and isolates, zero-width spaces and joiners, the BOM, soft hyphens ...),
# line and paragraph separators, fillers, and spaces other than the plain one.
_INVISIBLE_EXTRA = frozenset("\u115f\u1160\u3164\uffa0\u034f\u180b\u180c\u180d\u180e\u2800")


def invisible_chars(text: str) -> list[str]:
    """The invisible or direction-control characters of ``text`` (as U+XXXX, each once)."""
    if text.isprintable() and _INVISIBLE_EXTRA.isdisjoint(text):
        return []  # str.isprintable is False for every character of those categories
    found = []
    for ch in dict.fromkeys(text):
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Zl", "Zp") or (cat == "Zs" and ch != " ") or ch in _INVISIBLE_EXTRA:
            found.append(f"U+{ord(ch):04X}")
    return found


def prefix_problem(title: str) -> str | None:
    """Why the part of ``title`` before a colon makes it a non-article (None when it does not)."""
    if ":" not in title:
        return None
    head = title.split(":", 1)[0]
    key = _prefix_key(head)
    if not key:
        return "title starts with a colon"
    if key in NAMESPACE_PREFIXES:
        return f"title starts with a namespace prefix ({head}:)"
    if key in INTERWIKI_PREFIXES or _LANGUAGE_CODE.fullmatch(key):
        return f"title starts with an interwiki or language prefix ({head}:)"
    return None


# --- links --------------------------------------------------------------------------------
# URI schemes MediaWiki turns into free external links ($wgUrlProtocols, default set).
URI_SCHEMES = (
    "bitcoin|ftp|ftps|geo|git|gopher|http|https|irc|ircs|magnet|mailto|matrix|mms|news|nntp|"
    "redis|sftp|sip|sips|sms|ssh|svn|tel|telnet|urn|worldwind|xmpp"
)

# --- saving -------------------------------------------------------------------------------
SUMMARY_BYTES = 480  # MediaWiki keeps 500 bytes of a summary; leave room for "/* */"


def fix_lookalikes(text: str) -> str:
    """Latin look-alike letters inside Cyrillic words replaced by their Cyrillic twins.

    A word is Cyrillic when most of its letters are (on a tie, when each Latin letter has a
    Cyrillic twin); real Latin words stay as they are. The
    result has the same length as ``text`` (one letter for one), so spans can be re-cut.
    """
    if not _LATIN_LETTER_RE.search(text):
        return text
    return _WORD_RE.sub(_fix_word, text)


def _fix_word(match: re.Match[str]) -> str:
    word = match.group()
    latin = _LATIN_LETTER_RE.findall(word)
    cyrillic = len(CYRILLIC_LETTER_RE.findall(word))
    # Most letters Cyrillic; on a tie, when every Latin letter has a Cyrillic twin.
    if not latin or cyrillic < len(latin):
        return word
    if cyrillic == len(latin) and not all(ch in LATIN_LOOKALIKES for ch in latin):
        return word
    return "".join(LATIN_LOOKALIKES.get(ch, ch) for ch in word)


def alphabet_key(text: str) -> tuple[int, ...]:
    """Sort key of a headword in Kazakh alphabetical order (letters only, case folded)."""
    return tuple(_ALPHABET_RANK[ch] for ch in text.upper() if ch in _ALPHABET_RANK)


def initial_letter(text: str) -> str:
    """The first letter of a headword when it is a letter of the Kazakh alphabet, else ""."""
    for ch in text:
        if ch.isalnum():
            up = ch.upper()
            return up if up in _ALPHABET_RANK else ""
    return ""


def strip_qualifier(title: str) -> str:
    """The title without a final ``(qualifier)``: ``Ақсу (өзен)`` → ``Ақсу``."""
    return QUALIFIER_RE.sub("", title).strip()


def normalise_title(title: str) -> str:
    """MediaWiki's form of a title: NFC, ``_`` as space, spaces collapsed, first letter upper."""
    text = " ".join(unicodedata.normalize("NFC", title).replace("_", " ").split())
    return text[:1].upper() + text[1:]


def title_problems(title: str) -> list[str]:
    """What is wrong with a page title (empty list when it is valid)."""
    problems = []
    norm = normalise_title(title)
    if not norm:
        return ["empty title"]
    bad = sorted(set(TITLE_FORBIDDEN_RE.findall(norm)))
    if bad:
        problems.append(f"title contains forbidden character(s) {' '.join(map(repr, bad))}")
    if len(norm.encode("utf-8")) > MAX_TITLE_BYTES:
        problems.append(f"title longer than {MAX_TITLE_BYTES} bytes in UTF-8")
    prefix = prefix_problem(norm)
    if prefix is not None:
        problems.append(prefix)
    hidden = invisible_chars(title)
    if hidden:
        problems.append(f"title contains invisible or direction characters ({' '.join(hidden)})")
    if norm.startswith((".", "/", "~")) or "/./" in norm or "/../" in norm:
        problems.append("title is a relative path")
    if "~~~" in norm or ("&" in norm and re.search(r"&[#\w]+;", norm)):
        problems.append("title contains a signature or an HTML entity")
    return problems


def storage_form(text: str) -> str:
    """The text as MediaWiki stores it: NFC, LF line ends, trailing whitespace removed."""
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n")).rstrip()


def text_sha1(text: str) -> str:
    """Hex SHA-1 of the stored form of ``text`` (what the API reports as rev sha1)."""
    import hashlib  # here: only publishing needs it (loading OpenSSL's is ~5 ms of a start)

    return hashlib.sha1(storage_form(text).encode("utf-8")).hexdigest()


def cap_summary(text: str) -> str:
    """An edit summary on one line, cut to ``SUMMARY_BYTES`` without splitting a letter."""
    text = " ".join(text.split())
    raw = text.encode("utf-8")
    return text if len(raw) <= SUMMARY_BYTES else raw[:SUMMARY_BYTES].decode("utf-8", "ignore")
