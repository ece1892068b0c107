"""What surrounds every publishing run: one run per ledger, signals from the first moment,
and a stop that always ends with the command to continue.

``exclusive_run`` is entered before the volume is read and the bot logs in, so a signal
during start-up or login stops the run cleanly (recorded ``stopped``, never left
``running``), and a second run on the same ledger is refused before it does anything.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from uploader.errors import RunStopped, WikiError
from uploader.publish.lock import run_lock
from uploader.publish.runner import Stopper
from uploader.publish.wiki import ApiError


@contextmanager
def stops_with_hint(hint: str | None) -> Iterator[None]:
    """Inside: an API error is a WikiError, a Ctrl-C a RunStopped, and each such stop
    ends with ``continue with: <hint>`` (when a hint is given)."""
    try:
        yield
    except ApiError as exc:
        raise WikiError(_with(f"the wiki refused a request ({exc}); fix that", hint)) from None
    except KeyboardInterrupt:
        raise RunStopped(_with("stopped: interrupted; the ledger is intact", hint)) from None
    except (WikiError, RunStopped) as exc:
        if hint and hint not in str(exc):
            raise type(exc)(_with(str(exc), hint)) from None
        raise


def _with(message: str, hint: str | None) -> str:
    return f"{message}; continue with: {hint}" if hint else message


@contextmanager
def exclusive_run(ledger: Path, stopper: Stopper, command: str) -> Iterator[None]:
    """Hold the ledger's run lock, route SIGINT/SIGTERM to ``stopper`` and add the resume
    command to every stop, for the whole of a publishing command."""
    with stopper.signals(), run_lock(ledger, command), stops_with_hint(stopper.resume_hint):
        yield
