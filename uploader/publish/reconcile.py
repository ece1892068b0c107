"""The reconcile report: articles whose subject the wiki already has, for the community.

For each article not created (same subject, unsure, title taken with no qualified title) and
each one created under its qualified title (a hatnote or disambiguation is wanted): the
existing page, how it was reached, its creator and last editor, the similarity, and what the
article would add (superscripts and subscripts flattened on the wiki copy, tables, the
literature and sources sections, the citation). Written as ``reconcile.tsv`` and
``reconcile.html`` beside the ledger by every run and by the dry run; the dry run also puts it
in the preview's ``report.html``.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from uploader.config import TEMPLATES_DIR
from uploader.publish.ledger import Entry, Item, Ledger
from uploader.publish.subjects import Finding

HEADER = (
    "source",
    "title",
    "subject",
    "created_as",
    "existing_page",
    "via",
    "creator",
    "last_editor",
    "similarity",
    "adds",
    "note",
)
TEMPLATE = "reconcile.html.j2"


def reconcile_row(entry: Entry | Item, found: Finding) -> dict[str, str]:
    """One report row for an article and its verdict."""
    verdict, match = found.verdict, found.verdict.match
    return {
        "source": entry.pos,
        "title": getattr(entry, "original", "") or entry.title,
        "subject": str(verdict.subject),
        "created_as": verdict.title if verdict.title != entry.title else "",
        "existing_page": match.page if match else "",
        "via": match.via if match else "",
        "creator": found.creator or "",
        "last_editor": (match.editor if match else "") or "",
        "similarity": f"{match.similarity:.2f}" if match else "",
        "adds": found.adds,
        "note": verdict.note,
    }


def ledger_reconcile(ledger: Ledger, volume: str) -> list[dict[str, str]]:
    """The report rows of a volume, from the verdicts recorded in the ledger."""
    rows = []
    for sub in ledger.subject_rows(volume):
        original = sub.item.original or sub.item.title
        rows.append(
            {
                "source": sub.item.pos,
                "title": original,
                "subject": sub.subject,
                "created_as": sub.item.title if sub.item.title != original else "",
                "existing_page": sub.page,
                "via": sub.via,
                "creator": sub.creator or "",
                "last_editor": sub.editor or "",
                "similarity": "" if sub.similarity is None else f"{sub.similarity:.2f}",
                "adds": sub.adds,
                "note": sub.note,
            }
        )
    return rows


def write_reconcile(
    rows: Sequence[dict[str, str]], out_dir: Path, templates_dir: Path = TEMPLATES_DIR
) -> Path:
    """Write ``reconcile.tsv`` and ``reconcile.html`` into ``out_dir``; return the TSV path."""
    import jinja2  # at the end of a run only (keeps start-up fast)

    out_dir.mkdir(parents=True, exist_ok=True)
    tsv = out_dir / "reconcile.tsv"
    with tsv.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(HEADER)
        for row in rows:
            writer.writerow([_cell(row.get(key, "")) for key in HEADER])
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    html = env.get_template(TEMPLATE).render(reconcile=list(rows), volume=out_dir.name)
    (out_dir / "reconcile.html").write_text(html + "\n", encoding="utf-8")
    return tsv


def _cell(value: str) -> str:
    return " ".join(str(value).split())


def read_reconcile(tsv: Path) -> list[dict[str, str]]:
    """Read a reconcile.tsv back as dicts (for tools and tests)."""
    with tsv.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def titles_in(rows: Iterable[dict[str, str]]) -> list[str]:
    """The existing pages a report names."""
    return [r["existing_page"] for r in rows if r.get("existing_page")]
