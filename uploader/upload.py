"""The ``upload volume`` / ``upload resume`` commands as library functions.

``upload_volume``: parse and render a configured volume (``uploader.pipeline.iter_pages``),
then publish it (or, with ``dry_run``, classify it against the wiki and write the preview and
collisions report; with ``offline`` too, skip the wiki). ``upload_resume``: continue the
last run from the ledger, without re-reading the volume.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from uploader.config import Config, RunConfig
from uploader.credentials import load_credentials
from uploader.ledger import Ledger
from uploader.model import Page
from uploader.publish import (
    REDIRECT_SUMMARY,
    DryRun,
    Outcome,
    Site,
    Stopper,
    dry_run,
    resume,
    run_queue,
)
from uploader.report import Report


def resume_hint(config: Config) -> str:
    """The command that continues a stopped run with the same config."""
    user_files = config.sources[1:]
    return "upload resume" + (f" --config {user_files[-1]}" if user_files else "")


def run_settings(config: Config, max_edits: int | None) -> RunConfig:
    """The run settings, with a command-line edit limit applied."""
    if max_edits is None:
        return config.run
    return dataclasses.replace(config.run, max_edits=max(0, int(max_edits)))


def site_factory(config: Config, settings: RunConfig, stopper: Stopper) -> Callable[[], Site]:
    """A function that logs in and returns the wiki client (called only when needed)."""
    credentials = load_credentials(config.wiki.user, config.wiki.password_file)

    def make() -> Site:
        from uploader.wiki import connect

        return connect(config, settings, credentials, sleep=stopper.sleep)

    return make


def volume_pages(config: Config, volume: str, report: Report) -> Iterator[Page]:
    """The rendered, validated pages of a configured volume, in source order."""
    from uploader.pipeline import iter_pages

    return iter_pages(config.volume_path(volume), config, report, volume=volume)


def _preview(pages: Iterable[Page], config: Config, volume: str, report: Report) -> Path:
    from uploader.preview import write_preview

    out_dir = config.run.preview_dir / str(volume)
    source = str(config.volumes.get(volume, ""))
    write_preview(list(pages), out_dir, report, config=config, source=source)
    return out_dir


def upload_volume(
    config: Config,
    volume: str,
    *,
    dry_run_only: bool = False,
    offline: bool = False,
    max_edits: int | None = None,
    retry_failed: bool = False,
    progress: bool = True,
    pages: Iterable[Page] | None = None,
) -> Outcome | DryRun | Path:
    """Publish one volume (or dry-run it, or preview it offline); see the module docstring.

    ``pages`` replaces the parse+render step (for tools and tests).
    Returns the run's Outcome, the DryRun classification, or (offline) the preview folder.
    """
    volume = str(volume)
    report = Report()
    source = list(pages) if pages is not None else list(volume_pages(config, volume, report))
    if offline:
        return _preview(source, config, volume, report)
    settings = run_settings(config, max_edits)
    stopper = Stopper(settings.stop_file, resume_hint(config))
    make_site = site_factory(config, settings, stopper)
    with Ledger.open(settings.ledger) as ledger:
        if dry_run_only:
            result = dry_run(source, ledger, make_site(), settings, volume=volume)
            result.preview = _preview(source, config, volume, report)
            return result
        ledger.register(source, volume, REDIRECT_SUMMARY)
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


def upload_resume(
    config: Config, *, max_edits: int | None = None, progress: bool = True
) -> Outcome:
    """Continue the last run (its volume) from the ledger."""
    settings = run_settings(config, max_edits)
    stopper = Stopper(settings.stop_file, resume_hint(config))
    make_site = site_factory(config, settings, stopper)
    with Ledger.open(settings.ledger) as ledger:
        return resume(
            ledger,
            make_site,
            settings,
            stopper=stopper,
            progress=progress,
            log_dir=settings.log_dir,
        )
