"""A collector for what a stage saw: warnings, quarantined articles and the review queue.

The review queue is what a person should look at before a volume goes live, each item with
its position, a kind (``Review`` below names the kinds) and the reason; ``summary.json``
counts each kind and the report opens with them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from uploader.model import Quarantined, SourcePos


class Review(StrEnum):
    """Kinds of review item, in the order the report shows them."""

    QUARANTINED = "quarantined"  # an article set aside
    LEFT_OUT = "left_out"  # text or objects not converted (equations, footnotes, charts ...)
    ORDER = "order"  # a candidate headword rejected or accepted against alphabetical order
    TITLE_GUESSED = "title_guessed"  # casing guessed or qualifier invented without evidence
    PERSON_NAME = "person_name"  # a person's name parsed with unsure parts
    CROSSREF = "crossref"  # a cross-reference target not found
    CORRECTION = "correction"  # a correction that matched nothing, or was applied
    EXISTING = "existing"  # the wiki may already hold the subject (unsure)


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One thing a person should look at: kind, position, headword and why."""

    kind: Review
    where: str
    reason: str
    headword: str = ""


@dataclass
class Report:
    """Mutable, per-run collector passed into stages (never global)."""

    warnings: list[str] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    review: list[ReviewItem] = field(default_factory=list)
    articles: int = 0
    # The dry run's reconcile rows (articles whose subject the wiki may have), for report.html.
    reconcile: list[dict[str, str]] = field(default_factory=list)

    def warn(self, where: SourcePos | str, message: str) -> None:
        """Record a warning with its source position."""
        self.warnings.append(f"{where}: {message}")

    def quarantine(self, source: SourcePos, reason: str, headword: str = "") -> None:
        """Record an article that was set aside, and why (it is also a review item)."""
        self.quarantined.append(Quarantined(source=source, reason=reason, headword=headword))
        self.flag(Review.QUARANTINED, source, reason, headword)

    def flag(self, kind: Review, where: SourcePos | str, reason: str, headword: str = "") -> None:
        """Put an item in the review queue."""
        self.review.append(ReviewItem(kind, str(where), reason, headword))

    def mark(self) -> tuple[int, int, int, int, int]:
        """Where this report stands now (for ``since``)."""
        return (
            len(self.warnings),
            len(self.quarantined),
            len(self.review),
            len(self.reconcile),
            self.articles,
        )

    def since(self, mark: tuple[int, int, int, int, int]) -> Report:
        """A report of what this one collected after ``mark``."""
        w, q, r, c, articles = mark
        return Report(
            warnings=self.warnings[w:],
            quarantined=self.quarantined[q:],
            review=self.review[r:],
            articles=self.articles - articles,
            reconcile=self.reconcile[c:],
        )

    def extend(self, other: Report) -> None:
        """Append what ``other`` collected to this report."""
        self.warnings.extend(other.warnings)
        self.quarantined.extend(other.quarantined)
        self.review.extend(other.review)
        self.reconcile.extend(other.reconcile)
        self.articles += other.articles

    def review_counts(self) -> dict[str, int]:
        """How many review items of each kind (every kind listed, zero included)."""
        counts = Counter(item.kind for item in self.review)
        return {str(kind): counts.get(kind, 0) for kind in Review}
