"""Operator corrections: a TOML file per volume that fixes, with data, what the parser got wrong.

Found beside the volume (``07.docx`` → ``07.corrections.toml``) or given explicitly::

    [[article]]
    headword = "ӘЛ-ХОРЕЗМИ Мұхаммед ибн Мұса"  # the record's headword, as printed
    occurrence = 1        # optional: which one, when the headword repeats in the volume
    title = "Әл-Хорезми"  # any of: title, lead, kind, redirects = [...]
    # skip = true         # never publish this article
    # merge = true        # not an article: join it to the one before

``skip`` and ``merge`` act on the segmented drafts (before naming); the other fields replace
the parsed values of the built article, which is then marked ``corrected``. A correction that
matches no article is reported; a malformed file is one ``ConfigError`` line naming the file
and the entry.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from uploader.errors import ConfigError
from uploader.model import Article, Kind
from uploader.parse.segment import Draft, Skipped
from uploader.report import Report, Review
from uploader.wikitext import QUOTES_RE, fix_lookalikes, title_problems

SUFFIX = ".corrections.toml"
_FIELDS = ("headword", "occurrence", "title", "lead", "kind", "redirects", "skip", "merge")


@dataclass(frozen=True, slots=True)
class Correction:
    """One ``[[article]]`` entry: which article, and what to change."""

    entry: int  # 1-based position in the file
    headword: str
    occurrence: int | None = None
    title: str | None = None
    lead: str | None = None
    kind: Kind | None = None
    redirects: tuple[str, ...] | None = None
    skip: bool = False
    merge: bool = False

    def describe(self) -> str:
        """``«HEADWORD»`` with its occurrence, for messages."""
        nth = f" (occurrence {self.occurrence})" if self.occurrence is not None else ""
        return f"«{self.headword}»{nth}"

    def changes(self) -> str:
        """What this correction changes, for the review queue."""
        if self.skip:
            return "skipped (never published)"
        if self.merge:
            return "merged into the article before"
        parts = [
            f"{name} → {value!r}"
            for name, value in (
                ("title", self.title),
                ("lead", self.lead),
                ("kind", self.kind and str(self.kind)),
                ("redirects", self.redirects and list(self.redirects)),
            )
            if value is not None
        ]
        return "; ".join(parts) or "nothing to change"


def headword_key(headword: str) -> str:
    """The form headwords are matched in: NFC, look-alikes fixed, no quotes, case folded."""
    text = unicodedata.normalize("NFC", headword).replace("\u00ad", "")
    text = QUOTES_RE.sub("", fix_lookalikes(text))
    return " ".join(text.split()).strip(" –—-,.;:").casefold()


@dataclass
class Corrections:
    """The corrections of one volume and which of them have matched so far."""

    path: Path | None = None
    items: tuple[Correction, ...] = ()
    _seen: Counter[str] = field(default_factory=Counter)
    _matched: set[int] = field(default_factory=set)
    _by_key: dict[str, list[Correction]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for item in self.items:
            self._by_key.setdefault(headword_key(item.headword), []).append(item)

    def __bool__(self) -> bool:
        return bool(self.items)

    def match(self, headword: str) -> list[Correction]:
        """The corrections for the next article with this headword (counts its occurrence)."""
        key = headword_key(headword)
        found = self._by_key.get(key)
        if not found:
            return []
        self._seen[key] += 1
        nth = self._seen[key]
        hits = [c for c in found if c.occurrence in (None, nth)]
        self._matched.update(c.entry for c in hits)
        return hits

    def unmatched(self) -> list[Correction]:
        """The corrections that matched no article (call after the whole volume)."""
        return [c for c in self.items if c.entry not in self._matched]


def apply_fields(article: Article, corrections: Iterable[Correction]) -> Article:
    """The article with the corrected title, lead, kind and redirects, marked ``corrected``."""
    changes: dict[str, Any] = {}
    for c in corrections:
        if c.title is not None:
            changes["title"] = c.title
        if c.lead is not None:
            changes["lead"] = c.lead
        if c.kind is not None:
            changes["kind"] = c.kind
        if c.redirects is not None:
            changes["redirects"] = c.redirects
    if not changes:
        return article
    if "title" in changes:
        old = article.title
        alternatives = (old, *article.title_alternatives)
        changes["title_alternatives"] = tuple(
            dict.fromkeys(t for t in alternatives if t != changes["title"])
        )
    return replace(article, corrected=True, **changes)


def corrections_path(volume: str | Path, given: str | Path | None = None) -> Path | None:
    """The corrections file of a volume: ``given``, else ``NAME.corrections.toml`` beside it."""
    if given is not None:
        path = Path(given)
        if not path.is_file():
            raise ConfigError(f"{path}: corrections file not found; check the --corrections path")
        return path
    beside = Path(volume).with_name(Path(volume).stem + SUFFIX)
    return beside if beside.is_file() else None


def load_corrections(volume: str | Path, given: str | Path | None = None) -> Corrections:
    """The corrections for a volume (none when there is no file); ConfigError when malformed."""
    path = corrections_path(volume, given)
    if path is None:
        return Corrections()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}); fix the file") from None
    unknown = sorted(set(data) - {"article"})
    if unknown:
        raise ConfigError(
            f"{path}: unknown table(s) {', '.join(unknown)}; write each as [[article]]"
        )
    entries = data.get("article", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: 'article' must be an array of tables ([[article]])")
    return Corrections(path, tuple(_entry(path, n, e) for n, e in enumerate(entries, 1)))


def _entry(path: Path, number: int, raw: Any) -> Correction:
    """One ``[[article]]`` table, checked; ConfigError names the file, entry and key."""
    where = f"{path}: [[article]] #{number}"
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: must be a table")
    headword = raw.get("headword")
    if not isinstance(headword, str) or not headword.strip():
        raise ConfigError(f'{where}: needs headword = "..." (the record\'s headword)')
    where += f" («{headword}»)"
    unknown = sorted(set(raw) - set(_FIELDS))
    if unknown:
        allowed = ", ".join(_FIELDS)
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {allowed}")
    skip, merge = _flag(raw, "skip", where), _flag(raw, "merge", where)
    others = [n for n in ("title", "lead", "kind", "redirects") if raw.get(n) is not None]
    if skip and merge:
        raise ConfigError(f"{where}: skip and merge cannot both be true")
    if (skip or merge) and others:
        raise ConfigError(f"{where}: skip/merge cannot be combined with {', '.join(others)}")
    return Correction(
        entry=number,
        headword=headword.strip(),
        occurrence=_occurrence(raw.get("occurrence"), where),
        title=_title(raw.get("title"), "title", where),
        lead=_text(raw.get("lead"), "lead", where),
        kind=_kind(raw.get("kind"), where),
        redirects=_redirects(raw.get("redirects"), where),
        skip=skip,
        merge=merge,
    )


def _flag(raw: Mapping[str, Any], name: str, where: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {name} must be true or false")
    return value


def _occurrence(value: Any, where: str) -> int | None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ConfigError(f"{where}: occurrence must be a whole number from 1")
    return value


def _text(value: Any, name: str, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {name} must be a non-empty string")
    return unicodedata.normalize("NFC", value.strip())


def _title(value: Any, name: str, where: str) -> str | None:
    title = _text(value, name, where)
    problems = title_problems(title) if title is not None else []
    if problems:
        raise ConfigError(f"{where}: {name} {title!r}: {problems[0]}")
    return title


def _kind(value: Any, where: str) -> Kind | None:
    if value is None:
        return None
    if value not in {str(k) for k in Kind}:
        raise ConfigError(f"{where}: kind must be one of {', '.join(str(k) for k in Kind)}")
    return Kind(value)


def _redirects(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):  # [] clears the redirects
        raise ConfigError(f"{where}: redirects must be a list of valid page titles")
    titles = [_title(item, "redirect", where) for item in value]
    return tuple(t for t in titles if t)


def correct_drafts(
    items: Iterable[Draft | Skipped], corrections: Corrections, report: Report, label: str
) -> Iterator[tuple[Draft, list[Correction]]]:
    """The drafts to build, each with the corrections for its fields; ``skip`` drops a draft,
    ``merge`` joins it to the one before (one draft is held back for that)."""
    held: tuple[Draft, list[Correction]] | None = None
    for item in items:
        if not isinstance(item, Draft):
            continue
        found = corrections.match(item.match.headword) if corrections else []
        where = f"{label}:¶{item.blocks[0].index}"
        if any(c.skip for c in found):
            report.flag(
                Review.CORRECTION, where, "skipped by the corrections file", item.match.headword
            )
            continue
        if any(c.merge for c in found):
            if held is not None:
                before = held[0]
                held = (before._replace(blocks=before.blocks + item.blocks), held[1])
                report.flag(
                    Review.CORRECTION,
                    where,
                    f"merged into «{before.match.headword}» by the corrections file",
                    item.match.headword,
                )
                continue
            report.warn(
                where, f"correction: «{item.match.headword}» has no article before it to merge into"
            )
            found = [c for c in found if not c.merge]
        if held is not None:
            yield held
        held = (item, found)
    if held is not None:
        yield held
