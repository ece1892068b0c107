"""Errors an operator sees as one line; the CLI turns any ``UploaderError`` into a message."""

from __future__ import annotations

from typing import Any


class UploaderError(Exception):
    """Base class: anything the CLI reports as a one-line message with a non-zero exit."""

    exit_code = 1


class InputError(UploaderError):
    """A volume file that cannot be read; names the file and, when known, the position."""

    def __init__(self, path: str, message: str, position: str | None = None) -> None:
        self.path = path
        self.position = position
        self.message = message
        where = f"{path}: {position}" if position else path
        super().__init__(f"{where}: {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt whole (subclasses take other arguments): it crosses process boundaries.
        return (_rebuilt, (type(self), str(self), self.__dict__))


def _rebuilt(cls: type[InputError], text: str, state: dict[str, Any]) -> InputError:
    error = cls.__new__(cls)
    Exception.__init__(error, text)
    error.__dict__.update(state)
    return error


class ConfigError(UploaderError):
    """A configuration file or value that is missing or wrong."""


class LedgerError(UploaderError):
    """The ledger file cannot be used (locked, read-only, truncated, not a ledger)."""


class WikiError(UploaderError):
    """A run-level wiki problem (login, read-only, repeated server errors): stop, resumable."""

    exit_code = 3


class RunStopped(UploaderError):
    """A run stopped on purpose (shutoff page, STOP file, signal, edit limit): resumable."""

    exit_code = 4
