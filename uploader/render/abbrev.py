"""Abbreviations: the configured table (config/abbreviations.toml) and the context rules.

``Abbreviations.expand`` writes ordinary abbreviations out (``ж.`` → ``жылы``, ``обл-ның`` →
``облысының``); ``қ.`` only after a name, imprint cities (``А.`` → ``Алматы``) only in works and
literature. ``HeadwordInitials`` writes the headword's initials out (``Ж-лар`` → ``Жыраулар``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uploader.errors import ConfigError
from uploader.model import Article, Kind
from uploader.wikitext import LOWER, QUOTE_MARKS, QUOTES_RE, UPPER, strip_qualifier

_SUFFIX = rf"[{LOWER}]+"
_CAPITAL_WORD = re.compile(rf"[{UPPER}][\w-]*[\s\u00a0]+$")
_SENTENCE_START = re.compile(r"(?:^|[.!?…]\s+|[:;–—]\s+)$")
_PERSON_INITIAL_AFTER = re.compile(rf"[\s\u00a0]*[{UPPER}][{LOWER}]")
_IMPRINT_AFTER = re.compile(r"\s*(?:,\s*\d|:|[–—-]\s*[" + UPPER + r"])")
_IMPRINT_BEFORE = re.compile(r"(?:^|[,.;:–—-])\s*$")


def _cap(word: str) -> str:
    return word[:1].upper() + word[1:]


def _is_lower_initial(abbr: str) -> bool:
    return abbr[:1].isalpha() and abbr[:1].islower()


@dataclass(frozen=True)
class Abbreviations:
    """The abbreviation table and its compiled patterns (build once per run)."""

    expand_map: Mapping[str, str]
    stems: Mapping[str, str]
    after_name: Mapping[str, str]
    imprint: Mapping[str, str]
    crossref_marker: str
    crossref_word: str
    _plain: re.Pattern[str]
    _stem: re.Pattern[str] | None
    _after: re.Pattern[str] | None
    _imprint: re.Pattern[str] | None
    _stem_keys: re.Pattern[str] | None  # finds any key of the table (None: empty table)
    _after_keys: re.Pattern[str] | None
    _imprint_keys: re.Pattern[str] | None
    _any_key: re.Pattern[str]  # any key of expand, stems or after_name at a word start
    _marks: tuple[str, ...] = ()  # every key holds one of these; text without them is skipped

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Abbreviations:
        """Build from the parsed TOML table (expand, stems, after_name, imprint, crossref)."""
        settings = dict(data.get("settings", {}))
        capitalised = bool(settings.get("capitalised", True))
        expand = _with_capitals(dict(data.get("expand", {})), capitalised)
        stems = _with_capitals(dict(data.get("stems", {})), capitalised)
        after = dict(data.get("after_name", {}))
        imprint = dict(data.get("imprint", {}))
        cross = dict(data.get("crossref", {}))
        return cls(
            expand_map=expand,
            stems=stems,
            after_name=after,
            imprint=imprint,
            crossref_marker=str(cross.get("marker", "қ.")),
            crossref_word=str(cross.get("word", "")),
            _plain=_alternation(expand) or re.compile(r"(?!x)x"),
            _stem=_stem_alternation(stems),
            _after=_alternation(after),
            _imprint=_alternation(imprint),
            _stem_keys=_key_finder(stems),
            _after_keys=_key_finder(after),
            _imprint_keys=_key_finder(imprint),
            _any_key=re.compile(_keys_group({**expand, **stems, **after}, lambda key: "")),
            _marks=_required_marks(expand, stems, after, imprint),
        )

    @classmethod
    def load(cls, path: Path) -> Abbreviations:
        """Load the table from a TOML file; a ConfigError names the file when it is unusable."""
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"{path}: abbreviation table not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        for section in ("expand", "stems", "after_name", "imprint"):
            table = data.get(section, {})
            if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
                raise ConfigError(f"{path}: [{section}] must map abbreviations to strings")
        return cls.from_mapping(data)

    def expand(self, text: str, before: str = "", after: str = "", imprint: bool = False) -> str:
        """Write abbreviations in ``text`` out; ``before``/``after`` is the paragraph around it.

        An abbreviation's full stop that also ends the paragraph is kept («Тараз қаласы.»).
        ``imprint`` enables the city rule (works and literature paragraphs).
        """
        if not text or (self._marks and not any(mark in text for mark in self._marks)):
            return text
        full = before + text
        found = self._matches(full, len(before), imprint, text)
        if not found:
            return text
        keep_stop = not after.strip()
        edits = (
            (
                begin,
                end,
                replacement
                + ("." if keep_stop and full[end - 1] == "." and not full[end:].strip() else ""),
            )
            for begin, end, replacement in found
        )
        return _splice(full, len(before), edits, text)

    def may_expand(self, text: str) -> bool:
        """False when ``expand`` (without ``imprint``) changes no piece of ``text``, a whole
        paragraph (every match ``expand`` makes in a piece is a key found here)."""
        return self._any_key.search(text) is not None

    def expand_imprint(self, text: str, before: str = "") -> str:
        """Write only imprint cities out (works and literature: «А., 1961» → «Алматы, 1961»)."""
        if self._imprint is None or not text or not _holds_key(text, self._imprint_keys):
            return text
        full = before + text
        edits = (
            (m.start(), m.end(), self.imprint[m.group(1)])
            for m in self._imprint.finditer(full, len(before))
            if _IMPRINT_BEFORE.search(full, 0, m.start()) and _IMPRINT_AFTER.match(full, m.end())
        )
        return _splice(full, len(before), edits, text)

    def _matches(
        self, full: str, start: int, imprint: bool, text: str
    ) -> list[tuple[int, int, str]]:
        # ``text`` is ``full[start:]``: a match lies in it, so a table none of whose keys
        # occur in it is not searched (the small tables; «қ.» is rare).
        found: list[tuple[int, int, str]] = []
        if self._stem is not None and _holds_key(text, self._stem_keys):
            for m in self._stem.finditer(full, start):
                found.append((m.start(), m.end(), self.stems[m.group(1)] + m.group(2)))
        for m in self._plain.finditer(full, start):
            found.append((m.start(), m.end(), self.expand_map[m.group(1)]))
        if self._after is not None and _holds_key(text, self._after_keys):
            for m in self._after.finditer(full, start):
                if _CAPITAL_WORD.search(full, 0, m.start()):
                    found.append((m.start(), m.end(), self.after_name[m.group(1)]))
        if imprint and self._imprint is not None and _holds_key(text, self._imprint_keys):
            for m in self._imprint.finditer(full, start):
                if _IMPRINT_BEFORE.search(full, 0, m.start()) and _IMPRINT_AFTER.match(
                    full, m.end()
                ):
                    found.append((m.start(), m.end(), self.imprint[m.group(1)]))
        if len(found) < 2:
            return found
        found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
        chosen: list[tuple[int, int, str]] = []
        end = -1
        for item in found:
            if item[0] >= end:
                chosen.append(item)
                end = item[1]
        return chosen


def _holds_key(text: str, finder: re.Pattern[str] | None) -> bool:
    """True when ``text`` holds a key of the table ``finder`` was made for."""
    return finder is not None and finder.search(text) is not None


def _key_finder(table: Mapping[str, str]) -> re.Pattern[str] | None:
    """A pattern found in a text exactly when the text holds one of the table's keys."""
    if not table:
        return None
    return re.compile("|".join(re.escape(key) for key in sorted(table, key=len, reverse=True)))


def _required_marks(*tables: Mapping[str, str]) -> tuple[str, ...]:
    """(".", "-") when every key holds a full stop or a hyphen (a match needs its key)."""
    marks = (".", "-")
    if all(any(mark in key for mark in marks) for table in tables for key in table):
        return marks
    return ()


def _with_capitals(table: dict[str, str], capitalised: bool) -> dict[str, str]:
    out = {str(k): str(v) for k, v in table.items()}
    if capitalised:
        for abbr, full in list(out.items()):
            if _is_lower_initial(abbr) and sum(ch.isalpha() for ch in abbr) >= 2:
                out.setdefault(_cap(abbr), _cap(full))
    return out


def _splice(full: str, start: int, edits: Iterable[tuple[int, int, str]], text: str) -> str:
    """``full[start:]`` with each (begin, end, replacement) applied in order; ``text`` if none."""
    pieces: list[str] = []
    last = start
    for begin, end, replacement in edits:
        pieces.append(full[last:begin])
        pieces.append(replacement)
        last = end
    if last == start:
        return text
    pieces.append(full[last:])
    return "".join(pieces)


def _alternation(table: Mapping[str, str]) -> re.Pattern[str] | None:
    """Group 1 matches a key not inside a word (a key ending in a letter or digit also not
    followed by one); the longest key wins."""
    if not table:
        return None
    return re.compile(_keys_group(table, lambda key: r"(?!\w)" if key[-1].isalnum() else ""))


def _stem_alternation(table: Mapping[str, str]) -> re.Pattern[str] | None:
    """Group 1 matches a stem not inside a word, group 2 the lower-case ending after it."""
    if not table:
        return None
    return re.compile(_keys_group(table, lambda key: "") + r"(" + _SUFFIX + ")")


def _keys_group(table: Mapping[str, str], tail: Callable[[str], str]) -> str:
    r"""``(?<![\w-])(key1|key2|...)`` (longest key first, each followed by ``tail(key)``),
    written as one branch per first letter with the look-behind after that letter: the same
    matches, but the regex engine skips every position whose letter starts no key."""
    groups: dict[str, list[str]] = {}
    for key in sorted(table, key=len, reverse=True):
        groups.setdefault(key[:1], []).append(re.escape(key[1:]) + tail(key))
    branches = [
        rf"{re.escape(first)}(?<![\w-]{re.escape(first)})(?:{'|'.join(rests)})"
        for first, rests in groups.items()
    ]
    return "(" + "|".join(branches) + ")"


@dataclass(frozen=True)
class HeadwordInitials:
    """The headword's initials as printed in its own article, and the full form they stand for."""

    full: str  # what an initial is written out as (mid-sentence form)
    pattern: re.Pattern[str] | None
    initial: str = ""  # the capital every match starts with ("" = no shortcut)

    @classmethod
    def for_article(cls, article: Article) -> HeadwordInitials:
        """Build the initials pattern from the headword (persons: the surname)."""
        words = _headword_words(article)
        if not words:
            return cls(full="", pattern=None)
        full = _full_form(article, words)
        initial = words[0][0].upper()
        first = re.escape(initial)
        # The capital, then the look-behind (not inside a word): the engine then looks for
        # the capital alone, as fast as ``str.find``.
        parts = [rf"{first}(?<![\w.-]{first})"]
        if len(words) == 1:
            initial = first
        parts += [f"[{re.escape(w[0].upper())}{re.escape(w[0].lower())}]" for w in words[1:]]
        body = r"\.[ \u00a0]?".join(parts)
        pattern = re.compile(rf"{body}(?:-({_SUFFIX})|\.)")
        return cls(full=full, pattern=pattern, initial=initial)

    def may_expand(self, text: str) -> bool:
        """False when ``expand`` changes no piece of ``text``, a whole paragraph."""
        return self.pattern is not None and self.pattern.search(text) is not None

    def expand(self, text: str, before: str = "") -> str:
        """Write the headword's initials in ``text`` out, keeping case endings."""
        if self.pattern is None or not text or (self.initial and self.initial not in text):
            return text
        full_text = before + text
        if self.pattern.search(full_text, len(before)) is None:
            return text
        return _splice(full_text, len(before), self._edits(full_text, len(before)), text)

    def _edits(self, full_text: str, start: int) -> Iterator[tuple[int, int, str]]:
        assert self.pattern is not None
        for m in self.pattern.finditer(full_text, start):
            if m.group(1) is None and _PERSON_INITIAL_AFTER.match(full_text, m.end()):
                continue  # «Ж. Мәлібеков»: someone's initial, not the headword
            form = self.full
            if _SENTENCE_START.search(full_text, 0, m.start()):
                form = _cap(form)
            yield m.start(), m.end(), form + (m.group(1) or "")


_PARENTHESES = re.compile(r"\([^)]*\)")
_HEAD_PUNCTUATION = re.compile(f"[{QUOTE_MARKS},]")


def _headword_words(article: Article) -> list[str]:
    head = _PARENTHESES.sub(" ", article.headword)
    head = _HEAD_PUNCTUATION.sub(" ", head)
    words = [w for w in head.split() if w.isalpha() or any(ch.isalpha() for ch in w)]
    if article.kind is Kind.PERSON:
        caps = [w for w in words if w.isupper()]
        return caps[:1] or words[:1]
    return words


def _full_form(article: Article, words: list[str]) -> str:
    if article.kind is Kind.PERSON:
        return _cap(words[0].lower())
    lead = QUOTES_RE.sub("", article.lead or article.title).strip()
    lead = strip_qualifier(lead)
    if not lead:
        lead = " ".join(words).lower()
    one_word_common = article.kind is Kind.OTHER and " " not in lead and "«" not in article.headword
    return lead[:1].lower() + lead[1:] if one_word_common else lead
