"""The offline dry run: rendered pages → files an operator and the scorer can read.

``write_preview`` streams pages into ``DIR/pages.jsonl``, one ``DIR/pages/*.wiki`` file per
page (redirects included), the pictures into ``DIR/pages/media`` with ``DIR/pictures.tsv``
for a later Commons upload, ``DIR/report.html`` and ``DIR/summary.json``. It touches no wiki
and no ledger.

Creating thousands of small files is the slow part of a preview on a busy disk, so files are
written by one background thread (the rendering goes on meanwhile). A file an earlier
preview left under the same name is kept when it already holds the same bytes (most of a
rerun's files: only what changed is written, and unchanged files keep their times) and is
overwritten in place otherwise (cheaper than a new file); the files of an earlier preview
that this one did not write are removed at the end.
"""

from __future__ import annotations

import csv
import json
import os
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
_JSON = json.JSONEncoder(ensure_ascii=False)  # as json.dumps(..., ensure_ascii=False)
_BUFFER = 1 << 20  # the streamed files: fewer, larger writes
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
_UPDATE = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
# File names are cut to MAX_NAME letters and MAX_NAME_BYTES of UTF-8 (file systems allow 255
# bytes, not 255 letters), leaving room for a "-N" counter and the suffix.
MAX_NAME = 120
MAX_NAME_BYTES = 200


def safe_name(title: str) -> str:
    """A file-system-safe, readable file stem for a page title (at most MAX_NAME letters
    and MAX_NAME_BYTES bytes)."""
    text = unicodedata.normalize("NFC", title)
    text = _UNSAFE.sub("_", text).strip(" ._") or "page"
    if len(text) > MAX_NAME_BYTES // 4:  # else short enough in any encoding
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
        key = name_key(name)
        counter = 2
        while key in self.used:
            name = f"{stem}-{counter}{suffix}"
            key = name_key(name)
            counter += 1
        self.used.add(key)
        return name


def _picture_suffix(picture: Picture) -> str:
    suffix = Path(picture.name).suffix.lower()
    return suffix if re.fullmatch(r"\.[a-z0-9]{1,5}", suffix) else extension(picture.content_type)


class _Files:
    """Writes files from one background thread, in the order given; errors come back.

    Files are handed over in batches of ``BATCH`` (each hand-over wakes the thread, which then
    competes with the rendering for the interpreter: once per file costs the renderer more
    than the files themselves).
    """

    BATCH = 64

    def __init__(self) -> None:
        self.todo: queue.SimpleQueue[list[tuple[str, bytes, bool]] | None] = queue.SimpleQueue()
        self.batch: list[tuple[str, bytes, bool]] = []
        self.error: BaseException | None = None
        # Started with the first batch, not before: until pages come, the pipeline may still
        # fork its helpers (``uploader.cores.can_fork``), which a running thread forbids.
        self.thread: threading.Thread | None = None

    def write(self, path: str, data: bytes, existed: bool = False) -> None:
        """Queue ``data`` to be written to ``path`` (``existed``: an earlier preview left a
        file there); an OSError of an earlier write is raised."""
        if self.error is not None:
            raise self.error
        self.batch.append((path, data, existed))
        if len(self.batch) >= self.BATCH:
            self._hand_over()

    def close(self) -> None:
        """Wait for every queued write; raise the first error."""
        self._hand_over()
        self.todo.put(None)
        assert self.thread is not None
        self.thread.join()
        if self.error is not None:
            raise self.error

    def _hand_over(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._work, name="preview-files", daemon=True)
            self.thread.start()
        self.todo.put(self.batch)
        self.batch = []

    def _work(self) -> None:
        while (batch := self.todo.get()) is not None:
            for path, data, existed in batch:
                if self.error is not None:
                    break
                try:
                    _write_file(path, data, existed)
                except BaseException as exc:  # handed to the main thread
                    self.error = exc


def _write_file(path: str, data: bytes, existed: bool = False) -> None:
    """Make ``path`` hold ``data`` (what Path.write_bytes does, in fewer steps); a file an
    earlier preview left (``existed``) that already holds exactly ``data`` is left as it is
    (a rerun rewrites only what changed: truncating and refilling a file costs the file
    system more than reading it)."""
    kept = _open_existing(path) if existed else None
    fd = kept if kept is not None else os.open(path, _CREATE, 0o666)
    try:
        if kept is not None:
            if _holds(fd, data):
                return
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def _open_existing(path: str) -> int | None:
    """``path`` opened to be read and rewritten, or None when it is gone."""
    try:
        return os.open(path, _UPDATE)
    except FileNotFoundError:
        return None


def _holds(fd: int, data: bytes) -> bool:
    """Whether the open file ``fd`` holds exactly ``data`` (read only when the size matches)."""
    size = os.fstat(fd).st_size
    if size != len(data):
        return False
    pieces = []
    while size > 0 and (piece := os.read(fd, size)):
        pieces.append(piece)
        size -= len(piece)
    return b"".join(pieces) == data


class _PreviewWriter:
    """The open output files of one preview."""

    def __init__(self, out_dir: Path, templates_dir: Path) -> None:
        self.out_dir = out_dir
        self.pages_dir = out_dir / "pages"
        self.media_dir = self.pages_dir / "media"
        self.pages_dir.mkdir(parents=True, exist_ok=True)
        self.pages_prefix = os.path.join(self.pages_dir, "")  # paths as strings: cheaper
        self.media_prefix = os.path.join(self.media_dir, "")
        self.previous = _previous_files(self.pages_dir)
        self.files = _Files()
        self.names = _Names()
        self.media_names = _Names()
        self.jsonl: TextIO = (out_dir / "pages.jsonl").open(
            "w", encoding="utf-8", buffering=_BUFFER
        )
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
        source = str(page.source)
        redirects = [s.title for s in saves[1:]]
        lines = [self._write_page(page, save, source, redirects) for save in saves]
        self.jsonl.write("".join(lines))
        self.html.add_page(page, getattr(page, "source_text", ""), pictures)

    def _write_page(self, page: Page, save: Save, source: str, redirects: list[str]) -> str:
        """Write the save's .wiki file; return its pages.jsonl line."""
        article = not save.redirect_to
        record: dict[str, Any] = {
            "title": save.title,
            "wikitext": save.wikitext,
            "redirects": redirects if article else [],
            "warnings": list(page.warnings) if article else [],
            "source": source,
            "kind": "article" if article else "redirect",
            "summary": save.summary,
            "headword": page.headword,
            "volume": page.volume,
        }
        if not article:
            record["redirect_to"] = save.redirect_to
        name = self.names.take(safe_name(save.title), ".wiki")
        self._write(self.pages_prefix + name, (save.wikitext + "\n").encode("utf-8"))
        record["file"] = f"pages/{name}"
        return _JSON.encode(record) + "\n"

    def _write_picture(self, page: Page, picture: Picture) -> str:
        if not self.counts["pictures"]:
            self.media_dir.mkdir(exist_ok=True)
        self.counts["pictures"] += 1
        name = self.media_names.take(safe_name(page.title), _picture_suffix(picture))
        self._write(self.media_prefix + name, picture.data)
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

    def _write(self, path: str, data: bytes) -> None:
        existed = path in self.previous
        self.previous.discard(path)
        self.files.write(path, data, existed)

    def close(self) -> None:
        """Close the files, wait for the background writes, remove stale files."""
        try:
            self.jsonl.close()
            self.tsv_file.close()
            self.files.close()
        finally:
            for old in self.previous:
                Path(old).unlink(missing_ok=True)


def _previous_files(pages_dir: Path) -> set[str]:
    """The .wiki files and pictures an earlier preview left in ``pages_dir`` (as paths that
    ``_PreviewWriter._write`` is given)."""
    old = {os.path.join(pages_dir, p.name) for p in pages_dir.glob("*.wiki")}
    media = pages_dir / "media"
    if media.is_dir():
        old.update(os.path.join(media, p.name) for p in media.iterdir() if p.is_file())
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
        try:
            for page in pages:
                writer.add(page)
        finally:
            writer.close()  # a file that could not be written is raised here at the latest
    except BaseException:
        writer.html.abort()
        raise
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
