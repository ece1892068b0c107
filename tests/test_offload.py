"""The body read and segmented in a second process (``uploader.parse.offload``) gives what
one process gives.

Same drafts with the same order notes at the same places, same articles and report, the same
error at the same place for a file that breaks mid-body; the child is stopped when the reading
stops early, a dead child is one line, and a process with threads (where forking is unsafe)
reads the body itself.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests import docxgen as g
from tests import hostile
from tests.probe_volume import _abbreviation
from tests.test_pool import _upload
from tests.test_word_quirks import QUIRKS, _entry, _volume
from uploader.config import Limits
from uploader.errors import InputError, UploaderError
from uploader.parse import offload
from uploader.parse.offload import Segmenting, can_offload, drafts_of
from uploader.parse.package import open_volume
from uploader.parse.records import article_record
from uploader.parse.segment import Draft, TextLimits
from uploader.parse.volume import iter_articles
from uploader.parse.zipread import LimitExceeded
from uploader.report import Report, Review

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this system"
)


@pytest.fixture(scope="module")
def quirks_volume(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every Word quirk of the quirk tests in one volume (tables, text boxes, numbering,
    legacy fonts, fields, deleted marks, equations, pictures), and an article holding a
    list of headwords far out of order (order notes from the segmentation)."""
    folder = tmp_path_factory.mktemp("offload")
    entries = [_entry(k) for k in range(len(QUIRKS))]
    return g.write_docx(_volume([*entries, _abbreviation()]), folder / "vol.docx")


SEGMENTING = Segmenting("vol.docx", 60, TextLimits(20_000, 200_000))


class _Hook:
    """The ``offload`` callable: counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


Read = tuple[list[tuple[Draft, int]], Report, str | None]


def _read(path: Path, hook: _Hook | None) -> Read:
    """The drafts made before the reading stopped (each with the number of review items
    the report held when it came), the report, and the error that stopped the reading."""
    got: list[tuple[Draft, int]] = []
    report = Report()
    try:
        with open_volume(path) as pkg:
            for draft in drafts_of(pkg, report, SEGMENTING, hook):
                got.append((draft, len(report.review)))
    except UploaderError as exc:
        return got, report, str(exc)
    return got, report, None


@needs_fork
def test_offload_drafts_and_notes_same_as_one_process(quirks_volume: Path) -> None:
    hook = _Hook()
    with open_volume(quirks_volume) as pkg:
        assert can_offload(pkg)
    here = _read(quirks_volume, None)
    there = _read(quirks_volume, hook)
    assert here[2] is None and hook.calls == 1
    assert len(here[0]) >= len(QUIRKS) + 1
    order = [i.headword for i in here[1].review if i.kind is Review.ORDER]
    assert "ТМД" in order  # a list item far out of order: a note in the middle of the volume
    assert there == here


@needs_fork
def test_offload_articles_and_report_same_as_one_process(quirks_volume: Path) -> None:
    runs = []
    for hook in (None, _Hook()):
        report = Report()
        records = [article_record(a) for a in iter_articles(quirks_volume, report, offload=hook)]
        runs.append((records, report.review, report.warnings, report.quarantined))
    assert runs[0] == runs[1]
    assert len(runs[0][0]) > len(QUIRKS)
    assert any(item.kind is Review.ORDER for item in runs[0][1])


# Files that break in the middle of the body, or whose body is refused as it is read.
BREAKING = ["document-bomb", "giant-unclosed", "empty-paragraphs-bomb", "giant-paragraph"]


@needs_fork
@pytest.mark.parametrize("name", BREAKING)
def test_offload_error_same_as_one_process(name: str, tmp_path: Path) -> None:
    path = hostile.hostile_file(tmp_path, name)
    here = _read(path, None)
    there = _read(path, _Hook())
    assert there == here


@needs_fork
def test_offload_truncated_body_same_error(quirks_volume: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(quirks_volume) as zin:
        parts = {n: zin.read(n) for n in zin.namelist()}
    document = parts["word/document.xml"]
    parts["word/document.xml"] = document[: len(document) * 2 // 3]
    broken = tmp_path / "broken.docx"
    with zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    here = _read(broken, None)
    assert here[2] is not None and "not well-formed XML" in here[2] and here[0]
    assert _read(broken, _Hook()) == here


@needs_fork
def test_offload_child_stopped_when_reading_stops(quirks_volume: Path) -> None:
    with open_volume(quirks_volume) as pkg:
        drafts: Iterator[Draft] = drafts_of(pkg, Report(), SEGMENTING, _Hook())
        first = next(drafts)
        children = multiprocessing.active_children()
        assert [c.name for c in children] == ["uploader-body-reader"]
        drafts.close()  # type: ignore[attr-defined]
    assert first.blocks[0].index >= 0
    assert not children[0].is_alive() and not multiprocessing.active_children()


@needs_fork
def test_offload_dead_child_is_one_line(
    quirks_volume: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dies(conn: object, pkg: object, segmenting: object) -> None:
        os._exit(9)

    monkeypatch.setattr(offload, "_serve", dies)
    with pytest.raises(UploaderError, match="--jobs 1") as caught:
        _read_raising(quirks_volume)
    assert "\n" not in str(caught.value)


def _read_raising(path: Path) -> list[Draft]:
    with open_volume(path) as pkg:
        return list(drafts_of(pkg, Report(), SEGMENTING, _Hook()))


def test_offload_with_threads_reads_here(quirks_volume: Path) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        hook = _Hook()
        with open_volume(quirks_volume) as pkg:
            assert not can_offload(pkg)
        got = _read(quirks_volume, hook)
        assert not multiprocessing.active_children()
        assert hook.calls == 1
    finally:
        stop.set()
        thread.join()
    assert got == _read(quirks_volume, None)


def test_offload_not_for_a_file_near_its_total_budget(quirks_volume: Path) -> None:
    """Where the whole file could reach ``max_total_bytes``, the two processes would count
    the budget differently: read in one."""
    with open_volume(quirks_volume) as pkg:
        total = sum(info.file_size for info in pkg.zf.infolist())
    tight = replace(Limits.load(), max_total_bytes=total - 1)
    with open_volume(quirks_volume, tight) as pkg:
        assert not can_offload(pkg)


@pytest.mark.parametrize(
    "error",
    [
        InputError("vol.docx", "is damaged", position="after body element 7"),
        InputError("vol.docx", "no position"),
        LimitExceeded("vol.docx", "word/document.xml", "max_document_bytes", 10, "inflates past"),
    ],
    ids=["input", "input-no-position", "limit"],
)
def test_input_error_survives_pickle(error: InputError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert str(back) == str(error)
    assert vars(back) == vars(error)


@needs_fork
def test_offload_parse_command_jobs_2_writes_the_same_records(quirks_volume: Path) -> None:
    outs = []
    for jobs in ("1", "2"):
        done = _upload("parse", "--jsonl", "--jobs", jobs, quirks_volume)
        outs.append((done.stdout, done.stderr))
    assert outs[0] == outs[1]
    assert outs[0][0].count("\n") > len(QUIRKS)
