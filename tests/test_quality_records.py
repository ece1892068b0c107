"""The quality bar for the parser, measured by the shared scorer (skipped without ../shared)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.shared import require_shared, run_scorer
from uploader.parse.records import article_record
from uploader.parse.volume import iter_articles

ROOT = Path(__file__).resolve().parents[1]


def _score_records(truth: Path, docx: Path, out: Path) -> subprocess.CompletedProcess[str]:
    with out.open("w", encoding="utf-8") as fh:
        for article in iter_articles(docx):
            fh.write(json.dumps(article_record(article), ensure_ascii=False) + "\n")
    return run_scorer(
        "records", truth, out, "--min-f1", "0.99", "--min-title", "0.95", "--min-text", "0.98"
    )


@pytest.mark.shared
def test_quality_records_shared_sample_meets_bar(tmp_path: Path) -> None:
    shared = require_shared()
    done = _score_records(
        shared / "samples" / "volume-sample.truth.json",
        shared / "samples" / "volume-sample.docx",
        tmp_path / "r.jsonl",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "legacy_glyphs=0" in done.stdout.splitlines()[-1]


@pytest.mark.shared
def test_quality_records_bundled_sample_meets_bar(tmp_path: Path) -> None:
    truth = ROOT / "samples" / "sample-volume.truth.json"
    if not truth.exists():
        pytest.fail(
            "samples/sample-volume.truth.json is missing (run samples/make_sample_volume.py)"
        )
    done = _score_records(truth, ROOT / "samples" / "sample-volume.docx", tmp_path / "r.jsonl")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "legacy_glyphs=0" in done.stdout.splitlines()[-1]
