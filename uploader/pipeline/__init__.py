"""The pipeline: volume file → articles (parse) → rendered, validated pages (render).

The one place that joins the parse and render stages: ``iter_pages`` is the entry point the
preview and the publisher use, and the title index over all volumes is built here
(``title_index``). Articles that cannot be rendered, and pages that fail validation, go to the
report's quarantine with the reason.

A volume is parsed once per run (``parse_volume``): its part of the title index comes from
that same pass, and what the parse reported about each article is replayed into the run's
report just before that article is rendered, so the report reads as if parse and render had
alternated article by article. ``uploader.pipeline.pool`` spreads the work over processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from uploader.collector import keep_to_the_end
from uploader.config import Config
from uploader.cores import auto_jobs
from uploader.errors import UploaderError
from uploader.model import Article, Page
from uploader.parse import iter_articles
from uploader.parse.offload import Offload
from uploader.pipeline.title_index import (
    build_index,
    cached_index,
    index_of,
    store_index,
    volume_index,
)
from uploader.render.title_index import TitleIndex
from uploader.report import Report, Review

# The renderer (Jinja2, mwparserfromhell) is imported where it is used: a process that
# parses on two processes loads it while its other process reads (``RenderPool.prepare``).
if TYPE_CHECKING:
    from uploader.pipeline.pool import RenderPool
    from uploader.render import RenderContext
    from uploader.render.validate import Validator


# What a stage reported over a stretch of work, added to the run's report just before the
# article it came with (``Report.extend``).
Delta = Report


def _iter_articles(
    path: Path,
    report: Report,
    volume: str | None,
    config: Config,
    fixes: Path | None = None,
    offload: Offload | None = None,
) -> Iterator[Article]:
    return iter_articles(
        path,
        report=report,
        volume=volume,
        rules=config.naming,
        corrections=fixes,
        limits=config.limits,
        offload=offload,
    )


@dataclass
class ParsedVolume:
    """A volume's articles from one parse, each with what the parse reported up to it."""

    path: Path
    volume: str | None
    articles: list[Article]
    deltas: list[Delta]  # deltas[i]: reported after article i-1 was read, through article i
    tail: Delta  # reported after the last article
    own: TitleIndex | None = None  # this volume's part of the index, once built (``index``)

    def index(self) -> TitleIndex:
        """This volume's part of the title index."""
        if self.own is None:
            self.own = index_of(self.articles)
        return self.own

    def items(self) -> Iterator[tuple[Article, Delta]]:
        """Each article with what the parse reported up to it."""
        return zip(self.articles, self.deltas, strict=True)


class ParseStream:
    """A volume parsed as it is read: like ParsedVolume, but ``tail`` is known at the end
    (``offload``: see ``iter_articles``)."""

    def __init__(
        self,
        path: Path,
        config: Config,
        volume: str | None,
        fixes: Path | None = None,
        offload: Offload | None = None,
    ) -> None:
        self.path, self.config, self.volume, self.fixes = path, config, volume, fixes
        self.offload = offload
        self.tail = Delta()

    def items(self) -> Iterator[tuple[Article, Delta]]:
        """Each article with what the parse reported up to it, as the parse goes."""
        report = Report()
        mark = report.mark()
        articles = _iter_articles(
            self.path, report, self.volume, self.config, self.fixes, self.offload
        )
        for article in articles:
            yield article, report.since(mark)
            mark = report.mark()
        self.tail = report.since(mark)


def parse_volume(
    path: str | Path,
    config: Config,
    volume: str | None = None,
    fixes: Path | None = None,
    offload: Offload | None = None,
) -> ParsedVolume:
    """Parse a volume file once, keeping every article and what was reported about it
    (``fixes``: its corrections file; default: the one beside it, if any; ``offload``: see
    ``iter_articles``)."""
    stream = ParseStream(Path(path), config, volume, fixes, offload)
    articles: list[Article] = []
    deltas: list[Delta] = []
    own = TitleIndex()  # built as the articles come: the parse's other process is slower
    for article, delta in stream.items():
        articles.append(article)
        deltas.append(delta)
        own.add(article)
    keep_to_the_end()  # the articles are rendered next: the collector need not walk them again
    return ParsedVolume(Path(path), volume, articles, deltas, stream.tail, own)


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
    parsed: ParsedVolume | None = None,
    own: TitleIndex | None = None,
) -> TitleIndex:
    """The title index over all configured volumes plus ``path`` (cached, see title_index).

    ``corrections`` is the corrections file given for ``path``, if any. With ``parsed``
    (this run's parse of ``path``), that file's part comes from it and is cached for later
    runs; with ``own``, that is the file's part (from its cache). Other volumes come from
    their cache or are parsed for the index. A file that is not a configured volume is
    indexed but not cached; ``write`` False reads the caches but writes none (a preview
    writes nothing outside its folder).
    """
    volumes = dict(config.volumes)
    volumes[volume if volume is not None else f"file:{Path(path).resolve()}"] = Path(path)
    if not config.render.title_index:
        volumes = {k: v for k, v in volumes.items() if Path(v) == Path(path)}
    cache = config.title_index_cache()
    known = {}
    if parsed is not None:
        own = parsed.index()
        if write and volume is not None:
            store_index(Path(path), own, cache, config.naming, corrections)
    if own is None and volume is None and Path(path).is_file():
        own = volume_index(
            Path(path), "file", None, config.naming, corrections, False, config.limits
        )
    if own is not None:
        known[Path(path).resolve()] = own
    given = {Path(path).resolve(): corrections} if corrections is not None else None
    return build_index(
        volumes,
        cache_dir=cache,
        report=report,
        rules=config.naming,
        known=known,
        corrections=given,
        write=write,
        limits=config.limits,
    )


def strict_default(config: Config, strict: bool | None) -> bool:
    """Whether validation does the full round trip: the option when given, else the config."""
    return config.render.strict_validation if strict is None else bool(strict)


def iter_pages(
    path: str | Path,
    config: Config,
    report: Report,
    volume: str | None = None,
    limit: int | None = None,
    index: TitleIndex | None = None,
    strict: bool | None = None,
    jobs: int | None = 1,
    corrections: str | Path | None = None,
    write: bool = True,
) -> Iterator[Page]:
    """Parse, render and validate the articles of a volume file, yielding publishable pages.

    ``volume`` is the [volumes] key (guessed from the path when None); ``limit`` stops after
    that many articles; ``index`` overrides the title index built over the configured volumes;
    ``strict`` (default: ``[render] strict_validation``) validates with the full
    mwparserfromhell round trip; ``jobs`` > 1 renders on that many processes (same pages, same
    order, same report; None: every core, for a file big enough to gain from it);
    ``corrections`` is the volume's corrections file (default: the one beside it, if any);
    ``write`` False leaves the title-index cache as it is. Quarantined articles, every
    warning and the review queue go to ``report``.

    The volume is parsed once: when the title-index cache already holds this file's part,
    pages are rendered as the parse goes; otherwise the whole volume is parsed first (its
    part of the index comes from that parse). With a pool whose workers are forked, they are
    forked after the whole parse either way (``RenderPool``), and the parse itself runs on
    two processes (``uploader.parse.offload``).
    """
    path = Path(path)
    fixes = Path(corrections) if corrections is not None else None
    if volume is None:
        volume = volume_key_for(path, config)
    pool = None
    jobs = jobs if jobs is not None else auto_jobs(path)
    if jobs > 1:
        from uploader.pipeline.pool import RenderPool

        pool = RenderPool(config, volume, strict_default(config, strict), jobs)
    try:
        # With a pool, the volume's XML is read in a second process too; once that process is
        # forked, the pool prepares its workers (see RenderPool).
        offload = pool.prepare if pool is not None else None
        source, index = _source(path, config, report, volume, index, fixes, write, offload)
        yield from render_pages(source, config, report, index, limit, strict, pool)
    finally:
        if pool is not None:
            pool.close()


def _source(
    path: Path,
    config: Config,
    report: Report,
    volume: str | None,
    index: TitleIndex | None,
    fixes: Path | None = None,
    write: bool = True,
    offload: Offload | None = None,
) -> tuple[ParsedVolume | ParseStream, TitleIndex]:
    """The articles to render and the title index, reading the volume once (``offload``:
    see ``iter_articles``)."""
    source: ParsedVolume | ParseStream
    if index is None:
        cache = config.title_index_cache()
        own = cached_index(path, cache, config.naming, fixes) if path.is_file() else None
        if own is not None:
            index = title_index_for(path, config, report, volume, fixes, write, own=own)
            source = ParseStream(path, config, volume, fixes, offload)
        else:
            source = parse_volume(path, config, volume, fixes, offload)
            index = title_index_for(path, config, report, volume, fixes, write, source)
    else:
        source = ParseStream(path, config, volume, fixes, offload)
    return source, index


def render_pages(
    parsed: ParsedVolume | ParseStream,
    config: Config,
    report: Report,
    index: TitleIndex,
    limit: int | None = None,
    strict: bool | None = None,
    pool: RenderPool | None = None,
) -> Iterator[Page]:
    """Render and validate a parsed volume's articles in order, yielding the good pages.

    With ``pool`` the articles are rendered on its worker processes (same pages, same
    order, same report). What the parse reported about each article is added to ``report`` just before the
    article's own render warnings (as when parse and render alternate article by article).
    """
    from uploader.render.validate import Validator

    if pool is not None:
        context = pool.context(index)
    else:
        context = render_context(config, index, parsed.volume)
    problem = context.citation.problem(parsed.volume)
    if problem:
        report.warn(str(parsed.path), problem)
    full = strict_default(config, strict)
    validator = Validator()
    work = _limited(parsed, limit)
    if pool is not None:
        done = pool.render(work, index)
    else:
        done = ((article, delta, render_one(article, context, full)) for article, delta in work)
    for article, delta, rendered in done:
        report.extend(delta)
        page = settle(article, rendered, validator, report)
        if page is not None:
            yield page
    if work.extra is not None:
        report.extend(work.extra)
    if work.finished:
        report.extend(parsed.tail)


class _limited:
    """The (article, delta) items to render; past ``limit``, one more whose delta counts.

    As a parse read article by article stops after reading the article past the limit, that
    article's delta is replayed (its render is None) and the tail is not (``finished``).
    """

    def __init__(self, parsed: ParsedVolume | ParseStream, limit: int | None) -> None:
        self.parsed, self.limit = parsed, limit
        self.finished = False
        self.extra: Delta | None = None

    def __iter__(self) -> Iterator[tuple[Article, Delta]]:
        for count, (article, delta) in enumerate(self.parsed.items()):
            if self.limit is not None and count >= self.limit:
                self.extra = delta
                return
            yield article, delta
        self.finished = True


Rendered = tuple[Page, list[str]] | str  # the page and its markup problems, or why it failed


def render_context(config: Config, index: TitleIndex | None, volume: str | None) -> RenderContext:
    """What rendering a volume's articles needs (templates compiled, tables loaded)."""
    from uploader.render import RenderContext

    return RenderContext.from_config(config, index=index, volume=volume)


def render_one(article: Article, context: RenderContext, strict: bool) -> Rendered:
    """Render one article and check its markup (the part of the work that needs no order)."""
    from uploader.render.article import render
    from uploader.render.validate import markup_problems

    try:
        page = render(article, context)
    except UploaderError:
        raise
    except Exception as exc:
        return f"render failed: {exc!r}"
    markup = markup_problems(page.wikitext, strict=strict) if page.wikitext.strip() else []
    return page, markup


def settle(
    article: Article, rendered: Rendered, validator: Validator, report: Report
) -> Page | None:
    """Finish one article in order: title checks, quarantine or warnings; the page if good."""
    if isinstance(rendered, str):
        report.quarantine(article.source, rendered, article.headword)
        return None
    page, markup = rendered
    _flag_crossrefs(page, report)
    page, problems, _ = validator.check(page, markup=markup)
    if problems:
        report.quarantine(article.source, "; ".join(problems), article.headword)
        return None
    for warning in page.warnings[len(article.warnings) :]:
        report.warn(page.source, f"{page.title}: {warning}")
    return page


def _flag_crossrefs(page: Page, report: Report) -> None:
    """Cross-reference targets the title index does not hold go to the review queue."""
    for target in getattr(page, "unresolved", ()):  # a RenderedPage's; a plain Page has none
        reason = f"cross-reference «{target}» not found in the title index"
        report.flag(Review.CROSSREF, page.source, reason, page.headword)
