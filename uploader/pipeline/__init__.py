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
from uploader.render.title_index import TitleIndex
from uploader.render.validate import Validator
from uploader.report import Report


def _iter_articles(
    path: Path, report: Report, volume: str | None, config: Config
) -> Iterator[Article]:
    return iter_articles(path, report=report, volume=volume, rules=config.naming)


def volume_key_for(path: Path, config: Config) -> str | None:
    """The [volumes] key whose file is ``path``, if any."""
    resolved = Path(path).resolve()
    for key, vpath in config.volumes.items():
        if Path(vpath).resolve() == resolved:
            return key
    return None


def title_index_for(
    path: Path, config: Config, report: Report, volume: str | None, write: bool = True
) -> TitleIndex:
    """The title index over all configured volumes plus ``path`` (cached, see title_index).

    A file that is not a configured volume is indexed but not cached; ``write`` False reads
    the caches but writes none (a preview writes nothing outside its folder).
    """
    volumes = dict(config.volumes)
    if volume is not None:
        volumes[volume] = Path(path)
    if not config.render.title_index:
        volumes = {k: v for k, v in volumes.items() if Path(v) == Path(path)}
    index = build_index(volumes, cache_dir=config.title_index_cache(), report=report, write=write)
    if volume is None and Path(path).is_file():
        index.merge(volume_index(Path(path), f"file:{Path(path).resolve()}", cache_dir=None))
    return index


def iter_pages(
    path: str | Path,
    config: Config,
    report: Report,
    volume: str | None = None,
    limit: int | None = None,
    index: TitleIndex | None = None,
) -> Iterator[Page]:
    """Parse, render and validate the articles of a volume file, yielding publishable pages.

    ``volume`` is the [volumes] key (guessed from the path when None); ``limit`` stops after
    that many articles; ``index`` overrides the title index built over the configured volumes.
    Quarantined articles and every warning go to ``report``.
    """
    path = Path(path)
    if volume is None:
        volume = volume_key_for(path, config)
    if index is None:
        index = title_index_for(path, config, report, volume)
    context = RenderContext.from_config(config, index=index, volume=volume)
    problem = context.citation.problem(volume)
    if problem:
        report.warn(str(path), problem)
    validator = Validator()
    for count, article in enumerate(_iter_articles(path, report, volume, config)):
        if limit is not None and count >= limit:
            break
        try:
            page = render(article, context)
        except UploaderError:
            raise
        except Exception as exc:
            report.quarantine(article.source, f"render failed: {exc!r}", article.headword)
            continue
        page, problems, _ = validator.check(page)
        if problems:
            report.quarantine(article.source, "; ".join(problems), article.headword)
            continue
        for warning in page.warnings[len(article.warnings) :]:
            report.warn(page.source, f"{page.title}: {warning}")
        yield page
