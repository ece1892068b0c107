"""The bars on a held-out-style probe volume (tests/probe_volume.py), by the shared scorer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.probe_volume import write_probe
from tests.shared import run_scorer
from uploader.commands import run_preview
from uploader.parse.records import article_record
from uploader.parse.volume import iter_articles


@pytest.mark.shared
def test_probe_volume_records_meet_the_bar(tmp_path: Path) -> None:
    docx, truth = write_probe(tmp_path)
    out = tmp_path / "records.jsonl"
    with out.open("w", encoding="utf-8") as fh:
        for article in iter_articles(docx):
            fh.write(json.dumps(article_record(article), ensure_ascii=False) + "\n")
    done = run_scorer(
        "records", truth, out, "--min-f1", "0.99", "--min-title", "0.95", "--min-text", "0.98"
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.shared
def test_probe_volume_pages_meet_the_bar(tmp_path: Path) -> None:
    docx, truth = write_probe(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f'[render]\ntitle_index_cache = "{tmp_path / "index"}"\n', "utf-8")
    summary = run_preview(docx, tmp_path / "out", config_path=config)
    assert summary["review"]["order"] >= 4  # the acronym list inside АББРЕВИАТУРА
    done = run_scorer(
        "pages",
        truth,
        tmp_path / "out" / "pages.jsonl",
        *("--min-coverage", "0.97", "--min-check", "0.95", "--min-pages-ok", "0.95"),
    )
    assert done.returncode == 0, done.stdout + done.stderr
