"""Naming pages: kk.wikipedia titles, lead names, kinds and same-name qualifiers.

Titles are sentence case with proper nouns kept (``Жоңғар Алатауы``, ``Жамбыл облысы``);
persons are ``Given Surname`` with the encyclopedia's surname-first form as a redirect.
Whether a later word of a headword is a proper noun is decided from evidence: how the word is
written mid-sentence in the article and in the volume so far, and a configurable list.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

from uploader.config import NamingRules
from uploader.model import Kind
from uploader.report import Review
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
    r"^\s*[–—-]?\s*\([^()]*(\d{1,2}\.\d{1,2}\.\d{3,4}|\d{3,4}(/\d{1,4})?,\s*["
    + UPPER
    + r"]|\d{3,4}\s*ж\.\s*т\.|\d{3,4}(/\d{1,4})?\s*[–—-]\s*\?)"
)
# A parenthesis right after the headword holding years or a century: a historical person's
# lifetime (evidence that «ДОСПАМБЕТ ЖЫРАУ» is a person and not the term).
_YEARS_PAREN = re.compile(r"^\s*[–—-]?\s*\([^()]*(\d{3,4}|\s*ғ\.|\s*ғғ\.)")
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
    # Hyphenated words (folded) → how often the part after the hyphen was capitalised / not.
    hyphen: dict[str, list[int]] = field(default_factory=dict)

    def add_words(self, capital: list[str], lower: list[str]) -> None:
        """Count words already split by ``words_of``."""
        self.capital.update(capital)
        self.lower.update(lower)
        for word in (*capital, *lower):
            if "-" in word:
                head, _, tail = word.partition("-")
                if head and tail[:1].isalpha():
                    counts = self.hyphen.setdefault(word.lower(), [0, 0])
                    counts[0 if tail[:1].isupper() else 1] += 1

    def hyphen_evidence(self, word: str) -> tuple[int, int]:
        """(capitalised, lower-case) counts of the part after the hyphen, inflections included."""
        low = word.lower()
        cap = lower = 0
        for token, (c, lo) in self.hyphen.items():
            if token.startswith(low) and _SUFFIX.match(token[len(low) :]):
                cap += c
                lower += lo
        return cap, lower

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


def compound(word: str, first: bool, lex: tuple[Lexicon, ...], rules: NamingRules) -> str:
    """A hyphenated word of a title: lower case after the hyphen unless the parts are names.

    ``Бета-сәулелер``, but ``Әл-Хорезми`` (a name prefix), ``Алматы-1``, and any compound the
    volume writes with a capital after the hyphen.
    """
    head, *tails = word.split("-")
    start = capitalise(head) if first else _sentence_word(head, lex, rules)
    names = head.lower() in rules.name_prefixes or _hyphen_named(word, head, lex, rules)
    parts = [start]
    for tail in tails:
        named = names or tail.lower() in rules.proper_nouns
        parts.append(capitalise(tail) if named and tail[:1].isalpha() else tail.lower())
    return "-".join(parts)


def _hyphen_named(word: str, head: str, lex: tuple[Lexicon, ...], rules: NamingRules) -> bool:
    cap = low = 0
    for x in lex:
        c, lo = x.hyphen_evidence(word)
        cap, low = cap + c, low + lo
    if cap or low:
        return cap > low
    return head.lower() in rules.proper_nouns


def _sentence_word(word: str, lex: tuple[Lexicon, ...], rules: NamingRules) -> str:
    bare = word.strip(_QUOTES)
    if "-" in bare.strip("-") and bare.isupper():
        return word.replace(bare, compound(bare, False, lex, rules))
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
    notes: tuple[tuple[Review, str], ...] = ()  # review items: decided without evidence


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


def _is_patronymic(word: str, rules: NamingRules) -> bool:
    low = word.lower()
    return len(low) > 3 and low.endswith(rules.patronymic_endings)


def _epithet_person(
    caps: list[str], rest: list[str], lifetime: bool, rules: NamingRules
) -> Naming | None:
    """«ТӨЛЕ БИ Әлібекұлы» → Төле би: one or two name words, an epithet in capitals, then
    nothing but a patronymic (or, with nothing after, a lifetime in parentheses)."""
    at = next((i for i in (1, 2) if i < len(caps) and caps[i].lower() in rules.epithets), 0)
    if not at:
        return None
    after = [*caps[at + 1 :], *rest]
    if after and not all(_is_patronymic(w, rules) for w in after):
        return None
    if not after and not lifetime:
        return None
    name = " ".join(capitalise(w) for w in caps[:at])
    return _with_epithet(name, caps[at].lower(), [capitalise(w) for w in after])


def _with_epithet(name: str, epithet: str, after: list[str]) -> Naming:
    """Title «Name epithet»; the full form (with patronymic) redirects and is the lead."""
    title = f"{name} {epithet}"
    full = " ".join([title, *after])
    redirects = (full,) if full != title else ()
    plain = " ".join([name, *after])
    return Naming(title, full, Kind.PERSON, redirects, (*redirects, plain))


def _person(
    words: list[str], paren: str, rules: NamingRules, lifetime: bool = False
) -> Naming | None:
    caps = [w for w in words if w.strip(_QUOTES).isupper() and len(w.strip(_QUOTES)) > 1]
    if not caps or words[0] != caps[0]:
        return None
    caps = words[: next((i for i, w in enumerate(words) if w not in caps), len(words))]
    rest = words[len(caps) :]
    if any(w.isupper() for w in rest):
        return None
    epithet = _epithet_person(caps, rest, lifetime, rules)
    if epithet is not None:
        return epithet
    if not rest:
        return None
    head = " ".join(capitalise(w) for w in caps)
    if rest[0].islower():
        if rest[0] not in rules.ruler_titles | rules.epithets or not all(
            w.islower() or w[0].isupper() for w in rest
        ):
            return None
        # «АБЫЛАЙ хан», «ӘЙТЕКЕ би Байбекұлы»: name and title; the full form redirects here.
        return _with_epithet(head, rest[0], rest[1:])
    if not all(w[0].isupper() or w.lower() in rules.name_prefixes for w in rest):
        return None
    encyclopedia = " ".join([head, *rest])
    given, patronymic = rest[0], rest[1:]
    nick = f" {paren}" if paren else ""
    if _NISBA.match(caps[0]) or not all(_is_patronymic(w, rules) for w in patronymic):
        # No given-name/patronymic shape (Arabic and historical names): kept as printed.
        turned = " ".join([*rest, head[:1].lower() + head[1:] if _NISBA.match(caps[0]) else head])
        note = (
            Review.PERSON_NAME,
            f"«{encyclopedia}» has no given-name/patronymic shape; kept as printed",
        )
        return Naming(encyclopedia, encyclopedia, Kind.PERSON, (), (head, turned), (note,))
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
    ``notes`` of the result say what was decided without evidence (for the review queue).
    """
    headword = unicodedata.normalize("NFC", headword)
    words, paren = _split_headword(headword.split(", ")[0] if ", " in headword else headword)
    if extra_names:
        words = [*words, *extra_names]
    person = _any_person(words, paren, definition, rules)
    if person is not None:
        if extra_names:
            note = (Review.PERSON_NAME, f"given names {' '.join(extra_names)} were not bold")
            person = person._replace(notes=(*person.notes, note))
        return _clean(person)
    quoted, words, kind_word, suffix = _quoted(headword, words, definition, rules, lex)
    bare = [w for w in (w.strip(_QUOTES) for w in words) if w]
    lexicons: tuple[Lexicon, ...] = (lex,)
    if own_words is not None and len(bare) > 1:
        own = Lexicon()
        own.add_words(*own_words)
        lexicons = (own, lex)
    kind = Kind.PLACE if place_qualifier(definition, rules) and not quoted else Kind.OTHER
    title, notes = _term_title(bare, paren, definition, kind, lexicons, rules)
    alternatives: tuple[str, ...] = ()
    if suffix and kind_word:
        # «ҚАЗАҚ» ГАЗЕТІ: the headword names the kind, so the page is «Қазақ (газет)».
        lead = f"«{title}» {suffix}"
        alternatives = (title, f"«{title}»", lead, f"{title} {suffix}")
        return _clean(Naming(f"{title} ({kind_word})", lead, kind, (), alternatives, notes))
    if quoted:
        alternatives = (
            f"«{title}»",
            *((f"{title} ({kind_word})",) if kind_word else ()),
        )
    return _clean(Naming(title, title, kind, (), alternatives, notes))


def _any_person(words: list[str], paren: str, definition: str, rules: NamingRules) -> Naming | None:
    """The person's naming when the headword is a person's name, else None."""
    head = definition_head(definition, paren)
    person = _person(words, paren, rules, lifetime=_has_lifetime(head, definition))
    if person is not None or len(words) > 3:
        return person
    if _PERSON_PAREN.match(head) or (
        len(words) > 1
        and _has_lifetime(head, definition)
        and _names_person(after_dash(definition), rules)
    ):
        # All in capitals: «ЖҮСІП БАЛАСАҒҰНИ», «МАХМҰД ҚАШҚАРИ» (11 ғ.) – ғалым.
        name = " ".join(capitalise(w.strip(_QUOTES)) for w in words)
        return Naming(name, name, Kind.PERSON)
    return None


def _has_lifetime(head: str, definition: str) -> bool:
    """A parenthesis with years or a century right after the headword (a nickname or real
    name in parentheses may come first)."""
    text = head
    for _ in range(2):
        if _YEARS_PAREN.match(text):
            return True
        closing = text.find(")")
        if not text.lstrip(" –—-").startswith("(") or closing < 0:
            return False
        text = text[closing + 1 :]
    return bool(_YEARS_PAREN.match(definition))


def _names_person(definition: str, rules: NamingRules) -> bool:
    """The definition's first clause names what a person was (ақын, ғалым ...)."""
    clause = _CLAUSE_PUNCT.split(definition[:120], maxsplit=1)[0].lower().split()
    return any(w.strip('«»"') in rules.person_nouns for w in clause[:3])


def _quoted(
    headword: str, words: list[str], definition: str, rules: NamingRules, lex: Lexicon
) -> tuple[bool, list[str], str | None, str]:
    """Whether the headword is a «quoted» name, its words (the bare name), its kind, and the
    kind words printed after the quotes: «ҚАЗАҚ ӘДЕБИЕТІ» – газет; «ҚАЗАҚ» ГАЗЕТІ."""
    text = headword.strip()
    if not text.startswith("«"):
        return False, words, None, ""
    inner, _, after = text[1:].partition("»")
    after_words = _PAREN.sub(" ", after).split(", ")[0].split()
    if after_words and after_words[0].lower() in rules.quoted_kinds:
        name = [w for w in words if w.strip(_QUOTES)][: len(inner.split())]
        kind = rules.quoted_kinds[after_words[0].lower()]
        return True, name, kind, " ".join(after_words).lower()
    return True, words, quoted_kind(definition, rules, lex), ""


def _term_title(
    bare: list[str],
    paren: str,
    definition: str,
    kind: Kind,
    lexicons: tuple[Lexicon, ...],
    rules: NamingRules,
) -> tuple[str, tuple[tuple[Review, str], ...]]:
    """The title of a non-person headword, and what was decided without evidence."""
    official = _official(bare, paren, definition, rules)
    if official is True:
        return " ".join(_official_word(w, i, rules) for i, w in enumerate(bare)), ()
    first = _first_word(bare[0], lexicons, rules, kind is Kind.PLACE)
    title = " ".join([first, *(_sentence_word(w, lexicons, rules) for w in bare[1:])])
    notes = [
        (Review.TITLE_GUESSED, f"«{title}»: casing of «{w}» guessed ({why})")
        for w in bare[1:]
        if (why := _doubt(w, lexicons, rules))
    ]
    if official is None:
        # An institution or a term: its head word takes sentence case («Ғылым академиясы»).
        title = f"{title.rsplit(' ', 1)[0]} {bare[-1].lower()}"
        reason = (
            f"«{title}» ends like an official name but the volume gives no evidence "
            "(acronym, capitals, kind); sentence case used"
        )
        notes = [(Review.TITLE_GUESSED, reason)]
    return title, tuple(notes)


def _doubt(word: str, lex: tuple[Lexicon, ...], rules: NamingRules) -> str:
    """Why the casing of a later title word is a guess ("" when the evidence is clear)."""
    if not word.isupper() or word in rules.acronyms or word.lower() in rules.proper_nouns:
        return ""
    if "-" in word or _ROMAN.match(word) or any(x.in_caps(word) for x in lex):
        return ""
    cap, low = _evidence(word, lex)
    if cap and low and abs(cap - low) <= 1:
        return f"written {cap} times with a capital and {low} without"
    folded = word.lower()
    known = rules.place_nouns.keys() | rules.quoted_kinds.keys() | rules.official_heads
    if not cap and not low and folded not in known:
        return "no evidence in the volume; lower case used"
    return ""


def _first_word(
    word: str, lex: tuple[Lexicon, ...], rules: NamingRules, place: bool = False
) -> str:
    keep = word in rules.acronyms or _ROMAN.match(word) or not word.isupper()
    if keep:
        return word
    if "-" not in word.strip("-"):
        return capitalise(word)
    # A place's hyphenated name is made of names: Тянь-Шань, Буэнос-Айрес, Алматы-1.
    return capitalise(word) if place else compound(word, True, lex, rules)


def _official(bare: list[str], paren: str, definition: str, rules: NamingRules) -> bool | None:
    """True: an official name with evidence; None: looks like one, no evidence; False: not."""
    if len(bare) < 2 or bare[-1].lower() not in rules.official_heads:
        return False
    words = [w for w in bare if w.lower() not in rules.official_lower]
    acronym = "".join(w[0] for w in words if w[:1].isalpha()).upper()
    text = f"{paren} {definition[:1500]}"
    if len(acronym) >= 2 and re.search(rf"(?<!\w){re.escape(acronym)}(?!\w)", text):
        return True
    spelled = r"\s+".join(re.escape(capitalise(w)) for w in words)
    if re.search(spelled, text):
        return True
    clause = _CLAUSE_PUNCT.split(after_dash(definition)[:200], maxsplit=1)[0].lower()
    if any(re.search(rf"(?<!\w){re.escape(k)}", clause) for k in rules.official_kinds):
        return True
    return None


def _official_word(word: str, position: int, rules: NamingRules) -> str:
    if word in rules.acronyms or _ROMAN.match(word) or not word.isupper():
        return word
    if position and word.lower() in rules.official_lower:
        return word.lower()
    return capitalise(word)


def quoted_kind(definition: str, rules: NamingRules, lex: Lexicon | None = None) -> str | None:
    """What a «quoted» subject is (газет, журнал, роман ...), from the definition's first clause."""
    clause = _CLAUSE_PUNCT.split(_SENSE_NUMBER.sub("", after_dash(definition))[:200], 1)[0]
    for word in reversed(clause.split()):
        key = word.lower().strip('«»"()')
        if key in rules.quoted_kinds:
            return rules.quoted_kinds[key]
    return generic_qualifier(after_dash(definition), lex)


def definition_head(definition: str, paren: str) -> str:
    """The start of the text after the headword (where a person's date parenthesis sits)."""
    return definition if definition.lstrip(" –—-").startswith("(") else f"{paren} {definition}"


def _clean(naming: Naming) -> Naming:
    title = _fix_title(naming.title)
    lead = unicodedata.normalize("NFC", " ".join(naming.lead.split()))
    return Naming(
        title,
        lead,
        naming.kind,
        _other_titles(naming.redirects, title),
        _other_titles(naming.alternatives, title),
        naming.notes,
    )


def _fix_title(title: str) -> str:
    """The title NFC, without characters MediaWiki forbids, whitespace collapsed."""
    return unicodedata.normalize("NFC", " ".join(_FORBIDDEN.sub("", title).split()))


def _other_titles(items: tuple[str, ...], title: str) -> tuple[str, ...]:
    """Fixed, distinct titles other than ``title`` (empty ones dropped)."""
    if not items:
        return ()
    return tuple(dict.fromkeys(t for t in map(_fix_title, items) if t and t != title))


_FALLBACK = {Kind.PERSON: "тұлға", Kind.PLACE: "жер", Kind.OTHER: "мағына"}


def qualifier(
    kind: Kind,
    definition: str,
    rules: NamingRules,
    lex: Lexicon | None = None,
    quoted: bool = False,
) -> str:
    """The word that tells a same-name page apart: place noun, occupation or head noun."""
    return found_qualifier(kind, definition, rules, lex, quoted) or _FALLBACK[kind]


def found_qualifier(
    kind: Kind,
    definition: str,
    rules: NamingRules,
    lex: Lexicon | None = None,
    quoted: bool = False,
) -> str | None:
    """The qualifier the definition gives, or None when one would have to be invented."""
    after = after_dash(definition)
    for _ in range(2):  # «– (1693 – 1748) – Кіші жүздің ханы»: past the dates to the dash
        if not after.startswith("("):
            break
        after = after_dash(after[after.find(")") + 1 :]) if ")" in after else after
    if kind is Kind.PERSON:
        first = _FIRST_WORD_END.split(after.strip(), maxsplit=1)[0].lower()
        return first if first.isalpha() and len(first) >= 3 else None
    if kind is Kind.PLACE:
        return place_qualifier(definition, rules)
    if quoted:
        return quoted_kind(definition, rules, lex)
    return generic_qualifier(_SENSE_NUMBER.sub("", after), lex)


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
