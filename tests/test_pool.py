"""Both cores and one parse: ``volume all``, ``--jobs``, the content-keyed index cache.

The output of every multi-process path is compared byte for byte with the one-process path;
the preview path must not import the publisher's modules.
"""

from __future__ import annotations

import filecmp
import io
import multiprocessing
import os
import subprocess
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest

from samples.make_sample_volume import sample_volume
from tests import docxgen as dg
from uploader import pipeline
from uploader.config import DEFAULTS_DIR, load_config
from uploader.pipeline import iter_pages, title_index
from uploader.pipeline import pool as pool_module
from uploader.pipeline.pool import _collected
from uploader.progress import progress
from uploader.report import Report

ROOT = Path(__file__).resolve().parent.parent
needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork on this system"
)
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("UPLOADER_CONFIG", None)


def _upload(*args: str | Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "uploader", *map(str, args)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


def _same_tree(a: Path, b: Path) -> None:
    """Every file under ``a`` and ``b`` exists in both with the same bytes."""
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert files_a == files_b
    assert files_a
    different = [f for f in files_a if not filecmp.cmp(a / f, b / f, shallow=False)]
    assert different == []


@pytest.fixture(scope="module")
def volumes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Three volumes that point into each other, a bigger one, and a broken file."""
    tmp = tmp_path_factory.mktemp("volumes")
    v3 = dg.write_docx(
        dg.Volume([dg.article("ЕСІК", ["қала ", *dg.see("Алтын адам"), "."], title="Есік")]),
        tmp / "v3.docx",
    )
    v11 = dg.write_docx(
        dg.Volume(
            [
                dg.article(
                    "АЛТЫН АДАМ", ["сақ жерлеуі, ", *dg.see("Есік"), "."], title="Алтын адам"
                ),
                dg.article("АҚСУ", "өзен.", title="Ақсу"),
                dg.article("АҚСУ", "қала.", title="Ақсу"),
            ]
        ),
        tmp / "v11.docx",
    )
    big = dg.write_docx(dg.repeat_volume(sample_volume(), 3), tmp / "big.docx")
    bad = tmp / "bad.docx"
    bad.write_bytes(b"this is not a Word file")
    return {"3": v3, "11": v11, "big": big, "bad": bad}


def _config(folder: Path, volumes: dict[str, Path]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["[run]", f'ledger = "{folder / "state" / "ledger.sqlite3"}"', "[volumes]"]
    lines += [f'"{key}" = "{path}"' for key, path in volumes.items()]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_volume_all_jobs_1_and_2_write_the_same_bytes(
    tmp_path: Path, volumes: dict[str, Path]
) -> None:
    one = _config(tmp_path / "one", volumes)
    two = _config(tmp_path / "two", volumes)
    out1 = _upload("volume", "all", "--dry-run", "--offline", "--jobs", "1", "--config", one)
    out2 = _upload("volume", "all", "--dry-run", "--offline", "--jobs", "2", "--config", two)
    assert out1.stdout.replace("/one/", "/two/") == out2.stdout
    assert "volume bad: failed" in out1.stdout  # a failing volume is reported, the rest go on
    assert "\r" not in out1.stderr and "all volumes: " in out1.stderr  # lines, not bar frames
    _same_tree(tmp_path / "one" / "state" / "preview", tmp_path / "two" / "state" / "preview")
    index = (tmp_path / "two" / "state" / "preview" / "index.html").read_text(encoding="utf-8")
    assert 'href="big/report.html"' in index and "bad" in index


def test_volume_all_matches_one_volume_at_a_time(tmp_path: Path, volumes: dict[str, Path]) -> None:
    wanted = {k: v for k, v in volumes.items() if k != "bad"}
    every = _config(tmp_path / "every", wanted)
    single = _config(tmp_path / "single", wanted)
    _upload("volume", "all", "--dry-run", "--offline", "--jobs", "2", "--config", every)
    for key in ("big",):
        _upload("volume", key, "--dry-run", "--offline", "--config", single)
        _same_tree(
            tmp_path / "every" / "state" / "preview" / key,
            tmp_path / "single" / "state" / "preview" / key,
        )


def test_preview_jobs_1_and_2_write_the_same_bytes(
    tmp_path: Path, volumes: dict[str, Path]
) -> None:
    config = _config(tmp_path / "cfg", {"3": volumes["3"], "11": volumes["11"]})
    outs = []
    for run, jobs in enumerate(("1", "2", "2")):  # cold cache, then warm
        out = tmp_path / f"out{run}"
        done = _upload("preview", volumes["big"], "--out", out, "--jobs", jobs, "--config", config)
        outs.append((out, done.stdout))
    for out, stdout in outs[1:]:
        assert stdout == outs[0][1]
        _same_tree(outs[0][0], out)


def test_preview_path_leaves_publisher_modules_out(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from uploader.commands import run_preview\n"
        f"run_preview({str(DEFAULTS_DIR / 'sample-volume.docx')!r}, {str(tmp_path / 'out')!r}, "
        f"{str(_config(tmp_path, {}))!r})\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('pywikibot', 'requests')"
        " or m.startswith('uploader.publish')]\n"
        "print(bad)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_iter_pages_parses_each_volume_once(
    tmp_path: Path, volumes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    real_pipeline, real_index = pipeline._iter_articles, title_index.iter_articles

    def count_pipeline(path, report, volume, config, *rest):  # type: ignore[no-untyped-def]
        parsed.append(Path(path).name)
        return real_pipeline(path, report, volume, config, *rest)

    def count_index(path, **kw):  # type: ignore[no-untyped-def]
        parsed.append(Path(path).name)
        return real_index(path, **kw)

    monkeypatch.setattr(pipeline, "_iter_articles", count_pipeline)
    monkeypatch.setattr(title_index, "iter_articles", count_index)
    config = load_config(_config(tmp_path, {"3": volumes["3"], "11": volumes["11"]}))
    first = [p.wikitext for p in iter_pages(volumes["3"], config, Report())]
    assert sorted(parsed) == sorted(["v3.docx", "v11.docx", "sample-volume.docx"])
    parsed.clear()
    os.utime(volumes["3"], (1, 1))  # a touched file keeps its cache (keyed by content)
    again = [p.wikitext for p in iter_pages(volumes["3"], config, Report())]
    assert parsed == ["v3.docx"] and again == first
    assert "[[Алтын адам]]" in first[0]


def test_iter_pages_limit_keeps_the_report_of_a_streaming_run(
    tmp_path: Path, volumes: dict[str, Path]
) -> None:
    config = load_config(_config(tmp_path, {}))
    cold, warm = Report(), Report()
    pages = [p.title for p in iter_pages(volumes["big"], config, cold, limit=5)]
    assert [p.title for p in iter_pages(volumes["big"], config, warm, limit=5)] == pages
    assert len(pages) == 5
    assert (cold.warnings, cold.articles) == (warm.warnings, warm.articles)
    assert cold.articles == 6  # the parse read one article past the limit, as it always did


def test_render_pool_failed_chunk_quarantines_its_articles() -> None:
    future: Future[list[object]] = Future()
    future.set_exception(RuntimeError("worker died"))
    chunk = [("a", "d1"), ("b", "d2")]
    out = list(_collected(chunk, future))  # type: ignore[arg-type]
    assert [o[:2] for o in out] == chunk
    assert all("render failed in a worker" in str(o[2]) for o in out)


def test_progress_off_a_terminal_prints_plain_lines() -> None:
    out = io.StringIO()
    bar = progress(5, "volume 2", file=out, every=2)
    for _ in range(5):
        bar.update()
    bar.close()
    assert out.getvalue().splitlines() == [
        "volume 2: 2/5 pages",
        "volume 2: 4/5 pages",
        "volume 2: 5/5 pages",
    ]
    quiet = io.StringIO()
    progress(5, "x", file=quiet, enabled=False).update(5)
    assert quiet.getvalue() == ""


def _pages_and_report(path: Path, config_file: Path, jobs: int) -> tuple[list[str], Report]:
    report = Report()
    config = load_config(config_file)
    pages = [p.wikitext for p in iter_pages(path, config, report, jobs=jobs, write=False)]
    return pages, report


def _same_run(a: tuple[list[str], Report], b: tuple[list[str], Report]) -> None:
    assert a[0] == b[0] and a[0]
    assert (a[1].warnings, a[1].review, a[1].quarantined) == (
        b[1].warnings,
        b[1].review,
        b[1].quarantined,
    )


@needs_fork
def test_render_pool_forks_workers_after_the_parse(
    tmp_path: Path, volumes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path, {"3": volumes["3"], "11": volumes["11"]})
    forked: list[int] = []
    real = pool_module.RenderPool._forked

    def spy(self, items, index):  # type: ignore[no-untyped-def]
        forked.append(len(items))
        return real(self, items, index)

    monkeypatch.setattr(pool_module.RenderPool, "_forked", spy)
    one = _pages_and_report(volumes["big"], config, 1)
    assert forked == []
    _same_run(_pages_and_report(volumes["big"], config, 2), one)
    assert forked == [len(one[0]) + len(one[1].quarantined)]


def test_render_pool_with_a_thread_running_spawns_the_same(
    tmp_path: Path, volumes: dict[str, Path]
) -> None:
    """Where this process may not fork (a thread runs), the workers are spawned and sent the
    articles: the same pages and report."""
    config = _config(tmp_path, {"3": volumes["3"], "11": volumes["11"]})
    one = _pages_and_report(volumes["big"], config, 1)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        _same_run(_pages_and_report(volumes["big"], config, 2), one)
    finally:
        stop.set()
        thread.join()


_REAL_SPAN = pool_module._render_span


def _fails_first_chunk(start: int, stop: int) -> list[object]:
    """A forked worker's task that fails on the first chunk (found by name in the worker)."""
    if start == 0 and stop > 0:
        raise RuntimeError("worker fault")
    return _REAL_SPAN(start, stop)  # type: ignore[no-any-return]


@needs_fork
def test_render_pool_forked_worker_failure_quarantines_its_chunk(
    tmp_path: Path, volumes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path, {"3": volumes["3"], "11": volumes["11"]})
    one = _pages_and_report(volumes["big"], config, 1)
    monkeypatch.setattr(pool_module, "_render_span", _fails_first_chunk)
    pages, report = _pages_and_report(volumes["big"], config, 2)
    lost = min(pool_module.CHUNK, len(one[0]))
    assert pages == one[0][lost:]
    assert len(report.quarantined) == lost
    assert all("render failed in a worker process" in q.reason for q in report.quarantined)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_starts_no_thread() -> None:
    """A drawn bar must not cost the run its forked helpers (a thread forbids forking)."""
    before = threading.active_count()
    bar = progress(5, "volume 2", file=_Terminal())
    bar.update(5)
    assert threading.active_count() == before
    bar.close()


def _dies_on_first_chunk(start: int, stop: int) -> list[object]:
    """A forked worker's task whose process dies on the first chunk (a kill, an OOM)."""
    if start == 0 and stop > 0:
        os._exit(9)
    return _REAL_SPAN(start, stop)  # type: ignore[no-any-return]


@needs_fork
def test_render_pool_forked_worker_killed_run_goes_on(
    tmp_path: Path, volumes: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed worker breaks the pool: what it held is quarantined, the rest is rendered
    here, and every page that comes out is the one a single process makes."""
    config = _config(tmp_path, {"3": volumes["3"], "11": volumes["11"]})
    one = _pages_and_report(volumes["big"], config, 1)
    monkeypatch.setattr(pool_module, "_render_span", _dies_on_first_chunk)
    pages, report = _pages_and_report(volumes["big"], config, 2)
    assert report.quarantined and len(pages) + len(report.quarantined) == len(one[0])
    assert all("render failed in a worker process" in q.reason for q in report.quarantined)
    assert set(pages) <= set(one[0])
