"""Bot policy shared by every writing run (creations and updates): stop requests, the shutoff
page, the throttle between edits, the ``--max-edits`` limit, and the recorded run.

``Stopper`` turns SIGINT/SIGTERM and the STOP file into a resumable ``RunStopped``;
``EditPacer`` is asked before every write (STOP file, edit limit, shutoff page every
``shutoff_every`` edits, ``put_throttle`` seconds from the previous edit's start);
``recorded`` wraps a run so the ledger's runs table says how it ended.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from uploader.config import RunConfig
from uploader.errors import RunStopped, WikiError
from uploader.publish.wiki import ApiError

log = logging.getLogger("uploader.publish.policy")

STOP_FILE_POLL = 1.0  # seconds between looks at the STOP file during a long wait

DEFAULT_SHUTOFF_ALLOW = r"(?is)^\s*(run|true|yes)\b"


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
            if self.event.is_set() and self.reason.startswith("signal"):
                raise KeyboardInterrupt  # a second signal: stop now (the ledger is intact)
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
        """Sleep, but raise RunStopped at once if a stop is requested meanwhile (a signal at
        once, the STOP file within a second)."""
        end = time.monotonic() + max(0.0, seconds)
        while True:
            self.check()
            left = end - time.monotonic()
            if left <= 0:
                return
            if self.event.wait(min(left, STOP_FILE_POLL)):
                raise self.stopped(self.reason)


def shutoff_allows(text: str | None, allow: str = "") -> bool:
    """True when the shutoff page's text lets the bot run.

    With ``[run] shutoff_allow`` set, the text must match that regex (re.search); otherwise it
    must start with the word ``run``, ``true`` or ``yes`` (any case). A missing page stops.
    """
    if text is None:
        return False
    return re.search(allow or DEFAULT_SHUTOFF_ALLOW, text) is not None


class PageReader(Protocol):
    """What the pacer reads from the wiki: the shutoff page's text."""

    def page_text(self, title: str) -> str | None: ...


@dataclass
class EditPacer:
    """Asked before every write; counts the writes of one run (see the module docstring)."""

    site: PageReader
    settings: RunConfig
    stopper: Stopper
    clock: Callable[[], float] = time.monotonic
    edits: int = 0  # confirmed edits this run
    since_shutoff: int = 0  # writes sent since the shutoff page was last read
    last_edit: float | None = None  # when the previous write started

    def before_edit(self) -> None:
        """Raise RunStopped (STOP file, signal, edit limit, shutoff page), else wait out the
        throttle; return when the next write may be sent."""
        self.stopper.check()
        limit = self.settings.max_edits
        if limit and self.edits >= limit:
            raise self.stopper.stopped(f"reached the edit limit ({limit} edits)")
        if self.settings.shutoff_page and (
            self.last_edit is None or self.since_shutoff >= max(1, self.settings.shutoff_every)
        ):
            self._check_shutoff()
        if self.last_edit is not None:
            wait = self.last_edit + self.settings.put_throttle - self.clock()
            if wait > 0:
                self.stopper.sleep(wait)
        self.stopper.check()

    def sending(self) -> None:
        """A write is about to go out (the throttle counts from here)."""
        self.last_edit = self.clock()

    def sent(self) -> None:
        """A write went out (answered or not)."""
        self.since_shutoff += 1

    def confirmed(self) -> None:
        """A write was confirmed by the wiki (counts against ``--max-edits``)."""
        self.edits += 1

    def _check_shutoff(self) -> None:
        page = self.settings.shutoff_page
        text = self.site.page_text(page)
        self.since_shutoff = 0
        if not shutoff_allows(text, self.settings.shutoff_allow):
            log.warning("shutoff page %s does not allow running", page)
            raise self.stopper.stopped(f"the shutoff page [[{page}]] does not say the bot may run")


class RunRecord(Protocol):
    """The ledger's side of a recorded run."""

    def end_run(self, run_id: int, outcome: str) -> None: ...


@contextmanager
def recorded(ledger: RunRecord, run_id: int, stopper: Stopper) -> Iterator[list[str]]:
    """Run the body with signals routed to ``stopper``; record how the run ended.

    Yields a one-item list holding the outcome text ("done" unless the body raised);
    RunStopped, WikiError and crashes are recorded, then raised again.
    """
    ended = ["done"]
    try:
        with stopper.signals():
            yield ended
    except (RunStopped, WikiError) as exc:
        ended[0] = str(exc) if isinstance(exc, RunStopped) else f"error: {exc}"
        log.warning("run %d ended: %s", run_id, exc)
        raise
    except ApiError as exc:  # a read the wiki refused (e.g. assertuserfailed twice)
        ended[0] = f"error: {exc}"
        log.warning("run %d ended: %s", run_id, exc)
        raise WikiError(f"the wiki refused a request ({exc}); fix that") from None
    except KeyboardInterrupt:
        ended[0] = "stopped: interrupted"
        log.warning("run %d interrupted", run_id)
        raise
    except BaseException as exc:
        ended[0] = f"crashed: {type(exc).__name__}"
        log.exception("run %d crashed", run_id)
        raise
    finally:
        ledger.end_run(run_id, ended[0][:300])
