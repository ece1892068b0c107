"""The publisher: creates new pages from the ledger's queue, safely and within bot policy.

``publish(pages, ledger, site, settings, volume=...)`` registers the pages in the ledger
(articles in source order, each followed by its redirects) and works through the queue;
``resume(ledger, site, settings)`` continues the last run from the ledger alone.

Per row: existence is checked in batches (one query for 50 titles, redirects followed), and
for an article every name its subject may already have on the wiki is looked up in the same
query (``uploader.publish.subjects``): a page of the same subject under any name means the
article is never created (``exists``, in the reconcile report); its title taken by another
subject means it is created under its qualified title; unsure means not created, for review.
A missing title is marked
``in_flight`` (committed), created with ``createonly`` in one request, then marked
``published`` with its revision id (committed). A title that exists is never written: if the
bot made it with the same text (SHA-1 match) the row is ``published``; otherwise ``exists``
and it goes into the collisions report. An ``articleexists`` answer, or an ``in_flight`` row
met again, is reconciled by reading the page (latest, then first revision). Redirects are
only created once their article is published.

Policy: writes are spaced ``put_throttle`` seconds apart (from the previous edit's start);
``maxlag`` goes with every request; transient errors are retried with backoff a bounded
number of times, then the run stops (resumable); per-article errors fail that row only.
The run stops (resumably) on the shutoff page, the STOP file, SIGINT/SIGTERM (after the
current edit), ``--max-edits``, and ten per-article failures in a row.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from uploader.config import RunConfig
from uploader.errors import ConfigError, WikiError
from uploader.model import Page
from uploader.publish import recovery
from uploader.publish.collisions import Collision, ledger_collisions, write_collisions
from uploader.publish.decide import Action, Decision, Subject, Verdict, decide
from uploader.publish.ledger import Entry, Item, Ledger, State, expand
from uploader.publish.policy import EditPacer, Stopper, recorded
from uploader.publish.policy import shutoff_allows as shutoff_allows  # re-exported
from uploader.publish.reconcile import ledger_reconcile, reconcile_row, write_reconcile
from uploader.publish.runlog import run_log
from uploader.publish.subjects import Survey, Wanted, explain, limits_of
from uploader.publish.wiki import ApiError, PageInfo, Revision
from uploader.report import Report, Review

log = logging.getLogger("uploader.publish.runner")

MAX_FAILURES_IN_A_ROW = 10
STOP_FILE_POLL = 1.0  # seconds between looks at the STOP file during a long wait


class Site(Protocol):
    """What the runner needs from the wiki (``uploader.publish.wiki.WikiClient`` in production)."""

    user: str

    @property
    def requests(self) -> int: ...

    def page_infos(self, titles: Iterable[str]) -> dict[str, PageInfo]: ...

    def page_texts(self, titles: Iterable[str]) -> dict[str, tuple[int, str]]: ...

    def first_revision(self, title: str) -> Revision | None: ...

    def page_text(self, title: str) -> str | None: ...

    def create(self, title: str, text: str, summary: str) -> int: ...

    def created_since(self, since: float | None) -> set[str]: ...


@dataclass
class Outcome:
    """What a run did: counts per result, confirmed edits, API requests, and why it ended."""

    volume: str
    run_id: int | None = None
    created: int = 0  # confirmed new pages (edits)
    own: int = 0  # already on the wiki from the bot, same text: recorded published
    exists: int = 0  # collisions left alone (same subject and unsure included)
    forgotten: int = 0  # pages the bot made that the ledger had lost (see recovery.py)
    failed: int = 0
    skipped: int = 0
    same: int = 0  # articles whose subject the wiki already has (not created)
    unsure: int = 0  # articles not created: maybe on the wiki (review queue)
    qualified: int = 0  # articles created under their qualified title (title taken)
    requests: int = 0
    seconds: float = 0.0
    collisions_report: Path | None = None
    reconcile_report: Path | None = None
    log_file: Path | None = None
    ended: str = "done"

    def line(self) -> str:
        """A one-line summary for the operator."""
        return (
            f"volume {self.volume}: {self.created} created, {self.own} already ours, "
            f"{self.exists} exist (collisions), {self.failed} failed, {self.skipped} skipped; "
            f"subjects on the wiki: {self.same} same, {self.unsure} unsure, "
            f"{self.qualified} qualified; "
            f"{self.requests} API requests in {self.seconds:.1f}s"
            + (
                f"; WARNING: the ledger had lost {self.forgotten} page(s) the bot created "
                "(deleted -wal or old copy?); found on the wiki and recorded as ours"
                if self.forgotten
                else ""
            )
            + (f"; collisions: {self.collisions_report}" if self.collisions_report else "")
            + (f"; reconcile: {self.reconcile_report}" if self.reconcile_report else "")
            + (f"; log: {self.log_file}" if self.log_file else "")
        )


class Progress(Protocol):
    """The bits of tqdm the runner uses."""

    def update(self, n: int = 1) -> Any: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> Any: ...

    def close(self) -> Any: ...


class _NoProgress:
    def update(self, n: int = 1) -> None:
        return None

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        return None

    def close(self) -> None:
        return None


def _progress(total: int, enabled: bool, volume: str) -> Progress:
    if not enabled:
        return _NoProgress()
    from uploader.progress import progress  # a bar on a terminal, plain lines in a log

    bar: Progress = progress(total, f"volume {volume}", unit="pages", file=sys.stderr)
    return bar


@dataclass
class Runner:
    """Works through one volume's queue; see the module docstring for the rules."""

    ledger: Ledger
    site: Site
    settings: RunConfig
    volume: str
    run_id: int
    stopper: Stopper
    progress: Progress = field(default_factory=_NoProgress)
    clock: Callable[[], float] = time.monotonic
    outcome: Outcome = field(init=False)
    pacer: EditPacer = field(init=False)
    _fail_streak: int = 0
    _started: float = 0.0
    _articles: dict[str, State] = field(default_factory=dict)
    _retitled: set[str] = field(default_factory=set)
    survey: Survey = field(init=False)
    _forgotten: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.volume, self.run_id)
        self.survey = Survey(self.site, self.ledger, limits_of(self.settings))
        self.pacer = EditPacer(self.site, self.settings, self.stopper, self.clock)

    def run(self) -> Outcome:
        """Process every pending/in-flight row of the volume, in source order."""
        self._started = self.clock()
        requests0 = self.site.requests
        batch: list[Item] = []
        try:
            self.stopper.check()
            created = self.site.created_since(recovery.since(self.ledger, self.run_id))
            self._forgotten = recovery.forgotten(self.ledger, self.volume, created)
            for item in self.ledger.actionable(self.volume):
                batch.append(item)
                if len(batch) >= max(1, self.settings.batch_size):
                    self._batch(batch)
                    batch = []
            if batch:
                self._batch(batch)
        finally:
            self.outcome.requests = self.site.requests - requests0
            self.outcome.seconds = self.clock() - self._started
        return self.outcome

    def _batch(self, batch: list[Item]) -> None:
        """Check the batch's titles and its articles' names in one batched query (the
        re-check just before its writes), read the pages found, then act on each row."""
        self.stopper.check()
        wanted = {item.id: wanted_of(item) for item in batch if not item.is_redirect}
        titles = [item.title for item in batch]
        titles += [name for want in wanted.values() for name in want.lookups]
        infos = self.site.page_infos(titles)
        self.survey.read_pages(wanted.values(), infos)
        for item in batch:
            if item.is_redirect and item.pos in self._retitled:
                item = self.ledger.get(item.id)  # now points to the qualified title
            want = wanted.get(item.id)
            if want is None:
                self._one(item, infos[item.title])
            else:
                self._article(item, want, infos)
            self.progress.update(1)
            self._show_eta()

    def _show_eta(self) -> None:
        edits = self.pacer.edits
        if not edits or isinstance(self.progress, _NoProgress):
            return
        remaining = self.ledger.remaining(self.volume)
        per_edit = max(self.settings.put_throttle, (self.clock() - self._started) / edits)
        eta = remaining * per_edit
        self.progress.set_postfix_str(f"{edits} edits, ETA {eta / 3600:.1f}h")

    # --- one row ------------------------------------------------------------------------

    def _one(self, item: Item, info: PageInfo) -> None:
        if item.is_redirect:
            parent = self._article_state(item)
            if parent is not State.PUBLISHED:
                self._mark(item, State.SKIPPED, reason=f"article {item.target!r} is {parent}")
                return
        self._act(item, info, self._own_or_base(item, info))

    def _own_or_base(self, item: Item, info: PageInfo) -> Decision:
        """The decision from what stands under the title; a page met again after a crash
        (in flight) or one the ledger lost (see recovery.py) is judged by its first revision."""
        first = None
        ours = info.user == self.site.user and info.sha1 == item.sha1
        lost = recovery.wiki_title(item.title) in self._forgotten
        if info.exists and not ours and (item.state is State.IN_FLIGHT or lost):
            first = self.site.first_revision(item.title)
        decision = decide(item.sha1, info, self.site.user, first)
        if lost and decision.action is Action.OWN:
            self.outcome.forgotten += 1
        return decision

    def _article(self, item: Item, want: Wanted, infos: dict[str, PageInfo]) -> None:
        """An article row: the bot's own page, or else the subject verdict decides."""
        info = infos[item.title]
        base = self._own_or_base(item, info)
        if base.action in (Action.OWN, Action.INVALID, Action.PROTECTED):
            self._act(item, info, base)
            return
        verdict = self.survey.judge(want, infos)
        if verdict.subject in (Subject.NEW, Subject.TAKEN):
            target = verdict.title if item.title == want.title else item.title
            if target != item.title:
                self.ledger.retitle(item, target)
                self._retitled.add(item.pos)
                item = dataclasses.replace(item, title=target)
                info = infos[target]
                base = decide(item.sha1, info, self.site.user)
            if verdict.subject is Subject.TAKEN:
                self._record(item, want, verdict)
                self.outcome.qualified += 1
            self._act(item, info, base)
            return
        self._record(item, want, verdict)
        match = verdict.match
        note = verdict.note + ("; {{nobots}}" if info.nobots else "")
        self._mark(
            item,
            State.EXISTS,
            reason=note[:500],
            wiki_user=(match.editor if match else None) or info.user,
            wiki_size=info.size,
        )
        self.outcome.exists += 1
        if verdict.subject is Subject.SAME:
            self.outcome.same += 1
        elif verdict.subject is Subject.UNSURE:
            self.outcome.unsure += 1

    def _record(self, item: Item, want: Wanted, verdict: Verdict) -> None:
        """Keep the verdict (with the page's creator and what we would add) in the ledger."""
        found = explain(self.survey, want, verdict)
        match = verdict.match
        self.ledger.record_subject(
            item.id,
            str(verdict.subject),
            page=match.page if match else "",
            via=match.via if match else "",
            similarity=match.similarity if match else None,
            creator=found.creator,
            editor=match.editor if match else None,
            adds=found.adds,
            note=verdict.note,
        )

    def _article_state(self, item: Item) -> State:
        state = self._articles.get(item.pos)
        if state is None:
            state = self.ledger.article_state(item.volume, item.pos) or State.SKIPPED
        return state

    def _act(self, item: Item, info: PageInfo, decision: Decision) -> None:
        """Carry out the decision for one row."""
        action, note = decision.action, decision.note
        if action is Action.CREATE:
            self._create(item)
        elif action is Action.OWN:
            self._mark(item, State.PUBLISHED, revid=decision.revid, reason=note)
            self.outcome.own += 1
        elif action is Action.EXISTS:
            self._mark(item, State.EXISTS, reason=note, wiki_user=info.user, wiki_size=info.size)
            self.outcome.exists += 1
        else:  # invalid or create-protected: never sent
            self._mark(item, State.FAILED, reason=note)

    def _create(self, item: Item) -> None:
        self.pacer.before_edit()
        self._mark(item, State.IN_FLIGHT, attempt=True)
        self.pacer.sending()
        try:
            revid = self.site.create(item.title, item.text, item.summary)
        except ApiError as err:
            self._edit_error(item, err)
            return
        finally:
            self.pacer.sent()
        self._mark(item, State.PUBLISHED, revid=revid, edit=True)
        self.pacer.confirmed()
        self._fail_streak = 0
        self.outcome.created += 1

    def _edit_error(self, item: Item, err: ApiError) -> None:
        if err.code == "articleexists":
            info = self.site.page_infos([item.title])[item.title]
            if info.exists:
                first = self.site.first_revision(item.title)
                self._act(item, info, decide(item.sha1, info, self.site.user, first))
            else:  # deleted again in between: try later
                self._mark(item, State.PENDING, reason="articleexists, then missing")
            return
        if err.run_level:
            self._mark(item, State.PENDING, reason=f"{err.code}: {err.info}")
            raise WikiError(f"wiki refused the bot ({err.code}: {err.info}); fix and resume")
        self._mark(item, State.FAILED, reason=f"{err.code}: {err.info}"[:500])
        self._fail_streak += 1
        if self._fail_streak >= MAX_FAILURES_IN_A_ROW:
            raise WikiError(
                f"{self._fail_streak} articles failed in a row (last: {err.code}); "
                "stopped, check the log and resume"
            )

    def _mark(self, item: Item, state: State, **kw: Any) -> None:
        self.ledger.mark(item.id, state, run_id=self.run_id, **kw)
        if not item.is_redirect:
            self._articles[item.pos] = state
        if state is State.FAILED:
            self.outcome.failed += 1
        elif state is State.SKIPPED:
            self.outcome.skipped += 1
        if state is not State.IN_FLIGHT:
            log.info(
                "%s %s [%s]%s %s",
                state,
                item.title,
                item.pos,
                f" rev {kw['revid']}" if kw.get("revid") else "",
                kw.get("reason", ""),
            )


# --- runs ---------------------------------------------------------------------------------


def collisions_dir(settings: RunConfig, volume: str) -> Path:
    """Where a volume's collisions report goes: next to the ledger."""
    return settings.ledger.parent / "collisions" / str(volume)


def reconcile_dir(settings: RunConfig, volume: str) -> Path:
    """Where a volume's reconcile report goes: next to the ledger."""
    return settings.ledger.parent / "reconcile" / str(volume)


def wanted_of(item: Item | Entry) -> Wanted:
    """An article row (or a dry run's entry) as the survey sees it."""
    original = getattr(item, "original", "") or item.title
    return Wanted(
        original,
        item.names or (original,),
        item.fallback,
        item.plain,
        item.text,
        item.sha1,
    )


def _live(site: Site | Callable[[], Site]) -> Site:
    if hasattr(site, "page_infos"):
        return site  # type: ignore[return-value]
    return site()


def run_queue(
    ledger: Ledger,
    site: Site | Callable[[], Site],
    settings: RunConfig,
    *,
    volume: str,
    args: dict[str, Any] | None = None,
    stopper: Stopper | None = None,
    progress: bool = False,
    log_dir: Path | None = None,
) -> Outcome:
    """Work through a volume's queue as one recorded run (site may be a lazy factory,
    called only when there is work). With ``log_dir``, the run logs to a file there.

    Raises RunStopped / WikiError after recording the run's outcome; the ledger stays
    consistent and ``resume`` continues.
    """
    stopper = stopper or Stopper(settings.stop_file)
    run_id = ledger.start_run(volume, args or {})
    with ExitStack() as stack:
        log_file = stack.enter_context(run_log(log_dir, run_id, volume)) if log_dir else None
        log.info("run %d: volume %s, args %s", run_id, volume, args or {})
        outcome = _run_recorded(ledger, site, settings, volume, run_id, stopper, progress)
        outcome.log_file = log_file
        return outcome
    raise AssertionError("unreachable")  # pragma: no cover


def _run_recorded(
    ledger: Ledger,
    site: Site | Callable[[], Site],
    settings: RunConfig,
    volume: str,
    run_id: int,
    stopper: Stopper,
    progress: bool,
) -> Outcome:
    remaining = ledger.remaining(volume)
    bar = _progress(remaining, progress and remaining > 0, volume)
    outcome = Outcome(volume, run_id)
    ended = ["done"]
    try:
        with recorded(ledger, run_id, stopper) as ended:
            if remaining:
                stopper.check()  # a signal during start-up: stop before logging in
                runner = Runner(ledger, _live(site), settings, volume, run_id, stopper, bar)
                outcome = runner.run()
    finally:
        bar.close()
        outcome.ended = ended[0]
        collisions = ledger_collisions(ledger, volume)
        if collisions:
            outcome.collisions_report = write_collisions(
                collisions, collisions_dir(settings, volume)
            )
        outcome.reconcile_report = write_reconcile(
            ledger_reconcile(ledger, volume), reconcile_dir(settings, volume)
        )
    log.info("run %d done: %s", run_id, outcome.line())
    return outcome


def publish(
    pages: Iterable[Page],
    ledger: Ledger,
    site: Site | Callable[[], Site],
    settings: RunConfig,
    *,
    volume: str,
    args: dict[str, Any] | None = None,
    stopper: Stopper | None = None,
    progress: bool = False,
    log_dir: Path | None = None,
) -> Outcome:
    """Register ``pages`` for ``volume`` in the ledger, then publish its queue (see module)."""
    ledger.register(pages, str(volume))
    return run_queue(
        ledger,
        site,
        settings,
        volume=str(volume),
        args=args,
        stopper=stopper,
        progress=progress,
        log_dir=log_dir,
    )


def resume(
    ledger: Ledger,
    site: Site | Callable[[], Site],
    settings: RunConfig,
    *,
    stopper: Stopper | None = None,
    progress: bool = False,
    log_dir: Path | None = None,
) -> Outcome:
    """Continue the last run's volume from the ledger alone."""
    last = ledger.last_run()
    if last is None:
        raise ConfigError(f"{ledger.path}: no run to resume; start one with: upload volume N")
    return run_queue(
        ledger,
        site,
        settings,
        volume=last.volume,
        args={"resume": last.id},
        stopper=stopper,
        progress=progress,
        log_dir=log_dir,
    )


# --- dry run ------------------------------------------------------------------------------


@dataclass
class DryRun:
    """What a real run would do, per title; nothing was written to the wiki or the queue
    (the ledger only remembers the wiki pages read, as a real run would)."""

    volume: str
    new: list[str] = field(default_factory=list)  # titles that would be created
    own: list[str] = field(default_factory=list)  # bot's page with our text already
    exists: list[str] = field(default_factory=list)  # left alone: a page stands there
    invalid: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # already final in the ledger
    skipped: list[str] = field(default_factory=list)  # redirects to an article not created
    same: list[str] = field(default_factory=list)  # articles whose subject the wiki has
    unsure: list[str] = field(default_factory=list)  # articles not created, for review
    qualified: list[str] = field(default_factory=list)  # created under the qualified title
    collisions_report: Path | None = None
    reconcile_report: Path | None = None
    preview: Path | None = None

    def line(self) -> str:
        """One-line summary."""
        return (
            f"volume {self.volume} (dry run): {len(self.new)} new, {len(self.own)} already "
            f"ours, {len(self.exists)} exist (collisions), {len(self.protected)} "
            f"create-protected, {len(self.invalid)} invalid, {len(self.skipped)} skipped, "
            f"{len(self.done)} done before; subjects on the wiki: {len(self.same)} same, "
            f"{len(self.unsure)} unsure, {len(self.qualified)} qualified; "
            f"collisions: {self.collisions_report}; reconcile: {self.reconcile_report}; "
            f"preview: {self.preview}"
        )


@dataclass
class _Dry:
    """The dry run's working state: results, collisions, reconcile rows."""

    result: DryRun
    survey: Survey
    infos: dict[str, PageInfo]
    bot: str
    collisions: list[Collision] = field(default_factory=list)
    reconcile: list[dict[str, str]] = field(default_factory=list)
    created: dict[str, str] = field(default_factory=dict)  # pos -> title it would have

    def title(self, e: Entry, action: Action) -> None:
        lists = {
            Action.CREATE: self.result.new,
            Action.OWN: self.result.own,
            Action.EXISTS: self.result.exists,
            Action.PROTECTED: self.result.protected,
            Action.INVALID: self.result.invalid,
        }
        lists[action].append(e.title)

    def collide(self, e: Entry, info: PageInfo, note: str, user: str | None = None) -> None:
        self.collisions.append(
            Collision(e.title, info.size, user or info.user, note, e.pos, e.text)
        )

    def article(self, e: Entry) -> None:
        info = self.infos[e.title]
        base = decide(e.sha1, info, self.bot)
        if base.action in (Action.OWN, Action.INVALID, Action.PROTECTED):
            self.title(e, base.action)
            if base.action is Action.OWN:
                self.created[e.pos] = e.title
            return
        want = wanted_of(e)
        verdict = self.survey.judge(want, self.infos)
        if verdict.subject in (Subject.NEW, Subject.TAKEN):
            title = verdict.title
            base = decide(e.sha1, self.infos[title], self.bot)
            self.title(dataclasses.replace(e, title=title), base.action)
            if base.action is Action.CREATE:
                self.created[e.pos] = title
            if verdict.subject is Subject.TAKEN:
                self.result.qualified.append(title)
                self.reconcile.append(reconcile_row(e, explain(self.survey, want, verdict)))
            return
        found = explain(self.survey, want, verdict)
        self.reconcile.append(reconcile_row(e, found))
        note = verdict.note + ("; {{nobots}}" if info.nobots else "")
        self.result.exists.append(e.title)
        self.collide(e, info, note, verdict.match.editor if verdict.match else None)
        if verdict.subject is Subject.SAME:
            self.result.same.append(e.title)
        elif verdict.subject is Subject.UNSURE:
            self.result.unsure.append(e.title)

    def redirect(self, e: Entry) -> None:
        if e.pos not in self.created:
            self.result.skipped.append(e.title)
            return
        decision = decide(e.sha1, self.infos[e.title], self.bot)
        self.title(e, decision.action)
        if decision.action is Action.EXISTS:
            self.collide(e, self.infos[e.title], decision.note)


def dry_run(
    pages: Iterable[Page],
    ledger: Ledger,
    site: Site,
    settings: RunConfig,
    *,
    volume: str,
    report: Report | None = None,
) -> DryRun:
    """Classify every title of ``pages`` against the wiki without writing anything: the
    same verdicts a real run would act on (its subject classes included). Unsure articles
    go into ``report``'s review queue; the collisions and reconcile reports are written."""
    result = DryRun(str(volume))
    final = {
        (it.pos, it.redirect): it.state
        for it in ledger.items(str(volume))
        if it.state in (State.PUBLISHED, State.EXISTS)
    }
    entries = [e for page in pages for e in expand(page)]
    todo = [e for e in entries if (e.pos, e.redirect) not in final]
    result.done = [e.title for e in entries if (e.pos, e.redirect) in final]
    wanted = [wanted_of(e) for e in todo if not e.redirect]
    titles = [e.title for e in todo] + [n for w in wanted for n in w.lookups]
    infos = site.page_infos(titles)
    survey = Survey(site, ledger, limits_of(settings))
    survey.read_pages(wanted, infos)
    dry = _Dry(result, survey, infos, site.user)
    dry.created.update(
        {pos: "" for (pos, redirect), s in final.items() if not redirect and s is State.PUBLISHED}
    )
    for e in todo:
        if e.redirect:
            dry.redirect(e)
        else:
            dry.article(e)
    if report is not None:
        for row in dry.reconcile:
            if row["subject"] == Subject.UNSURE:
                report.flag(Review.EXISTING, row["source"], row["note"], row["title"])
        report.reconcile.extend(dry.reconcile)
    out = collisions_dir(settings, str(volume)) / "dry-run"
    result.collisions_report = write_collisions(dry.collisions, out)
    result.reconcile_report = write_reconcile(
        dry.reconcile, reconcile_dir(settings, str(volume)) / "dry-run"
    )
    return result
