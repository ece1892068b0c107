"""The title index: headwords and titles of every configured volume → the final page title.

Cross-references point across volumes (volume 3 may point into volume 11), so the renderer
resolves a target against all of them. This module is the lookup; the pipeline builds it
(``uploader.pipeline.title_index``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from uploader.model import Article
from uploader.wikitext import QUOTES_RE, fix_lookalikes, strip_qualifier


def normalise(name: str) -> str:
    """The lookup key of a title or headword: NFC, look-alike letters fixed, no quotes, ``_``
    as space, casefolded."""
    text = (
        unicodedata.normalize("NFC", fix_lookalikes(name)).replace("\u00ad", "").replace("_", " ")
    )
    text = QUOTES_RE.sub("", text)
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
        names = {article.headword, article.lead, strip_qualifier(title), title}
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
