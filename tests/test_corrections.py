"""Operator corrections files: beside the volume or given, in parse, preview and volume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests import docxgen as g
from uploader.cli import main
from uploader.errors import ConfigError
from uploader.parse.corrections import load_corrections
from uploader.parse.records import article_record
from uploader.parse.volume import iter_articles
from uploader.report import Report, Review

E = g.article
CORRECTIONS = """
[[article]]
headword = "ӘЛ-ХОРЕЗМИ Мұхаммед ибн Мұса"
title = "Әл-Хорезми"

[[article]]
headword = "ӘЛЕМ ТАРИХЫ"   # not an article: a bold sub-heading typed like one
merge = true

[[article]]
headword = "ӘЛІППЕ"
occurrence = 2
skip = true

[[article]]
headword = "ӘМУДАРИЯ"
occurrence = 2
lead = "Әмудария өзені"
kind = "place"
redirects = ["Амудария"]
"""
UNMATCHED = """
[[article]]
headword = "ЖОҚ СӨЗ"
title = "Жоқ"
"""


def _volume() -> g.Volume:
    return g.Volume(
        [
            g.divider("Ә"),
            E("ӘБДІ", "ер есімі.", title="Әбді"),
            E(
                [g.bold("ӘЛ-ХОРЕЗМИ Мұхаммед ибн Мұса")],
                " (780 – 850) – математик.",
                dash="",
                title="Әл-Хорезми Мұхаммед ибн Мұса",
                kind="person",
            ),
            E("ӘЛЕМ ТАРИХЫ", "ғалымның негізгі еңбегі.", title="Әлем тарихы"),
            E("ӘЛІППЕ", "оқу кітабы.", title="Әліппе (кітап)"),
            E("ӘЛІППЕ", "бастауыш сыныптың оқулығы.", title="Әліппе (оқулық)"),
            E("ӘМУДАРИЯ", "Орта Азиядағы өзен.", title="Әмудария (өзен)", kind="place"),
            E("ӘМУДАРИЯ", "Түрікменстандағы қала.", title="Әмудария (қала)", kind="place"),
        ]
    )


def _write(tmp_path: Path, corrections: str | None = None) -> Path:
    path = g.write_docx(_volume(), tmp_path / "07.docx")
    if corrections is not None:
        (tmp_path / "07.corrections.toml").write_text(corrections, encoding="utf-8")
    return path


def _records(path: Path, **kw: Any) -> tuple[list[dict[str, Any]], Report]:
    report = Report()
    return [article_record(a) for a in iter_articles(path, report, **kw)], report


def test_corrections_change_exactly_those_records(tmp_path: Path) -> None:
    plain, _ = _records(g.write_docx(_volume(), tmp_path / "plain.docx"))
    fixed, report = _records(_write(tmp_path, CORRECTIONS))
    by_title = {r["title"]: r for r in plain}
    assert [r["title"] for r in fixed] == [
        "Әбді",
        "Әл-Хорезми",  # title
        "Әліппе",  # the second ӘЛІППЕ is skipped, so the first needs no qualifier
        "Әмудария (өзен)",
        "Әмудария (қала)",
    ]
    merged = fixed[1]
    assert merged["corrected"] is True
    original = by_title["Әл-Хорезми Мұхаммед ибн Мұса"]
    assert merged["text"] == original["text"] + "\n" + by_title["Әлем тарихы"]["text"]
    assert "Әл-Хорезми Мұхаммед ибн Мұса" in merged["title_alternatives"]
    town = fixed[4]
    assert (town["lead"], town["kind"], town["redirects"]) == (
        "Әмудария өзені",
        "place",
        ["Амудария"],
    )
    assert fixed[2]["text"] == plain[3]["text"]
    for record in (fixed[0], fixed[3]):  # untouched
        assert record == {**by_title[record["title"]], "source": record["source"]}
        assert record["corrected"] is False
    kinds = [i.kind for i in report.review]
    assert kinds.count(Review.CORRECTION) == 4  # title, merge, skip, lead/kind/redirects
    assert not report.warnings


def test_corrections_unmatched_entry_warns_and_is_reviewed(tmp_path: Path) -> None:
    records, report = _records(_write(tmp_path), corrections=_fixes(tmp_path, UNMATCHED))
    assert len(records) == 7  # nothing corrected
    assert any("«ЖОҚ СӨЗ»" in w and "matched no article" in w for w in report.warnings)
    assert [i.headword for i in report.review if i.kind is Review.CORRECTION] == ["ЖОҚ СӨЗ"]


def _fixes(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fixes.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_corrections_cli_parse_beside_and_given(tmp_path: Path) -> None:
    path = _write(tmp_path, CORRECTIONS)
    beside = CliRunner().invoke(main, ["parse", str(path), "--jsonl"])
    assert beside.exit_code == 0, beside.output
    titles = [json.loads(line)["title"] for line in beside.stdout.splitlines()]
    assert "Әл-Хорезми" in titles and len(titles) == 5
    given = CliRunner().invoke(
        main, ["parse", str(path), "--jsonl", "--corrections", str(_fixes(tmp_path, UNMATCHED))]
    )
    assert given.exit_code == 0
    assert len(given.stdout.splitlines()) == 7
    assert "matched no article" in given.stderr


def _config(tmp_path: Path, volume: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[run]\nledger = "{tmp_path / "ledger.sqlite3"}"\n'
        f'[render]\ntitle_index_cache = "{tmp_path / "index"}"\n'
        f'[volumes]\n"07" = "{volume}"\n',
        encoding="utf-8",
    )
    return path


def test_corrections_in_preview_and_volume(tmp_path: Path) -> None:
    path = _write(tmp_path)
    fixes = _fixes(tmp_path, CORRECTIONS)
    config = _config(tmp_path, path)
    out = tmp_path / "out"
    args = ["preview", str(path), "--out", str(out), "--config", str(config)]
    done = CliRunner().invoke(main, [*args, "--corrections", str(fixes)])
    assert done.exit_code == 0, done.output
    pages = [json.loads(line) for line in (out / "pages.jsonl").read_text("utf-8").splitlines()]
    articles = [p["title"] for p in pages if p["kind"] == "article"]
    assert articles == ["Әбді", "Әл-Хорезми", "Әліппе", "Әмудария (өзен)", "Әмудария (қала)"]
    assert "Амудария" in [p["title"] for p in pages if p["kind"] == "redirect"]
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["review"]["correction"] == 4
    html = (out / "report.html").read_text("utf-8")
    assert html.index('id="review"') < html.index('id="counts"')
    assert "merged into «ӘЛ-ХОРЕЗМИ Мұхаммед ибн Мұса»" in html

    offline = ["volume", "07", "--dry-run", "--offline", "--config", str(config)]
    volume = CliRunner().invoke(main, [*offline, "--corrections", str(fixes)])
    assert volume.exit_code == 0, volume.output
    preview = Path(volume.stdout.split("preview: ", 1)[1].strip())
    vol_pages = (preview / "pages.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(p)["title"] for p in vol_pages if '"article"' in p] == articles


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[article]]\nheadword = "А"\ntitel = "Б"\n', "#1 («А»): unknown key(s) titel"),
        ('[[article]]\ntitle = "Б"\n', "#1: needs headword"),
        ('[[article]]\nheadword = "А"\nskip = "yes"\n', "skip must be true or false"),
        ('[[article]]\nheadword = "А"\nmerge = true\ntitle = "Б"\n', "cannot be combined"),
        ('[[article]]\nheadword = "А"\ntitle = "[[Б]]"\n', "forbidden character"),
        ('[[article]]\nheadword = "А"\noccurrence = 0\n', "occurrence must be"),
        ("[[article]\n", "not valid TOML"),
        ('[[article]]\nheadword = "А"\nredirects = ["Б", "{В}"]\n', "redirect '{В}'"),
        ('[[article]]\nheadword = "А"\nkind = "city"\n', "kind must be one of person"),
    ],
)
def test_corrections_bad_file_is_one_config_error(tmp_path: Path, text: str, message: str) -> None:
    fixes = _fixes(tmp_path, text)
    with pytest.raises(ConfigError, match=r"fixes\.toml") as caught:
        load_corrections(tmp_path / "v.docx", fixes)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_corrections_bad_file_cli_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[article]]\nheadword = "ӘБДІ"\nkind = "city"\n')
    done = CliRunner().invoke(main, ["parse", str(path), "--jsonl"])
    assert done.exit_code == 1
    line = done.stderr.strip()
    assert line.startswith("upload: error: ") and "07.corrections.toml" in line
    assert "«ӘБДІ»" in line and "kind must be one of" in line and "\n" not in line
