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
