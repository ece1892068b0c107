"""Building the title index over every configured volume, with a cache per volume file.

A volume's part of the index is cached in a JSON file (one per volume file) keyed by the
file's content (SHA-1 of its bytes) and the naming rules, never by its modification time: a
copied or touched file keeps its cache, an edited one loses it. A volume being rendered in
the same run gives its part from the pages' own parse (``known``), so no volume is parsed twice.
This joins the parse and render stages, so it lives in the pipeline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from uploader.config import Limits, NamingRules
from uploader.model import Article
from uploader.parse import iter_articles
from uploader.parse.corrections import corrections_path
from uploader.render.title_index import TitleIndex
from uploader.report import Report

CACHE_VERSION = 1
_CHUNK = 1 << 20


def file_digest(path: Path) -> str:
    """The SHA-1 of a file's bytes (hex)."""
    digest = hashlib.sha1(usedforsecurity=False)
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def rules_digest(rules: NamingRules | None) -> str:
    """A digest of the naming rules (titles depend on them), stable across processes."""
    if rules is None:
        return ""
    data = {f.name: _plain(getattr(rules, f.name)) for f in dataclasses.fields(rules)}
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _plain(value: Any) -> Any:
    """A rules value in a JSON form that is the same in every process (sets sorted)."""
    if isinstance(value, Mapping):
        return sorted((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def stamp(
    path: Path, rules: NamingRules | None = None, corrections: Path | None = None
) -> dict[str, Any]:
    """What a cache file must match: the volume file's content digest, the rules, and the
    content of its corrections file (given, or the one beside the volume) when there is one."""
    out: dict[str, Any] = {"sha1": file_digest(path), "rules": rules_digest(rules)}
    fixes = corrections_path(path, corrections)
    if fixes is not None:
        out["corrections"] = file_digest(fixes)
    return out


def cache_file(cache_dir: Path, path: Path) -> Path:
    """The cache file of one volume file inside ``cache_dir``."""
    resolved = str(Path(path).resolve())
    digest = hashlib.sha1(resolved.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return cache_dir / f"{Path(path).stem[:40]}-{digest}.json"


def cached_index(
    path: Path,
    cache_dir: Path | None,
    rules: NamingRules | None = None,
    corrections: Path | None = None,
) -> TitleIndex | None:
    """The cached index of a volume file when its content is unchanged, else None."""
    if cache_dir is None:
        return None
    return _read_cache(cache_file(cache_dir, path), stamp(path, rules, corrections))


def store_index(
    path: Path,
    index: TitleIndex,
    cache_dir: Path | None,
    rules: NamingRules | None = None,
    corrections: Path | None = None,
) -> None:
    """Cache the index of a volume file (built from a parse of it) in ``cache_dir``."""
    if cache_dir is not None:
        _write_cache(cache_file(cache_dir, path), stamp(path, rules, corrections), index)


def index_of(articles: Iterable[Article]) -> TitleIndex:
    """The index of parsed articles."""
    return TitleIndex.from_articles(articles)


def volume_index(
    path: Path,
    volume: str,
    cache_dir: Path | None = None,
    rules: NamingRules | None = None,
    corrections: Path | None = None,
    write: bool = True,
    limits: Limits | None = None,
) -> TitleIndex:
    """The index of one volume file: from its cache file, else by parsing it within
    ``limits`` (and caching it unless ``write`` is False)."""
    cached = cached_index(path, cache_dir, rules, corrections)
    if cached is not None:
        return cached
    articles = iter_articles(
        path, report=Report(), volume=volume, rules=rules, corrections=corrections, limits=limits
    )
    index = index_of(articles)
    if write:
        store_index(path, index, cache_dir, rules, corrections)
    return index


def build_index(
    volumes: Mapping[str, Path],
    cache_dir: Path | None = None,
    report: Report | None = None,
    rules: NamingRules | None = None,
    known: Mapping[Path, TitleIndex] | None = None,
    corrections: Mapping[Path, Path] | None = None,
    write: bool = True,
    limits: Limits | None = None,
) -> TitleIndex:
    """Index every volume file that exists, each cached in ``cache_dir`` (one JSON per file).

    A cache file is used while its volume file (and corrections file) keeps its content.
    ``known`` gives the index of files already parsed in this run (by resolved path), used as
    is; ``corrections`` maps a resolved volume path to a corrections file given explicitly
    (others use the file beside the volume); ``write`` False leaves the cache folder as it is
    (a preview writes only its own folder). Missing volume files are skipped with a warning.
    """
    index = TitleIndex()
    seen: set[Path] = set()
    known = known or {}
    for key, path in sorted(volumes.items()):
        path = Path(path)
        resolved = path.resolve()
        if resolved in known:
            if resolved not in seen:
                seen.add(resolved)
                index.merge(known[resolved])
            continue
        if not path.is_file():
            if report is not None:
                report.warn(str(path), f"volume {key}: file not found, not in the title index")
            continue
        if resolved in seen:
            continue
        seen.add(resolved)
        fixes = (corrections or {}).get(resolved)
        index.merge(volume_index(path, key, cache_dir, rules, fixes, write, limits))
    return index


def _read_cache(cache: Path, want: Mapping[str, Any]) -> TitleIndex | None:
    if not cache.is_file():
        return None
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("version") != CACHE_VERSION or data.get("volume") != want:
            return None
        return TitleIndex.from_json(data["index"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged cache is rebuilt


def _write_cache(cache: Path, want: Mapping[str, Any], index: TitleIndex) -> None:
    cache.parent.mkdir(parents=True, exist_ok=True)
    payload = {"version": CACHE_VERSION, "volume": dict(want), "index": index.to_json()}
    fd, tmp = tempfile.mkstemp(dir=cache.parent, prefix=".title-index-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(payload, fh, ensure_ascii=False)
    os.replace(tmp, cache)
