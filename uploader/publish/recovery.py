"""Noticing a ledger that lost state: the wiki's record of the bot's new pages against ours.

A ledger is committed edit by edit, but an operator can still lose the tail of it: delete
the ``-wal`` file after a crash, copy only the main file, restore an old backup. The ledger
then looks older than the wiki: rows the bot published read ``pending`` again (or the ledger
is empty). Publishing stays safe (``createonly`` never overwrites), but a page the bot made
and a person edited since would look like somebody else's page, a collision.

So at the start of every run the publisher asks the wiki which pages the bot created since
the ledger's last known run (``list=usercontribs``, ``ucshow=new``, with an hour's slack for
clocks) and compares: a title the bot created that the ledger still has to do is
*forgotten*. The run warns about them and reads their first revision before deciding, so a
page whose first revision is the bot's with our text is recorded as ours, never as a human's
collision.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from uploader.publish.ledger import Ledger

log = logging.getLogger("uploader.publish.recovery")

SLACK = 3600.0  # seconds before the last known run to look from (clock differences)


def wiki_title(title: str) -> str:
    """A title as the wiki reports it (spaces, first letter upper), for comparisons."""
    title = title.replace("_", " ").strip()
    return title[:1].upper() + title[1:]


def since(ledger: Ledger, run_id: int) -> float | None:
    """Where to look from: the start of the last run before ``run_id``, less the slack
    (None when the ledger knows no earlier run: look at all of the bot's new pages)."""
    row = ledger.db.execute("SELECT max(started) FROM runs WHERE id < ?", (run_id,)).fetchone()
    return None if row is None or row[0] is None else float(row[0]) - SLACK


def forgotten(ledger: Ledger, volume: str, created: Iterable[str]) -> frozenset[str]:
    """Titles (wiki form) the bot ``created`` that the ledger still has as ``pending``."""
    made = {wiki_title(t) for t in created}
    if not made:
        return frozenset()
    # in_flight rows are the crash case the ledger knows about (settled by the runner)
    rows = ledger.db.execute(
        "SELECT title FROM items WHERE volume=? AND state='pending'", (volume,)
    )
    todo = {wiki_title(row[0]) for row in rows}
    lost = frozenset(made & todo)
    if lost:
        log.warning(
            "the ledger lost state: the wiki lists %d page(s) the bot created that the "
            "ledger still has to do (was its -wal file deleted or an old copy restored?); "
            "each is checked by its first revision and recorded as the bot's, e.g. %s",
            len(lost),
            sorted(lost)[0],
        )
    return lost
