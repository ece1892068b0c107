"""``upload parse``: JSON lines the scorer reads, a short summary, and --limit."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tests import docxgen as g
from uploader.cli import main

VOLUME = g.Volume(
    [
        g.divider("А"),
        g.article("АЛМА", "жеміс ағашы.", title="Алма"),
        g.article(
            [g.bold("АЛТЫНСАРИН Ыбырай")],
            " (1841–1889) – ағартушы.",
            dash="",
            title="Ыбырай Алтынсарин",
            kind="person",
        ),
        g.article(
            "АРАЛ ТЕҢІЗІ",
            "Қазақстан мен Өзбекстан шекарасындағы тұйық көл.",
            title="Арал теңізі",
            kind="place",
        ),
    ]
)


def _volume(tmp_path: Path) -> Path:
    path = tmp_path / "vol.docx"
    g.write_docx(VOLUME, path)
    return path


def test_cli_parse_jsonl_has_scored_keys(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["parse", str(_volume(tmp_path)), "--jsonl"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    expected = VOLUME.records()
    assert [(r["headword"], r["title"], r["text"]) for r in records] == [
        (e["headword"], e["title"], e["text"]) for e in expected
    ]
    assert {"lead", "kind", "signature", "crossrefs", "sup", "sub", "tables", "source"} <= set(
        records[0]
    )
    assert records[1]["redirects"] == ["Алтынсарин Ыбырай"]


def test_cli_parse_summary(tmp_path: Path) -> None:
    path = _volume(tmp_path)
    result = CliRunner().invoke(main, ["parse", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path}: 3 articles (1 other, 1 person, 1 place)",
        "quarantined: 0, warnings: 0",
    ]


def test_cli_parse_limit(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["parse", str(_volume(tmp_path)), "--jsonl", "--limit", "2"])
    assert [json.loads(x)["title"] for x in result.stdout.splitlines()] == [
        "Алма",
        "Ыбырай Алтынсарин",
    ]


def test_cli_parse_config_overrides_the_naming_word_lists(tmp_path: Path) -> None:
    config = tmp_path / "op.toml"
    config.write_text('[naming]\nproper_nouns = ["Теңізі"]\n', encoding="utf-8")
    args = ["parse", str(_volume(tmp_path)), "--jsonl", "--config", str(config)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    titles = [json.loads(x)["title"] for x in result.stdout.splitlines()]
    assert titles[2] == "Арал Теңізі"
    plain = CliRunner().invoke(main, ["parse", str(_volume(tmp_path)), "--jsonl"])
    assert [json.loads(x)["title"] for x in plain.stdout.splitlines()][2] == "Арал теңізі"


def test_cli_parse_and_preview_apply_the_operators_limits(tmp_path: Path) -> None:
    """``[limits]`` in the operator's file reaches the parser (not only the defaults')."""
    config = tmp_path / "op.toml"
    config.write_text("[limits]\nmax_paragraph_chars = 20\n", encoding="utf-8")
    volume = str(_volume(tmp_path))
    result = CliRunner().invoke(main, ["parse", volume, "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "max_paragraph_chars = 20" in result.stdout
    out = tmp_path / "preview"
    args = ["preview", volume, "--out", str(out), "--config", str(config)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "quarantined=2" in result.stdout  # the two articles past 20 characters
    plain = CliRunner().invoke(main, ["parse", volume])
    assert "quarantined: 0" in plain.stdout
