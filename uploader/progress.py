"""Progress output: a bar on a terminal, a plain line every few hundred items elsewhere.

A log file or a pipe gets no bar frames (a run's log once held hundreds of them): where
stderr is not a terminal, ``progress`` prints one line such as ``volume 2: 600/3784 pages``
every ``every`` items and one at the end. tqdm is imported only when a bar is drawn.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

EVERY = 500  # items between two plain lines


class Progress:
    """A progress display with tqdm's ``update``/``set_postfix_str``/``close``."""

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done."""

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        """Show ``s`` after the count."""

    def close(self) -> None:
        """End the display."""


class _Lines(Progress):
    """Plain lines, one every ``every`` items and one when closed."""

    def __init__(self, total: int | None, desc: str, unit: str, file: TextIO, every: int):
        self.total, self.desc, self.unit, self.file, self.every = total, desc, unit, file, every
        self.done = 0
        self.postfix = ""
        self._printed = -1

    def update(self, n: int = 1) -> None:
        before = self.done
        self.done += n
        if self.done // self.every != before // self.every:
            self._line()

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        self.postfix = s

    def close(self) -> None:
        if self._printed != self.done:
            self._line()

    def _line(self) -> None:
        of = f"/{self.total}" if self.total is not None else ""
        extra = f" ({self.postfix})" if self.postfix else ""
        self.file.write(f"{self.desc}: {self.done}{of} {self.unit}{extra}\n")
        self.file.flush()
        self._printed = self.done


def is_terminal(file: TextIO) -> bool:
    """True when ``file`` is an interactive terminal."""
    try:
        return bool(file.isatty())
    except (AttributeError, ValueError):
        return False


def progress(
    total: int | None,
    desc: str,
    *,
    unit: str = "pages",
    enabled: bool = True,
    file: TextIO | None = None,
    every: int = EVERY,
) -> Progress:
    """A progress display on ``file`` (stderr): a tqdm bar on a terminal, else plain lines."""
    stream = file if file is not None else sys.stderr
    if not enabled:
        return Progress()
    if not is_terminal(stream):
        return _Lines(total, desc, unit, stream, max(1, every))
    from tqdm import tqdm

    # No monitor thread: a process with a thread may not fork (``uploader.cores.can_fork``),
    # and the parse and render fork their helpers once the bar is up.
    tqdm.monitor_interval = 0
    bar: Any = tqdm(total=total, file=stream, unit=f" {unit}", desc=desc, dynamic_ncols=True)
    return bar
