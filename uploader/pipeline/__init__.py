"""The pipeline: volume file → articles (parse) → rendered, validated pages (render).

The one place that joins the parse and render stages: ``iter_pages`` is the entry point the
preview and the publisher use, and the title index over all volumes is built here
(``title_index``). Articles that cannot be rendered, and pages that fail validation, go to the
report's quarantine with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from uploader.config import Config
from uploader.errors import UploaderError
from uploader.model import Article, Page
from uploader.parse import iter_articles
from uploader.pipeline.title_index import build_index, volume_index
from uploader.render import RenderContext, render
from uploader.render.article import RenderedPage
from uploader.render.title_index import TitleIndex
from uploader.render.validate import Validator
from uploader.report import Report, Review


def _iter_articles(
    path: Path, report: Report, volume: str | None, config: Config, corrections: Path | None
) -> Iterator[Article]:
    return iter_articles(
        path, report=report, volume=volume, rules=config.naming, corrections=corrections
    )


def volume_key_for(path: Path, config: Config) -> str | None:
    """The [volumes] key whose file is ``path``, if any."""
    resolved = Path(path).resolve()
    for key, vpath in config.volumes.items():
        if Path(vpath).resolve() == resolved:
            return key
    return None


def title_index_for(
    path: Path,
    config: Config,
    report: Report,
    volume: str | None,
    corrections: Path | None = None,
    write: bool = True,
) -> TitleIndex:
    """The title index over all configured volumes plus ``path`` (cached, see title_index).

    ``corrections`` is the corrections file given for ``path``, if any. A file that is not a
    configured volume is indexed but not cached; ``write`` False reads the caches but writes
    none (a preview writes nothing outside its folder).
    """
    volumes = dict(config.volumes)
    if volume is not None:
        volumes[volume] = Path(path)
    if not config.render.title_index:
        volumes = {k: v for k, v in volumes.items() if Path(v) == Path(path)}
    given = {Path(path).resolve(): Path(corrections)} if corrections is not None else None
    index = build_index(
        volumes,
        cache_dir=config.title_index_cache(),
        report=report,
        corrections=given,
        write=write,
    )
    if volume is None and Path(path).is_file():
        key = f"file:{Path(path).resolve()}"
        index.merge(volume_index(Path(path), key, None, corrections))
    return index


def iter_pages(
    path: str | Path,
    config: Config,
    report: Report,
    volume: str | None = None,
    limit: int | None = None,
    index: TitleIndex | None = None,
    corrections: str | Path | None = None,
) -> Iterator[Page]:
    """Parse, render and validate the articles of a volume file, yielding publishable pages.

    ``volume`` is the [volumes] key (guessed from the path when None); ``limit`` stops after
    that many articles; ``index`` overrides the title index built over the configured volumes;
    ``corrections`` is the volume's corrections file (default: the one beside it, if any).
    Quarantined articles, every warning and the review queue go to ``report``.
    """
    path = Path(path)
    fixes = Path(corrections) if corrections is not None else None
    if volume is None:
        volume = volume_key_for(path, config)
    if index is None:
        index = title_index_for(path, config, report, volume, fixes)
    context = RenderContext.from_config(config, index=index, volume=volume)
    problem = context.citation.problem(volume)
    if problem:
        report.warn(str(path), problem)
    validator = Validator()
    for count, article in enumerate(_iter_articles(path, report, volume, config, fixes)):
        if limit is not None and count >= limit:
            break
        try:
            page = render(article, context)
        except UploaderError:
            raise
        except Exception as exc:
            report.quarantine(article.source, f"render failed: {exc!r}", article.headword)
            continue
        _flag_crossrefs(page, report)
        page, problems, _ = validator.check(page)
        if problems:
            report.quarantine(article.source, "; ".join(problems), article.headword)
            continue
        for warning in page.warnings[len(article.warnings) :]:
            report.warn(page.source, f"{page.title}: {warning}")
        yield page


def _flag_crossrefs(page: Page, report: Report) -> None:
    """Cross-reference targets the title index does not hold go to the review queue."""
    for target in page.unresolved if isinstance(page, RenderedPage) else ():
        reason = f"cross-reference «{target}» not found in the title index"
        report.flag(Review.CROSSREF, page.source, reason, page.headword)
