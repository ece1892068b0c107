"""Building the title index over every configured volume, with a cache per volume file.

Building parses each volume (with its corrections file, beside it or given); its part of the
index is cached in a JSON file (one per volume file) keyed by the file's path, modification
time and size, and those of its corrections file. This joins the parse and render
stages, so it lives in the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from uploader.model import Article
from uploader.parse import iter_articles
from uploader.parse.corrections import corrections_path
from uploader.render.title_index import TitleIndex
from uploader.report import Report

CACHE_VERSION = 1


def _stamp(path: Path, corrections: Path | None = None) -> dict[str, Any]:
    st = path.stat()
    stamp: dict[str, Any] = {
        "path": str(path.resolve()),
        "mtime_ns": st.st_mtime_ns,
        "size": st.st_size,
    }
    fixes = corrections_path(path, corrections)
    if fixes is not None:
        fst = fixes.stat()
        stamp["corrections"] = [str(fixes.resolve()), fst.st_mtime_ns, fst.st_size]
    return stamp


def _iter_volume(path: Path, volume: str, corrections: Path | None = None) -> Iterator[Article]:
    yield from iter_articles(path, report=Report(), volume=volume, corrections=corrections)


def cache_file(cache_dir: Path, path: Path) -> Path:
    """The cache file of one volume file inside ``cache_dir``."""
    resolved = str(Path(path).resolve())
    digest = hashlib.sha1(resolved.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return cache_dir / f"{Path(path).stem[:40]}-{digest}.json"


def volume_index(
    path: Path,
    volume: str,
    cache_dir: Path | None = None,
    corrections: Path | None = None,
    write: bool = True,
) -> TitleIndex:
    """The index of one volume file, from its cache file when the file is unchanged
    (``write``: else built and cached; otherwise built and not cached)."""
    stamp = _stamp(path, corrections)
    cache = cache_file(cache_dir, path) if cache_dir is not None else None
    cached = _read_cache(cache, stamp)
    if cached is not None:
        return cached
    index = TitleIndex.from_articles(_iter_volume(path, volume, corrections))
    if cache is not None and write:
        _write_cache(cache, stamp, index)
    return index


def build_index(
    volumes: Mapping[str, Path],
    cache_dir: Path | None = None,
    report: Report | None = None,
    corrections: Mapping[Path, Path] | None = None,
    write: bool = True,
) -> TitleIndex:
    """Index every volume file that exists, each cached in ``cache_dir`` (one JSON per file).

    A cache file is used while its volume file (and corrections file) keeps its path,
    modification time and size. ``corrections`` maps a resolved volume path to a corrections
    file given explicitly (others use the file beside the volume); ``write`` False leaves
    the cache folder as it is (a preview writes only its own folder). Missing volume files
    are skipped with a warning in ``report``.
    """
    index = TitleIndex()
    seen: set[Path] = set()
    for key, path in sorted(volumes.items()):
        path = Path(path)
        if not path.is_file():
            if report is not None:
                report.warn(str(path), f"volume {key}: file not found, not in the title index")
            continue
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        fixes = (corrections or {}).get(path.resolve())
        index.merge(volume_index(path, key, cache_dir, fixes, write))
    return index


def _read_cache(cache: Path | None, stamp: Mapping[str, Any]) -> TitleIndex | None:
    if cache is None or not cache.is_file():
        return None
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION or data.get("volume") != stamp:
            return None
        return TitleIndex.from_json(data["index"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged cache is rebuilt


def _write_cache(cache: Path, stamp: Mapping[str, Any], index: TitleIndex) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": CACHE_VERSION, "volume": dict(stamp), "index": index.to_json()}
    fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".title-index-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.replace(tmp, cache)
