"""Validation: a page must pass every check here before it can be published.

The wikitext goes through mwparserfromhell's tokenizer (its C tokenizer: the fast default)
and the token stream must be balanced; ``strict`` instead builds the whole tree and checks
that it turns back into the same text (the full round trip, ~10× slower; tests prove both
give the same verdicts). Then its markup must be balanced line by line, the title valid and
unique in the run, and the body not empty. ``Validator`` keeps the set of titles seen in the
run; ``check`` returns the problems (empty when the page is fine).
"""

from __future__ import annotations

import re
from collections import Counter
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
    if not has_body(text):
        problems.append("empty body: no text outside markup")
    return problems


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
    counts = Counter(map(type, tokens))
    for opener, closers in _PAIRS:
        if counts[opener] != sum(counts[c] for c in closers):
            return [f"mwparserfromhell cannot parse the page: unbalanced {opener.__name__}"]
    return []


_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_REF = re.compile(r"<ref[^>]*>.*?</ref>", re.S)
_HEADING = re.compile(r"^=+.*=+\s*$", re.M)
_NAMESPACED_LINK = re.compile(r"\[\[\s*([^\]|:]*):[^\]]*\]\]")
_ANY_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&#?\w+;")


def has_body(wikitext: str) -> bool:
    """True when a letter remains outside templates, refs, headings, namespaced links, tags."""
    # Each pattern is tried only when the text holds its first characters.
    text = _COMMENT.sub("", wikitext) if "<!--" in wikitext else wikitext
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
    stack: list[str] = []
    for closing, name, selfclose in _TAG.findall(line):
        name = name.lower()
        if name not in _ALLOWED_TAGS:
            problems.append(f"unexpected tag <{name}>")
            continue
        if selfclose or name in _VOID_TAGS:
            continue
        if not closing:
            stack.append(name)
        elif stack and stack[-1] == name:
            stack.pop()
        else:
            problems.append(f"</{name}> does not close an open tag")
    if stack:
        problems.append(f"unclosed <{stack[-1]}>")
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
