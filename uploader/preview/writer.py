"""The offline dry run: rendered pages → files an operator and the scorer can read.

``write_preview`` streams pages into ``DIR/pages.jsonl``, one ``DIR/pages/*.wiki`` file per
page (redirects included), the pictures into ``DIR/pages/media`` with ``DIR/pictures.tsv``
for a later Commons upload, ``DIR/report.html`` and ``DIR/summary.json``. It touches no wiki
and no ledger.

Creating thousands of small files is the slow part of a preview on a busy disk, so files are
written by one background thread (the rendering goes on meanwhile), and a file an earlier
preview left under the same name is overwritten in place (cheaper than a new file); the
files of an earlier preview that this one did not write are removed at the end.
"""

from __future__ import annotations

import csv
import json
import queue
import re
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from uploader.config import TEMPLATES_DIR
from uploader.media import extension
from uploader.model import Page, Picture, Save
from uploader.preview.html import HtmlReport
from uploader.report import Report

_UNSAFE = re.compile(r"[^\w\-.,() ]+")
# File names are cut to MAX_NAME letters and MAX_NAME_BYTES of UTF-8 (file systems allow 255
# bytes, not 255 letters), leaving room for a "-N" counter and the suffix.
MAX_NAME = 120
MAX_NAME_BYTES = 200


def safe_name(title: str) -> str:
    """A file-system-safe, readable file stem for a page title (at most MAX_NAME letters
    and MAX_NAME_BYTES bytes)."""
    text = unicodedata.normalize("NFC", title)
    text = _UNSAFE.sub("_", text).strip(" ._") or "page"
    text = text[:MAX_NAME].encode("utf-8")[:MAX_NAME_BYTES].decode("utf-8", "ignore")
    return text.rstrip(" ._") or "page"


def name_key(name: str) -> str:
    """What makes two file names the same on some file system: case and Unicode form."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", name).casefold())


class _Names:
    """Hands out unique file names inside one directory: names that differ only in case or
    Unicode normalisation get a counter, so none overwrites another anywhere."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, stem: str, suffix: str) -> str:
        """A name ``stem[-N]suffix`` not yet handed out (compared by ``name_key``)."""
        name = stem + suffix
        counter = 2
        while name_key(name) in self.used:
            name = f"{stem}-{counter}{suffix}"
            counter += 1
        self.used.add(name_key(name))
        return name


def _picture_suffix(picture: Picture) -> str:
    suffix = Path(picture.name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else extension(picture.content_type)


class _Files:
    """Writes files from one background thread, in the order given; errors come back."""

    def __init__(self) -> None:
        self.todo: queue.SimpleQueue[tuple[Path, bytes] | None] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._work, name="preview-files", daemon=True)
        self.thread.start()

    def write(self, path: Path, data: bytes) -> None:
        """Queue ``data`` to be written to ``path`` (an OSError of an earlier write is raised)."""
        if self.error is not None:
            raise self.error
        self.todo.put((path, data))

    def close(self) -> None:
        """Wait for every queued write; raise the first error."""
        self.todo.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _work(self) -> None:
        while (item := self.todo.get()) is not None:
            if self.error is None:
                try:
                    item[0].write_bytes(item[1])
                except BaseException as exc:  # handed to the main thread
                    self.error = exc


class _PreviewWriter:
    """The open output files of one preview."""

    def __init__(self, out_dir: Path, templates_dir: Path) -> None:
        self.out_dir = out_dir
        self.pages_dir = out_dir / "pages"
        self.media_dir = self.pages_dir / "media"
        self.pages_dir.mkdir(parents=True, exist_ok=True)
        self.previous = _previous_files(self.pages_dir)
        self.files = _Files()
        self.names = _Names()
        self.media_names = _Names()
        self.jsonl: TextIO = (out_dir / "pages.jsonl").open("w", encoding="utf-8")
        self.tsv_file: TextIO = (out_dir / "pictures.tsv").open("w", encoding="utf-8", newline="")
        self.tsv = csv.writer(self.tsv_file, delimiter="\t", lineterminator="\n")
        self.tsv.writerow(["file", "page", "source", "content_type", "bytes", "caption"])
        self.html = HtmlReport(out_dir / "report.html", templates_dir)
        self.counts = {"pages": 0, "redirects": 0, "pictures": 0}

    def add(self, page: Page) -> None:
        saves = page.saves()
        self.counts["pages"] += 1
        self.counts["redirects"] += len(saves) - 1
        pictures = [self._write_picture(page, picture) for picture in page.pictures]
        for save in saves:
            self._write_page(page, save)
        self.html.add_page(page, getattr(page, "source_text", ""), pictures)

    def _write_page(self, page: Page, save: Save) -> None:
        article = not save.redirect_to
        record: dict[str, Any] = {
            "title": save.title,
            "wikitext": save.wikitext,
            "redirects": [s.title for s in page.saves()[1:]] if article else [],
            "warnings": list(page.warnings) if article else [],
            "source": str(page.source),
            "kind": "article" if article else "redirect",
            "summary": save.summary,
            "headword": page.headword,
            "volume": page.volume,
        }
        if not article:
            record["redirect_to"] = save.redirect_to
        name = self.names.take(safe_name(save.title), ".wiki")
        self._write(self.pages_dir / name, (save.wikitext + "\n").encode("utf-8"))
        record["file"] = f"pages/{name}"
        self.jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")

    def _write_picture(self, page: Page, picture: Picture) -> str:
        self.counts["pictures"] += 1
        self.media_dir.mkdir(exist_ok=True)
        name = self.media_names.take(safe_name(page.title), _picture_suffix(picture))
        self._write(self.media_dir / name, picture.data)
        caption = ""
        if picture.caption is not None:
            caption = _caption_text(page, picture.caption)
        self.tsv.writerow(
            [
                f"pages/media/{name}",
                page.title,
                str(page.source),
                picture.content_type,
                len(picture.data),
                caption,
            ]
        )
        return name

    def _write(self, path: Path, data: bytes) -> None:
        self.previous.discard(path)
        self.files.write(path, data)

    def close(self) -> None:
        """Close the files, wait for the background writes, remove stale files."""
        try:
            self.jsonl.close()
            self.tsv_file.close()
            self.files.close()
        finally:
            for old in self.previous:
                old.unlink(missing_ok=True)


def _previous_files(pages_dir: Path) -> set[Path]:
    """The .wiki files and pictures an earlier preview left in ``pages_dir``."""
    old = set(pages_dir.glob("*.wiki"))
    media = pages_dir / "media"
    if media.is_dir():
        old.update(p for p in media.iterdir() if p.is_file())
    return old


def _caption_text(page: Page, number: int) -> str:
    lines = getattr(page, "source_text", "").split("\n")
    return lines[number] if 0 <= number < len(lines) else ""


def write_preview(
    pages: Iterable[Page],
    out_dir: str | Path,
    report: Report,
    templates_dir: Path = TEMPLATES_DIR,
    source: str = "",
) -> dict[str, Any]:
    """Write the dry-run preview of ``pages`` into ``out_dir`` and return the counts.

    The counts (also in ``summary.json``): articles, pages, redirects, quarantined, warnings,
    pictures, and ``review``: the review queue's items per kind. Every page is written as it will be saved (``Page.saves``); the report's own
    template comes from ``templates_dir``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writer = _PreviewWriter(out, templates_dir)
    try:
        for page in pages:
            writer.add(page)
    except BaseException:
        writer.close()
        writer.html.abort()
        raise
    writer.close()
    summary: dict[str, Any] = {
        "articles": max(report.articles, writer.counts["pages"] + len(report.quarantined)),
        "pages": writer.counts["pages"],
        "redirects": writer.counts["redirects"],
        "quarantined": len(report.quarantined),
        "warnings": len(report.warnings),
        "pictures": writer.counts["pictures"],
        "review": report.review_counts(),
    }
    writer.html.finish(source or str(out), summary, report)
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return summary
