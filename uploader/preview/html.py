"""The preview's ``report.html``: one self-contained page an operator reads in a browser.

Pages are written to a part file as they come (streaming); ``finish`` writes the head: the
review queue first (grouped by kind, with counts), then the counts, every warning and
quarantined article, then the pages. Everything is HTML-escaped
(Jinja2 autoescape on).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from uploader.config import TEMPLATES_DIR
from uploader.errors import ConfigError
from uploader.model import Page
from uploader.report import Report, Review
from uploader.templating import fill

if TYPE_CHECKING:
    import jinja2


def review_groups(report: Report) -> list[dict[str, Any]]:
    """The review queue grouped by kind, in the kinds' order; empty kinds left out."""
    groups = []
    for kind in Review:
        items = [item for item in report.review if item.kind is kind]
        if items:
            groups.append({"kind": str(kind), "count": len(items), "items": items})
    return groups


def _environment(templates_dir: Path) -> jinja2.Environment:
    import jinja2  # here: a preview starts reading its volume before Jinja2 is loaded

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class HtmlReport:
    """Streams page sections into ``report.html``; call ``finish`` once at the end."""

    def __init__(self, path: Path, templates_dir: Path = TEMPLATES_DIR) -> None:
        self.path = path
        self.templates_dir = templates_dir
        self._templates: dict[str, jinja2.Template] = {}  # loaded when first used
        self.part_path = path.with_name(path.name + ".part")
        self.part: TextIO | None = self.part_path.open("w", encoding="utf-8", buffering=1 << 20)
        self.count = 0
        self.titles: list[tuple[int, str, bool]] = []  # number, title, has warnings

    def template(self, name: str) -> jinja2.Template:
        """One of the report's templates, loaded on first use."""
        found = self._templates.get(name)
        if found is None:
            import jinja2

            env = _environment(self.templates_dir)  # once: both templates are in it
            try:
                for each in ("report.html.j2", "report_page.html.j2"):
                    self._templates[each] = env.get_template(each)
            except jinja2.TemplateError as exc:
                raise ConfigError(f"{self.templates_dir}: template problem: {exc}") from None
            found = self._templates[name]
        return found

    def add_page(self, page: Page, source_text: str, pictures: Sequence[str] = ()) -> None:
        """Add one page: its wikitext next to its source text, with its warnings."""
        assert self.part is not None, "report already finished"
        self.count += 1
        self.titles.append((self.count, page.title, bool(page.warnings)))
        variables = {
            "number": self.count,
            "title": page.title,
            "source": str(page.source),
            "redirects": list(page.redirects),
            "pictures": list(pictures),
            "warnings": list(page.warnings),
            "wikitext": page.wikitext,
            "source_text": source_text,
        }
        self.part.write(fill(self.template("report_page.html.j2"), variables) + "\n")

    def finish(self, source: str, summary: Mapping[str, Any], report: Report) -> Path:
        """Write the complete report and remove the part file; returns the report's path."""
        assert self.part is not None, "report already finished"
        self.part.close()
        self.part = None
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as out:
            out.write(
                self.template("report.html.j2").render(
                    source=source,
                    summary=summary,
                    titles=self.titles,
                    review=review_groups(report),
                    warnings=report.warnings,
                    quarantined=[
                        {"headword": q.headword, "source": str(q.source), "reason": q.reason}
                        for q in report.quarantined
                    ],
                    reconcile=report.reconcile,
                )
            )
            out.write("\n")
            out.flush()
            # The part file is UTF-8 text written as this one is (same newlines): its bytes
            # are copied as they are (decoding and encoding them again is ten times slower).
            with self.part_path.open("rb") as part:
                shutil.copyfileobj(part, out.buffer, 1 << 20)
            out.write("</body>\n</html>\n")
        os.replace(tmp, self.path)
        self.part_path.unlink(missing_ok=True)
        return self.path

    def abort(self) -> None:
        """Close and remove the part file after a failure."""
        if self.part is not None:
            self.part.close()
            self.part = None
        self.part_path.unlink(missing_ok=True)
