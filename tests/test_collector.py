"""The collector's tuning for a batch run: a larger young generation, nothing else changed."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from uploader import cli
from uploader.collector import YOUNG_THRESHOLD, keep_to_the_end, tune_for_batch


@pytest.fixture
def thresholds() -> Iterator[None]:
    """Put the collector back as it was after the test."""
    before, enabled = gc.get_threshold(), gc.isenabled()
    try:
        yield
    finally:
        gc.set_threshold(*before)
        (gc.enable if enabled else gc.disable)()
        gc.unfreeze()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ((700, 10, 10), (YOUNG_THRESHOLD, 10, 10)),  # CPython's default: raised
        ((1000, 5, 20), (YOUNG_THRESHOLD, 5, 20)),  # the older generations kept as set
        ((YOUNG_THRESHOLD * 2, 10, 10), (YOUNG_THRESHOLD * 2, 10, 10)),  # higher: kept
    ],
)
def test_tune_for_batch_thresholds(
    thresholds: None, given: tuple[int, int, int], expected: tuple[int, int, int]
) -> None:
    gc.set_threshold(*given)
    tune_for_batch()
    assert gc.get_threshold() == expected


def test_tune_for_batch_keeps_a_disabled_collector_disabled(thresholds: None) -> None:
    gc.disable()
    tune_for_batch()
    assert not gc.isenabled()


def test_tune_for_batch_still_frees_cycles(thresholds: None) -> None:
    gc.set_threshold(700, 10, 10)
    tune_for_batch()
    gc.collect()
    before = len(gc.get_objects(generation=0))
    for _ in range(YOUNG_THRESHOLD * 3):  # cycles only the collector can free
        node: list[object] = []
        node.append(node)
    assert len(gc.get_objects(generation=0)) - before < YOUNG_THRESHOLD + 100


def test_tune_for_batch_runs_before_every_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(cli, "tune_for_batch", lambda: calls.append("tuned"))
    result = CliRunner().invoke(cli.main, ["parse", str(tmp_path / "missing.docx")])
    assert result.exit_code != 0  # the file is missing; the collector was tuned first
    assert calls == ["tuned"]


def test_keep_to_the_end_spares_the_live_objects_later_walks(thresholds: None) -> None:
    kept = [[k] for k in range(10_000)]  # a parsed volume, say
    frozen = gc.get_freeze_count()
    keep_to_the_end()
    assert gc.get_freeze_count() >= frozen + len(kept)
    assert gc.get_count()[0] == 0  # the young generation starts empty
    after = gc.get_freeze_count()
    del kept  # still freed by reference counting: the frozen count drops
    assert gc.get_freeze_count() <= after - 10_000


def test_tune_for_batch_freezes_at_exit() -> None:
    """The interpreter's exit collection finds everything frozen (the check is registered
    first, so it runs after the collector's own exit hook)."""
    probe = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 1000))\n"
        "from uploader.collector import tune_for_batch\n"
        "tune_for_batch(); tune_for_batch()\n"
        "kept = [[k] for k in range(5000)]\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out == "frozen True\n"
