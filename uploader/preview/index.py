"""The report index of a many-volume preview: ``index.html`` and ``summary.json`` over all.

``upload volume all`` writes each volume's preview into its own folder; this writes, in the
folder above them, one ``index.html`` linking every volume's ``report.html`` with its
counts (and any volume that failed, with why), and one ``summary.json`` with each volume's
counts and the totals.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import jinja2

from uploader.config import TEMPLATES_DIR
from uploader.report import Report

INDEX_TEMPLATE = "report_index.html.j2"


class VolumePreview(Protocol):
    """What the index needs of one volume's preview."""

    volume: str
    path: Path
    out_dir: Path
    summary: dict[str, int]
    report: Report
    error: str


def totals(results: Sequence[VolumePreview]) -> dict[str, int]:
    """The counts of every volume added up (a failed volume counts as one quarantined)."""
    total: dict[str, int] = {}
    for result in results:
        counts = dict(result.summary) or {"quarantined": len(result.report.quarantined)}
        for key, value in counts.items():
            if isinstance(value, int):
                total[key] = total.get(key, 0) + value
    return total


def write_index(
    out_root: Path, results: Sequence[VolumePreview], templates_dir: Path = TEMPLATES_DIR
) -> tuple[Path, dict[str, int]]:
    """Write ``out_root/index.html`` and ``out_root/summary.json``; return the index, totals."""
    out_root.mkdir(parents=True, exist_ok=True)
    total = totals(results)
    rows = [_row(out_root, r) for r in results]
    data: dict[str, Any] = {
        "volumes": {r.volume: row["summary"] for r, row in zip(results, rows, strict=True)},
        "failed": {r.volume: r.error for r in results if r.error},
        "total": total,
    }
    _replace(out_root / "summary.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(str(templates_dir)), jinja2.FileSystemLoader(TEMPLATES_DIR)]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template(INDEX_TEMPLATE).render(rows=rows, total=total)
    index = out_root / "index.html"
    _replace(index, html)
    return index, total


def _row(out_root: Path, result: VolumePreview) -> dict[str, Any]:
    report = result.out_dir / "report.html"
    try:
        link = report.relative_to(out_root).as_posix()
    except ValueError:
        link = report.resolve().as_uri()
    return {
        "volume": result.volume,
        "source": str(result.path),
        "link": "" if result.error else link,
        "summary": dict(result.summary),
        "error": result.error,
        "quarantined": [
            {"headword": q.headword, "source": str(q.source), "reason": q.reason}
            for q in result.report.quarantined
        ][:20],
    }


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
