"""Naming pages: kk.wikipedia titles, lead names, kinds and same-name qualifiers.

Titles are sentence case with proper nouns kept (``Жоңғар Алатауы``, ``Жамбыл облысы``);
persons are ``Given Surname`` with the encyclopedia's surname-first form as a redirect.
Whether a later word of a headword is a proper noun is decided from evidence: how the word is
written mid-sentence in the article and in the volume so far, and a configurable list.
"""

from __future__ import annotations

import re
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from uploader.config import CONFIG_DIR
from uploader.model import Kind

_FORBIDDEN = str.maketrans({c: None for c in "#<>[]{}|"})
_QUOTES = '«»"“”„'
_TOKEN = re.compile(r"[^\W\d_][\w-]*", re.UNICODE)
_SUFFIX = re.compile(
    r"^(ы|і|сы|сі)?"
    r"(н|ның|нің|дың|дің|тың|тің|на|не|а|е|ға|ге|қа|ке|ды|ді|ты|ті|ны|ні|нда|нде|да|де|та|те|"
    r"ндағы|ндегі|дағы|дегі|тағы|тегі|нан|нен|дан|ден|тан|тен|мен|бен|пен|ымен|імен|"
    r"лар|лер|дар|дер|тар|тер|ын|ін)?"
    r"(ның|нің|ға|ге|да|де|дан|ден|ы|і|ын|ін)?$"
)
_DATE_PAREN = re.compile(
    r"^\s*\(([^()]*\d{1,2}\.\d{1,2}\.\d{3,4}|[^()]*ж\.\s*[тө]\.|[^()]*\d{3,4}\s*[–—-])"
)


@dataclass(frozen=True)
class NamingRules:
    """Word lists from config/parser.toml."""

    surname_endings: tuple[str, ...]
    ruler_titles: frozenset[str]
    acronyms: frozenset[str]
    proper_nouns: frozenset[str]
    place_nouns: Mapping[str, str]

    @classmethod
    def load(cls, path: Path | None = None) -> NamingRules:
        """Read the rules from a TOML file (default: config/parser.toml)."""
        with (path or CONFIG_DIR / "parser.toml").open("rb") as fh:
            data = tomllib.load(fh)
        return cls(
            surname_endings=tuple(sorted(data["surname_endings"], key=len, reverse=True)),
            ruler_titles=frozenset(data["ruler_titles"]),
            acronyms=frozenset(data["acronyms"]),
            proper_nouns=frozenset(w.lower() for w in data["proper_nouns"]),
            place_nouns=dict(data["place_nouns"]),
        )


_ENDERS = '.!?…:«"(–—;'


@dataclass
class Lexicon:
    """How words are written mid-sentence: evidence for proper nouns, gathered as we read."""

    counts: dict[str, list[int]] = field(default_factory=dict)  # word → [capitalised, lower]
    buckets: dict[str, set[str]] = field(default_factory=dict)  # 3-letter prefix → words
    upper: Counter[str] = field(default_factory=Counter)

    def add_text(self, text: str, limit: int = 20000) -> None:
        """Count every mid-sentence word of ``text`` (up to ``limit`` characters)."""
        for token, mid in _tokens(text[:limit]):
            if not mid:
                continue
            if token.isupper() and len(token) > 1:
                self.upper[token] += 1
                continue
            key = token.lower()
            entry = self.counts.get(key)
            if entry is None:
                entry = self.counts[key] = [0, 0]
                self.buckets.setdefault(key[:3], set()).add(key)
            entry[0 if token[0].isupper() else 1] += 1

    def evidence(self, word: str) -> tuple[int, int]:
        """(capitalised, lower-case) mid-sentence counts of the word and its inflected forms."""
        stem = _stem(word)
        cap = low = 0
        for token in self.buckets.get(stem[:3], ()):
            if token.startswith(stem) and _SUFFIX.match(token[len(stem) :]):
                c, lo = self.counts[token]
                cap += c
                low += lo
        return cap, low


def _tokens(text: str) -> Iterable[tuple[str, bool]]:
    """Words with a flag: True when the word is mid-sentence (its case means something)."""
    prev_end = 0
    for index, m in enumerate(_TOKEN.finditer(text)):
        gap = text[prev_end : m.start()].rstrip()
        mid = (
            index > 0
            and not (gap and gap[-1] in _ENDERS)
            and "\n" not in text[prev_end : m.start()]
        )
        prev_end = m.end()
        yield m.group(), mid


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
    return "-".join(p[:1].upper() + p[1:].lower() for p in word.split("-"))


def _sentence_word(word: str, lex: tuple[Lexicon, ...], rules: NamingRules) -> str:
    bare = word.strip(_QUOTES)
    in_caps = any(x.upper.get(bare, 0) > 0 for x in lex)
    if bare in rules.acronyms or in_caps or (not bare.isupper() and not bare.islower()):
        return word  # acronym or mixed case as printed (ҚазКСР)
    if bare.lower() in rules.proper_nouns:
        return capitalise(word)
    cap, low = _evidence(bare, lex)
    return capitalise(word) if cap > low else word.lower()


@dataclass(frozen=True)
class Naming:
    """What a headword becomes on the wiki."""

    title: str
    lead: str
    kind: Kind
    redirects: tuple[str, ...] = ()
    alternatives: tuple[str, ...] = ()


def _is_surname(word: str, rules: NamingRules) -> bool:
    low = word.lower()
    return any(low.endswith(e) and len(low) > len(e) + 1 for e in rules.surname_endings)


def _split_headword(headword: str) -> tuple[list[str], str]:
    """Words outside parentheses, and the parenthesised part (a nickname or etymology)."""
    paren = " ".join(re.findall(r"\([^()]*\)", headword))
    words = re.sub(r"\([^()]*\)", " ", headword).split()
    return words, paren


def _person(words: list[str], paren: str, rules: NamingRules) -> Naming | None:
    caps = [w for w in words if w.strip(_QUOTES).isupper() and len(w.strip(_QUOTES)) > 1]
    if not caps or words[0] != caps[0]:
        return None
    rest = words[len(caps) :]
    if not rest or any(w.isupper() for w in rest):
        return None
    if all(w.islower() for w in rest):
        if rest[0] in rules.ruler_titles:
            name = " ".join([*(capitalise(w) for w in caps), *rest])
            return Naming(name, name, Kind.PERSON)
        return None
    if not all(w[0].isupper() for w in rest):
        return None
    head = " ".join(capitalise(w) for w in caps)
    if re.match(r"^(ӘЛ|АЛ|ӘБУ|ИБН|ЭЛЬ|АЛЬ)-", caps[0]):
        # An Arabic-style name (nisba) is known by itself: «ӘЛ-ФАРАБИ Әбу Насыр» → Әл-Фараби.
        full = " ".join([*rest, head])
        return Naming(
            head, full, Kind.PERSON, (" ".join([head, *rest]),), (full, " ".join([head, *rest]))
        )
    given, patronymic = rest[0], rest[1:]
    nick = f" {paren}" if paren else ""
    encyclopedia = " ".join([head, *rest])
    if not _is_surname(head, rules) and _is_surname(rest[-1], rules):
        # Name already first: «ЖАМБЫЛ Жабаев», «АБАЙ (Ибраһим) Құнанбайұлы».
        title = f"{head} {rest[-1]}"
        lead = f"{head}{nick} {' '.join(rest)}"
        surname_first = f"{rest[-1]} {head}"
        return Naming(title, lead, Kind.PERSON, (surname_first,), (surname_first, lead))
    title = f"{given} {head}"
    lead = (
        " ".join([given, *patronymic, head])
        if not nick
        else f"{given}{nick} {' '.join([*patronymic, head])}"
    )
    alternatives = (encyclopedia, lead, f"{head} {given}")
    return Naming(title, " ".join(lead.split()), Kind.PERSON, (encyclopedia,), alternatives)


def place_qualifier(definition: str, rules: NamingRules) -> str | None:
    """The place noun that heads the definition (``өзен``, ``қала``), if any."""
    clauses = re.split(r"[,.;:]\s", definition[:300])
    for clause in clauses[:3]:
        words = clause.split()
        for word in reversed(words[-2:]):
            key = word.lower().strip("()«».,;:")
            if key in rules.place_nouns:
                return rules.place_nouns[key]
    return None


def generic_qualifier(definition: str) -> str | None:
    """A short qualifier for other articles: the head noun of the definition's first clause."""
    clause = re.split(r"[,.;:(]", definition[:200])[0].split()
    if not clause:
        return None
    word = clause[-1].lower().strip('«»"')
    for ending in ("сы", "сі", "ы", "і"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    return word or None


def name_article(
    headword: str,
    extra_names: tuple[str, ...],
    definition: str,
    lex: tuple[Lexicon, ...],
    rules: NamingRules,
) -> Naming:
    """Title, lead, kind and redirects for a headword, given its definition and word evidence."""
    words, paren = _split_headword(headword.split(", ")[0] if ", " in headword else headword)
    if extra_names:
        words = [*words, *extra_names]
    person = _person(words, paren, rules)
    if person is None and len(words) == 1 and _DATE_PAREN.match(definition_head(definition, paren)):
        name = capitalise(words[0].strip(_QUOTES))
        person = Naming(name, name, Kind.PERSON)
    if person is not None:
        return _clean(person)
    quoted = headword.strip().startswith("«")
    bare = [w.strip(_QUOTES) for w in words]
    bare = [w for w in bare if w]
    first = bare[0] if bare[0] in rules.acronyms or not bare[0].isupper() else capitalise(bare[0])
    title = " ".join([first, *(_sentence_word(w, lex, rules) for w in bare[1:])])
    kind = Kind.PLACE if place_qualifier(definition, rules) and not quoted else Kind.OTHER
    alternatives = (f"«{title}»",) if quoted else ()
    return _clean(Naming(title, title, kind, (), alternatives))


def definition_head(definition: str, paren: str) -> str:
    """The start of the text after the headword (where a person's date parenthesis sits)."""
    return definition if definition.lstrip().startswith("(") else f"{paren} {definition}"


def _clean(naming: Naming) -> Naming:
    def fix(title: str) -> str:
        return " ".join(title.translate(_FORBIDDEN).split())

    return Naming(
        fix(naming.title),
        " ".join(naming.lead.split()),
        naming.kind,
        tuple(fix(r) for r in naming.redirects),
        tuple(fix(a) for a in naming.alternatives),
    )


def qualifier(kind: Kind, definition: str, rules: NamingRules) -> str | None:
    """The word that tells a same-name page apart: place noun, occupation or head noun."""
    after = after_dash(definition)
    if kind is Kind.PERSON:
        first = re.split(r"[,.;\s]", after.strip(), maxsplit=1)[0]
        return first.lower() or "тұлға"
    if kind is Kind.PLACE:
        return place_qualifier(definition, rules)
    return generic_qualifier(after)


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
