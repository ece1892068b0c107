"""The commands layer: one library function per ``upload`` command; ``cli.py`` calls these.

Each takes a ``Config`` (or the path of the operator's config file, or None for the
defaults) and returns what the command prints.

- ``run_parse``: article records of volume files (``upload parse``).
- ``run_preview``: render any volume file into a preview folder (``upload preview``).
- ``upload_volume``: parse and render a configured volume (``uploader.pipeline.iter_pages``),
  then publish it (or, with ``dry_run_only``, classify it against the wiki and write the
  preview and collisions report; with ``offline`` too, skip the wiki).
- ``upload_resume``: continue the last run from the ledger, without re-reading the volume.
- ``upload_update``: bring the bot's published pages of a volume up to date with its current
  rendering (``uploader.publish.update``), or with ``dry_run_only`` show the plan.
- ``upload_all``: preview every configured volume on a process pool (``volume all``).
- ``show_status`` and ``list_created``: what the ledger says.

Publishing modules are imported inside the functions that publish, so the preview path never
loads pywikibot or the publisher.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from uploader.config import Config, RunConfig, load_config
from uploader.errors import ConfigError
from uploader.model import Page
from uploader.progress import progress as progress_display
from uploader.report import Report

if TYPE_CHECKING:
    from uploader.pipeline.pool import VolumeResult
    from uploader.publish.runner import DryRun, Outcome, Site, Stopper
    from uploader.publish.update import Change, UpdateOutcome, UpdatePlan
    from uploader.publish.wiki import WikiClient

ConfigArg = Config | str | os.PathLike[str] | None


def as_config(config: ConfigArg) -> Config:
    """A loaded Config: given, or read from a path (None: defaults and $UPLOADER_CONFIG)."""
    return config if isinstance(config, Config) else load_config(config)


def resume_hint(config: Config) -> str:
    """The command that continues a stopped run with the same config."""
    user_files = config.sources[1:]
    return "upload resume" + (f" --config {shlex.quote(str(user_files[-1]))}" if user_files else "")


def run_settings(config: Config, max_edits: int | None) -> RunConfig:
    """The run settings, with a command-line edit limit applied."""
    if max_edits is None:
        return config.run
    return dataclasses.replace(config.run, max_edits=max(0, int(max_edits)))


def site_factory(config: Config, settings: RunConfig, stopper: Stopper) -> Callable[[], WikiClient]:
    """A function that logs in and returns the wiki client (called only when needed)."""
    from uploader.publish.credentials import load_credentials

    credentials = load_credentials(config.wiki.user, config.wiki.password_file)

    def make() -> WikiClient:
        from uploader.publish.wiki import connect

        return connect(config, settings, credentials, sleep=stopper.sleep)

    return make


def volume_pages(
    config: Config,
    volume: str,
    report: Report,
    corrections: Path | None = None,
    strict: bool | None = None,
    jobs: int | None = 1,
) -> Iterator[Page]:
    """The rendered, validated pages of a configured volume, in source order."""
    from uploader.pipeline import iter_pages

    path = config.volume_path(volume)
    return iter_pages(
        path, config, report, volume=volume, corrections=corrections, strict=strict, jobs=jobs
    )


def _preview(pages: Iterable[Page], config: Config, volume: str, report: Report) -> Path:
    from uploader.preview.writer import write_preview

    out_dir = config.run.preview_dir / str(volume)
    source = str(config.volumes.get(volume, ""))
    write_preview(pages, out_dir, report, config.render.templates_dir, source=source)
    return out_dir


def upload_volume(
    config: ConfigArg,
    volume: str,
    *,
    dry_run_only: bool = False,
    offline: bool = False,
    max_edits: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    pages: Iterable[Page] | None = None,
    corrections: Path | None = None,
    strict: bool | None = None,
    jobs: int | None = 1,
) -> Outcome | DryRun | Path:
    """Publish one volume (or dry-run it, or preview it offline); see the module docstring.

    ``pages`` replaces the parse+render step (for tools and tests); ``corrections`` is the
    volume's corrections file (default: ``NAME.corrections.toml`` beside it, if any);
    ``strict`` validates with the full round trip (default: ``[render] strict_validation``);
    ``jobs`` renders on that many processes (None: every core, for a big file).
    Returns the run's Outcome, the DryRun classification, or (offline) the preview folder.
    """
    config = as_config(config)
    volume = str(volume)
    report = Report()
    if offline:  # nothing of the publisher is loaded
        source = _source_pages(config, volume, report, pages, corrections, strict, jobs)
        return _preview(source, config, volume, report)
    from uploader.publish.ledger import Ledger
    from uploader.publish.match import identities
    from uploader.publish.runner import Stopper, dry_run, run_queue

    settings = run_settings(config, max_edits)
    stopper = Stopper(settings.stop_file, resume_hint(config))
    with _guard(settings, stopper, f"upload volume {volume}", dry_run_only):
        source = _source_pages(config, volume, report, pages, corrections, strict, jobs)
        make_site = site_factory(config, settings, stopper)
        with Ledger.open(settings.ledger) as ledger:
            if dry_run_only:
                result = dry_run(
                    source, ledger, make_site(), settings, volume=volume, report=report
                )
                result.preview = _preview(source, config, volume, report)
                return result
            ledger.register(source, volume)
            ledger.record_identity(volume, identities(source))
            ledger.record_quarantined(volume, report.quarantined)
            if retry_failed:
                ledger.requeue(volume)
            args: dict[str, Any] = {"volume": volume, "max_edits": settings.max_edits}
            return run_queue(
                ledger,
                make_site,
                settings,
                volume=volume,
                args=args,
                stopper=stopper,
                progress=progress,
                log_dir=settings.log_dir,
            )


def _source_pages(
    config: Config,
    volume: str,
    report: Report,
    pages: Iterable[Page] | None,
    corrections: Path | None,
    strict: bool | None,
    jobs: int | None,
) -> list[Page]:
    if pages is not None:
        return list(pages)
    return list(volume_pages(config, volume, report, corrections, strict, jobs))


def _guard(
    settings: RunConfig, stopper: Stopper, command: str, read_only: bool = False
) -> AbstractContextManager[None]:
    """The run lock, signals and resume hint for a publishing command (a dry run or a
    preview writes nothing and takes only the one-line error handling)."""
    from uploader.publish.guard import exclusive_run, stops_with_hint

    if read_only:
        return stops_with_hint(None)
    return exclusive_run(settings.ledger, stopper, command)


def upload_resume(
    config: ConfigArg, *, max_edits: int | None = None, progress: bool = True
) -> Outcome:
    """Continue the last run (its volume) from the ledger."""
    from uploader.publish.ledger import Ledger
    from uploader.publish.runner import Stopper, resume

    config = as_config(config)
    settings = run_settings(config, max_edits)
    stopper = Stopper(settings.stop_file, resume_hint(config))
    make_site = site_factory(config, settings, stopper)
    with _guard(settings, stopper, "upload resume"), Ledger.open(settings.ledger) as ledger:
        return resume(
            ledger,
            make_site,
            settings,
            stopper=stopper,
            progress=progress,
            log_dir=settings.log_dir,
        )


def update_hint(config: Config, volume: str) -> str:
    """The command that continues a stopped update with the same config."""
    user_files = config.sources[1:]
    return f"upload update {volume}" + (f" --config {user_files[-1]}" if user_files else "")


def update_summaries(config: Config, volume: str) -> Callable[[Change], str]:
    """The edit summary of each update write, from the config's template."""
    from uploader.render.update_summary import render_update_summary, update_summary_template

    template = update_summary_template(config)

    def summary(change: Change) -> str:
        return render_update_summary(template, config, volume, **dataclasses.asdict(change))

    return summary


def upload_update(
    config: ConfigArg,
    volume: str,
    *,
    dry_run_only: bool = False,
    max_edits: int | None = None,
    pages: Iterable[Page] | None = None,
) -> UpdateOutcome | UpdatePlan:
    """Bring the bot's pages of a volume up to date with its current rendering (or, with
    ``dry_run_only``, plan it and send nothing); ``pages`` replaces parse+render."""
    from uploader.publish.ledger import Ledger
    from uploader.publish.runner import Stopper
    from uploader.publish.update import dry_run_update, update

    config = as_config(config)
    volume = str(volume)
    report = Report()
    settings = run_settings(config, max_edits)
    stopper = Stopper(settings.stop_file, update_hint(config, volume))
    summaries = update_summaries(config, volume)
    command = f"upload update {volume}"
    with _guard(settings, stopper, command, dry_run_only), Ledger.open(settings.ledger) as ledger:
        source = list(pages) if pages is not None else list(volume_pages(config, volume, report))
        site = site_factory(config, settings, stopper)()
        if dry_run_only:
            return dry_run_update(source, ledger, site, settings, volume=volume)
        return update(
            source,
            ledger,
            site,
            settings,
            volume=volume,
            summaries=summaries,
            args={"volume": volume, "max_edits": settings.max_edits},
            stopper=stopper,
            log_dir=settings.log_dir,
        )


def _nothing() -> None:
    """Nothing more to start once the XML reader runs in its own process."""


def run_parse(
    files: Iterable[Path],
    *,
    jsonl: bool,
    limit: int | None,
    out: TextIO,
    err: TextIO,
    config: ConfigArg = None,
    corrections: Path | None = None,
    jobs: int | None = None,
) -> Report:
    """Parse each file; write JSONL records to ``out`` or a summary (with progress) to ``err``.

    With ``jobs`` > 1 (None: every core, for a big file) a file's XML is read in a second
    process while this one builds the articles (the same records).

    ``corrections`` (one file only) is its corrections file; by default each volume uses the
    ``NAME.corrections.toml`` beside it, if any. The progress is a bar when ``err`` is a
    terminal, else a plain line every few hundred articles.
    """
    from uploader.cores import auto_jobs
    from uploader.parse import iter_articles
    from uploader.parse.records import article_record

    config = as_config(config)
    files = list(files)
    if corrections is not None and len(files) != 1:
        raise ConfigError("--corrections applies to one volume file; give exactly one FILE")
    report = Report()
    encoder = json.JSONEncoder(ensure_ascii=False)  # one encoder: json.dumps makes one a call
    for path in files:
        articles = iter_articles(
            path,
            report,
            rules=config.naming,
            corrections=corrections,
            limits=config.limits,
            offload=_nothing if (jobs or auto_jobs(Path(path))) > 1 else None,
        )
        if limit is not None:
            articles = islice(articles, max(0, limit - report.articles))
        if jsonl:
            for article in articles:
                out.write(encoder.encode(article_record(article)) + "\n")
        else:
            kinds: dict[str, int] = {}
            bar = progress_display(None, Path(path).name, unit="articles", file=err)
            for article in articles:
                kinds[str(article.kind)] = kinds.get(str(article.kind), 0) + 1
                bar.update()
            bar.close()
            parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            out.write(f"{path}: {sum(kinds.values())} articles ({parts or 'none'})\n")
    if not jsonl:
        out.write(f"quarantined: {len(report.quarantined)}, warnings: {len(report.warnings)}\n")
        counts = {k: n for k, n in report.review_counts().items() if n}
        if counts:
            out.write("review: " + ", ".join(f"{k} {n}" for k, n in counts.items()) + "\n")
        for item in report.review[:50]:
            out.write(f"  review {item.kind} {item.where}: {item.headword} — {item.reason}\n")
        for q in report.quarantined:
            out.write(f"  quarantined {q.source}: {q.headword} — {q.reason}\n")
        for w in report.warnings[:50]:
            out.write(f"  warning {w}\n")
        if len(report.warnings) > 50:
            out.write(f"  … {len(report.warnings) - 50} more warnings\n")
    else:
        for w in report.warnings:
            err.write(f"warning: {w}\n")
        for q in report.quarantined:
            err.write(f"quarantined: {q.source}: {q.headword}: {q.reason}\n")
    return report


def run_preview(
    path: str | Path,
    out_dir: str | Path,
    config_path: ConfigArg = None,
    limit: int | None = None,
    volume: str | None = None,
    corrections: Path | None = None,
    strict: bool | None = None,
    jobs: int | None = 1,
) -> dict[str, Any]:
    """``upload preview``: parse, render and validate a volume file and write the preview.

    ``strict`` validates with the full round trip (default: ``[render] strict_validation``);
    ``jobs`` renders on that many processes (None: every core, for a big file).
    """
    from uploader.pipeline import iter_pages, volume_key_for
    from uploader.preview import write_preview

    config = as_config(config_path)
    report = Report()
    path = Path(path)
    if volume is None:
        volume = volume_key_for(path, config)
    # The preview writes only its own folder: title-index caches are read, not written.
    pages = iter_pages(
        path,
        config,
        report,
        volume=volume,
        limit=limit,
        corrections=corrections,
        strict=strict,
        jobs=jobs,
        write=False,
    )
    return write_preview(pages, out_dir, report, config.render.templates_dir, source=str(path))


def show_status(config: ConfigArg, as_json: bool = False) -> str:
    """``upload status``: per volume, counts per state, last run, rate and ETA."""
    from uploader.publish.ledger import Ledger
    from uploader.publish.status import format_status, volume_status

    config = as_config(config)
    with Ledger.open_readonly(config.run.ledger) as ledger:
        return format_status(volume_status(ledger, config.run.put_throttle), as_json)


def list_created(config: ConfigArg, volume: str | None = None, fmt: str = "text") -> str:
    """``upload created``: every page the bot created, with its revision id."""
    from uploader.publish.ledger import Ledger
    from uploader.publish.status import created_pages, format_created, page_updates

    config = as_config(config)
    with Ledger.open_readonly(config.run.ledger) as ledger:
        return format_created(created_pages(ledger, volume), fmt, page_updates(ledger, volume))


@dataclasses.dataclass
class AllVolumes:
    """What ``upload volume all`` did: the preview index and one line per volume."""

    index: Path
    summary: dict[str, int]
    lines: list[str]

    def line(self) -> str:
        """The closing lines: per volume, then the totals and where the index is."""
        totals = " ".join(f"{key}={value}" for key, value in self.summary.items())
        return "\n".join([*self.lines, f"all volumes: {totals}; report index: {self.index}"])


def upload_all(
    config: ConfigArg,
    *,
    dry_run_only: bool = False,
    offline: bool = False,
    jobs: int | None = None,
    strict: bool | None = None,
    progress: bool = True,
) -> AllVolumes:
    """``upload volume all``: preview every configured volume (``--dry-run``; ``--offline``).

    Volumes are parsed once each and rendered on ``jobs`` processes (default: every core);
    the title index is built once. Each volume's preview goes where ``upload volume KEY``
    puts it; ``<preview dir>/index.html`` and ``summary.json`` cover them all. Without
    ``offline`` each volume is also classified against the wiki (nothing is written to it).
    """
    from uploader.errors import UploaderError
    from uploader.pipeline.pool import VolumeTask, preview_volumes
    from uploader.preview.index import write_index

    config = as_config(config)
    if not dry_run_only:
        raise UploaderError(
            "volume all only previews (add --dry-run, or --dry-run --offline); "
            "publish one volume at a time with: upload volume KEY"
        )
    if not config.volumes:
        raise UploaderError("no volumes are configured; add them under [volumes]")
    out_root = config.run.preview_dir
    tasks = [
        VolumeTask(key, Path(path), out_root / key, strict, keep_pages=not offline)
        for key, path in config.volumes.items()
    ]
    bar = progress_display(None, "all volumes", enabled=progress)

    def set_total(total: int) -> None:
        if hasattr(bar, "total"):
            bar.total = total
        if hasattr(bar, "refresh"):
            bar.refresh()

    lines: list[str] = []
    with _classifier(config, offline) as classify:

        def done(result: VolumeResult) -> None:
            lines.append(_volume_line(result))
            if classify is not None and result.pages is not None:
                lines.append(classify(result.pages, result.volume))

        try:
            results = preview_volumes(
                config, tasks, jobs, tick=bar.update, on_total=set_total, on_result=done
            )
        finally:
            bar.close()
    index, summary = write_index(out_root, results, config.render.templates_dir)
    return AllVolumes(index, summary, lines)


def _volume_line(result: VolumeResult) -> str:
    if result.error:
        return f"volume {result.volume}: failed ({result.error}); see the report index"
    counts = " ".join(f"{key}={value}" for key, value in result.summary.items())
    return f"volume {result.volume}: {counts}; preview: {result.out_dir}"


class _classifier:
    """Opens the ledger and the wiki once for classifying every volume (None offline)."""

    def __init__(self, config: Config, offline: bool) -> None:
        self.config, self.offline = config, offline
        self.stack: Any = None

    def __enter__(self) -> Callable[[list[Page], str], str] | None:
        if self.offline:
            return None
        from contextlib import ExitStack

        from uploader.publish.ledger import Ledger
        from uploader.publish.runner import Stopper, dry_run

        settings = run_settings(self.config, None)
        stopper = Stopper(settings.stop_file, resume_hint(self.config))
        make_site = site_factory(self.config, settings, stopper)
        self.stack = ExitStack()
        ledger = self.stack.enter_context(Ledger.open(settings.ledger))
        sites: list[Site] = []

        def classify(pages: list[Page], volume: str) -> str:
            if not sites:
                sites.append(make_site())
            result = dry_run(pages, ledger, sites[0], settings, volume=volume)
            result.preview = self.config.run.preview_dir / volume
            return result.line()

        return classify

    def __exit__(self, *exc: object) -> None:
        if self.stack is not None:
            self.stack.close()
