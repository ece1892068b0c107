"""The page pipeline: volume file → articles → rendered pages → validated pages.

``iter_pages`` is the one entry point the preview and the publisher use. Articles that cannot
be rendered, and pages that fail validation, go to the report's quarantine with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from uploader.config import CONFIG_DIR, Config
from uploader.errors import UploaderError
from uploader.model import Article, Page
from uploader.render import RenderContext, RenderSettings, render
from uploader.report import Report
from uploader.title_index import TitleIndex, build_index
from uploader.validate import Validator


def _iter_articles(path: Path, report: Report, volume: str | None) -> Iterator[Article]:
    from uploader.parser import iter_articles  # the parser stage

    return iter_articles(path, report=report, volume=volume)


def volume_key_for(path: Path, config: Config) -> str | None:
    """The [volumes] key whose file is ``path``, if any."""
    resolved = Path(path).resolve()
    for key, vpath in config.volumes.items():
        if Path(vpath).resolve() == resolved:
            return key
    return None


def title_index_for(path: Path, config: Config, report: Report, volume: str | None) -> TitleIndex:
    """The title index over all configured volumes plus ``path`` (cached, see title_index)."""
    settings = RenderSettings.from_section(config.section("render"))
    volumes = dict(config.volumes)
    volumes[volume if volume is not None else f"file:{Path(path).resolve()}"] = Path(path)
    # An explicit folder is relative to config/; unset, the cache lives beside the ledger.
    cache = config.run.ledger.parent / "title-index"
    if settings.title_index_cache:
        cache = Path(settings.title_index_cache)
        if not cache.is_absolute():
            cache = (CONFIG_DIR / cache).resolve()
    if not settings.title_index:
        volumes = {k: v for k, v in volumes.items() if Path(v) == Path(path)}
    return build_index(volumes, cache_dir=cache, report=report)


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
    for count, article in enumerate(_iter_articles(path, report, volume)):
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
