"""The one decision: what to do with a page, given what the wiki holds under its title.

The publisher acts on it and the dry run reports it, so both always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from uploader.publish.wiki import PageInfo, Revision


class Action(StrEnum):
    """What the bot does with one title."""

    CREATE = "create"  # nothing stands there: create it
    OWN = "own"  # the bot's page with this very text: record it as published
    EXISTS = "exists"  # somebody's page (or the bot's, with other text): leave it alone
    PROTECTED = "protected"  # create-protected: leave it alone
    INVALID = "invalid"  # the wiki says the title cannot be a page


@dataclass(frozen=True, slots=True)
class Decision:
    """An action and the note the ledger, the report and the log keep with it."""

    action: Action
    note: str = ""
    revid: int | None = None  # the revision that proves an OWN page


def decide(sha1: str, info: PageInfo, bot: str, first: Revision | None = None) -> Decision:
    """Decide for a title whose page would have text hash ``sha1``.

    ``first`` is the page's first revision, when it was read (after a crash, or an
    ``articleexists`` answer): a page the bot created with this text is the bot's even if a
    person has edited it since.
    """
    if info.invalid:
        return Decision(Action.INVALID, f"invalidtitle: {info.invalid}")
    if not info.exists:
        if info.create_protection:
            return Decision(
                Action.PROTECTED, f"protectedtitle: create-protected ({info.create_protection})"
            )
        return Decision(Action.CREATE)
    if info.user == bot and info.sha1 == sha1:
        return Decision(Action.OWN, "already on wiki (bot's)", info.revid)
    if first is not None and first.user == bot and first.sha1 == sha1:
        return Decision(Action.OWN, f"created by bot; last edit by {info.user}", first.revid)
    note = "bot's earlier page with different text" if info.user == bot else "page exists"
    if info.nobots:
        note += "; {{nobots}}"
    return Decision(Action.EXISTS, note)


# --- the subject: is this article already on the wiki, under any of its names? ------------


class Subject(StrEnum):
    """What the wiki holds for an article's subject (``classify``)."""

    NEW = "new"  # no candidate name is a page: create it (and its free redirects)
    SAME = "same"  # a candidate is (or redirects to) a page with this text: never create
    TAKEN = "taken"  # the title is another subject's page: create under the qualified title
    OTHER = "other"  # the title is another subject's page and no qualified title is free
    UNSURE = "unsure"  # cannot tell: do not create; the review queue


@dataclass(frozen=True, slots=True)
class Limits:
    """The similarity thresholds (``[run] same_subject``, ``other_subject``) and the fewest
    words a page needs before it can be called another subject (``min_subject_words``)."""

    same: float
    other: float
    min_words: int


@dataclass(frozen=True, slots=True)
class Match:
    """A candidate name that exists on the wiki, the page behind it and how alike it is."""

    name: str
    page: str  # the page itself, or the redirect's target
    similarity: float
    words: int  # words of plain text on that page
    editor: str | None = None  # its last editor
    revid: int | None = None

    @property
    def via(self) -> str:
        """How the page was reached: by its own title or through a redirect."""
        return "page" if self.name == self.page else f"redirect [[{self.name}]]"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The subject class, where to create (``title``, "" for nowhere), the page that decided
    it, and the note the ledger and the reports keep."""

    subject: Subject
    title: str = ""
    match: Match | None = None
    note: str = ""


def _judge(match: Match, limits: Limits) -> str:
    if match.words < limits.min_words:
        return "unsure"  # too short to tell one subject from another
    if match.similarity >= limits.same:
        return "same"
    if match.similarity <= limits.other:
        return "other"
    return "unsure"


def classify(
    title: str, fallback: str, matches: list[Match], limits: Limits, *, fallback_free: bool
) -> Verdict:
    """Decide an article's subject class from the candidate names that exist on the wiki.

    A page shorter than ``limits.min_words`` is too short to judge either way: unsure.

    ``title`` is the article's own title, ``fallback`` its qualified title ("" if none) and
    ``fallback_free`` whether that title is missing on the wiki. A page of another subject
    (low similarity, long enough to judge) is ignored, unless it stands at the title: then the
    article goes to the fallback. One page of the same subject means never create; a page
    between the thresholds, or several possible pages, means unsure.
    """
    pages: dict[str, Match] = {}
    for m in matches:
        if m.page not in pages or m.similarity > pages[m.page].similarity:
            pages[m.page] = m
    judged = {page: _judge(m, limits) for page, m in pages.items()}
    possible = [pages[p] for p, j in judged.items() if j != "other"]
    if len(possible) > 1:
        names = ", ".join(f"[[{m.page}]] {m.similarity:.2f}" for m in possible)
        return Verdict(Subject.UNSURE, "", possible[0], f"unsure: several candidates ({names})")
    if possible:
        m = possible[0]
        if judged[m.page] == "same":
            return Verdict(
                Subject.SAME,
                "",
                m,
                f"same subject as [[{m.page}]] ({m.via}, similarity {m.similarity:.2f})",
            )
        return Verdict(
            Subject.UNSURE,
            "",
            m,
            f"unsure: [[{m.page}]] ({m.via}, similarity {m.similarity:.2f}, {m.words} words)",
        )
    at_title = next((m for m in matches if m.name == title), None)
    if at_title is None:
        return Verdict(Subject.NEW, title)
    why = f"[[{at_title.page}]] is another subject (similarity {at_title.similarity:.2f})"
    if fallback and fallback_free:
        return Verdict(
            Subject.TAKEN, fallback, at_title, f"title taken: {why}; created as [[{fallback}]]"
        )
    reason = "no qualified title" if not fallback else f"[[{fallback}]] is taken too"
    return Verdict(Subject.OTHER, "", at_title, f"title taken: {why}; {reason}")
