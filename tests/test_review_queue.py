"""The review queue: specific items from parse and render, counted in summary.json and shown
first in report.html."""

from __future__ import annotations

import json
from pathlib import Path

from tests import docxgen as g
from uploader.commands import run_preview
from uploader.config import load_config
from uploader.parse.corrections import load_corrections
from uploader.pipeline import title_index_for
from uploader.report import Report

E = g.article


def _volume() -> g.Volume:
    return g.Volume(
        [
            g.divider("А"),
            E("АҚСАЙ", ["Батыс Қазақстандағы қала ", *g.see("Жоқ бет", after=".")], title="Ақсай"),
            E(
                "АҚСАҚАЛ",
                "ел ағасы; аға буын өкілі.",
                title="Ақсақал",
                more=[g.body("Ақсақалдар кеңесі ертеден келе жатқан дәстүр.")],
            ),
            E("АҚСУ", "Павлодар облысындағы қала.", title="Ақсу (қала)", kind="place"),
            E("АҚСУ", "Жетісудағы өзен.", title="Ақсу (өзен)", kind="place"),
            E("АЛАУ", "от жалыны.", title="Алау"),
            E("АҚТАУ", "Маңғыстау облысының орталығы, қала.", title="Ақтау", kind="place"),
            E("АМАН", "ер есімі.", title="Аман"),
        ]
    )


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[render]\ntitle_index_cache = "{tmp_path / "index"}"\n', "utf-8")
    return path


def test_review_queue_counts_in_summary_and_report(tmp_path: Path) -> None:
    docx = g.write_docx(_volume(), tmp_path / "v.docx")
    summary = run_preview(docx, tmp_path / "out", config_path=_config(tmp_path))
    written = json.loads((tmp_path / "out" / "summary.json").read_text("utf-8"))
    assert written["review"] == summary["review"]
    counts = {kind: n for kind, n in summary["review"].items() if n}
    assert counts == {"order": 1, "crossref": 1}  # АҚТАУ after АЛАУ; «Жоқ бет»
    html = (tmp_path / "out" / "report.html").read_text("utf-8")
    queue = html[html.index('id="review"') : html.index('id="counts"')]
    assert "Review queue (2)" in queue
    assert "«АҚТАУ» after «АЛАУ»" in queue and "«Жоқ бет» not found" in queue
    assert queue.index("review-order") < queue.index("review-crossref")  # grouped by kind


def test_review_queue_title_index_sees_corrections(tmp_path: Path) -> None:
    docx = g.write_docx(_volume(), tmp_path / "v.docx")
    fixes = tmp_path / "v.corrections.toml"
    config = load_config(_config(tmp_path))
    before = title_index_for(docx, config, Report(), None)
    assert before.resolve("Ақсай").title == "Ақсай"
    fixes.write_text('[[article]]\nheadword = "АҚСАЙ"\ntitle = "Ақсай (қала)"\n', "utf-8")
    assert load_corrections(docx)  # found beside the volume
    after = title_index_for(docx, config, Report(), None)  # the cache sees the new file
    assert after.resolve("Ақсай").title == "Ақсай (қала)"


def test_review_queue_in_the_parse_summary(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from uploader.cli import main

    docx = g.write_docx(_volume(), tmp_path / "v.docx")
    done = CliRunner().invoke(main, ["parse", str(docx)])
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    assert "review: order 1" in lines
    assert any(line.startswith("  review order v.docx:¶") and "АҚТАУ" in line for line in lines)


def test_report_since_and_extend_carry_every_list() -> None:
    from uploader.model import SourcePos

    report = Report()
    report.warn("v:¶1", "before")
    mark = report.mark()
    report.warn("v:¶2", "after")
    report.quarantine(SourcePos("v", 2, 2), "bad", "А")
    report.reconcile.append({"title": "А"})
    report.articles += 1
    part = report.since(mark)
    assert part.warnings == ["v:¶2: after"]
    assert [q.reason for q in part.quarantined] == ["bad"]
    assert [r.reason for r in part.review] == ["bad"]
    assert part.reconcile == [{"title": "А"}] and part.articles == 1
    whole = Report()
    whole.extend(report.since((0, 0, 0, 0, 0)))
    assert whole == report
