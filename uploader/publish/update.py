"""The second pass: bring the bot's own pages up to date with the current rendering.

``update(pages, ledger, site, settings, volume=..., summaries=...)`` matches the rendering to
the ledger's published articles (``uploader.publish.match``), reads the wiki's current state
of their titles in batches, and per page decides (``decide_update``):

- the latest revision is the bot's and its SHA-1 is the one the ledger recorded: edit to the
  new text (``nocreate``, ``baserevid``; an edit conflict is a skip, see ``WikiClient.edit``
  on why no ``basetimestamp``), move
  to a new title first when the title changed (leaving a redirect; a taken title is a skip);
- the text and title are the same: nothing;
- anyone else edited it since: never written; the update report shows the person's and the
  bot's versions side by side for a person to merge;
- gone from the volume, or not matched with confidence: report only.

Exactly once: each edit and move is recorded ``in_flight`` (committed) before its request
and settled after; a run that died in between is settled from the wiki at the next run's
start (is there a revision by the bot with the new SHA-1 after the base? does the move log
show the move?). ``dry_run_update`` plans the same way and sends nothing. Writes obey the
same policy as creations (``uploader.publish.policy``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol, TypeVar

from uploader.config import RunConfig
from uploader.errors import WikiError
from uploader.model import Page
from uploader.publish.ledger import Ledger, Published, Update, UpdateState
from uploader.publish.match import Fresh, Matching, Pair, fresh_articles, headword_key, match
from uploader.publish.policy import EditPacer, Stopper, recorded
from uploader.publish.runlog import run_log
from uploader.publish.update_report import write_update_report
from uploader.publish.wiki import ApiError, PageInfo, Revision, Saved

log = logging.getLogger("uploader.publish.update")

MAX_FAILURES_IN_A_ROW = 10
T = TypeVar("T")
CONFLICT_CODES = frozenset({"editconflict", "edit-conflict"})


class UpdateSite(Protocol):
    """What the update pass needs from the wiki (``WikiClient`` in production)."""

    user: str

    @property
    def requests(self) -> int: ...

    def page_infos(self, titles: Iterable[str]) -> dict[str, PageInfo]: ...

    def page_text(self, title: str) -> str | None: ...

    def edit(self, title: str, text: str, summary: str, *, baserevid: int) -> Saved: ...

    def move(self, old: str, new: str, reason: str) -> None: ...

    def revisions_since(self, title: str, revid: int) -> list[Revision]: ...

    def moves_from(self, title: str) -> list[tuple[str, str]]: ...


class Step(StrEnum):
    """What the update pass does with one published article."""

    EDIT = "edit"  # the bot's page, new text
    MOVE = "move"  # the bot's page, new title, same text
    MOVE_EDIT = "move+edit"  # new title and new text
    NONE = "unchanged"  # same title, same text
    HUMAN = "edited by someone else"  # never overwritten: report for a person to merge
    TAKEN = "new title taken"
    BLOCKED = "new title not possible"  # invalid or create-protected
    MISSING = "page missing"  # not on the wiki under its title any more
    GONE = "gone from the volume"
    UNSURE = "match unsure"
    CONFLICT = "edit conflict"  # at run time: someone saved between the read and the write
    MERGED = "merged by the wiki"  # at run time: saved, merged with someone's newer edit
    FAILED = "failed"


WRITES = frozenset({Step.EDIT, Step.MOVE, Step.MOVE_EDIT})


@dataclass(frozen=True, slots=True)
class Change:
    """What one write changes and why, for its edit summary."""

    title: str  # the page's title after the change
    old_title: str  # before a move ("" when not moved)
    source: str  # the article's position in the volume
    text_changed: bool
    text_why: str  # "source" (the volume's text was corrected), "render" or "" (unknown)
    title_why: str  # "headword" (the headword was corrected), "naming" or ""


Summaries = Callable[[Change], str]


@dataclass(frozen=True, slots=True)
class Planned:
    """One published article's step, with what the report needs to show it."""

    step: Step
    title: str  # the page's title on the wiki now
    new_title: str = ""
    note: str = ""
    old: Published | None = None
    new: Fresh | None = None
    info: PageInfo | None = None  # the wiki's state of ``title`` when planned
    wiki_text: str | None = None  # the person's version (HUMAN steps), for the report

    @property
    def text_changed(self) -> bool:
        """The rendering's text differs from what the bot sent before."""
        return self.old is not None and self.new is not None and self.old.sha1 != self.new.sha1


def decide_update(
    old: Published, new: Fresh, at_old: PageInfo, at_new: PageInfo | None, bot: str
) -> tuple[Step, str]:
    """The step for a matched article, from the wiki's state of its old and new titles."""
    renamed = new.title != old.title
    changed = new.sha1 != old.sha1
    if at_old.invalid or not at_old.exists:
        if changed or renamed:
            return Step.MISSING, f"«{old.title}» is not on the wiki (deleted or moved by someone)"
        return Step.NONE, "not on the wiki; nothing new from the volume"
    ours = at_old.user == bot and at_old.sha1 == old.sha1
    if changed and not renamed and at_old.user == bot and at_old.sha1 == new.sha1:
        return Step.NONE, "the wiki has the new text already"
    if not changed and not renamed:
        return Step.NONE, "" if ours else f"edited by {at_old.user}; nothing new from the volume"
    if not ours:
        who = at_old.user if at_old.user != bot else "someone (its text is not the bot's)"
        return Step.HUMAN, f"edited by {who} since the bot's revision; merge by hand"
    if not renamed:
        return Step.EDIT, "text changed"
    if at_new is None or at_new.invalid:
        return Step.BLOCKED, f"«{new.title}»: {at_new.invalid if at_new else 'unknown'}"
    if at_new.exists:
        return Step.TAKEN, f"«{new.title}» is taken (last edit by {at_new.user})"
    if at_new.create_protection:
        return Step.BLOCKED, f"«{new.title}» is create-protected ({at_new.create_protection})"
    return (Step.MOVE_EDIT, "title and text changed") if changed else (Step.MOVE, "title changed")


def plan_pairs(pairs: list[Pair], site: UpdateSite) -> list[Planned]:
    """The steps for matched articles, from one batched read of their old and new titles
    (and, for pages a person edited, their current text for the report)."""
    titles = [p.old.title for p in pairs] + [
        p.new.title for p in pairs if p.new.title != p.old.title
    ]
    infos = site.page_infos(titles) if titles else {}
    out = []
    for pair in pairs:
        at_old = infos[pair.old.title]
        at_new = infos.get(pair.new.title) if pair.new.title != pair.old.title else None
        step, note = decide_update(pair.old, pair.new, at_old, at_new, site.user)
        wiki_text = site.page_text(pair.old.title) if step is Step.HUMAN else None
        out.append(
            Planned(
                step, pair.old.title, pair.new.title, note, pair.old, pair.new, at_old, wiki_text
            )
        )
    return out


def unmatched_steps(matching: Matching) -> list[Planned]:
    """Report-only steps for published articles without a sure counterpart."""
    out = [
        Planned(Step.GONE, row.title, note="no article of the volume is this one now", old=row)
        for row in matching.gone
    ]
    out += [Planned(Step.UNSURE, u.old.title, note=u.reason, old=u.old) for u in matching.unsure]
    return out


def batches(pairs: list[Pair], size: int) -> Iterable[list[Pair]]:
    """The pairs in source order, ``size`` at a time."""
    for start in range(0, len(pairs), max(1, size)):
        yield pairs[start : start + max(1, size)]


# --- the plan (dry run) --------------------------------------------------------------------


@dataclass
class UpdatePlan:
    """What ``upload update`` would do; nothing was sent and nothing written to the ledger."""

    volume: str
    steps: list[Planned] = field(default_factory=list)
    new: int = 0  # articles not published yet (``upload volume`` creates them)
    in_flight: int = 0  # writes a stopped run left unsettled (settled by the next run)
    report: Path | None = None

    def count(self, *steps: Step) -> int:
        """How many steps are one of ``steps``."""
        return sum(1 for p in self.steps if p.step in steps)

    def skips(self) -> list[Planned]:
        """The steps that change something in the volume but will not be written."""
        return [p for p in self.steps if p.step not in WRITES and p.step is not Step.NONE]

    def line(self) -> str:
        """The plan in one line, then one line per skip with its reason."""
        edits = self.count(Step.EDIT, Step.MOVE_EDIT)
        moves = self.count(Step.MOVE, Step.MOVE_EDIT)
        head = (
            f"volume {self.volume} (update dry run): {edits} edits, {moves} moves, "
            f"{self.count(Step.NONE)} unchanged, {len(self.skips())} skipped, "
            f"{self.new} not yet published, {self.in_flight} in flight from a stopped run; "
            f"report: {self.report}"
        )
        return "\n".join([head, *(f"  skip «{p.title}»: {p.step}: {p.note}" for p in self.skips())])


def update_dir(settings: RunConfig, volume: str) -> Path:
    """Where a volume's update report goes: next to the ledger."""
    return settings.ledger.parent / "updates" / str(volume)


def _matching(ledger: Ledger, pages: Iterable[Page], volume: str) -> Matching:
    return match(ledger.published_articles(volume), fresh_articles(pages))


def dry_run_update(
    pages: Iterable[Page], ledger: Ledger, site: UpdateSite, settings: RunConfig, *, volume: str
) -> UpdatePlan:
    """Plan the update of ``volume`` against the wiki without writing anything."""
    matching = _matching(ledger, pages, volume)
    plan = UpdatePlan(volume, new=len(matching.new))
    plan.in_flight = len(ledger.updates(volume, UpdateState.IN_FLIGHT))
    for batch in batches(matching.pairs, settings.batch_size):
        plan.steps += plan_pairs(batch, site)
    plan.steps += unmatched_steps(matching)
    plan.report = write_update_report(
        volume, plan.steps, _plan_counts(plan), update_dir(settings, volume) / "dry-run"
    )
    return plan


def _plan_counts(plan: UpdatePlan) -> dict[str, int]:
    counts = {str(step): plan.count(step) for step in Step if plan.count(step)}
    counts["not yet published"] = plan.new
    return counts


# --- the run ---------------------------------------------------------------------------------


@dataclass
class UpdateOutcome:
    """What an update run did."""

    volume: str
    run_id: int | None = None
    edited: int = 0
    moved: int = 0
    unchanged: int = 0
    settled: int = 0  # in-flight writes of a stopped run found on the wiki
    skipped: list[Planned] = field(default_factory=list)
    failed: int = 0
    new: int = 0
    requests: int = 0
    seconds: float = 0.0
    report: Path | None = None
    log_file: Path | None = None
    ended: str = "done"

    def line(self) -> str:
        """A one-line summary for the operator."""
        return (
            f"volume {self.volume} (update): {self.edited} edited, {self.moved} moved, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped, {self.failed} failed, "
            f"{self.settled} settled from a stopped run, {self.new} not yet published; "
            f"{self.requests} API requests in {self.seconds:.1f}s; report: {self.report}"
            + (f"; log: {self.log_file}" if self.log_file else "")
        )


@dataclass
class Updater:
    """Carries out an update run; see the module docstring for the rules."""

    ledger: Ledger
    site: UpdateSite
    settings: RunConfig
    volume: str
    run_id: int
    stopper: Stopper
    summaries: Summaries
    clock: Callable[[], float] = time.monotonic
    outcome: UpdateOutcome = field(init=False)
    pacer: EditPacer = field(init=False)
    _fail_streak: int = 0

    def __post_init__(self) -> None:
        self.outcome = UpdateOutcome(self.volume, self.run_id)
        self.pacer = EditPacer(self.site, self.settings, self.stopper, self.clock)

    def run(self, pages: Iterable[Page]) -> UpdateOutcome:
        """Settle what a stopped run left in flight, then plan and carry out each batch."""
        started, requests0 = self.clock(), self.site.requests
        try:
            for up in self.ledger.updates(self.volume, UpdateState.IN_FLIGHT):
                self._settle(up)
            matching = _matching(self.ledger, pages, self.volume)
            self.outcome.new = len(matching.new)
            self.ledger.rekey(self.volume, {p.old.id: p.new.pos for p in matching.pairs})
            for batch in batches(matching.pairs, self.settings.batch_size):
                self.stopper.check()
                for planned in plan_pairs(batch, self.site):
                    self._do(planned)
            self.outcome.skipped += unmatched_steps(matching)
        finally:
            self.outcome.requests = self.site.requests - requests0
            self.outcome.seconds = self.clock() - started
        return self.outcome

    # --- settling a stopped run's writes -------------------------------------------------

    def _settle(self, up: Update) -> None:
        if up.kind == "move":
            landed = (self.site.user, up.new_title) in self.site.moves_from(up.old_title)
            revid = None
        else:
            revs = self.site.revisions_since(up.new_title, up.base_revid or 0)
            hit = [
                r
                for r in revs
                if r.revid != up.base_revid and r.user == self.site.user and r.sha1 == up.new_sha1
            ]
            landed, revid = bool(hit), (hit[0].revid if hit else None)
        if landed:
            self.ledger.finish_update(up.id, UpdateState.DONE, revid=revid, reason="settled")
            self.outcome.settled += 1
        else:
            self.ledger.finish_update(up.id, UpdateState.LOST, reason="never reached the wiki")
        log.info("settled %s %s → %s: %s", up.kind, up.old_title, up.new_title, landed)

    # --- one article -----------------------------------------------------------------------

    def _do(self, planned: Planned) -> None:
        old, new = planned.old, planned.new
        assert old is not None and new is not None and planned.info is not None
        if planned.step is Step.NONE:
            self.outcome.unchanged += 1
            if planned.text_changed and planned.info.sha1 == new.sha1:
                self._found(planned, planned.info)
            elif (old.headword, old.occurrence, old.source_sha1) != (
                new.headword,
                new.occurrence,
                new.source_sha1,
            ):
                self.ledger.note_identity(old.id, new.identity)
            return
        if planned.step not in WRITES:
            self._skip(planned)
            return
        if planned.step is Step.EDIT:
            self._edit(planned, planned.info, moved_from="")
            return
        if not self._move(planned) or planned.step is Step.MOVE:
            return
        info = self.site.page_infos([new.title])[new.title]
        if info.user == self.site.user and info.sha1 == old.sha1:
            self._edit(planned, info, moved_from=old.title)
        else:
            self._skip(planned, Step.HUMAN, f"edited by {info.user} right after the move")

    def _found(self, planned: Planned, info: PageInfo) -> None:
        """Record the new text as the bot's edit: the wiki has it already (no request)."""
        old, new = planned.old, planned.new
        assert old is not None and new is not None
        uid = self.ledger.begin_update(old.id, run_id=self.run_id, **_edit_row(planned, info))
        self.ledger.finish_update(
            uid,
            UpdateState.DONE,
            revid=info.revid,
            reason="found on the wiki",
            identity=new.identity,
        )

    def _change(self, planned: Planned, *, moved: bool, text: bool) -> Change:
        old, new = planned.old, planned.new
        assert old is not None and new is not None
        text_why = ""
        if old.source_sha1 and new.source_sha1:
            text_why = "source" if old.source_sha1 != new.source_sha1 else "render"
        title_why = ""
        if moved:
            title_why = (
                "headword"
                if old.headword and headword_key(old.headword) != headword_key(new.headword)
                else "naming"
            )
        return Change(
            new.title,
            old.title if moved else "",
            new.pos,
            text,
            text_why if text else "",
            title_why,
        )

    def _send(self, planned: Planned, send: Callable[[], T], **row: Any) -> tuple[int, T] | None:
        """One write: the policy check, the ``in_flight`` mark (committed), the request, the
        pacer's counts; the update id and the answer, or None when the wiki refused."""
        assert planned.old is not None
        self.pacer.before_edit()
        uid = self.ledger.begin_update(planned.old.id, run_id=self.run_id, **row)
        self.pacer.sending()
        try:
            answer = send()
        except ApiError as err:
            self._refused(uid, planned, err)
            return None
        finally:
            self.pacer.sent()
        self.pacer.confirmed()
        self._fail_streak = 0
        return uid, answer

    def _edit(self, planned: Planned, info: PageInfo, *, moved_from: str) -> None:
        old, new = planned.old, planned.new
        assert old is not None and new is not None and info.revid is not None
        base = info.revid
        summary = self.summaries(self._change(planned, moved=False, text=True))
        sent = self._send(
            planned,
            lambda: self.site.edit(info.title, new.text, summary, baserevid=base),
            **_edit_row(planned, info),
        )
        if sent is None:
            return
        uid, saved = sent
        revid = saved.newrevid or base
        if saved.oldrevid and saved.oldrevid != base:
            note = f"the wiki merged the bot's text with revision {saved.oldrevid}; check"
            self.ledger.finish_update(uid, UpdateState.MERGED, revid=revid, reason=note)
            self._skip(planned, Step.MERGED, note)
        else:
            self.ledger.finish_update(uid, UpdateState.DONE, revid=revid, identity=new.identity)
            self.outcome.edited += 1
        log.info(
            "edited %s rev %s%s",
            info.title,
            revid,
            f" (moved from {moved_from})" * bool(moved_from),
        )

    def _move(self, planned: Planned) -> bool:
        old, new, info = planned.old, planned.new, planned.info
        assert old is not None and new is not None and info is not None
        summary = self.summaries(self._change(planned, moved=True, text=False))
        sent = self._send(
            planned,
            lambda: self.site.move(old.title, new.title, summary),
            kind="move",
            old_title=old.title,
            new_title=new.title,
            old_sha1=old.sha1,
            new_sha1=old.sha1,
            base_revid=info.revid,
        )
        if sent is None:
            return False
        identity = None if planned.step is Step.MOVE_EDIT else new.identity
        self.ledger.finish_update(sent[0], UpdateState.DONE, identity=identity)
        self.outcome.moved += 1
        log.info("moved %s → %s", old.title, new.title)
        return True

    def _refused(self, uid: int, planned: Planned, err: ApiError) -> None:
        reason = f"{err.code}: {err.info}"[:500]
        if err.code in CONFLICT_CODES:
            self.ledger.finish_update(uid, UpdateState.SKIPPED, reason=reason)
            self._skip(planned, Step.CONFLICT, "someone saved the page between read and write")
            return
        if err.code == "articleexists":
            self.ledger.finish_update(uid, UpdateState.SKIPPED, reason=reason)
            self._skip(planned, Step.TAKEN, f"«{planned.new_title}» was taken meanwhile")
            return
        self.ledger.finish_update(uid, UpdateState.FAILED, reason=reason)
        if err.run_level:
            raise WikiError(f"wiki refused the bot ({err.code}: {err.info}); fix and resume")
        self.outcome.failed += 1
        self._skip(planned, Step.FAILED, reason)
        self._fail_streak += 1
        if self._fail_streak >= MAX_FAILURES_IN_A_ROW:
            raise WikiError(
                f"{self._fail_streak} updates failed in a row (last: {err.code}); "
                "stopped, check the log and run the update again"
            )

    def _skip(self, planned: Planned, step: Step | None = None, note: str = "") -> None:
        if step is not None:
            planned = Planned(
                step,
                planned.title,
                planned.new_title,
                note,
                planned.old,
                planned.new,
                planned.info,
                planned.wiki_text,
            )
        self.outcome.skipped.append(planned)
        log.info("skip %s: %s: %s", planned.title, planned.step, planned.note)


def _edit_row(planned: Planned, info: PageInfo) -> dict[str, Any]:
    """The updates row of an edit of page ``info`` to the planned new text."""
    assert planned.old is not None and planned.new is not None
    return {
        "kind": "edit",
        "old_title": info.title,
        "new_title": info.title,
        "old_sha1": planned.old.sha1,
        "new_sha1": planned.new.sha1,
        "base_revid": info.revid,
        "text": planned.new.text,
    }


def _outcome_counts(outcome: UpdateOutcome) -> dict[str, int]:
    counts: dict[str, int] = {
        "edited": outcome.edited,
        "moved": outcome.moved,
        "unchanged": outcome.unchanged,
        "settled from a stopped run": outcome.settled,
        "not yet published": outcome.new,
    }
    for planned in outcome.skipped:
        counts[str(planned.step)] = counts.get(str(planned.step), 0) + 1
    return counts


def update(
    pages: Iterable[Page],
    ledger: Ledger,
    site: UpdateSite,
    settings: RunConfig,
    *,
    volume: str,
    summaries: Summaries,
    args: dict[str, Any] | None = None,
    stopper: Stopper | None = None,
    log_dir: Path | None = None,
) -> UpdateOutcome:
    """Update the bot's pages of ``volume`` to ``pages`` as one recorded run (see module).

    Raises RunStopped / WikiError after recording the run and writing the report; running
    the update again continues.
    """
    stopper = stopper or Stopper(settings.stop_file)
    volume = str(volume)
    run_id = ledger.start_run(volume, {"update": True, **(args or {})})
    updater = Updater(ledger, site, settings, volume, run_id, stopper, summaries)
    ended = ["done"]
    with ExitStack() as stack:
        log_file = stack.enter_context(run_log(log_dir, run_id, volume)) if log_dir else None
        log.info("run %d: update of volume %s, args %s", run_id, volume, args or {})
        try:
            with recorded(ledger, run_id, stopper) as ended:
                updater.run(pages)
        finally:
            outcome = updater.outcome
            outcome.ended = ended[0]
            outcome.log_file = log_file
            outcome.report = write_update_report(
                volume, outcome.skipped, _outcome_counts(outcome), update_dir(settings, volume)
            )
        log.info("run %d done: %s", run_id, outcome.line())
    return outcome
