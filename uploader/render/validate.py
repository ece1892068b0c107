"""Validation: a page must pass every check here before it can be published.

The wikitext goes through mwparserfromhell's tokenizer (its C tokenizer: the fast default)
and the token stream must be balanced; ``strict`` instead builds the whole tree and checks
that it turns back into the same text (the full round trip, ~10× slower; tests prove both
give the same verdicts). Then its markup must be balanced line by line, the title valid and
unique in the run, and the body not empty. ``Validator`` keeps the set of titles seen in the
run; ``check`` returns the problems (empty when the page is fine).

The line checks first look at the whole text at once (``_lines_clean``: a few regular
expression passes that clear a page only when the line-by-line walk would find nothing); only
a page they do not clear is walked line by line, which also words the messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import mwparserfromhell
from mwparserfromhell.parser import tokens as _tk

from uploader.model import Page
from uploader.wikitext import NAMESPACE_PREFIXES, normalise_title, title_problems

__all__ = ["Validator", "has_body", "markup_problems", "normalise_title", "title_problems"]

_QUOTES = re.compile(r"'{2,}")
_TAG = re.compile(r"<(/?)([a-zA-Z]+)\b[^>]*?(/?)>")
_ALLOWED_TAGS = {"sup", "sub", "br", "ref", "references", "nowiki"}
_VOID_TAGS = {"br", "references", "nowiki"}
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LETTER = re.compile(r"[^\W\d_]")


def markup_problems(wikitext: str, strict: bool = False) -> list[str]:
    """Unbalanced or unexpected markup, one message per problem (empty when balanced).

    The structure check tokenizes with ``skip_style_tags`` (quotes are checked line by line
    here); ``strict`` does the full parse and round trip instead.
    """
    problems = _token_problems(wikitext)
    if strict and not problems:
        problems = _round_trip_problems(wikitext)
    if problems and problems[0].startswith("mwparserfromhell cannot"):
        return problems
    text = _COMMENT.sub("", wikitext) if "<!--" in wikitext else wikitext
    if not _lines_clean(text):
        problems.extend(_line_by_line_problems(text))
    if not has_body(text):
        problems.append("empty body: no text outside markup")
    return problems


def _line_by_line_problems(text: str) -> list[str]:
    """The line checks' messages, line by line (tables counted across lines)."""
    problems: list[str] = []
    depth = 0
    for number, line in enumerate(text.split("\n"), 1):
        if "''" in line or "<" in line or "-{" in line or "}-" in line:
            problems.extend(f"line {number}: {p}" for p in _line_problems(line))
        stripped = line.strip()
        if stripped.startswith("{|"):
            depth += 1
        elif stripped.startswith("|}"):
            depth -= 1
            if depth < 0:
                problems.append(f"line {number}: table closed that was not opened")
                depth = 0
    if depth:
        problems.append("table opened with {| and never closed")
    return problems


# A bold, italic or bold italic span on one line with no apostrophe inside, its quote runs
# exactly that long (a longer run is never split): removing such spans, innermost first,
# keeps each line's toggles as they were, so a text whose runs all go is balanced. (Written
# to start with the apostrophe itself, which the regex engine then scans for quickly.)
_QUOTE_PAIR = re.compile(r"'(?<!'')(''''|''|')(?!')[^'\n]+'\1(?!')")
# A text whose only tags are the void ones as the renderer writes them and plain <ref>,
# <sup>, <sub> closed on their line with no tag inside, and which holds none of -{ }- {| |}:
# its tags, script-converter marks and tables all pass.
_BRACE = r"(?<!-)\{(?!\|)|(?<!\|)\}(?!-)"  # a brace of none of them
_PLAIN_MARKUP = re.compile(
    rf"(?:[^<{{}}]++|{_BRACE}|<br />|<references />|<(ref|sup|sub)>(?:[^<\n{{}}]++|{_BRACE})*+</\1>)*+"
)
# As plain tags as above, but nested: removed innermost first.
_TAG_PAIR = re.compile(r"<(ref|sup|sub)>[^<\n]*</\1>")
_TABLE_EDGE = re.compile(r"^[^\S\n]*(\{\||\|\})", re.M)  # as line.strip().startswith


def _lines_clean(text: str) -> bool:
    """True only when ``_line_by_line_problems(text)`` is empty, from whole-text passes.

    False means "look line by line": a rarer but balanced form (an apostrophe inside a bold
    span, a tag with attributes, a table) can come out False. Each check runs only when the
    text holds its characters.
    """
    if "''" in text:
        rest = text
        while "''" in rest:
            rest, count = _QUOTE_PAIR.subn("", rest)
            if not count:
                return False
    if _PLAIN_MARKUP.fullmatch(text):
        return True
    if "<" in text and not _tags_clean(text):
        return False
    if "-{" in text or "}-" in text:
        for line in text.split("\n"):
            if line.count("-{") != line.count("}-"):
                return False
    if "{|" in text or "|}" in text:
        depth = 0
        for edge in _TABLE_EDGE.findall(text):
            depth += 1 if edge == "{|" else -1
            if depth < 0:
                return False
        if depth:
            return False
    return True


def _tags_clean(text: str) -> bool:
    """True when every tag is allowed and each line closes what it opens, in order."""
    rest, count = _TAG_PAIR.subn("", text)
    while True:
        if rest.count("<") == rest.count("<br />") + rest.count("<references />"):
            return True  # every "<" left opens a void tag
        if not count:
            break
        rest, count = _TAG_PAIR.subn("", rest)
    return not any(next(_tag_problems(line), None) for line in text.split("\n") if "<" in line)


def _tag_problems(line: str) -> Iterator[str]:
    """What is wrong with the tags of one line: a tag not allowed, a closing tag that closes
    nothing open, a tag left open at the end of the line."""
    stack: list[str] = []
    for closing, name, selfclose in _TAG.findall(line):
        name = name.lower()
        if name not in _ALLOWED_TAGS:
            yield f"unexpected tag <{name}>"
            continue
        if selfclose or name in _VOID_TAGS:
            continue
        if not closing:
            stack.append(name)
        elif stack and stack[-1] == name:
            stack.pop()
        else:
            yield f"</{name}> does not close an open tag"
    if stack:
        yield f"unclosed <{stack[-1]}>"


def _round_trip_problems(wikitext: str) -> list[str]:
    try:
        code = mwparserfromhell.parse(wikitext, skip_style_tags=True)
    except Exception as exc:
        return [f"mwparserfromhell cannot parse the page: {exc}"]
    if str(code) != wikitext:
        return ["wikitext does not round-trip through mwparserfromhell"]
    return []


# Token kinds that open and close a node: the builder fails on a stream where they differ.
_PAIRS: tuple[tuple[type, tuple[type, ...]], ...] = (
    (_tk.TemplateOpen, (_tk.TemplateClose,)),
    (_tk.ArgumentOpen, (_tk.ArgumentClose,)),
    (_tk.WikilinkOpen, (_tk.WikilinkClose,)),
    (_tk.ExternalLinkOpen, (_tk.ExternalLinkClose,)),
    (_tk.HeadingStart, (_tk.HeadingEnd,)),
    (_tk.CommentStart, (_tk.CommentEnd,)),
    (_tk.HTMLEntityStart, (_tk.HTMLEntityEnd,)),
    (_tk.TagOpenOpen, (_tk.TagCloseSelfclose, _tk.TagCloseClose)),
    (_tk.TagOpenClose, (_tk.TagCloseClose,)),
)


# The pairs as two rows compared in one go: each pair's opener and first closer; the other
# closers (only a tag's) are added to their pair's count.
_OPENERS = tuple(opener for opener, _ in _PAIRS)
_CLOSERS = tuple(closers[0] for _, closers in _PAIRS)
_MORE_CLOSERS = tuple(
    (number, closer) for number, (_, closers) in enumerate(_PAIRS) for closer in closers[1:]
)
_NONE = (0,) * len(_PAIRS)
_tokenizer: Any = None


def _tokenize(wikitext: str) -> list[Any]:
    global _tokenizer
    if _tokenizer is None:
        _tokenizer = mwparserfromhell.parser.Parser()._tokenizer  # the C one when built
    result: list[Any] = _tokenizer.tokenize(wikitext, 0, True)
    return result


def _token_problems(wikitext: str) -> list[str]:
    try:
        tokens = _tokenize(wikitext)
    except Exception as exc:
        return [f"mwparserfromhell cannot parse the page: {exc}"]
    if len(tokens) == 1:
        return []
    count = Counter(map(type, tokens)).get
    opened = list(map(count, _OPENERS, _NONE))
    closed = list(map(count, _CLOSERS, _NONE))
    for number, closer in _MORE_CLOSERS:
        closed[number] += count(closer, 0)
    if opened != closed:
        number = next(n for n, (o, c) in enumerate(zip(opened, closed, strict=True)) if o != c)
        return [f"mwparserfromhell cannot parse the page: unbalanced {_OPENERS[number].__name__}"]
    return []


_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_REF = re.compile(r"<ref[^>]*>.*?</ref>", re.S)
_HEADING = re.compile(r"^=+.*=+\s*$", re.M)
_NAMESPACED_LINK = re.compile(r"\[\[\s*([^\]|:]*):[^\]]*\]\]")
_ANY_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&#?\w+;")
_MARKUP_START = re.compile(r"[{<\[=&]")


def has_body(wikitext: str) -> bool:
    """True when a letter remains outside templates, refs, headings, namespaced links, tags."""
    # Each pattern is tried only when the text holds its first characters.
    text = _COMMENT.sub("", wikitext) if "<!--" in wikitext else wikitext
    letter = _LETTER.search(text)
    if letter is None:
        return False
    if _MARKUP_START.search(text, 0, letter.start()) is None:
        return True  # every span removed below starts with one of these: the letter stays
    for _ in range(10):
        if "{{" not in text:
            break
        text, count = _TEMPLATE.subn("", text)
        if not count:
            break
    if "<ref" in text:
        text = _REF.sub("", text)
    if "=" in text:
        text = _HEADING.sub("", text)
    if "[[" in text:
        text = _NAMESPACED_LINK.sub(
            lambda m: "" if m.group(1).strip().casefold() in NAMESPACE_PREFIXES else m.group(0),
            text,
        )
    if "<" in text:
        text = _ANY_TAG.sub(" ", text)
    if "&" in text:
        text = _ENTITY.sub(" ", text)
    return _LETTER.search(text) is not None


def _line_problems(line: str) -> list[str]:
    problems = []
    bold = italic = False
    for run in _QUOTES.findall(line):
        if len(run) == 2:
            italic = not italic
        elif len(run) == 3:
            bold = not bold
        elif len(run) == 5:
            bold, italic = not bold, not italic
        else:
            problems.append(f"ambiguous run of {len(run)} apostrophes")
    if bold:
        problems.append("unclosed ''' (bold)")
    if italic:
        problems.append("unclosed '' (italic)")
    problems.extend(_tag_problems(line))
    if line.count("-{") != line.count("}-"):
        problems.append("unbalanced -{ }- (script converter protection)")
    return problems


@dataclass
class Validator:
    """Checks pages of one run; remembers titles so that each is used once."""

    seen: dict[str, str] = field(default_factory=dict)  # normalised title → source key

    strict: bool = False  # the full mwparserfromhell round trip (see markup_problems)

    def check(
        self, page: Page, markup: list[str] | None = None
    ) -> tuple[Page, list[str], list[str]]:
        """Return the page (redirects cleaned), its problems, and warnings about redirects.

        ``markup`` gives ``markup_problems`` of the page when already computed (elsewhere,
        e.g. in a worker process). A page with problems must be quarantined; it does not
        claim its title.
        """
        problems = title_problems(page.title)
        if not page.wikitext.strip():
            problems.append("empty page")
        else:
            problems.extend(
                markup if markup is not None else markup_problems(page.wikitext, self.strict)
            )
        norm = normalise_title(page.title)
        if norm in self.seen:
            problems.append(f"title «{norm}» already used in this run by {self.seen[norm]}")
        if problems:
            return page, problems, []
        self.seen[norm] = page.key
        warnings = []
        kept = []
        for redirect in page.redirects:
            rnorm = normalise_title(redirect)
            bad = title_problems(redirect)
            if bad:
                warnings.append(f"redirect «{redirect}» dropped: {'; '.join(bad)}")
            elif rnorm in self.seen:
                warnings.append(f"redirect «{redirect}» dropped: title already used in this run")
            else:
                self.seen[rnorm] = page.key
                kept.append(redirect)
        if len(kept) != len(page.redirects):
            page = replace(page, redirects=tuple(kept), warnings=(*page.warnings, *warnings))
        return page, [], warnings
