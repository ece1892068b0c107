"""Naming pages: kk.wikipedia titles, lead names, kinds and same-name qualifiers.

Titles are sentence case with proper nouns kept (``Жоңғар Алатауы``, ``Жамбыл облысы``);
persons are ``Given Surname`` with the encyclopedia's surname-first form as a redirect.
Whether a later word of a headword is a proper noun is decided from evidence: how the word is
written mid-sentence in the article and in the volume so far, and a configurable list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

from uploader.config import NamingRules
from uploader.model import Kind
from uploader.wikitext import LOWER, QUOTE_MARKS, TITLE_FORBIDDEN_CHARS, UPPER

_FORBIDDEN = re.compile(f"[{re.escape(TITLE_FORBIDDEN_CHARS)}]")
_QUOTES = QUOTE_MARKS
_SUFFIX = re.compile(
    r"^(ы|і|сы|сі)?"
    r"(н|ның|нің|дың|дің|тың|тің|на|не|а|е|ға|ге|қа|ке|ды|ді|ты|ті|ны|ні|нда|нде|да|де|та|те|"
    r"ндағы|ндегі|дағы|дегі|тағы|тегі|нан|нен|дан|ден|тан|тен|мен|бен|пен|ымен|імен|"
    r"лар|лер|дар|дер|тар|тер|ын|ін)?"
    r"(ның|нің|ға|ге|да|де|дан|ден|ы|і|ын|ін)?$"
)
# A parenthesis right after the headword holding a full date or "year, Place": a person's
# birth and death (events and things carry bare years).
_PERSON_PAREN = re.compile(
    r"^\s*[–—-]?\s*\([^()]*(\d{1,2}\.\d{1,2}\.\d{3,4}|\d{3,4},\s*["
    + UPPER
    + r"]|\d{3,4}\s*ж\.\s*т\.)"
)
_PAREN = re.compile(r"\([^()]*\)")
_NISBA = re.compile(r"^(ӘЛ|АЛ|ӘБУ|ИБН|ЭЛЬ|АЛЬ)-")
_CLAUSE_END = re.compile(r"[,.;:]\s")
_CLAUSE_PUNCT = re.compile(r"[,.;:(]")
_FIRST_WORD_END = re.compile(r"[,.;\s]")
_SENSE_NUMBER = re.compile(r"^\s*\d+\)\s*")  # «1) » before the first of several senses
_DATE_PAREN = re.compile(
    r"^\s*\(([^()]*\d{1,2}\.\d{1,2}\.\d{3,4}|[^()]*ж\.\s*[тө]\.|[^()]*\d{3,4}\s*[–—-])"
)


# A capitalised word whose preceding non-space character does not end a sentence, open a
# quotation or a parenthesis, or start a paragraph: its capital letter means something.
# Both patterns open with a character class and look behind only after it, which lets the
# regex engine skip ahead quickly (for the first, twice as fast as a leading lookbehind).
_MID_CAPITAL = re.compile(rf"[ \t](?<=[^\s.!?…:«\"(–—;][ \t])[ \t]*([{UPPER}][\w-]*)")
# A word that starts with a lower-case letter (not inside a longer word).
_LOWER_WORD = re.compile(rf"([{LOWER}](?<![\w-].)[\w-]*)")


@dataclass
class Lexicon:
    """How words are written mid-sentence: evidence for proper nouns, gathered as we read."""

    capital: Counter[str] = field(default_factory=Counter)  # as written (ЖЕЗ, Алатауы)
    lower: Counter[str] = field(default_factory=Counter)
    _index: dict[str, set[str]] = field(default_factory=dict)  # 3-letter prefix → words
    _indexed: tuple[int, int] = (0, 0)

    def add_words(self, capital: list[str], lower: list[str]) -> None:
        """Count words already split by ``words_of``."""
        self.capital.update(capital)
        self.lower.update(lower)

    def in_caps(self, word: str) -> bool:
        """True when the word was seen written in capitals mid-sentence (an acronym)."""
        return self.capital.get(word, 0) > 0 and word.isupper() and len(word) > 1

    def _refresh(self) -> None:
        """Index the words counted since the last refresh (the newest keys of the counters)."""
        seen_cap, seen_low = self._indexed
        for counter, seen in ((self.capital, seen_cap), (self.lower, seen_low)):
            # Keys are never removed, so the new ones are the last ``len - seen`` inserted;
            # reading them from the end keeps a refresh proportional to what is new.
            for key in islice(reversed(counter), len(counter) - seen):
                low = key.lower()
                self._index.setdefault(low[:3], set()).add(low)
        self._indexed = (len(self.capital), len(self.lower))

    def evidence(self, word: str) -> tuple[int, int]:
        """(capitalised, lower-case) mid-sentence counts of the word and its inflected forms."""
        self._refresh()
        stem = _stem(word)
        cap = low = 0
        for token in self._index.get(stem[:3], ()):
            if token.startswith(stem) and _SUFFIX.match(token[len(stem) :]):
                cap += self.capital.get(token[:1].upper() + token[1:], 0)
                low += self.lower.get(token, 0)
        return cap, low


def words_of(text: str) -> tuple[list[str], list[str]]:
    """The mid-sentence capitalised words and the lower-case words of a text."""
    return _MID_CAPITAL.findall(text), _LOWER_WORD.findall(text)


def _stem(word: str) -> str:
    word = word.lower()
    for ending in ("сы", "сі", "ы", "і"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word


def _evidence(word: str, lexicons: Iterable[Lexicon]) -> tuple[int, int]:
    cap = low = 0
    for lex in lexicons:
        c, lo = lex.evidence(word)
        cap += c
        low += lo
    return cap, low


def capitalise(word: str) -> str:
    """First letter of each hyphen part upper, the rest lower: ``ӘЛ-ФАРАБИ`` → ``Әл-Фараби``."""
    if "-" not in word:
        return word[:1].upper() + word[1:].lower()
    return "-".join(p[:1].upper() + p[1:].lower() for p in word.split("-"))


def _sentence_word(word: str, lex: tuple[Lexicon, ...], rules: NamingRules) -> str:
    bare = word.strip(_QUOTES)
    in_caps = any(x.in_caps(bare) for x in lex)
    if (
        bare in rules.acronyms
        or in_caps
        or _ROMAN.match(bare)
        or (not bare.isupper() and not bare.islower())
    ):
        return word  # acronym or mixed case as printed (ҚазКСР)
    if bare.lower() in rules.proper_nouns:
        return capitalise(word)
    cap, low = _evidence(bare, lex)
    return capitalise(word) if cap > low else word.lower()


# Roman numerals stay in capitals (XX ғасыр), also when typed with Cyrillic Х and І.
_ROMAN = re.compile(r"^[IVXLCDMХІ]+$")


class Naming(NamedTuple):
    """What a headword becomes on the wiki."""

    title: str
    lead: str
    kind: Kind
    redirects: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()


def _is_surname(word: str, rules: NamingRules) -> bool:
    low = word.lower()  # an ending leaves at least two letters of stem
    return len(low) > 1 and low[2:].endswith(rules.surname_endings)


def _split_headword(headword: str) -> tuple[list[str], str]:
    """Words outside parentheses, and the parenthesised part (a nickname or etymology)."""
    if "(" not in headword:
        return headword.split(), ""
    paren = " ".join(_PAREN.findall(headword))
    words = _PAREN.sub(" ", headword).split()
    return words, paren


def _person(words: list[str], paren: str, rules: NamingRules) -> Naming | None:
    caps = [w for w in words if w.strip(_QUOTES).isupper() and len(w.strip(_QUOTES)) > 1]
    if not caps or words[0] != caps[0]:
        return None
    rest = words[len(caps) :]
    if not rest or any(w.isupper() for w in rest):
        return None
    head = " ".join(capitalise(w) for w in caps)
    if rest[0].islower():
        if rest[0] not in rules.ruler_titles or not all(
            w.islower() or w[0].isupper() for w in rest
        ):
            return None
        # «АБЫЛАЙ хан», «ӘЙТЕКЕ би Байбекұлы»: name and title; the full form redirects here.
        name, full = f"{head} {rest[0]}", " ".join([head, *rest])
        extra = (full,) if full != name else ()
        return Naming(name, full, Kind.PERSON, extra, extra)
    if not all(w[0].isupper() for w in rest):
        return None
    encyclopedia = " ".join([head, *rest])
    if _NISBA.match(caps[0]):
        # An Arabic-style name (nisba) is known by itself: «ӘЛ-ФАРАБИ Әбу Насыр» → Әл-Фараби.
        full = " ".join([*rest, head[:1].lower() + head[1:]])
        return Naming(head, full, Kind.PERSON, (encyclopedia,), (full, encyclopedia))
    given, patronymic = rest[0], rest[1:]
    nick = f" {paren}" if paren else ""
    if len(rest) == 1 and not _is_surname(head, rules) and _is_surname(rest[0], rules):
        # Name already first: «ЖАМБЫЛ Жабаев», «АБАЙ (Ибраһим) Құнанбайұлы». With two name
        # words the second is a patronymic (Лев Николаевич), so the capitals are the surname.
        surname_first = f"{rest[-1]} {head}"
        lead = f"{head}{nick} {' '.join(rest)}"
        return Naming(
            f"{head} {rest[-1]}", lead, Kind.PERSON, (surname_first,), (surname_first, lead)
        )
    lead = " ".join([given + nick, *patronymic, head])
    alternatives = (encyclopedia, lead, f"{head} {given}")
    return Naming(f"{given} {head}", lead, Kind.PERSON, (encyclopedia,), alternatives)


def place_qualifier(definition: str, rules: NamingRules) -> str | None:
    """The place noun that heads the definition (``өзен``, ``қала``), if any."""
    clauses = _CLAUSE_END.split(definition[:300], maxsplit=3)
    for clause in clauses[:3]:
        last_two = clause.rsplit(maxsplit=2)[-2:]
        for word in reversed(last_two):
            key = word.lower().strip("()«».,;:")
            if key in rules.place_nouns:
                return rules.place_nouns[key]
    return None


def generic_qualifier(definition: str, lex: Lexicon | None = None) -> str | None:
    """A short qualifier for other articles: the head noun of the definition's first clause."""
    clause = _CLAUSE_PUNCT.split(definition[:200], maxsplit=1)[0].split()
    words = [w.lower().strip('«»"') for w in clause]
    words = [w for w in words if w.isalpha() and len(w) >= 3]
    if not words:
        return None
    return nominative(words[-1], lex)


def nominative(word: str, lex: Lexicon | None = None) -> str:
    """The word without a possessive ending when the bare form is attested (газеті → газет)."""
    cut = [
        word[: -len(e)]
        for e in ("сы", "сі", "ы", "і")
        if word.endswith(e) and len(word) - len(e) >= 3
    ]
    for candidate in cut:
        if lex is not None and lex.lower.get(candidate, 0) > 0:
            return candidate
    return word


def name_article(
    headword: str,
    extra_names: tuple[str, ...],
    definition: str,
    lex: Lexicon,
    rules: NamingRules,
    own_words: tuple[list[str], list[str]] | None = None,
) -> Naming:
    """Title, lead, kind and redirects for a headword, given its definition and word evidence.

    ``lex`` holds the volume's evidence so far; ``own_words`` (``words_of`` the article), when
    given, count first as evidence for how the later words of the headword are written.
    """
    words, paren = _split_headword(headword.split(", ")[0] if ", " in headword else headword)
    if extra_names:
        words = [*words, *extra_names]
    person = _person(words, paren, rules)
    if (
        person is None
        and len(words) <= 3
        and _PERSON_PAREN.match(definition_head(definition, paren))
    ):
        name = " ".join(capitalise(w.strip(_QUOTES)) for w in words)
        person = Naming(name, name, Kind.PERSON)
    if person is not None:
        return _clean(person)
    quoted = headword.strip().startswith("«")
    bare = [w.strip(_QUOTES) for w in words]
    bare = [w for w in bare if w]
    keep = bare[0] in rules.acronyms or _ROMAN.match(bare[0]) or not bare[0].isupper()
    first = bare[0] if keep else capitalise(bare[0])
    lexicons: tuple[Lexicon, ...] = (lex,)
    if own_words is not None and len(bare) > 1:
        own = Lexicon()
        own.add_words(*own_words)
        lexicons = (own, lex)
    title = " ".join([first, *(_sentence_word(w, lexicons, rules) for w in bare[1:])])
    kind = Kind.PLACE if place_qualifier(definition, rules) and not quoted else Kind.OTHER
    alternatives = (f"«{title}»",) if quoted else ()
    return _clean(Naming(title, title, kind, (), alternatives))


def definition_head(definition: str, paren: str) -> str:
    """The start of the text after the headword (where a person's date parenthesis sits)."""
    return definition if definition.lstrip(" –—-").startswith("(") else f"{paren} {definition}"


def _clean(naming: Naming) -> Naming:
    title = _fix_title(naming.title)
    lead = " ".join(naming.lead.split())
    return Naming(
        title,
        lead,
        naming.kind,
        _other_titles(naming.redirects, title),
        _other_titles(naming.alternatives, title),
    )


def _fix_title(title: str) -> str:
    """The title without characters MediaWiki forbids, whitespace collapsed."""
    return " ".join(_FORBIDDEN.sub("", title).split())


def _other_titles(items: tuple[str, ...], title: str) -> tuple[str, ...]:
    """Fixed, distinct titles other than ``title`` (empty ones dropped)."""
    if not items:
        return ()
    return tuple(dict.fromkeys(t for t in map(_fix_title, items) if t and t != title))


_FALLBACK = {Kind.PERSON: "тұлға", Kind.PLACE: "жер", Kind.OTHER: "мағына"}


def qualifier(kind: Kind, definition: str, rules: NamingRules, lex: Lexicon | None = None) -> str:
    """The word that tells a same-name page apart: place noun, occupation or head noun."""
    after = after_dash(definition)
    found: str | None
    if kind is Kind.PERSON:
        first = _FIRST_WORD_END.split(after.strip(), maxsplit=1)[0].lower()
        found = first if first.isalpha() and len(first) >= 3 else None
    elif kind is Kind.PLACE:
        found = place_qualifier(definition, rules)
    else:
        found = generic_qualifier(_SENSE_NUMBER.sub("", after), lex)
    return found or _FALLBACK[kind]


def after_dash(text: str) -> str:
    """The definition proper: what follows the first dash outside parentheses."""
    depth = 0
    for pos, ch in enumerate(text[:600]):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and (ch in "–—" or (ch == "-" and text[pos - 1 : pos] == " ")):
            return text[pos + 1 :].strip()
    return text


def without_epithet(names: Iterable[str], rules: NamingRules) -> tuple[str, ...]:
    """A person's names with the epithet left out, as hand-made pages often title them:
    ``Райымбек батыр Түкеұлы`` → ``Райымбек Түкеұлы`` (epithets: ``ruler_titles``)."""
    out = []
    for name in names:
        words = name.split()
        kept = [words[0], *(w for w in words[1:] if w.lower() not in rules.ruler_titles)]
        if 1 < len(kept) < len(words):
            out.append(" ".join(kept))
    return tuple(dict.fromkeys(out))
