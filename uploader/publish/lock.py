"""One run per ledger: an exclusive lock on ``<ledger>.lock`` for as long as a run lasts.

The lock is ``fcntl.flock`` on a file beside the ledger. The kernel drops it when the holder
exits, however it exits (SIGKILL, power cut, crash), so a lock file left behind by a dead run
is simply taken over: the lock, not the file, says whether a run is alive. The file holds
who took the lock (pid, host, start time, command) so the refusal can name the running
process. ``upload status`` and ``upload created`` only read and take no lock.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from uploader.errors import UploaderError

log = logging.getLogger("uploader.publish.lock")


class LedgerBusy(UploaderError):
    """Another run holds the ledger's lock; this one did nothing."""

    exit_code = 5


def lock_path(ledger: Path) -> Path:
    """The lock file of a ledger: ``<ledger>.lock`` beside it."""
    return ledger.with_name(ledger.name + ".lock")


def _read_holder(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, 4096, 0)
        data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "another process"
    since = holder.get("started")
    when = (
        time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(float(since)))
        if isinstance(since, int | float)
        else "an unknown time"
    )
    who = f"pid {holder.get('pid', '?')}"
    if holder.get("host") and holder.get("host") != socket.gethostname():
        who += f" on {holder['host']}"
    command = f" ({holder['command']})" if holder.get("command") else ""
    return f"{who}{command}, running since {when}"


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def run_lock(ledger: Path, command: str = "") -> Iterator[Path]:
    """Hold the ledger's run lock while inside; LedgerBusy at once if a live run holds it.

    A lock file left by a run that is gone is taken over (and logged).
    """
    path = lock_path(ledger)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            raise LedgerBusy(
                f"{ledger}: another run is using this ledger: {_describe(holder)}; "
                "wait for it to finish (or stop it: create the STOP file) and try again"
            ) from None
        previous = _read_holder(fd)
        if previous and previous.get("pid") != os.getpid():
            state = "still alive?" if _pid_alive(previous.get("pid")) else "gone"
            log.warning(
                "taking over a stale run lock %s left by %s (%s)",
                path,
                _describe(previous),
                state,
            )
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": time.time(),
            "command": command,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode("utf-8"), 0)
        try:
            yield path
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # releases the flock
