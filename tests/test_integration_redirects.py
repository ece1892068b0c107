"""What the preview shows is what the wiki gets: every saved page, redirects included.

The render stage renders each redirect's wikitext and summary once, onto the Page; preview,
dry run and ledger read those fields. Here a non-default redirect magic word and titles
holding ``'`` and ``&`` go through the preview and the publisher, and the wiki is compared
with ``pages.jsonl``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import docxgen as g
from tests.test_integration_publish import write_config
from tests.wiki.server import LocalWiki
from uploader.commands import upload_volume
from uploader.config import DEFAULTS_DIR, load_config
from uploader.model import Page
from uploader.pipeline import iter_pages
from uploader.publish.ledger import expand
from uploader.report import Report

SAMPLE = DEFAULTS_DIR / "sample-volume.docx"
MAGIC = '[render.magic]\nredirect = "#REDIRECT"\ndefaultsort = "DEFAULTSORT"\ncategory = "Санат"\n'


def _quoted_volume(path: Path) -> Path:
    """Persons whose titles hold an apostrophe and an ampersand (their redirects point there)."""
    g.write_docx(
        g.Volume(
            [
                g.article(
                    "О'КОННОР Шон Патрикұлы",
                    "(1.1.1900–2.2.1970) – ирланд жазушысы.",
                    title="Шон О'коннор",
                    kind="person",
                ),
                g.article(
                    "СМИТ&ВЕССОН Дэниел Бейрдұлы",
                    "(1.1.1825–2.2.1906) – өнертапқыш.",
                    title="Дэниел Смит&вессон",
                    kind="person",
                ),
            ]
        ),
        path,
    )
    return path


def _pages(path: Path, config_path: Path) -> list[Page]:
    return list(iter_pages(path, load_config(config_path), Report(), volume="g"))


def test_redirects_preview_and_ledger_send_the_same_text(tmp_path: Path) -> None:
    config_path = tmp_path / "op.toml"
    config_path.write_text(MAGIC, encoding="utf-8")
    pages = _pages(_quoted_volume(tmp_path / "q.docx"), config_path)
    redirects = [s for p in pages for s in p.saves() if s.redirect_to]
    assert redirects and any("'" in s.redirect_to or "&" in s.redirect_to for s in redirects)
    for page in pages:
        rows = {e.title: e for e in expand(page)}
        for save in page.saves():
            assert (rows[save.title].text, rows[save.title].summary) == (
                save.wikitext,
                save.summary,
            )
    for save in redirects:
        assert save.wikitext.startswith("#REDIRECT [[")
        assert load_config().citation.licence in save.summary
    for page in pages:  # a summary is plain text: an entity would show literally
        assert all("&#" not in s.summary and "&amp;" not in s.summary for s in page.saves())


def _preview_records(config_path: Path) -> list[dict[str, str]]:
    preview = upload_volume(config_path, "g", dry_run_only=True, offline=True, progress=False)
    assert isinstance(preview, Path)
    lines = (preview / "pages.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.mark.wiki
@pytest.mark.parametrize("volume", ["bundled sample", "quoted titles"])
def test_integration_redirects_saved_exactly_as_previewed(
    wiki: LocalWiki, tmp_path: Path, volume: str
) -> None:
    path = SAMPLE if volume == "bundled sample" else _quoted_volume(tmp_path / "q.docx")
    config_path = write_config(tmp_path, wiki, path)
    with config_path.open("a", encoding="utf-8") as fh:
        fh.write(MAGIC)
    records = _preview_records(config_path)
    outcome = upload_volume(config_path, "g", progress=False)
    assert not isinstance(outcome, Path)
    redirects = [r for r in records if r["kind"] == "redirect"]
    assert redirects, "the bundled sample has redirects"
    assert outcome.created == len(records)
    for record in records:
        assert wiki.page_text(record["title"]) == record["wikitext"], record["title"]
        revisions = wiki.revisions(record["title"])
        assert [r["comment"] for r in revisions] == [record["summary"]], record["title"]
    for record in redirects:
        assert record["wikitext"].startswith("#REDIRECT [[")
        assert (
            wiki.api(action="query", titles=record["title"], redirects=1)["query"]["redirects"][0][
                "to"
            ]
            == record["redirect_to"]
        )
