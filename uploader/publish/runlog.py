"""A log file per run under ``[run] log_dir``; attaches to the ``uploader`` logger only.

pywikibot's own logger is not attached (its debug output can include request parameters).
Nothing secret is ever passed to the ``uploader`` logger.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextmanager
def run_log(log_dir: Path, run_id: int, volume: str) -> Iterator[Path]:
    """Log the ``uploader`` logger to ``log_dir/run-<id>-<volume>-<time>.log`` while open."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    path = log_dir / f"run-{run_id:05d}-vol{volume}-{stamp}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("uploader")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield path
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()
