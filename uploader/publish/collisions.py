"""The collisions report: titles we did not write because a page already stood there.

One TSV per volume (``collisions.tsv``: title, existing size, last editor, note, source,
our wikitext file) and, next to it, our wikitext for each title under ``wikitext/`` so a
volunteer can merge by hand.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from uploader.publish.ledger import Ledger, State

HEADER = ("title", "existing_size", "last_editor", "note", "source", "our_wikitext")


@dataclass(frozen=True, slots=True)
class Collision:
    """A title we left alone, what stands there, and what we would have written."""

    title: str
    size: int | None
    user: str | None
    note: str
    source: str
    text: str


def _file_name(index: int, title: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_ ()" else "_" for c in title).strip()[:80]
    digest = hashlib.sha1(title.encode("utf-8")).hexdigest()[:8]
    return f"{index:05d}-{safe.replace(' ', '_')}-{digest}.wiki"


def write_collisions(collisions: Iterable[Collision], out_dir: Path) -> Path:
    """Write ``collisions.tsv`` and our wikitext files into ``out_dir``; return the TSV path."""
    text_dir = out_dir / "wikitext"
    text_dir.mkdir(parents=True, exist_ok=True)
    for old in text_dir.glob("*.wiki"):
        old.unlink()
    tsv = out_dir / "collisions.tsv"
    with tsv.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\n")
        writer.writerow(HEADER)
        for n, col in enumerate(collisions, 1):
            name = _file_name(n, col.title)
            (text_dir / name).write_text(col.text + "\n", encoding="utf-8")
            size = "" if col.size is None else str(col.size)
            writer.writerow(
                (col.title, size, col.user or "", col.note, col.source, f"wikitext/{name}")
            )
    return tsv


def ledger_collisions(ledger: Ledger, volume: str) -> list[Collision]:
    """Every row of a volume recorded ``exists``, with the text we would have written."""
    return [
        Collision(
            title=item.title,
            size=item.wiki_size,
            user=item.wiki_user,
            note=item.reason,
            source=item.pos + (f" (redirect to {item.target})" if item.is_redirect else ""),
            text=ledger.text_of(item.id),
        )
        for item in ledger.items(volume, State.EXISTS)
    ]


def read_collisions(tsv: Path) -> list[dict[str, str]]:
    """Read a collisions.tsv back as dicts (for tools and tests)."""
    with tsv.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))
