"""How many processes a job runs on (every core the process may use, one for a small file),
and whether this process may fork its helpers."""

from __future__ import annotations

import os
import threading
from pathlib import Path

PARALLEL_MIN_BYTES = 256 * 1024  # smaller volume files parse and render faster in one process


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def auto_jobs(path: Path) -> int:
    """Processes for parsing and rendering ``path`` by default: every core, or 1 for a small
    file."""
    try:
        big = path.stat().st_size >= PARALLEL_MIN_BYTES
    except OSError:
        big = False
    return default_jobs() if big else 1


def can_fork() -> bool:
    """Whether a child may be forked from this process: the system has ``fork`` and this
    process runs no other thread (a thread's locks would be copied held)."""
    import multiprocessing  # here: start-up of a one-process run does not need it

    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
