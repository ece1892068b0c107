"""Rendering: an ``Article`` → a ``Page`` of kk.wikipedia wikitext, through Jinja2 templates.

The layout, the sources section, redirects and the edit summary are templates in
``templates/``; section names, categories, maintenance templates and the citation are settings
(``[render]``, ``[citation]``). Inline text is built from segments (``uploader.render.inline``) and
every value from the volume is wiki-escaped; templates get it as ready wikitext
(``WikiMarkup``) or escape it on output.
"""

from __future__ import annotations

import functools
import re
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2

from uploader.config import Citation, Config, Fields, RenderSettings
from uploader.errors import ConfigError
from uploader.model import Article, Kind, Page, Paragraph, Picture, Role, Table
from uploader.render.abbrev import Abbreviations, HeadwordInitials
from uploader.render.escape import escape_text, is_linkable
from uploader.render.inline import (
    BR,
    Seg,
    emit,
    has_text,
    map_text,
    plain,
    protect_latin,
    replace_lead,
    segments,
    strip_label,
)
from uploader.render.title_index import Resolution, TitleIndex
from uploader.templating import fill
from uploader.wikitext import cap_summary, normalise_title, strip_qualifier


@dataclass(frozen=True, slots=True)
class RenderedPage(Page):
    """A ``Page`` made by ``render``; it also carries the cross-reference targets the title
    index does not hold (for the review queue). Its plain source text is ``Page.source_text``."""

    unresolved: tuple[str, ...] = ()


class WikiMarkup(str):
    """Wikitext the renderer built itself (already escaped); templates output it as is."""

    __slots__ = ()


_ESCAPED: dict[str, WikiMarkup] = {}  # values repeat from page to page: escape each once
_ESCAPED_MAX = 4096


def wiki_filter(value: Any) -> WikiMarkup:
    """Jinja2 filter ``wiki``: escape a value from the volume (ready wikitext passes)."""
    if isinstance(value, WikiMarkup):
        return value
    text = "" if value is None else str(value)
    found = _ESCAPED.get(text)
    if found is None:
        if len(_ESCAPED) >= _ESCAPED_MAX:
            _ESCAPED.clear()
        found = _ESCAPED[text] = WikiMarkup(escape_text(text))
    return found


def link_target(title: str) -> WikiMarkup:
    """A page title as a link target (``[[...]]``): entities for ``&``, ``'`` and ``~``."""
    return WikiMarkup(title.replace("&", "&amp;").replace("'", "&#39;").replace("~", "&#126;"))


_PLAIN: dict[str, str] = {}  # summary values repeat too


def plain_value(value: Any) -> str:
    """An edit-summary value: plain text on one line (summaries are not wikitext)."""
    text = "" if value is None else str(value)
    found = _PLAIN.get(text)
    if found is None:
        if len(_PLAIN) >= _ESCAPED_MAX:
            _PLAIN.clear()
        found = _PLAIN[text] = " ".join(text.split())
    return found


_DICT_NAMES = frozenset(dir(Fields))


class _Environment(jinja2.Environment):
    """Jinja2's environment, reading a ``Fields`` value by key at once (the same result as
    ``getattr`` there, whose failing first lookup costs more than the value)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._compiled: dict[tuple[str, str | None], jinja2.Template] = {}

    def get_template(
        self,
        name: str | jinja2.Template,
        parent: str | None = None,
        globals: MutableMapping[str, Any] | None = None,
    ) -> jinja2.Template:
        """Jinja2's ``get_template``, remembered by name when templates are not reloaded
        (an ``include`` asks for its template on every page; Jinja2's cache takes a lock)."""
        if not isinstance(name, str) or globals is not None or self.auto_reload:
            return super().get_template(name, parent, globals)
        found = self._compiled.get((name, parent))
        if found is None:
            found = self._compiled[name, parent] = super().get_template(name, parent)
        return found

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``obj.attribute`` in a template."""
        if type(obj) is Fields and attribute not in _DICT_NAMES and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def make_environment(templates_dir: Path, *, summaries: bool = False) -> jinja2.Environment:
    """The Jinja2 environment: autoescape off, every output value wiki-escaped by ``finalize``.

    With ``summaries``, values are plain text instead (an edit summary shows entities
    literally; only ``[[links]]`` are live there, and titles cannot hold brackets).
    Delimiters are ``<$ $>``, ``<% %>`` and ``<# #>`` so wikitext ``{{ }}`` needs no quoting.
    """
    env = _Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        autoescape=False,
        undefined=jinja2.StrictUndefined,
        finalize=plain_value if summaries else wiki_filter,
        variable_start_string="<$",
        variable_end_string="$>",
        block_start_string="<%",
        block_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        auto_reload=False,  # compiled once per run; a run does not edit its templates
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["wiki"] = wiki_filter
    return env


@dataclass(frozen=True)
class RenderContext:
    """Everything ``render`` needs, built once per run (templates compiled once)."""

    settings: RenderSettings
    citation: Citation
    abbreviations: Abbreviations
    env: jinja2.Environment
    index: TitleIndex | None = None
    volume: str | None = None
    article_template: jinja2.Template | None = None
    redirect_template: jinja2.Template | None = None
    summary_template: jinja2.Template | None = None
    redirect_summary_template: jinja2.Template | None = None
    latin_skip: re.Pattern[str] | None = None
    works_label: re.Pattern[str] | None = None
    literature_label: re.Pattern[str] | None = None
    surname: re.Pattern[str] | None = None
    sections: Fields = field(default_factory=Fields)  # the settings as templates read them
    magic: Fields = field(default_factory=Fields)
    _citations: dict[str | None, Fields] = field(default_factory=dict, compare=False)
    _categories: dict[Kind, list[str]] = field(default_factory=dict, compare=False)

    def categories_for(self, kind: Kind) -> list[str]:
        """The categories of an article of this kind (tracking ones first; a fresh list)."""
        found = self._categories.get(kind)
        if found is None:
            found = self._categories[kind] = _categories(kind, self.settings)
        return list(found)

    def with_index(self, index: TitleIndex | None) -> RenderContext:
        """This context with another title index (templates and tables shared)."""
        return self if index is self.index else replace(self, index=index)

    def citation_for(self, volume: str | None) -> Fields:
        """The citation values of a volume (a fresh copy: callers add author and chapter)."""
        found = self._citations.get(volume)
        if found is None:
            found = self._citations[volume] = self.citation.for_volume(volume)
        return Fields(found)

    @classmethod
    def from_config(
        cls, config: Config, index: TitleIndex | None = None, volume: str | None = None
    ) -> RenderContext:
        """Build the context from the ``[render]`` and ``[citation]`` sections."""
        return cls.build(config.render, config.citation, index=index, volume=volume)

    @classmethod
    def build(
        cls,
        settings: RenderSettings,
        citation: Citation,
        index: TitleIndex | None = None,
        volume: str | None = None,
    ) -> RenderContext:
        """Build the context from settings objects."""
        env = make_environment(settings.templates_dir)
        plain = make_environment(settings.templates_dir, summaries=True)
        try:
            templates = [
                env.get_template(settings.article_template),
                env.get_template(settings.redirect_template),
                plain.get_template(settings.summary_template),
                plain.get_template(settings.redirect_summary_template),
            ]
        except jinja2.TemplateError as exc:
            raise ConfigError(f"{settings.templates_dir}: template problem: {exc}") from None
        try:
            skip = re.compile(settings.latin_skip) if settings.latin_skip else None
            works = re.compile(r"\s*" + settings.works_label + r"\s*")
            literature = re.compile(r"\s*" + settings.literature_label + r"\s*")
            surname = re.compile(settings.surname_pattern) if settings.surname_pattern else None
        except re.error as exc:
            raise ConfigError(f"config: [render] bad regular expression: {exc}") from None
        return cls(
            settings=settings,
            citation=citation,
            abbreviations=Abbreviations.load(settings.abbreviations),
            env=env,
            index=index,
            volume=volume,
            article_template=templates[0],
            redirect_template=templates[1],
            summary_template=templates[2],
            redirect_summary_template=templates[3],
            latin_skip=skip,
            works_label=works,
            literature_label=literature,
            surname=surname,
            sections=Fields(settings.sections),
            magic=Fields(settings.magic),
        )


@dataclass
class _Work:
    """Per-article state while rendering."""

    article: Article
    ctx: RenderContext
    initials: HeadwordInitials
    warnings: list[str] = field(default_factory=list)
    linked: set[str] = field(default_factory=set)
    unresolved: list[str] = field(default_factory=list)


def render(article: Article, context: RenderContext) -> Page:
    """Render one article as a wiki page (title, wikitext, redirects, summary, warnings)."""
    work = _Work(article, context, HeadwordInitials.for_article(article))
    work.warnings.extend(article.warnings)
    body, works, literature = _blocks(work)
    see_also = _see_also(work)
    volume = article.volume if article.volume is not None else context.volume
    source = str(article.source)
    texts = [p.text for p in article.paragraphs]  # ``Article.text``, each paragraph once
    citation = context.citation_for(volume)
    settings = context.settings
    citation["author"] = _author(article, texts) if settings.signature == "citation" else ""
    bare_title = _bare(article.title)
    citation["chapter"] = _bare(article.lead) if article.lead else bare_title
    prose = sum(
        len(t) for p, t in zip(article.paragraphs, texts, strict=True) if p.role is Role.BODY
    )
    stub = settings.stub_template if prose < settings.stub_threshold else ""
    variables = {
        "body": body,
        "works": works,
        "literature": literature,
        "see_also": see_also,
        "sections": context.sections,
        "references": WikiMarkup(settings.references),
        "citation": citation,
        "stub": stub,
        "defaultsort": _defaultsort(article, context.surname),
        "magic": context.magic,
        "categories": context.categories_for(article.kind),
    }
    assert context.article_template is not None and context.summary_template is not None
    fallback = fallback_title(article, bare_title)
    wikitext = _tidy(fill(context.article_template, variables))
    summary = fill(
        context.summary_template,
        {
            "citation": citation,
            "prefix": citation["summary_prefix"],
            "title": article.title,
            "source": source,
        },
    )
    return RenderedPage(
        title=article.title,
        wikitext=wikitext,
        source=article.source,
        redirects=tuple(r for r in dict.fromkeys(article.redirects) if r != article.title),
        warnings=tuple(work.warnings),
        summary=cap_summary(summary),
        redirect_text=render_redirect(article.title, context),
        redirect_summary=render_redirect_summary(article.title, source, volume, context),
        headword=article.headword,
        pictures=article.pictures,
        volume=volume,
        source_text="\n".join(texts),
        candidates=candidate_names(article, bare_title, fallback),
        fallback_title=fallback,
        fallback_redirect_text=render_redirect(fallback, context) if fallback else "",
        unresolved=tuple(dict.fromkeys(work.unresolved)),
    )


def _author(article: Article, texts: list[str]) -> str:
    """The citation's author: the last signature paragraph (``Article.signature``), bare."""
    signatures = [
        t for p, t in zip(article.paragraphs, texts, strict=True) if p.role is Role.SIGNATURE
    ]
    return signatures[-1].rstrip(" .") if signatures else ""


def fallback_title(article: Article, bare: str | None = None) -> str:
    """The qualified title to use when the bare title is another subject's page on the wiki
    (``Қазақ әдебиеті (газет)``): the title with the parser's qualifier ("" when the title is
    already qualified or there is no qualifier). ``bare``: the title without qualifier, when
    the caller has it."""
    if not article.qualifier:
        return ""
    if (strip_qualifier(article.title) if bare is None else bare) != article.title:
        return ""
    return f"{article.title} ({article.qualifier})"


def candidate_names(
    article: Article, bare: str | None = None, fallback: str | None = None
) -> tuple[str, ...]:
    """Every name the subject may already have on the wiki, normalised as MediaWiki does:
    the title, the title without qualifier, the qualified fallback, the parser's alternatives
    (surname first, without epithet, «quoted») and the redirects. ``bare`` and ``fallback``:
    the title without qualifier and ``fallback_title``, when the caller has them."""
    if bare is None:
        bare = strip_qualifier(article.title)
    if fallback is None:
        fallback = fallback_title(article, bare)
    names = (article.title, bare, fallback, *article.title_alternatives, *article.redirects)
    unique = dict.fromkeys(names)  # normalise each name once
    return tuple(dict.fromkeys(n for n in map(normalise_title, unique) if n))


def render_redirect(target: str, context: RenderContext) -> str:
    """The wikitext of a redirect page pointing to ``target`` (``#АЙДАУ [[Target]]``)."""
    assert context.redirect_template is not None
    values = {"magic": context.magic, "target": link_target(target)}
    return fill(context.redirect_template, values).strip()


def render_redirect_summary(
    target: str, source: str, volume: str | None, context: RenderContext
) -> str:
    """The edit summary of a redirect to ``target`` (from the template, with the licence)."""
    assert context.redirect_summary_template is not None
    citation = context.citation_for(volume)
    values = {
        "citation": citation,
        "prefix": citation["summary_prefix"],
        "target": target,
        "source": source,
    }
    text = fill(context.redirect_summary_template, values)
    return cap_summary(text)


_TRAILING_BLANKS = re.compile(r"[ \t]+\n")
_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    if " \n" in text or "\t\n" in text:
        text = _TRAILING_BLANKS.sub("\n", text)
    if "\n\n\n" in text:
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _bare(name: str) -> str:
    return strip_qualifier(name) if ")" in name else name.strip()


def _blocks(work: _Work) -> tuple[list[WikiMarkup], list[WikiMarkup], list[WikiMarkup]]:
    article = work.article
    body: list[WikiMarkup] = []
    works: list[WikiMarkup] = []
    literature: list[WikiMarkup] = []
    tables = _by_position(article.tables)
    pictures = _by_position(article.pictures)
    first_body = True
    for number, para in enumerate(article.paragraphs):
        if para.role is Role.SIGNATURE:
            if work.ctx.settings.signature == "body":
                body.append(WikiMarkup(_paragraph(work, para, first=False)))
        elif para.role is Role.WORKS:
            works.append(WikiMarkup(_paragraph(work, para, first=False)))
        elif para.role is Role.LITERATURE:
            literature.append(WikiMarkup(_paragraph(work, para, first=False)))
        else:
            first = first_body and para.role is Role.BODY
            line = _paragraph(work, para, first=first)
            if first:
                first_body = False
            if line:
                body.append(WikiMarkup(line))
        for picture in pictures.get(number, ()):
            body.append(WikiMarkup(_picture_note(picture)))
        for table in tables.get(number, ()):
            body.append(WikiMarkup(_table(work, table)))
    if first_body:
        work.warnings.append("no body paragraph: page opens with the name only")
        body.insert(0, WikiMarkup(emit([Seg(raw=_lead_markup(article))])))
    for rest in sorted(k for k in tables if k >= len(article.paragraphs)):
        body.extend(WikiMarkup(_table(work, t)) for t in tables[rest])
    return [b for b in body if b], [w for w in works if w], [x for x in literature if x]


def _by_position(items: Sequence[Table] | Sequence[Picture]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for item in items:
        out.setdefault(item.after_paragraph, []).append(item)
    return out


def _lead_markup(article: Article) -> str:
    lead = article.lead or _bare(article.title)
    head = article.headword.strip()
    if head.startswith("«") and head.endswith("»") and not lead.startswith("«"):
        lead = f"«{lead}»"
    return f"'''{escape_text(lead)}'''"


def _paragraph(work: _Work, para: Paragraph, first: bool) -> str:
    ctx = work.ctx
    segs = segments(para.spans)
    if para.role is Role.WORKS and ctx.works_label is not None:
        segs = strip_label(segs, ctx.works_label)
    elif para.role is Role.LITERATURE and ctx.literature_label is not None:
        segs = strip_label(segs, ctx.literature_label)
    if first:
        segs, found = replace_lead(segs, work.article.headword, _lead_markup(work.article))
        if not found:
            work.warnings.append("headword not found at the start of the first paragraph")
    if para.role in (Role.BODY, Role.CAPTION):
        segs = _link_crossrefs(work, segs)
        segs = _expand_abbreviations(work, segs)
    elif para.role in (Role.WORKS, Role.LITERATURE):
        abbreviations = ctx.abbreviations
        segs = map_text(segs, lambda t, b, a: abbreviations.expand_imprint(t, b))
    if ctx.settings.latin_protect:
        segs = protect_latin(segs, ctx.latin_skip, ctx.settings.latin_single_words)
    if not has_text(segs):
        return ""
    if para.role is Role.CAPTION:
        for seg in segs:
            seg.italic = seg.italic or seg.is_text
    return emit(segs)


def _expand_abbreviations(work: _Work, segs: list[Seg]) -> list[Seg]:
    """Write the headword's initials, then the abbreviations out in each piece of text; a
    paragraph in which neither can match (checked once on its whole text) is left as it is."""
    text = plain(segs)
    abbreviations = work.ctx.abbreviations
    initials = work.initials
    if initials.may_expand(text):
        return map_text(segs, lambda t, b, a: abbreviations.expand(initials.expand(t, b), b, a))
    if abbreviations.may_expand(text):
        return map_text(segs, abbreviations.expand)
    return segs


def _picture_note(picture: Picture) -> str:
    return f"<!-- {escape_text(picture.name)}: {escape_text(picture.content_type)} -->"


def _table(work: _Work, table: Table) -> str:
    lines = ['{| class="wikitable"']
    abbreviations = work.ctx.abbreviations
    for number, row in enumerate(table.rows):
        cells = [segments(cell) for cell in row]
        header = (
            number == 0
            and all(all(s.bold for s in c if s.is_text and s.text.strip()) for c in cells if c)
            and any(cells)
        )
        lines.append("|-")
        for cell in cells:
            map_text(cell, lambda t, b, a: abbreviations.expand(t, b, a))
            if work.ctx.settings.latin_protect:
                cell = protect_latin(
                    cell, work.ctx.latin_skip, work.ctx.settings.latin_single_words
                )
            if header:
                for seg in cell:
                    seg.bold = False
            text = emit(cell)
            lines.append(("! " if header else "| ") + text if text else ("!" if header else "|"))
    lines.append("|}")
    return "\n".join(lines)


_MARKER_TAIL = r"(?:^|(?<=[\s(\[;,]))"
_TRAILING = re.compile(r"[\s.,;:)]+$")


def _ref_key(target: str) -> str:
    return _TRAILING.sub("", target.strip()).casefold()


def _link_crossrefs(work: _Work, segs: list[Seg]) -> list[Seg]:
    """Italic targets after the cross-reference marker (and listed crossrefs) become links."""
    marker = work.ctx.abbreviations.crossref_marker
    marker_end = _marker_patterns(marker)[0]
    out: list[Seg] = []
    for seg in segs:
        if (
            seg.italic
            and seg.is_text
            and seg.vert.value == ""
            and marker_end.search(_plain_tail(out, len(marker) + 1)) is not None
        ):
            target_text = seg.text.strip()
            tail = _TRAILING.search(target_text)
            trailing = tail.group(0) if tail else ""
            target = target_text[: len(target_text) - len(trailing)]
            if target:
                _reword_marker(out, marker, work.ctx.abbreviations.crossref_word)
                out.extend(_links_for(work, target, seg))
                if trailing:
                    out.append(Seg(text=trailing, italic=seg.italic, bold=seg.bold))
                continue
        out.append(seg)
    return _link_listed(work, out, marker)


@functools.lru_cache(maxsize=8)
def _marker_patterns(marker: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The cross-reference marker ending a text, and the marker followed by its target."""
    escaped = _MARKER_TAIL + re.escape(marker)
    return re.compile(escaped + r"\s*$"), re.compile(escaped + r"\s+")


def _plain_tail(segs: list[Seg], letters: int) -> str:
    """The end of ``plain(segs)`` holding at least ``letters`` non-space characters, or all
    of it; a cut tail starts with NUL (so ``^`` cannot match there). Linear over a paragraph:
    the walk back stops at the first segments that carry text."""
    pieces: list[str] = []
    found = 0
    for seg in reversed(segs):
        if seg.raw is None:
            pieces.append(seg.text)
            found += len(seg.text) - seg.text.count(" ")
        elif seg.raw == BR:
            pieces.append(" ")
        if found >= letters:
            pieces.append("\x00")
            break
    return "".join(reversed(pieces))


def _reword_marker(out: list[Seg], marker: str, word: str) -> None:
    if not word:
        return
    for seg in reversed(out):
        if seg.is_text and marker in seg.text:
            head, _, tail = seg.text.rpartition(marker)
            seg.text = head + word + tail
            return


def _links_for(work: _Work, target: str, seg: Seg) -> list[Seg]:
    """Link segments for a target; a comma list of known pages links each part."""
    index = work.ctx.index
    work.linked.add(_ref_key(target))
    whole = index.resolve(target) if index is not None else None
    if (whole is None or whole.title is None) and index is not None and "," in target:
        parts = [p.strip() for p in target.split(",")]
        if all(p for p in parts) and any(index.resolve(p).title for p in parts):
            out: list[Seg] = []
            for k, part in enumerate(parts):
                if k:
                    out.append(Seg(text=", ", bold=seg.bold))
                out.extend(_link_one(work, part, seg))
            return out
    return _link_one(work, target, seg, whole)


def _link_one(work: _Work, target: str, seg: Seg, found: Resolution | None = None) -> list[Seg]:
    """The link (or text) for one target; ``found``: its resolution, when looked up already."""
    if not is_linkable(target):
        work.warnings.append(f"cross-reference «{target}» cannot be a link; kept as text")
        return [Seg(text=target, bold=seg.bold, italic=seg.italic)]
    index = work.ctx.index
    title = target
    if index is not None:
        if found is None:
            found = index.resolve(target)
        if found.title is not None:
            title = target if found.exact and found.title == target else found.title
        elif found.ambiguous:
            work.warnings.append(
                f"cross-reference «{target}» is ambiguous ({', '.join(found.ambiguous)})"
            )
        else:
            work.warnings.append(f"cross-reference «{target}» not found in the title index")
            work.unresolved.append(target)
            if work.ctx.settings.unknown_links == "text":
                return [Seg(text=target, bold=seg.bold, italic=seg.italic)]
    return [Seg(text=target, bold=seg.bold, link=title if is_linkable(title) else target)]


def _link_listed(work: _Work, segs: list[Seg], marker: str) -> list[Seg]:
    """Link each listed cross-reference not linked yet at its first «marker target» in the
    paragraph, in one pass (at each marker, the targets are looked up by length)."""
    pending: dict[str, int] = {}  # target → its place in the list (the first one wins)
    for order, target in enumerate(work.article.crossrefs):
        if target and _ref_key(target) not in work.linked:
            pending.setdefault(target, order)
    if not pending:
        return segs
    lengths = sorted({len(t) for t in pending})
    pattern = _marker_patterns(marker)[1]
    out: list[Seg] = []
    for seg in segs:
        if not seg.is_text or marker not in seg.text:
            out.append(seg)
            continue
        out.extend(_link_in_seg(work, seg, pattern, marker, pending, lengths))
    return out


def _link_in_seg(
    work: _Work,
    seg: Seg,
    pattern: re.Pattern[str],
    marker: str,
    pending: dict[str, int],
    lengths: list[int],
) -> list[Seg]:
    text = seg.text
    out: list[Seg] = []
    last = 0
    word = work.ctx.abbreviations.crossref_word or marker
    for m in pattern.finditer(text):
        if m.start() < last or not pending:
            continue
        start = m.end()
        found = [
            (pending[text[start : start + n]], text[start : start + n])
            for n in lengths
            if text[start : start + n] in pending
        ]
        if not found:
            continue
        target = min(found)[1]
        del pending[target]
        if _ref_key(target) in work.linked:
            continue
        gap = text[m.start() + len(marker) : start]
        out.append(seg.with_text(text[last : m.start()] + word + gap))
        out.extend(_links_for(work, target, seg))
        last = start + len(target)
    if not out:
        return [seg]
    if text[last:]:
        out.append(seg.with_text(text[last:]))
    return out


def _see_also(work: _Work) -> list[WikiMarkup]:
    out = []
    for target in work.article.crossrefs:
        if _ref_key(target) in work.linked:
            continue
        segs = _links_for(work, target, Seg())
        out.append(WikiMarkup(emit(segs)))
    return out


def _defaultsort(article: Article, surname: re.Pattern[str] | None) -> str:
    """``Surname, Given`` for persons whose lead ends with a surname; else empty."""
    if article.kind is not Kind.PERSON:
        return ""
    name = re.sub(r"\([^)]*\)", " ", article.lead or article.title)
    words = name.replace("«", "").replace("»", "").split()
    if len(words) < 2:
        return ""
    printed = article.headword.split()[0].casefold() if article.headword.split() else ""
    last = words[-1]
    if last.casefold() != printed and (surname is None or not surname.fullmatch(last)):
        return ""  # «Абылай хан», «Әйтеке би»: no surname to sort by
    return f"{last}, {' '.join(words[:-1])}"


def _categories(kind: Kind, settings: RenderSettings) -> list[str]:
    cats = list(settings.tracking_categories)
    cats.extend(settings.kind_categories.get(kind.value, ()))
    return list(dict.fromkeys(cats))
