"""The README's operator table and the CLI stay in step (in the spirit of sqlite-utils'
``test_docs.py``): every command and option in ``--help`` is in the table, and every command
and option in the table exists."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from uploader.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def _table() -> dict[str, set[str]]:
    """Command → the options the README's "What operators type" block shows for it."""
    text = README.read_text(encoding="utf-8")
    block = text.split("## What operators type", 1)[1].split("```", 2)[1]
    shown: dict[str, set[str]] = {}
    for line in block.splitlines():
        if not line.startswith("upload "):
            continue
        command = line.split()[1]
        usage = line.split("#", 1)[0]
        shown.setdefault(command, set()).update(re.findall(r"--[a-z][a-z-]*", usage))
    return shown


def _options(command: click.Command) -> set[str]:
    return {
        opt
        for param in command.params
        if isinstance(param, click.Option)
        for opt in param.opts
        if opt.startswith("--") and opt != "--help"
    }


COMMANDS = sorted(main.commands)  # type: ignore[attr-defined]


def test_docs_every_readme_command_exists() -> None:
    assert sorted(set(_table()) - set(COMMANDS)) == []


@pytest.mark.parametrize("name", COMMANDS)
def test_docs_every_command_and_option_is_in_the_readme(name: str) -> None:
    table = _table()
    assert name in table, f"`upload {name}` is missing from the README's operator table"
    command = main.commands[name]  # type: ignore[attr-defined]
    documented = table[name] | ({"--config"} if "--config" in _options(command) else set())
    assert sorted(_options(command) - documented) == []
    assert sorted(table[name] - _options(command)) == []


def test_docs_readme_says_every_command_takes_config() -> None:
    text = README.read_text(encoding="utf-8")
    assert "Every command takes" in text and "`--config PATH`" in text
    for name in COMMANDS:
        assert "--config" in _options(main.commands[name]), name  # type: ignore[attr-defined]
