"""The ``upload`` command: parses options, calls one ``uploader.commands`` function each,
and turns every error into one line with what to do.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

import click

from uploader.collector import tune_for_batch
from uploader.errors import RunStopped, UploaderError

if TYPE_CHECKING:
    import sqlite3

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """Turn an UploaderError into ``upload: error: ...`` on stderr and its exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RunStopped as exc:  # on purpose (limit, shutoff, signal): not an error
            click.echo(f"upload: {exc}", err=True)
            sys.exit(exc.exit_code)
        except UploaderError as exc:
            click.echo(f"upload: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            click.echo(f"upload: error: {os_error_line(exc)}", err=True)
            sys.exit(1)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            from uploader.publish.ledger import problem_line

            click.echo(f"upload: error: {problem_line(exc)}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            # A second Ctrl-C, or one before any edit: the ledger is consistent at every
            # commit, so nothing is lost; an in-flight row is settled by `upload resume`.
            click.echo(
                "upload: interrupted; the ledger is intact (continue with: upload resume)", err=True
            )
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def is_database_error(exc: BaseException) -> TypeGuard[sqlite3.Error]:
    """Whether ``exc`` is an SQLite error (sqlite3 is loaded only by what opens a ledger)."""
    loaded = sys.modules.get("sqlite3")
    return loaded is not None and isinstance(exc, loaded.Error)


def os_error_line(exc: OSError) -> str:
    """One line for a file-system error: the path, the reason, and what to do."""
    path = exc.filename or "a file"
    reason = exc.strerror or str(exc)
    hint = {
        errno.EACCES: "check its permissions",
        errno.EPERM: "check its permissions",
        errno.EROFS: "choose a writable place",
        errno.ENOENT: "check that the path exists",
        errno.ENOSPC: "free some disk space",
        errno.ENOTDIR: "a part of the path is not a folder",
        errno.EISDIR: "give a file, not a folder",
    }.get(exc.errno or 0, "check the path")
    return f"{path}: {reason}; {hint}"


strict_option = click.option(
    "--strict/--no-strict",
    default=None,
    help="Validate with the full mwparserfromhell round trip (slow; default: the config's "
    "[render] strict_validation).",
)

jobs_option = click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes to work on (default: every core; one for a small volume).",
)

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="UPLOADER_CONFIG",
    help="TOML config file (default: config/default.toml; env UPLOADER_CONFIG).",
)


corrections_option = click.option(
    "--corrections",
    "corrections",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Corrections TOML for the volume (default: NAME.corrections.toml beside it).",
)


@click.group()
@click.version_option(package_name="kazenc-uploader")
def main() -> None:
    """Kazakh Encyclopedia volumes → kk.wikipedia articles."""
    tune_for_batch()


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jsonl", is_flag=True, help="Write one JSON object per article to stdout.")
@click.option("--limit", type=int, default=None, help="Stop after N articles.")
@config_option
@corrections_option
@jobs_option
@one_line_errors
def parse(
    files: tuple[Path, ...],
    jsonl: bool,
    limit: int | None,
    config_path: Path | None,
    corrections: Path | None,
    jobs: int | None,
) -> None:
    """Parse volume FILES into article records."""
    from uploader.commands import run_parse

    try:
        run_parse(
            files,
            jsonl=jsonl,
            limit=limit,
            out=sys.stdout,
            err=sys.stderr,
            config=config_path,
            corrections=corrections,
            jobs=jobs,
        )
    except BrokenPipeError:  # what reads the records stopped (``| head``): stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing left to flush
        sys.exit(1)


@main.command("preview")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path))
@config_option
@click.option("--limit", type=click.IntRange(min=0), default=None, help="Stop after N articles.")
@click.option("--volume", default=None, help="Volume key for the citation (default: from path).")
@corrections_option
@strict_option
@jobs_option
@one_line_errors
def preview_command(
    file: Path,
    out_dir: Path,
    config_path: Path | None,
    limit: int | None,
    volume: str | None,
    corrections: Path | None,
    strict: bool | None,
    jobs: int | None,
) -> None:
    """Render FILE offline into --out DIR: pages.jsonl, .wiki files, report.html."""
    from uploader.commands import run_preview

    summary = run_preview(
        file,
        out_dir,
        config_path=config_path,
        limit=limit,
        volume=volume,
        corrections=corrections,
        strict=strict,
        jobs=jobs,
    )
    click.echo(
        " ".join(f"{key}={value}" for key, value in summary.items() if not isinstance(value, dict))
    )


@main.command("volume")
@click.argument("volume")
@config_option
@click.option("--dry-run", is_flag=True, help="Classify against the wiki; write nothing to it.")
@click.option("--offline", is_flag=True, help="With --dry-run: preview only, no wiki access.")
@click.option("--max-edits", type=click.IntRange(min=0), default=None, help="Stop after K edits.")
@click.option("--retry-failed", is_flag=True, help="Retry rows that failed or were skipped.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@corrections_option
@jobs_option
@strict_option
@one_line_errors
def volume_command(
    volume: str,
    config_path: Path | None,
    dry_run: bool,
    offline: bool,
    max_edits: int | None,
    retry_failed: bool,
    no_progress: bool,
    corrections: Path | None,
    jobs: int | None,
    strict: bool | None,
) -> None:
    """Publish configured VOLUME: parse, render, create the pages.

    VOLUME all (with --dry-run, and --offline to skip the wiki) previews every configured
    volume on --jobs processes, with one report index over all of them.
    """
    if volume == "all":
        from uploader.commands import upload_all

        done = upload_all(
            config_path,
            dry_run_only=dry_run or offline,
            offline=offline,
            jobs=jobs,
            strict=strict,
            progress=not no_progress,
        )
        click.echo(done.line())
        return
    from uploader.commands import upload_volume

    result = upload_volume(
        config_path,
        volume,
        dry_run_only=dry_run or offline,
        offline=offline,
        max_edits=max_edits,
        retry_failed=retry_failed,
        progress=not no_progress,
        corrections=corrections,
        strict=strict,
        jobs=jobs,
    )
    click.echo(f"preview: {result}" if isinstance(result, Path) else result.line())


@main.command("resume")
@config_option
@click.option("--max-edits", type=click.IntRange(min=0), default=None, help="Stop after K edits.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
@one_line_errors
def resume_command(config_path: Path | None, max_edits: int | None, no_progress: bool) -> None:
    """Continue the last run from the ledger."""
    from uploader.commands import upload_resume

    outcome = upload_resume(config_path, max_edits=max_edits, progress=not no_progress)
    click.echo(outcome.line())


@main.command("update")
@click.argument("volume")
@config_option
@click.option("--dry-run", is_flag=True, help="Show the plan (edits, moves, skips); send nothing.")
@click.option("--max-edits", type=click.IntRange(min=0), default=None, help="Stop after K edits.")
@click.option("--no-progress", is_flag=True, help="No progress bar (the update shows none).")
@one_line_errors
def update_command(
    volume: str, config_path: Path | None, dry_run: bool, max_edits: int | None, no_progress: bool
) -> None:
    """Bring the bot's pages of VOLUME up to date with its corrected rendering."""
    from uploader.commands import upload_update

    result = upload_update(config_path, volume, dry_run_only=dry_run, max_edits=max_edits)
    click.echo(result.line())


@main.command("status")
@config_option
@click.option("--json", "as_json", is_flag=True, help="JSON output.")
@one_line_errors
def status_command(config_path: Path | None, as_json: bool) -> None:
    """Per volume: counts per state, last run, rate and ETA."""
    from uploader.commands import show_status

    click.echo(show_status(config_path, as_json))


@main.command("created")
@config_option
@click.option("--volume", default=None, help="Only this volume.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "wiki"]), default="text")
@one_line_errors
def created_command(config_path: Path | None, volume: str | None, fmt: str) -> None:
    """List every page the bot created, with its revision id."""
    from uploader.commands import list_created

    click.echo(list_created(config_path, volume, fmt))


if __name__ == "__main__":  # pragma: no cover
    main()
