"""The cyclic garbage collector, tuned for a batch run.

A volume is hundreds of thousands of small objects (blocks, spans, articles, pages) that live
until the run ends or die young without cycles. With CPython's default threshold (a young
collection every 700 new container objects) the collector walks them again and again: about
0.1 s of CPU in each process of a preview. Letting the young generation grow to
``YOUNG_THRESHOLD`` objects first keeps every check the collector makes while costing less:
an object in a cycle is still freed, only a little later (the few megabytes the young
generation holds at most).
"""

from __future__ import annotations

import atexit
import gc

YOUNG_THRESHOLD = 50_000  # new container objects between two young collections


def tune_for_batch() -> None:
    """Let the collector's young generation grow to ``YOUNG_THRESHOLD`` objects (a higher
    threshold already set is kept; a disabled collector stays disabled), and freeze what is
    alive at exit (``keep_to_the_end``): the interpreter's final full collection would walk
    it all, tens of milliseconds after a volume, only to find nothing left to do."""
    young, middle, old = gc.get_threshold()
    if young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    atexit.unregister(keep_to_the_end)  # registered once, however often this is called
    atexit.register(keep_to_the_end)


def keep_to_the_end() -> None:
    """Every object alive now stays until the run ends (a parsed volume, before its pages
    are rendered): the collector stops walking them in every later collection, here and in
    processes forked from here, and the young generation starts empty. What becomes garbage
    later is still freed as ever (by reference counting; only a cycle among these objects
    would wait for the process to end)."""
    gc.freeze()
