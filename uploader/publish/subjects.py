"""Knowing the wiki before writing to it: an article's candidate names, looked up and judged.

Used alike by the publisher (per batch, just before its writes) and by the dry run, so both
reach the same verdict (``uploader.publish.decide.classify``). The names of a batch go out in
the one batched existence query (50 titles a request, redirects followed); the texts of the
pages found are read in batched content requests, only when the ledger does not already hold
that revision (``wiki_pages``), so a resumed run does not ask again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Protocol

from uploader.config import RunConfig
from uploader.publish.decide import Limits, Match, Subject, Verdict, classify
from uploader.publish.ledger import Ledger, Seen
from uploader.publish.similarity import (
    Features,
    additions,
    features,
    plain_of_wikitext,
    similarity,
    words,
)
from uploader.publish.wiki import PageInfo, Revision


class Reader(Protocol):
    """The wiki reads a survey needs."""

    user: str

    def page_texts(self, titles: Iterable[str]) -> dict[str, tuple[int, str]]: ...

    def first_revision(self, title: str) -> Revision | None: ...


@dataclass(frozen=True, slots=True)
class Wanted:
    """One article as the survey sees it: its names, qualified title and text."""

    title: str  # the article's own title
    names: tuple[str, ...]  # candidate names, the title first
    fallback: str
    plain: str  # our plain text ("" → taken from the wikitext)
    wikitext: str
    sha1: str

    @property
    def lookups(self) -> tuple[str, ...]:
        """Every title to ask the wiki about for this article."""
        return tuple(dict.fromkeys(n for n in (self.title, *self.names, self.fallback) if n))


def limits_of(settings: RunConfig) -> Limits:
    """The thresholds from ``[run]``."""
    return Limits(
        settings.same_subject_similarity,
        settings.other_subject_similarity,
        settings.min_subject_words,
    )


class Survey:
    """Judges articles against the wiki; remembers the pages it read in the ledger."""

    def __init__(self, site: Reader, ledger: Ledger, limits: Limits) -> None:
        self.site = site
        self.ledger = ledger
        self.limits = limits
        self.pages: dict[str, Seen] = {}

    def read_pages(self, wanted: Iterable[Wanted], infos: Mapping[str, PageInfo]) -> None:
        """Make sure the text of every page found behind the articles' names is at hand:
        from the ledger when it holds that revision, else in batched content requests."""
        found: dict[str, int | None] = {}
        for want in wanted:
            for name in want.lookups:
                info = infos.get(name)
                page = info.page if info is not None else None
                if page is not None and not self._ours(page, want):
                    found[page.title] = page.revid
        todo = [t for t in found if t not in self.pages or self.pages[t].revid != found[t]]
        if not todo:
            return
        known = self.ledger.seen(todo)
        fetch = [t for t in todo if t not in known or known[t].revid != found[t]]
        self.pages.update({t: known[t] for t in todo if t not in fetch})
        if not fetch:
            return
        fresh = []
        for title, (revid, text) in self.site.page_texts(fetch).items():
            old = known.get(title)
            fresh.append(
                Seen(
                    title,
                    revid,
                    plain_of_wikitext(text),
                    features(text).as_json(),
                    old.creator if old else None,
                )
            )
        self.ledger.remember(fresh)
        self.pages.update({s.title: s for s in fresh})

    def _ours(self, page: PageInfo, want: Wanted) -> bool:
        return page.user == self.site.user and page.sha1 == want.sha1

    def matches(self, want: Wanted, infos: Mapping[str, PageInfo]) -> list[Match]:
        """The article's names that exist on the wiki, with the page behind each."""
        plain = want.plain or plain_of_wikitext(want.wikitext)
        out = []
        for name in want.lookups:
            info = infos.get(name)
            page = info.page if info is not None else None
            if page is None or self._ours(page, want):
                continue
            seen = self.pages.get(page.title)
            theirs = seen.plain if seen is not None else ""
            out.append(
                Match(
                    name,
                    page.title,
                    round(similarity(plain, theirs, (name, page.title)), 3),
                    len(words(theirs)),
                    page.user,
                    page.revid,
                )
            )
        return out

    def judge(self, want: Wanted, infos: Mapping[str, PageInfo]) -> Verdict:
        """The article's subject class (call ``read_pages`` for its batch first)."""
        fallback = infos.get(want.fallback) if want.fallback else None
        free = fallback is not None and not (
            fallback.exists or fallback.invalid or fallback.create_protection
        )
        return classify(
            want.title, want.fallback, self.matches(want, infos), self.limits, fallback_free=free
        )

    def creator(self, title: str) -> str | None:
        """Who created a page (read once, then remembered in the ledger)."""
        seen = self.pages.get(title)
        if seen is not None and seen.creator is not None:
            return seen.creator
        first = self.site.first_revision(title)
        creator = first.user if first is not None else None
        if seen is not None and creator is not None:
            seen = replace(seen, creator=creator)
            self.pages[title] = seen
            self.ledger.remember([seen])
        return creator

    def adds(self, want: Wanted, page: str) -> str:
        """What the article would add to the page on the wiki, as one line."""
        seen = self.pages.get(page)
        if seen is None:
            return ""
        theirs = Features.from_json(seen.features)
        return "; ".join(additions(features(want.wikitext), theirs, seen.plain))


@dataclass(frozen=True, slots=True)
class Finding:
    """A verdict with the facts the reconcile report shows."""

    verdict: Verdict
    creator: str | None = None
    adds: str = ""


def explain(survey: Survey, want: Wanted, verdict: Verdict) -> Finding:
    """The verdict with the page's creator and what the article would add (not for NEW)."""
    if verdict.subject is Subject.NEW or verdict.match is None:
        return Finding(verdict)
    page = verdict.match.page
    return Finding(verdict, survey.creator(page), survey.adds(want, page))
