"""The title index: every configured volume's headwords and titles → the final page title.

Cross-references point across volumes (volume 3 may point into volume 11), so the renderer
resolves a target against all of them. Building the index parses every volume; each volume's part is
cached in a JSON file (one per volume file) keyed by the file's path, modification time and size.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uploader.model import Article
from uploader.report import Report

CACHE_VERSION = 1
_QUOTES = re.compile(r"[«»\"“”„]")
_QUALIFIER = re.compile(r"\s*\([^)]*\)$")


def normalise(name: str) -> str:
    """The lookup key of a title or headword: NFC, no quotes, ``_`` as space, casefolded."""
    text = unicodedata.normalize("NFC", name).replace("\u00ad", "").replace("_", " ")
    text = _QUOTES.sub("", text)
    return " ".join(text.split()).rstrip(" .,;:").casefold()


@dataclass(frozen=True)
class Resolution:
    """What a link target resolves to: the page title, and how sure that is."""

    title: str | None  # the page to link to; None when unknown
    exact: bool = False  # the target is itself a page or redirect title
    ambiguous: tuple[str, ...] = ()  # several pages answer to the target


@dataclass
class TitleIndex:
    """Normalised names → final page titles, plus the set of titles and redirects."""

    names: dict[str, list[str]] = field(default_factory=dict)
    titles: dict[str, str] = field(default_factory=dict)  # normalised → exact page title
    redirects: dict[str, str] = field(default_factory=dict)  # normalised redirect → target

    def add(self, article: Article) -> None:
        """Index one article under its title, headword, lead, alternatives and redirects."""
        title = article.title
        self.titles[normalise(title)] = title
        for redirect in article.redirects:
            self.redirects.setdefault(normalise(redirect), title)
        names = {article.headword, article.lead, _QUALIFIER.sub("", title), title}
        names.update(article.title_alternatives)
        names.update(article.redirects)
        for name in names:
            key = normalise(name)
            if key:
                bucket = self.names.setdefault(key, [])
                if title not in bucket:
                    bucket.append(title)

    def resolve(self, target: str) -> Resolution:
        """The page a cross-reference target points to, if any."""
        key = normalise(target)
        if key in self.titles:
            return Resolution(self.titles[key], exact=True)
        if key in self.redirects:
            return Resolution(target, exact=True)
        found = self.names.get(key, [])
        if len(found) == 1:
            return Resolution(found[0])
        if found:
            return Resolution(None, ambiguous=tuple(found))
        return Resolution(None)

    def merge(self, other: TitleIndex) -> None:
        """Add another index (another volume) to this one."""
        self.titles.update(other.titles)
        for key, target in other.redirects.items():
            self.redirects.setdefault(key, target)
        for key, titles in other.names.items():
            bucket = self.names.setdefault(key, [])
            bucket.extend(t for t in titles if t not in bucket)

    def __len__(self) -> int:
        return len(self.titles)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of the index."""
        return {"names": self.names, "titles": self.titles, "redirects": self.redirects}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> TitleIndex:
        """The index from ``to_json`` output."""
        return cls(
            names={str(k): [str(t) for t in v] for k, v in dict(data["names"]).items()},
            titles={str(k): str(v) for k, v in dict(data["titles"]).items()},
            redirects={str(k): str(v) for k, v in dict(data["redirects"]).items()},
        )

    @classmethod
    def from_articles(cls, articles: Iterable[Article]) -> TitleIndex:
        """Index the given articles."""
        index = cls()
        for article in articles:
            index.add(article)
        return index


def _stamp(path: Path) -> dict[str, Any]:
    st = path.stat()
    return {"path": str(path.resolve()), "mtime_ns": st.st_mtime_ns, "size": st.st_size}


def _iter_volume(path: Path, volume: str) -> Iterator[Article]:
    from uploader.parser import iter_articles  # the parser is a later stage's import

    yield from iter_articles(path, report=Report(), volume=volume)


def cache_file(cache_dir: Path, path: Path) -> Path:
    """The cache file of one volume file inside ``cache_dir``."""
    resolved = str(Path(path).resolve())
    digest = hashlib.sha1(resolved.encode("utf-8"), usedforsecurity=False).hexdigest()[:16]
    return cache_dir / f"{Path(path).stem[:40]}-{digest}.json"


def volume_index(path: Path, volume: str, cache_dir: Path | None = None) -> TitleIndex:
    """The index of one volume file, from its cache file when the file is unchanged."""
    stamp = _stamp(path)
    cache = cache_file(cache_dir, path) if cache_dir is not None else None
    cached = _read_cache(cache, stamp)
    if cached is not None:
        return cached
    index = TitleIndex.from_articles(_iter_volume(path, volume))
    if cache is not None:
        _write_cache(cache, stamp, index)
    return index


def build_index(
    volumes: Mapping[str, Path],
    cache_dir: Path | None = None,
    report: Report | None = None,
) -> TitleIndex:
    """Index every volume file that exists, each cached in ``cache_dir`` (one JSON per file).

    A cache file is used while its volume file keeps its path, modification time and size.
    Missing volume files are skipped with a warning in ``report``.
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
        index.merge(volume_index(path, key, cache_dir))
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
