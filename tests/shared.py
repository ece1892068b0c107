"""Locating ../shared (the publisher's sample volume and the scorer); tests skip without it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def shared_dir() -> Path | None:
    """The shared folder beside the project (or $UPLOADER_SHARED), if present."""
    env = os.environ.get("UPLOADER_SHARED")
    candidates = [Path(env)] if env else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared")
    for path in candidates:
        if (path / "tools" / "score.py").exists():
            return path
    return None


def require_shared() -> Path:
    """The shared folder, or skip the calling test when it is absent."""
    path = shared_dir()
    if path is None:
        pytest.skip("../shared (sample volume and scorer) is not present")
    return path


def run_scorer(
    mode: str, truth: Path, output: Path, *thresholds: str
) -> subprocess.CompletedProcess[str]:
    """Run ``score.py MODE TRUTH OUTPUT`` with threshold options; skip without ../shared."""
    shared = require_shared()
    return subprocess.run(
        [
            sys.executable,
            str(shared / "tools" / "score.py"),
            mode,
            str(truth),
            str(output),
            *thresholds,
            "--show",
            "10",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
