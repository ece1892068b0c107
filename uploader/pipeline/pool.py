"""Previewing many volumes on every core: one parse per volume, the title index built once.

``preview_volumes`` works in two steps, each spread over a pool of processes (spawn start
method: nothing is inherited but what is passed, and what is passed is file paths and small
records; the parsed volumes and the title index travel through pickle files in a temporary
folder):

1. every volume whose title-index cache is stale is parsed; its part of the index is cached
   and returned, and the parsed volume is kept in a pickle file for step 2;
2. the index is merged once, then every volume is rendered, validated and written to its
   own preview folder (from its pickle file, or parsed here when its cache was good).

Each volume is parsed exactly once. The results come back in the configured order, and a
volume gives the same files whichever process did it and however many there are (with
``jobs`` 1 everything runs in this process). A worker that fails is reported as a quarantine
of its volume; the other volumes go on.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from uploader.collector import keep_to_the_end
from uploader.config import Config, load_config
from uploader.cores import can_fork, default_jobs
from uploader.errors import ConfigError, UploaderError
from uploader.model import Article, Page, SourcePos
from uploader.pipeline import (
    Delta,
    ParsedVolume,
    ParseStream,
    Rendered,
    parse_volume,
    render_context,
    render_one,
    render_pages,
)
from uploader.pipeline.title_index import build_index, cached_index, store_index
from uploader.render.title_index import TitleIndex
from uploader.report import Report

if TYPE_CHECKING:
    from uploader.render import RenderContext

TICK = 100  # pages between two progress messages from a worker

Tick = Callable[[int], None]


@dataclass(frozen=True)
class VolumeTask:
    """One volume to preview: where it is, where its preview goes, how to validate."""

    volume: str
    path: Path
    out_dir: Path
    strict: bool | None = None
    keep_pages: bool = False  # send the pages back (a dry run against the wiki needs them)


@dataclass
class VolumeResult:
    """What previewing one volume gave: its counts and report, or why it failed."""

    volume: str
    path: Path
    out_dir: Path
    summary: dict[str, int] = field(default_factory=dict)
    report: Report = field(default_factory=Report)
    pages: list[Page] | None = None
    error: str = ""


@dataclass(frozen=True)
class _Shared:
    """What every worker reads: the config file, the merged index and notes files."""

    config_file: Path | None
    index_file: Path
    notes: tuple[str, ...]  # warnings from building the index, first in every volume's report


def preview_volumes(
    config: Config,
    tasks: Sequence[VolumeTask],
    jobs: int | None = None,
    tick: Tick | None = None,
    on_total: Callable[[int], None] | None = None,
    on_result: Callable[[VolumeResult], None] | None = None,
) -> list[VolumeResult]:
    """Preview every task's volume (see the module docstring); results in task order.

    ``tick(n)`` is called as pages are done (about every ``TICK`` pages), ``on_total(n)``
    once the number of articles is known (from the parse or the title-index cache), and
    ``on_result`` with each result in task order as it is ready (its pages are then dropped).
    """
    jobs = max(1, jobs or default_jobs())
    tick = tick or (lambda n: None)
    with tempfile.TemporaryDirectory(prefix="uploader-pool-") as tmp:
        work = Path(tmp)
        with _Workers(config, jobs, tick) as workers:
            step1 = _index_parts(config, tasks, work, workers)
            if on_total is not None:
                on_total(sum(step1.counts.values()))
            shared = _share(config, tasks, step1, work)
            futures = {
                task.volume: workers.submit(
                    _preview_task, shared[task.volume], task, step1.parsed.get(task.volume)
                )
                for task in tasks
                if task.volume not in step1.failed
            }
            results = []
            for task in tasks:
                if task.volume in step1.failed:
                    result = _failed(task, step1.failed[task.volume])
                else:
                    result = _result(task, futures[task.volume])
                if on_result is not None:
                    on_result(result)
                result.pages = None
                results.append(result)
            return results


@dataclass
class _Step1:
    parts: dict[Path, TitleIndex] = field(default_factory=dict)  # resolved path → index
    counts: dict[str, int] = field(default_factory=dict)  # volume → articles
    parsed: dict[str, Path] = field(default_factory=dict)  # volume → pickled ParsedVolume
    failed: dict[str, str] = field(default_factory=dict)  # volume → why it failed


def _index_parts(
    config: Config, tasks: Sequence[VolumeTask], work: Path, workers: _Workers
) -> _Step1:
    """Step 1: each volume's part of the index, from its cache or from parsing it now."""
    step = _Step1()
    cache = config.title_index_cache()
    pending: list[tuple[VolumeTask, Future[tuple[TitleIndex, int]]]] = []
    config_file = _config_file(config)
    for number, task in enumerate(tasks):
        if not task.path.is_file():
            continue  # reported by build_index, and by the parse in step 2
        cached = cached_index(task.path, cache, config.naming)
        if cached is not None:
            step.parts[task.path.resolve()] = cached
            step.counts[task.volume] = len(cached)
            continue
        step.parsed[task.volume] = work / f"parsed-{number}.pickle"
        future = workers.submit(
            _parse_task, config_file, task.volume, task.path, step.parsed[task.volume]
        )
        pending.append((task, future))
    for task, future in pending:
        try:
            part, step.counts[task.volume] = future.result()
        except ConfigError:
            raise
        except Exception as exc:
            step.failed[task.volume] = _why(exc)
            part = TitleIndex()
        step.parts[task.path.resolve()] = part
    return step


def _share(
    config: Config, tasks: Sequence[VolumeTask], step: _Step1, work: Path
) -> dict[str, _Shared]:
    """The merged title index (once; per volume when [render] title_index is off)."""
    config_file = _config_file(config)
    if not config.render.title_index:
        out = {}
        for number, task in enumerate(tasks):
            index_file = work / f"index-{number}.pickle"
            _dump(index_file, step.parts.get(task.path.resolve(), TitleIndex()))
            out[task.volume] = _Shared(config_file, index_file, ())
        return out
    notes = Report()
    index = build_index(
        config.volumes,
        cache_dir=config.title_index_cache(),
        report=notes,
        rules=config.naming,
        known=step.parts,
        limits=config.limits,
    )
    index_file = work / "index.pickle"
    _dump(index_file, index)
    shared = _Shared(config_file, index_file, tuple(notes.warnings))
    return {task.volume: shared for task in tasks}


class WorkerError(Exception):
    """A failure in a worker, as one line (exceptions are sent back as this: all pickle)."""


def _why(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, (UploaderError, WorkerError)) else repr(exc)


def _in_worker(func: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``func`` so that any failure reaches the parent as a ConfigError or WorkerError."""

    @functools.wraps(func)
    def run(*args: Any) -> Any:
        try:
            return func(*args)
        except ConfigError as exc:
            raise ConfigError(str(exc)) from None
        except UploaderError as exc:
            raise UploaderError(str(exc)) from None
        except Exception as exc:
            raise WorkerError(_why(exc)) from None

    return run


def _failed(task: VolumeTask, why: str) -> VolumeResult:
    report = Report()
    report.quarantine(SourcePos(task.path.name, 0, 0), f"volume {task.volume} failed: {why}")
    return VolumeResult(task.volume, task.path, task.out_dir, report=report, error=why)


def _result(task: VolumeTask, future: Future[VolumeResult]) -> VolumeResult:
    try:
        return future.result()
    except ConfigError:
        raise
    except Exception as exc:  # a worker died or failed: the volume is quarantined
        return _failed(task, _why(exc))


# --- the worker side ---------------------------------------------------------------------

_worker_config: dict[Path | None, Config] = {}
_worker_index: dict[Path, TitleIndex] = {}
_worker_tick: Tick | None = None


def _config_file(config: Config) -> Path | None:
    """The operator's config file the config was read from (None: the defaults)."""
    return config.sources[-1] if len(config.sources) > 1 else None


def _load(config_file: Path | None) -> Config:
    if config_file not in _worker_config:
        _worker_config[config_file] = load_config(config_file) if config_file else _defaults()
    return _worker_config[config_file]


def _defaults() -> Config:
    os.environ.pop("UPLOADER_CONFIG", None)  # the parent had none (else it is config_file)
    return load_config(None)


@_in_worker
def _parse_task(
    config_file: Path | None, volume: str, path: Path, parsed_file: Path
) -> tuple[TitleIndex, int]:
    """Step 1 in a worker: parse a volume, cache its index, keep the parse for step 2."""
    config = _load(config_file)
    parsed = parse_volume(path, config, volume)
    index = parsed.index()
    store_index(path, index, config.title_index_cache(), config.naming)
    _dump(parsed_file, replace(parsed, own=None))  # the index goes back on its own
    return index, len(parsed.articles)


@_in_worker
def _preview_task(shared: _Shared, task: VolumeTask, parsed_file: Path | None) -> VolumeResult:
    """Step 2 in a worker: render, validate and write one volume's preview."""
    from uploader.preview.writer import write_preview

    config = _load(shared.config_file)
    if shared.index_file not in _worker_index:
        _worker_index.clear()
        _worker_index[shared.index_file] = _undump(shared.index_file)
    index = _worker_index[shared.index_file]
    report = Report()
    report.warnings.extend(shared.notes)
    parsed: ParsedVolume | ParseStream
    if parsed_file is not None:
        parsed = _undump(parsed_file)
        parsed_file.unlink(missing_ok=True)
    else:  # its index came from the cache: parsed here, rendered as the parse goes
        parsed = ParseStream(task.path, config, task.volume)
    kept: list[Page] | None = [] if task.keep_pages else None
    pages = _counted(render_pages(parsed, config, report, index, strict=task.strict), kept)
    summary = write_preview(
        pages,
        task.out_dir,
        report,
        config.render.templates_dir,
        source=str(config.volumes.get(task.volume, task.path)),
    )
    return VolumeResult(task.volume, task.path, task.out_dir, summary, report, kept)


def _counted(pages: Iterable[Page], kept: list[Page] | None) -> Iterator[Page]:
    done = 0
    for page in pages:
        if kept is not None:
            kept.append(page)
        yield page
        done += 1
        if done % TICK == 0 and _worker_tick is not None:
            _worker_tick(TICK)
    if done % TICK and _worker_tick is not None:
        _worker_tick(done % TICK)


def _dump(path: Path, value: Any) -> None:
    with path.open("wb") as fh:
        pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)


def _undump(path: Path) -> Any:
    with path.open("rb") as fh:
        return pickle.load(fh)


def _init_worker(ticks: Any) -> None:
    global _worker_tick
    _worker_tick = ticks.put


class _Workers:
    """A process pool of ``jobs`` workers, or this process itself when ``jobs`` is 1."""

    def __init__(self, config: Config, jobs: int, tick: Tick) -> None:
        self.config = config
        self.jobs = jobs
        self.tick = tick
        self.pool: ProcessPoolExecutor | None = None
        self.ticks: Any = None
        self.reader: threading.Thread | None = None

    def __enter__(self) -> _Workers:
        global _worker_tick
        if self.jobs == 1:
            _worker_config[_config_file(self.config)] = self.config
            _worker_tick = self.tick
            return self
        context = multiprocessing.get_context("spawn")
        self.ticks = context.Queue()
        self.pool = ProcessPoolExecutor(
            self.jobs, mp_context=context, initializer=_init_worker, initargs=(self.ticks,)
        )
        self.reader = threading.Thread(target=self._read_ticks, daemon=True)
        self.reader.start()
        return self

    def _read_ticks(self) -> None:
        while (n := self.ticks.get()) is not None:
            self.tick(n)

    def submit(self, func: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``func(*args)`` in a worker (here, at once, when jobs is 1)."""
        if self.pool is not None:
            return self.pool.submit(func, *args)
        future: Future[Any] = Future()
        try:
            future.set_result(func(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def __exit__(self, *exc: object) -> None:
        global _worker_tick
        if self.pool is None:
            _worker_config.pop(_config_file(self.config), None)
            _worker_index.clear()
            _worker_tick = None
            return
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.ticks.put(None)
        if self.reader is not None:
            self.reader.join()
        self.ticks.close()


# --- one volume's articles rendered on several processes ------------------------------------

CHUNK = 48  # articles sent to a worker at a time
# Sends a chunk of work (the items, and where the chunk starts) to a worker.
Send = Callable[[list[tuple[Article, Delta]], int], "Future[list[Rendered]]"]


class RenderPool:
    """Worker processes that render and check articles of one volume for ``render_pages``.

    Where this process may fork (``can_fork``), ``render`` takes the whole parse first and
    then forks the workers, which share the parsed articles and the render context with it
    (nothing is pickled on the way there; the two processes of the parse keep both cores
    busy meanwhile). Otherwise ``start`` spawns the workers (they import and load the
    config while this process parses) and ``render`` sends them the articles in chunks. Either
    way ``render`` gives back, in order, each article with its delta and its rendering,
    keeping a few chunks in flight. A chunk whose worker failed gives each of its articles a
    render failure (quarantined like any other).
    """

    def __init__(self, config: Config, volume: str | None, strict: bool, jobs: int) -> None:
        # One worker per job: while this process parses or writes, the system shares the
        # cores out; once the parse is done (a cold title index) every core renders.
        self.config, self.volume, self.strict = config, volume, strict
        self.jobs = max(1, jobs)
        self.pool: ProcessPoolExecutor | None = None
        self.started = False
        self.blank: RenderContext | None = None  # the render context, before the index
        self.tmp = tempfile.TemporaryDirectory(prefix="uploader-render-")
        self.index_file = Path(self.tmp.name) / "index.pickle"

    def prepare(self) -> None:
        """The parse has begun (its reader forked, if it could be): spawn the workers now,
        so that they warm up during the parse, unless they can be forked after it; load the
        renderer here meanwhile (the reader is the slower of the parse's two processes)."""
        if not can_fork():
            self.start()
        self.context(None)

    def context(self, index: TitleIndex | None) -> RenderContext:
        """The render context of this volume with ``index`` (built once, templates and
        tables loaded the first time)."""
        if self.blank is None:
            self.blank = render_context(self.config, None, self.volume)
        return self.blank.with_index(index)

    def start(self) -> RenderPool:
        """Spawn the workers and let them warm up, once (``render`` starts them if need be)."""
        if self.started:
            return self
        self.started = True
        self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(self.jobs):
            self.pool.submit(_warm_up, _config_file(self.config))
        return self

    def render(
        self, work: Iterable[tuple[Article, Delta]], index: TitleIndex
    ) -> Iterator[tuple[Article, Delta, Rendered]]:
        """Render ``work`` on the workers; yield each item with its rendering, in order.

        When the pool breaks (a worker killed), the chunks it held are quarantined and the
        rest is rendered in this process.
        """
        if not self.started and can_fork():
            items = list(work)  # the whole parse, then the workers forked with it
            if can_fork():  # (the parse started no thread)
                return self._in_order(items, self._forked(items, index), index)
            work = items
        self.start()
        _dump(self.index_file, index)
        spec = (_config_file(self.config), self.index_file, self.volume, self.strict)

        def send(chunk: list[tuple[Article, Delta]], _: int) -> Future[list[Rendered]]:
            assert self.pool is not None
            return self.pool.submit(_render_chunk, spec, _articles(chunk))

        return self._in_order(work, send, index)

    def _forked(self, items: list[tuple[Article, Delta]], index: TitleIndex) -> Send:
        """Fork the workers with ``items`` and the render context; how to send them a span."""
        global _inherited
        _inherited = (_articles(items), self.context(index), self.strict)
        self.started = True
        keep_to_the_end()  # the workers' collector leaves the shared objects (and their pages)
        self.pool = ProcessPoolExecutor(self.jobs, mp_context=multiprocessing.get_context("fork"))
        # With fork, every worker is forked at the first submit (a failure there shows in that
        # future, as in any other).
        self.pool.submit(_render_span, 0, 0)

        def send(chunk: list[tuple[Article, Delta]], start: int) -> Future[list[Rendered]]:
            assert self.pool is not None
            return self.pool.submit(_render_span, start, start + len(chunk))

        return send

    def _in_order(
        self, work: Iterable[tuple[Article, Delta]], send: Send, index: TitleIndex
    ) -> Iterator[tuple[Article, Delta, Rendered]]:
        """The items of ``work`` with their renderings, in order, sent in chunks."""
        inflight: deque[tuple[list[tuple[Article, Delta]], Future[list[Rendered]]]] = deque()
        chunk: list[tuple[Article, Delta]] = []
        window = 3 * self.jobs
        start = 0
        for item in work:
            chunk.append(item)
            if len(chunk) == CHUNK:
                inflight.append((chunk, self._submit(send, chunk, start, index)))
                start += len(chunk)
                chunk = []
            while inflight and (len(inflight) > window or inflight[0][1].done()):
                yield from _collected(*inflight.popleft())
        if chunk:
            inflight.append((chunk, self._submit(send, chunk, start, index)))
        while inflight:
            yield from _collected(*inflight.popleft())

    def _submit(
        self, send: Send, chunk: list[tuple[Article, Delta]], start: int, index: TitleIndex
    ) -> Future[list[Rendered]]:
        if self.pool is not None:
            try:
                return send(chunk, start)
            except BrokenProcessPool:
                self.pool.shutdown(wait=False, cancel_futures=True)
                self.pool = None
        context = self.context(index)
        done: Future[list[Rendered]] = Future()
        done.set_result([render_one(a, context, self.strict) for a in _articles(chunk)])
        return done

    def close(self) -> None:
        """Stop the workers and remove the temporary files."""
        global _inherited
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        _inherited = None
        self.tmp.cleanup()


def _articles(chunk: list[tuple[Article, Delta]]) -> list[Article]:
    return [article for article, _ in chunk]


def _collected(
    chunk: list[tuple[Article, Delta]], future: Future[list[Rendered]]
) -> Iterator[tuple[Article, Delta, Rendered]]:
    try:
        results: list[Rendered] = future.result()
    except UploaderError:
        raise
    except Exception as exc:  # the worker failed or died: each article is quarantined
        results = [f"render failed in a worker process: {exc!r}"] * len(chunk)
    for (article, delta), rendered in zip(chunk, results, strict=True):
        yield article, delta, rendered


_contexts: dict[tuple[Any, ...], RenderContext] = {}
# What forked workers share with the parent: the articles, the render context, strictness.
_inherited: tuple[list[Article], RenderContext, bool] | None = None


def _warm_up(config_file: Path | None) -> None:
    """Import the renderer and load the config, while the parent parses."""
    import uploader.render.validate  # noqa: F401

    _load(config_file)


@_in_worker
def _render_span(start: int, stop: int) -> list[Rendered]:
    """In a forked worker: render and check the shared articles ``start:stop``."""
    assert _inherited is not None, "a forked worker has the parent's articles"
    articles, context, strict = _inherited
    return [render_one(article, context, strict) for article in articles[start:stop]]


@_in_worker
def _render_chunk(
    spec: tuple[Path | None, Path, str | None, bool], articles: list[Article]
) -> list[Rendered]:
    """In a worker: render and check a chunk of articles."""
    config_file, index_file, volume, strict = spec
    key = (config_file, index_file, volume)
    if key not in _contexts:
        _contexts.clear()
        index = _undump(index_file)
        _contexts[key] = render_context(_load(config_file), index, volume)
    context = _contexts[key]
    return [render_one(article, context, strict) for article in articles]
