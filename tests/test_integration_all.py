"""``upload volume all --dry-run`` against the REAL local MediaWiki: every volume previewed
on two processes and classified against the wiki, nothing written to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_integration_publish import child, make_volume, volume_titles, write_config
from tests.wiki.server import LocalWiki
from uploader.config import load_config

pytestmark = pytest.mark.wiki


def test_integration_volume_all_dry_run_classifies_every_volume(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    first = make_volume(tmp_path / "first.docx", "БІР", 6)
    second = make_volume(tmp_path / "second.docx", "ЖЕТ", 3)  # prefixes unique in the session
    config_path = write_config(tmp_path, wiki, first)
    with config_path.open("a", encoding="utf-8") as fh:
        fh.write(f'h = "{second}"\n')
    config = load_config(config_path)
    titles = volume_titles(config, "g") + volume_titles(config, "h")

    dry = child(config_path, "volume", "all", "--dry-run", "--jobs", "2")
    stdout, stderr = dry.communicate(timeout=120)
    assert dry.returncode == 0, stderr
    assert "volume g (dry run): 8 new" in stdout  # 6 articles, 2 person redirects
    assert "volume h (dry run): 4 new" in stdout
    assert (config.run.preview_dir / "index.html").is_file()
    assert all(wiki.page_text(t) is None for t in titles)
