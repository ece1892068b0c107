"""The publisher: creates new pages from the ledger's queue, safely and within bot policy.

``publish(pages, ledger, site, settings, volume=...)`` registers the pages in the ledger
(articles in source order, each followed by its redirects) and works through the queue;
``resume(ledger, site, settings)`` continues the last run from the ledger alone.

Per row: existence is checked in batches (one query for 50 titles). A missing title is marked
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

import logging
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from uploader.config import RunConfig
from uploader.errors import ConfigError, RunStopped, WikiError
from uploader.model import Page
from uploader.publish.collisions import Collision, ledger_collisions, write_collisions
from uploader.publish.decide import Action, Decision, decide
from uploader.publish.ledger import Item, Ledger, State, expand
from uploader.publish.runlog import run_log
from uploader.publish.wiki import ApiError, PageInfo, Revision

log = logging.getLogger("uploader.publish.runner")

DEFAULT_SHUTOFF_ALLOW = r"(?is)^\s*(run|true|yes)\b"
MAX_FAILURES_IN_A_ROW = 10


class Site(Protocol):
    """What the runner needs from the wiki (``uploader.publish.wiki.WikiClient`` in production)."""

    user: str

    @property
    def requests(self) -> int: ...

    def page_infos(self, titles: Iterable[str]) -> dict[str, PageInfo]: ...

    def first_revision(self, title: str) -> Revision | None: ...

    def page_text(self, title: str) -> str | None: ...

    def create(self, title: str, text: str, summary: str) -> int: ...


@dataclass
class Outcome:
    """What a run did: counts per result, confirmed edits, API requests, and why it ended."""

    volume: str
    run_id: int | None = None
    created: int = 0  # confirmed new pages (edits)
    own: int = 0  # already on the wiki from the bot, same text: recorded published
    exists: int = 0  # collisions left alone
    failed: int = 0
    skipped: int = 0
    requests: int = 0
    seconds: float = 0.0
    collisions_report: Path | None = None
    log_file: Path | None = None
    ended: str = "done"

    def line(self) -> str:
        """A one-line summary for the operator."""
        return (
            f"volume {self.volume}: {self.created} created, {self.own} already ours, "
            f"{self.exists} exist (collisions), {self.failed} failed, {self.skipped} skipped; "
            f"{self.requests} API requests in {self.seconds:.1f}s"
            + (f"; collisions: {self.collisions_report}" if self.collisions_report else "")
            + (f"; log: {self.log_file}" if self.log_file else "")
        )


class Stopper:
    """Stop requests: SIGINT/SIGTERM, the STOP file; an interruptible sleep."""

    def __init__(self, stop_file: Path | None = None, resume_hint: str = "upload resume") -> None:
        self.event = threading.Event()
        self.reason = ""
        self.stop_file = stop_file
        self.resume_hint = resume_hint

    def request(self, reason: str) -> None:
        """Ask the run to stop after the current edit."""
        if not self.event.is_set():
            self.reason = reason
            self.event.set()

    @contextmanager
    def signals(self) -> Iterator[None]:
        """Route SIGINT/SIGTERM to ``request`` while inside (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, _frame: Any) -> None:
            if self.event.is_set() and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.request(f"signal {signal.Signals(signum).name}")

        old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, previous in old.items():
                signal.signal(sig, previous)

    def stopped(self, why: str) -> RunStopped:
        """A RunStopped naming the reason and the resume command."""
        return RunStopped(f"stopped: {why}; continue with: {self.resume_hint}")

    def check(self) -> None:
        """Raise RunStopped if a stop was requested or the STOP file exists."""
        if self.stop_file is not None and self.stop_file.exists():
            self.request(f"stop file {self.stop_file} exists (remove it first)")
        if self.event.is_set():
            raise self.stopped(self.reason)

    def sleep(self, seconds: float) -> None:
        """Sleep, but raise RunStopped at once if a stop is requested meanwhile."""
        if seconds > 0 and self.event.wait(seconds):
            raise self.stopped(self.reason)
        self.check()


def shutoff_allows(text: str | None, allow: str = "") -> bool:
    """True when the shutoff page's text lets the bot run.

    With ``[run] shutoff_allow`` set, the text must match that regex (re.search); otherwise it
    must start with the word ``run``, ``true`` or ``yes`` (any case). A missing page stops.
    """
    if text is None:
        return False
    return re.search(allow or DEFAULT_SHUTOFF_ALLOW, text) is not None


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
    _edits: int = 0
    _since_shutoff: int = 0
    _last_edit: float | None = None
    _fail_streak: int = 0
    _started: float = 0.0
    _articles: dict[str, State] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.outcome = Outcome(self.volume, self.run_id)

    def run(self) -> Outcome:
        """Process every pending/in-flight row of the volume, in source order."""
        self._started = self.clock()
        requests0 = self.site.requests
        batch: list[Item] = []
        try:
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
        self.stopper.check()
        infos = self.site.page_infos(item.title for item in batch)
        for item in batch:
            self._one(item, infos[item.title])
            self.progress.update(1)
            self._show_eta()

    def _show_eta(self) -> None:
        if not self._edits or isinstance(self.progress, _NoProgress):
            return
        remaining = self.ledger.remaining(self.volume)
        per_edit = max(
            self.settings.put_throttle, (self.clock() - self._started) / max(self._edits, 1)
        )
        eta = remaining * per_edit
        self.progress.set_postfix_str(f"{self._edits} edits, ETA {eta / 3600:.1f}h")

    # --- one row ------------------------------------------------------------------------

    def _one(self, item: Item, info: PageInfo) -> None:
        if item.is_redirect:
            parent = self._article_state(item)
            if parent is not State.PUBLISHED:
                self._mark(item, State.SKIPPED, reason=f"article {item.target!r} is {parent}")
                return
        first = None
        ours = info.user == self.site.user and info.sha1 == item.sha1
        if info.exists and item.state is State.IN_FLIGHT and not ours:
            first = self.site.first_revision(item.title)
        self._act(item, info, decide(item.sha1, info, self.site.user, first))

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
        self._before_edit()
        self._mark(item, State.IN_FLIGHT, attempt=True)
        self._last_edit = self.clock()
        try:
            revid = self.site.create(item.title, item.text, item.summary)
        except ApiError as err:
            self._edit_error(item, err)
            return
        finally:
            self._since_shutoff += 1
        self._mark(item, State.PUBLISHED, revid=revid, edit=True)
        self._edits += 1
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

    def _before_edit(self) -> None:
        self.stopper.check()
        limit = self.settings.max_edits
        if limit and self._edits >= limit:
            raise self.stopper.stopped(f"reached the edit limit ({limit} edits)")
        if self.settings.shutoff_page and (
            self._last_edit is None or self._since_shutoff >= max(1, self.settings.shutoff_every)
        ):
            self._check_shutoff()
        if self._last_edit is not None:
            wait = self._last_edit + self.settings.put_throttle - self.clock()
            if wait > 0:
                self.stopper.sleep(wait)
        self.stopper.check()

    def _check_shutoff(self) -> None:
        page = self.settings.shutoff_page
        text = self.site.page_text(page)
        self._since_shutoff = 0
        if not shutoff_allows(text, self.settings.shutoff_allow):
            log.warning("shutoff page %s does not allow running", page)
            raise self.stopper.stopped(f"the shutoff page [[{page}]] does not say the bot may run")

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
    ended = "done"
    outcome = Outcome(volume, run_id)
    try:
        if remaining:
            runner = Runner(ledger, _live(site), settings, volume, run_id, stopper, bar)
            with stopper.signals():
                outcome = runner.run()
    except (RunStopped, WikiError) as exc:
        ended = str(exc) if isinstance(exc, RunStopped) else f"error: {exc}"
        log.warning("run %d ended: %s", run_id, exc)
        raise
    except BaseException as exc:
        ended = f"crashed: {type(exc).__name__}"
        log.exception("run %d crashed", run_id)
        raise
    finally:
        bar.close()
        ledger.end_run(run_id, ended[:300])
        outcome.ended = ended
        collisions = ledger_collisions(ledger, volume)
        if collisions:
            outcome.collisions_report = write_collisions(
                collisions, collisions_dir(settings, volume)
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
    """What a real run would do, per title; nothing was written to the wiki or the ledger."""

    volume: str
    new: list[str] = field(default_factory=list)
    own: list[str] = field(default_factory=list)  # bot's page with our text already
    exists: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    protected: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # already final in the ledger
    collisions_report: Path | None = None
    preview: Path | None = None

    def line(self) -> str:
        """One-line summary."""
        return (
            f"volume {self.volume} (dry run): {len(self.new)} new, {len(self.own)} already "
            f"ours, {len(self.exists)} exist (collisions), {len(self.protected)} "
            f"create-protected, {len(self.invalid)} invalid, {len(self.done)} done before; "
            f"collisions: {self.collisions_report}; preview: {self.preview}"
        )


def dry_run(
    pages: Iterable[Page], ledger: Ledger, site: Site, settings: RunConfig, *, volume: str
) -> DryRun:
    """Classify every title of ``pages`` against the wiki without writing anything."""
    result = DryRun(str(volume))
    final = {
        (it.pos, it.redirect): it.state
        for it in ledger.items(str(volume))
        if it.state in (State.PUBLISHED, State.EXISTS)
    }
    entries = [e for page in pages for e in expand(page)]
    todo = [e for e in entries if (e.pos, e.redirect) not in final]
    result.done = [e.title for e in entries if (e.pos, e.redirect) in final]
    infos = site.page_infos(e.title for e in todo)
    collisions: list[Collision] = []
    lists = {
        Action.CREATE: result.new,
        Action.OWN: result.own,
        Action.EXISTS: result.exists,
        Action.PROTECTED: result.protected,
        Action.INVALID: result.invalid,
    }
    for e in todo:
        info = infos[e.title]
        decision = decide(e.sha1, info, site.user)
        lists[decision.action].append(e.title)
        if decision.action is Action.EXISTS:
            collisions.append(
                Collision(e.title, info.size, info.user, decision.note, e.pos, e.text)
            )
    out = collisions_dir(settings, str(volume)) / "dry-run"
    result.collisions_report = write_collisions(collisions, out)
    return result
