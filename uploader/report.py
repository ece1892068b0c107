"""A collector for what a stage saw: warnings and quarantined articles, with positions."""

from __future__ import annotations

from dataclasses import dataclass, field

from uploader.model import Quarantined, SourcePos


@dataclass
class Report:
    """Mutable, per-run collector passed into stages (never global)."""

    warnings: list[str] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    articles: int = 0

    def warn(self, where: SourcePos | str, message: str) -> None:
        """Record a warning with its source position."""
        self.warnings.append(f"{where}: {message}")

    def quarantine(self, source: SourcePos, reason: str, headword: str = "") -> None:
        """Record an article that was set aside, and why."""
        self.quarantined.append(Quarantined(source=source, reason=reason, headword=headword))
