"""The records that flow between stages: parsed articles and rendered pages.

Every stage is a generator over these frozen dataclasses:
``iter_articles(path) -> Iterator[Article]``, ``render(article, ctx) -> Page``,
``publish(pages, ledger)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    """What an article is about; decides title form and categories."""

    PERSON = "person"
    PLACE = "place"
    OTHER = "other"


class Vert(StrEnum):
    """Vertical alignment of a run of text."""

    BASELINE = ""
    SUP = "sup"
    SUB = "sub"


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text with one formatting; a manual line break is a span whose text is "\\n"."""

    text: str
    bold: bool = False
    italic: bool = False
    vert: Vert = Vert.BASELINE

    @property
    def is_break(self) -> bool:
        """True for a manual line break."""
        return self.text == "\n"


class Role(StrEnum):
    """What a paragraph is within an article."""

    BODY = "body"  # the headword paragraph and ordinary continuation paragraphs
    CAPTION = "caption"  # a picture's caption
    WORKS = "works"  # «Шығ.:» paragraph
    LITERATURE = "literature"  # «Әдеб.:» paragraph
    SIGNATURE = "signature"  # the author signature (last, right-aligned, italic)


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of an article: formatted spans, its role and source index."""

    spans: tuple[Span, ...]
    role: Role = Role.BODY
    index: int = 0  # position of the paragraph in the source document body

    @property
    def text(self) -> str:
        """Plain text: spans joined, line breaks as single spaces, whitespace collapsed."""
        return plain_text(self.spans)


def plain_text(spans: Iterable[Span]) -> str:
    """Join spans into plain text with line breaks as spaces and whitespace collapsed."""
    return " ".join("".join([" " if s.is_break else s.text for s in spans]).split())


@dataclass(frozen=True, slots=True)
class Table:
    """A table that follows the article's paragraph number ``after_paragraph`` (0-based)."""

    after_paragraph: int
    rows: tuple[tuple[tuple[Span, ...], ...], ...]  # rows → cells → spans
    index: int = 0

    @property
    def text_rows(self) -> list[list[str]]:
        """Rows of plain-text cells."""
        return [[plain_text(cell) for cell in row] for row in self.rows]


@dataclass(frozen=True, slots=True)
class Picture:
    """An inline image; ``caption`` is the paragraph number of its caption, if any."""

    after_paragraph: int
    name: str  # file name inside the docx (word/media/...)
    content_type: str
    data: bytes = field(repr=False)
    caption: int | None = None
    index: int = 0


@dataclass(frozen=True, slots=True)
class SourcePos:
    """Where an article came from: file, first and last body element index."""

    file: str
    start: int
    end: int

    def __str__(self) -> str:
        return f"{self.file}:¶{self.start}"


@dataclass(frozen=True, slots=True)
class Article:
    """One encyclopedia article as parsed from a volume."""

    headword: str  # as printed: runs joined, noise and look-alike Latin letters cleaned
    title: str  # the kk.wikipedia page title (e.g. «Мұхтар Әуезов», «Ақсу (өзен)»)
    lead: str  # the bold name the page opens with (e.g. «Мұхтар Омарханұлы Әуезов»)
    kind: Kind
    paragraphs: tuple[Paragraph, ...]  # headword line through signature, in order
    source: SourcePos
    tables: tuple[Table, ...] = ()
    pictures: tuple[Picture, ...] = ()
    crossrefs: tuple[str, ...] = ()
    redirects: tuple[str, ...] = ()  # other titles that should redirect here
    title_alternatives: tuple[str, ...] = ()
    qualifier: str = ""  # the kind from the definition (``газет``), for a same-name title
    legacy_font: bool = False
    warnings: tuple[str, ...] = ()
    volume: str | None = None  # volume key from config, when known
    left_out: tuple[tuple[int, str], ...] = ()  # (body index, what) the parser did not convert
    corrected: bool = False  # a corrections file changed its title, lead, kind or redirects

    def by_role(self, role: Role) -> tuple[Paragraph, ...]:
        """The paragraphs with the given role, in order."""
        return tuple(p for p in self.paragraphs if p.role is role)

    @property
    def body(self) -> tuple[Paragraph, ...]:
        """Body paragraphs (headword line and continuations, captions excluded)."""
        return self.by_role(Role.BODY)

    @property
    def signature(self) -> str | None:
        """The author signature text, or None."""
        sig = self.by_role(Role.SIGNATURE)
        return sig[-1].text if sig else None

    @property
    def works(self) -> Paragraph | None:
        """The «Шығ.:» paragraph, if any."""
        found = self.by_role(Role.WORKS)
        return found[0] if found else None

    @property
    def literature(self) -> Paragraph | None:
        """The «Әдеб.:» paragraph, if any."""
        found = self.by_role(Role.LITERATURE)
        return found[0] if found else None

    @property
    def text(self) -> str:
        """Plain text from headword line through signature; paragraphs joined by newlines."""
        return "\n".join(p.text for p in self.paragraphs)

    @property
    def sup(self) -> list[str]:
        """Superscript strings in order."""
        return [s.text for p in self.paragraphs for s in p.spans if s.vert is Vert.SUP]

    @property
    def sub(self) -> list[str]:
        """Subscript strings in order."""
        return [s.text for p in self.paragraphs for s in p.spans if s.vert is Vert.SUB]


@dataclass(frozen=True, slots=True)
class Quarantined:
    """An article (or a stretch of a volume) that could not be processed, and why."""

    source: SourcePos
    reason: str
    headword: str = ""


@dataclass(frozen=True, slots=True)
class Save:
    """One page the wiki will hold: the article or one of its redirects, exactly as sent."""

    title: str
    wikitext: str
    summary: str
    redirect_to: str = ""  # the article's title, for a redirect; "" for the article


@dataclass(frozen=True, slots=True)
class Page:
    """A rendered wiki page ready for validation and publishing.

    The render stage fills every field that will be saved (the article's wikitext and edit
    summary, the redirects' wikitext and summary); preview, dry run and publisher read them
    through ``saves`` and never render anything themselves.
    """

    title: str
    wikitext: str
    source: SourcePos
    redirects: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    summary: str = ""  # edit summary
    headword: str = ""
    pictures: tuple[Picture, ...] = ()
    volume: str | None = None
    redirect_text: str = ""  # the wikitext of each redirect page (they all point here)
    redirect_summary: str = ""  # the edit summary of each redirect
    # Every name the subject may already have on the wiki (title first, normalised as
    # MediaWiki does): the publisher looks them all up before creating anything.
    candidates: tuple[str, ...] = ()
    fallback_title: str = ""  # qualified title (``Қазақ әдебиеті (газет)``) if the title is taken
    fallback_redirect_text: str = ""  # the redirects' wikitext when pointing to the fallback
    source_text: str = ""  # the article's plain text (what a hand-made copy is compared with)

    @property
    def key(self) -> str:
        """Stable identity of the article in its volume: file name and paragraph index."""
        return f"{self.source.file}:{self.source.start}"

    def saves(self) -> tuple[Save, ...]:
        """The article, then each redirect (once, never onto the article's own title)."""
        out = [Save(self.title, self.wikitext, self.summary)]
        for title in dict.fromkeys(self.redirects):
            if title and title != self.title:
                out.append(Save(title, self.redirect_text, self.redirect_summary, self.title))
        return tuple(out)
