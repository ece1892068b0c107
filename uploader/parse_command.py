"""``upload parse``: article records as JSON lines, or a short human summary."""

from __future__ import annotations

import json
from collections.abc import Iterable
from itertools import islice
from pathlib import Path
from typing import TextIO

from tqdm import tqdm

from uploader.parser import iter_articles
from uploader.records import article_record
from uploader.report import Report


def run_parse(
    files: Iterable[Path], *, jsonl: bool, limit: int | None, out: TextIO, err: TextIO
) -> Report:
    """Parse each file; write JSONL records to ``out`` or a summary (with progress) to ``err``."""
    report = Report()
    for path in files:
        articles = iter_articles(path, report)
        if limit is not None:
            articles = islice(articles, max(0, limit - report.articles))
        if jsonl:
            for article in articles:
                out.write(json.dumps(article_record(article), ensure_ascii=False) + "\n")
        else:
            kinds: dict[str, int] = {}
            bar = tqdm(
                articles, desc=Path(path).name, unit=" art", file=err, leave=False, disable=None
            )
            for article in bar:
                kinds[str(article.kind)] = kinds.get(str(article.kind), 0) + 1
            parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
            out.write(f"{path}: {sum(kinds.values())} articles ({parts or 'none'})\n")
    if not jsonl:
        out.write(f"quarantined: {len(report.quarantined)}, warnings: {len(report.warnings)}\n")
        for q in report.quarantined:
            out.write(f"  quarantined {q.source}: {q.headword} — {q.reason}\n")
        for w in report.warnings[:50]:
            out.write(f"  warning {w}\n")
        if len(report.warnings) > 50:
            out.write(f"  … {len(report.warnings) - 50} more warnings\n")
    else:
        for w in report.warnings:
            err.write(f"warning: {w}\n")
        for q in report.quarantined:
            err.write(f"quarantined: {q.source}: {q.headword}: {q.reason}\n")
    return report
