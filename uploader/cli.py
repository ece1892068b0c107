"""The ``upload`` command: parses options, calls the library, reports errors in one line.

Each command is a thin wrapper; the work lives in the library modules.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from uploader.errors import UploaderError

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(func: F) -> F:
    """Turn an UploaderError into ``upload: error: ...`` on stderr and its exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UploaderError as exc:
            click.echo(f"upload: error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper  # type: ignore[return-value]


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="UPLOADER_CONFIG",
    help="TOML config file (default: config/default.toml; env UPLOADER_CONFIG).",
)


@click.group()
@click.version_option(package_name="kazenc-uploader")
def main() -> None:
    """Kazakh Encyclopedia volumes → kk.wikipedia articles."""


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--jsonl", is_flag=True, help="Write one JSON object per article to stdout.")
@click.option("--limit", type=int, default=None, help="Stop after N articles.")
@one_line_errors
def parse(files: tuple[Path, ...], jsonl: bool, limit: int | None) -> None:
    """Parse volume FILES into article records."""
    from uploader.parse_command import run_parse

    run_parse(files, jsonl=jsonl, limit=limit, out=sys.stdout, err=sys.stderr)


if __name__ == "__main__":  # pragma: no cover
    main()
