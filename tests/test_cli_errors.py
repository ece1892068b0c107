"""The CLI's one choke point: file-system and database failures are one line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "uploader" / "defaults" / "sample-volume.docx"


def _upload(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uploader", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd)},
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("/proc/nope", "/proc/nope"),
        ("{tmp}/file-not-folder/out", "file-not-folder"),
    ],
)
def test_cli_preview_unwritable_out_is_one_line(tmp_path: Path, out: str, says: str) -> None:
    (tmp_path / "file-not-folder").write_text("x", encoding="utf-8")
    result = _upload("preview", str(SAMPLE), "--out", out.format(tmp=tmp_path), cwd=tmp_path)
    line = _one_line(result)
    assert line.startswith("upload: error: ") and says in line


def test_cli_status_on_a_garbage_ledger_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "ledger.sqlite3").write_bytes(b"this is not a database" * 100)
    (tmp_path / "op.toml").write_text('[run]\nledger = "ledger.sqlite3"\n', encoding="utf-8")
    line = _one_line(_upload("status", "--config", str(tmp_path / "op.toml"), cwd=tmp_path))
    assert "ledger" in line


def test_cli_parse_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    """``upload parse --jsonl | head``: the reader went away, so the parse stops, and says
    nothing (no traceback, no "error" about a file), as a writer into a pipe does."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the first flush of the records meets a closed pipe
    try:
        result = subprocess.run(
            [sys.executable, "-m", "uploader", "parse", "--jsonl", str(SAMPLE)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tmp_path,
            timeout=120,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""
