"""Configuration, read and typed in one place: the shipped defaults overlaid by the operator's file.

The defaults (``uploader/defaults/default.toml``, with the naming word lists in
``parser.toml`` and the abbreviations in ``abbreviations.toml``) are package data, so a
normal install finds them; the checkout's top-level ``config/`` is the same folder. Every
default value lives in those files only: the dataclasses below have no defaults of their own.

The operator's file comes from ``--config PATH`` or ``UPLOADER_CONFIG``. Relative paths in a
file resolve against that file's folder; the defaults' ``[run]`` state paths resolve against
the working directory (so state lands where the operator works, never inside the install).
The result is an immutable ``Config``; nothing here is global or mutable.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from uploader.errors import ConfigError

PACKAGE_DIR = Path(str(resources.files("uploader")))
DEFAULTS_DIR = PACKAGE_DIR / "defaults"
DEFAULT_CONFIG = DEFAULTS_DIR / "default.toml"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
ENV_VAR = "UPLOADER_CONFIG"

# Keys whose values are paths, resolved against the folder of the file that set them.
_PATH_KEYS = {
    ("run", "ledger"),
    ("run", "log_dir"),
    ("run", "stop_file"),
    ("run", "preview_dir"),
    ("wiki", "password_file"),
    ("render", "templates_dir"),
    ("render", "abbreviations"),
    ("render", "title_index_cache"),
    ("naming", "word_lists"),
}
_TABLES = ("wiki", "run", "volumes", "render", "citation", "naming", "limits")


@dataclass(frozen=True)
class WikiConfig:
    """``[wiki]``: where and as whom to publish."""

    api: str
    user: str
    password_file: Path | None
    family: str  # pywikibot family name; derived from the API URL when empty
    lang: str


@dataclass(frozen=True)
class RunConfig:
    """``[run]``: rate, lag, retries, where state lives, when to stop."""

    put_throttle: float
    maxlag: int
    ledger: Path
    log_dir: Path  # unset (empty): <ledger dir>/logs; likewise preview and STOP below
    preview_dir: Path
    shutoff_page: str
    shutoff_every: int
    shutoff_allow: str  # regex the shutoff page must match for the bot to run
    stop_file: Path
    max_retries: int
    retry_wait: float
    wait_out: float  # after max_retries, keep waiting out maxlag/ratelimited this long
    max_edits: int  # 0 = unlimited
    batch_size: int
    # Is a page on the wiki this article's subject? Similarity of the plain texts (0..1):
    same_subject_similarity: float  # at least this: the same subject, never create
    other_subject_similarity: float  # at most this (and min_subject_words long): another one
    min_subject_words: int  # a page with fewer words is too short to judge: unsure


@dataclass(frozen=True)
class RenderSettings:
    """``[render]``: templates, sections, categories, maintenance notices, link policy."""

    templates_dir: Path
    abbreviations: Path
    article_template: str
    redirect_template: str
    summary_template: str
    redirect_summary_template: str
    update_summary_template: str
    sections: Mapping[str, str]
    works_label: str
    literature_label: str
    tracking_categories: tuple[str, ...]
    kind_categories: Mapping[str, tuple[str, ...]]
    stub_template: str
    stub_threshold: int
    references: str
    magic: Mapping[str, str]
    latin_protect: bool
    latin_skip: str
    latin_single_words: bool
    surname_pattern: str
    unknown_links: str
    signature: str
    title_index: bool
    title_index_cache: Path | None
    strict_validation: bool  # validate with the full mwparserfromhell round trip

    @classmethod
    def from_section(cls, raw: Mapping[str, Any]) -> RenderSettings:
        """Read and check a ``[render]`` table (all keys required, unknown keys refused)."""
        settings: RenderSettings = typed(cls, raw, "render")
        if settings.unknown_links not in ("red", "text"):
            raise ConfigError('config: [render] unknown_links must be "red" or "text"')
        if settings.signature not in ("citation", "body"):
            raise ConfigError('config: [render] signature must be "citation" or "body"')
        for name in ("works", "literature", "sources", "see_also"):
            if not settings.sections.get(name):
                raise ConfigError(f"config: [render.sections] needs {name}")
        for name in ("redirect", "defaultsort", "category"):
            if not settings.magic.get(name):
                raise ConfigError(f"config: [render.magic] needs {name}")
        return settings


class Fields(dict[str, Any]):
    """A dict whose keys templates read as attributes (``citation.title``).

    Jinja2 tries ``getattr`` before ``[]``; on a plain dict that first try raises and is
    caught for every value. Here it succeeds, with the same result.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Citation:
    """``[citation]``: the encyclopedia, and per-volume number, year and ISBN."""

    template: str
    title: str
    editor: str
    location: str
    publisher: str
    year: str
    licence: str
    summary_prefix: str
    volume_word: str
    volumes: Mapping[str, Mapping[str, str]]

    @classmethod
    def from_section(cls, raw: Mapping[str, Any]) -> Citation:
        """Read a ``[citation]`` table."""
        data = dict(raw)
        volumes = data.pop("volumes", {})
        if not isinstance(volumes, Mapping):
            raise ConfigError("config: [citation.volumes] must be a table")
        citation: Citation = typed(cls, {**data, "volumes": {}}, "citation")
        if not citation.template or not citation.title:
            raise ConfigError("config: [citation] needs template and title")
        per = {}
        for key, value in volumes.items():
            if not isinstance(value, Mapping):
                raise ConfigError(f"config: [citation.volumes.{key}] must be a table")
            per[str(key)] = MappingProxyType({str(a): str(b) for a, b in value.items()})
        return dataclasses.replace(citation, volumes=MappingProxyType(per))

    def problem(self, volume: str | None) -> str | None:
        """Why the citation for ``volume`` is incomplete (None when it is complete)."""
        if volume is None:
            return "volume unknown (not in [volumes]): citation lacks volume number and ISBN"
        if str(volume) not in self.volumes:
            return f"no [citation.volumes.{volume}] entry: citation lacks volume number and ISBN"
        return None

    def for_volume(self, volume: str | None) -> Fields:
        """The citation values for a volume key (number, year, ISBN when configured)."""
        per = self.volumes.get(str(volume), {}) if volume is not None else {}
        return Fields(
            {
                "template": self.template,
                "title": self.title,
                "editor": self.editor,
                "location": self.location,
                "publisher": self.publisher,
                "year": per.get("year", self.year),
                "isbn": per.get("isbn", ""),
                "volume": per.get("number", ""),
                "volume_word": self.volume_word,
                "licence": self.licence,
                "summary_prefix": self.summary_prefix,
            }
        )


@dataclass(frozen=True)
class NamingRules:
    """The word lists that name pages (``parser.toml``, overlaid by ``[naming]`` keys)."""

    surname_endings: tuple[str, ...]
    ruler_titles: frozenset[str]
    acronyms: frozenset[str]
    proper_nouns: frozenset[str]
    place_nouns: Mapping[str, str]
    epithets: frozenset[str]
    patronymic_endings: tuple[str, ...]
    official_heads: frozenset[str]
    official_kinds: tuple[str, ...]
    official_lower: frozenset[str]
    name_prefixes: frozenset[str]
    order_lookahead: int
    quoted_kinds: Mapping[str, str]
    person_nouns: frozenset[str]

    @classmethod
    def from_section(cls, raw: Mapping[str, Any]) -> NamingRules:
        """Read the naming word lists (longest surname endings first; proper nouns folded)."""
        data = {k: v for k, v in raw.items() if k != "word_lists"}
        rules: NamingRules = typed(cls, data, "naming")
        return dataclasses.replace(
            rules,
            surname_endings=tuple(sorted(rules.surname_endings, key=len, reverse=True)),
            patronymic_endings=tuple(sorted(rules.patronymic_endings, key=len, reverse=True)),
            proper_nouns=frozenset(w.lower() for w in rules.proper_nouns),
            epithets=frozenset(w.lower() for w in rules.epithets),
            official_heads=frozenset(w.lower() for w in rules.official_heads),
            official_lower=frozenset(w.lower() for w in rules.official_lower),
            name_prefixes=frozenset(w.lower() for w in rules.name_prefixes),
            person_nouns=frozenset(w.lower() for w in rules.person_nouns),
        )

    @classmethod
    def load(cls, path: Path | None = None) -> NamingRules:
        """The rules of the default configuration, or of one word-list file."""
        if path is None:
            return load_config().naming
        return cls.from_section(_read_toml(path))


@dataclass(frozen=True)
class Limits:
    """``[limits]``: how much a volume file may make the parser read, hold and write.

    Past a part limit the file is refused; past a picture limit the picture is skipped; past
    a paragraph or article limit the article is quarantined. Each says which limit in one line.
    """

    max_total_bytes: int  # everything inflated from one volume file
    max_document_bytes: int  # word/document.xml inflated
    max_part_bytes: int  # any other XML part (styles, relationships) inflated
    max_picture_bytes: int  # one picture inflated
    max_ratio: int  # inflated / packed size of a member, checked past ratio_floor_bytes
    ratio_floor_bytes: int
    max_element_bytes: int  # XML of one body paragraph or table
    max_body_elements: int  # paragraphs and tables (table cells' included) of the document
    max_paragraph_chars: int  # visible text of one paragraph
    max_article_chars: int  # visible text of one article (all its paragraphs and cells)

    @classmethod
    def load(cls) -> Limits:
        """The limits of the default configuration (and $UPLOADER_CONFIG)."""
        return load_config().limits


@dataclass(frozen=True)
class Config:
    """The merged configuration, immutable and typed per section."""

    raw: Mapping[str, Any]
    wiki: WikiConfig
    run: RunConfig
    volumes: Mapping[str, Path]
    render: RenderSettings
    citation: Citation
    naming: NamingRules
    sources: tuple[Path, ...]
    limits: Limits

    def section(self, name: str) -> Mapping[str, Any]:
        """A raw section (e.g. ``render``) as a read-only mapping."""
        value = self.raw.get(name, {})
        if not isinstance(value, Mapping):
            raise ConfigError(f"config: [{name}] must be a table")
        return MappingProxyType(dict(value))

    def volume_path(self, volume: str) -> Path:
        """The .docx path configured for a volume key, or a ConfigError naming the key."""
        key = str(volume)
        if key not in self.volumes:
            known = ", ".join(sorted(self.volumes)) or "none"
            raise ConfigError(
                f"volume {key} is not configured (known: {known}); add it under [volumes]"
            )
        return self.volumes[key]

    def title_index_cache(self) -> Path:
        """Where the title index caches each volume: the setting, else beside the ledger."""
        return self.render.title_index_cache or self.run.ledger.parent / "title-index"


# --- reading ------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a folder, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None


def _check_tables(data: Mapping[str, Any], path: Path) -> None:
    for name, value in data.items():
        if name not in _TABLES:
            known = ", ".join(f"[{t}]" for t in _TABLES)
            raise ConfigError(f"{path}: unknown table or key {name!r} (known: {known})")
        if not isinstance(value, Mapping):
            raise ConfigError(f"{path}: {name} must be a table ([{name}]), not a value")


def _resolve_paths(data: dict[str, Any], base: Path, run_base: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, value in data.items():
        if not isinstance(value, dict):
            out[section] = value
            continue
        resolved = dict(value)
        root = run_base if section == "run" else base
        for key, item in value.items():
            if (
                isinstance(item, str)
                and item
                and ((section, key) in _PATH_KEYS or section == "volumes")
            ):
                resolved[key] = str((root / os.path.expanduser(item)).resolve())
        out[section] = resolved
    return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _convert(hint: Any, value: Any) -> Any:
    """``value`` as the annotated type, or ValueError/TypeError."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Path:
        if not isinstance(value, str):
            raise TypeError(value)
        return Path(value)
    if origin in (typing.Union, types.UnionType) and type(None) in args:
        inner = next(a for a in args if a is not type(None))
        return None if value in (None, "") else _convert(inner, value)
    if hint is bool:
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(value)
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(value)
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise TypeError(value)
        return value
    if origin in (tuple, frozenset):
        if not isinstance(value, list | tuple):
            raise TypeError(value)
        items = [_convert(args[0], v) for v in value]
        return tuple(items) if origin is tuple else frozenset(items)
    if origin is Mapping:
        if not isinstance(value, Mapping):
            raise TypeError(value)
        return MappingProxyType({str(k): _convert(args[1], v) for k, v in value.items()})
    raise TypeError(hint)  # pragma: no cover - a field type this reader does not know


def typed(cls: type, section: Mapping[str, Any], name: str) -> Any:
    """Build dataclass ``cls`` from a table: every field required, types checked."""
    hints = typing.get_type_hints(cls)
    fields = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(section) - set(fields))
    if unknown:
        raise ConfigError(f"config: unknown key(s) in [{name}]: {', '.join(unknown)}")
    missing = [f for f in fields if f not in section]
    if missing:
        raise ConfigError(f"config: [{name}] lacks {', '.join(missing)}")
    kwargs: dict[str, Any] = {}
    for key in fields:
        value = section[key]
        try:
            kwargs[key] = _convert(hints[key], value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"config: [{name}] {key} = {value!r} has the wrong type or a negative value"
            ) from None
    return cls(**kwargs)


def _beside_ledger(run: RunConfig) -> RunConfig:
    """Fill unset state paths (logs, preview, STOP file) with places beside the ledger."""
    home = run.ledger.parent
    return dataclasses.replace(
        run,
        log_dir=run.log_dir if run.log_dir != Path() else home / "logs",
        preview_dir=run.preview_dir if run.preview_dir != Path() else home / "preview",
        stop_file=run.stop_file if run.stop_file != Path() else home / "STOP",
    )


def _naming(data: Mapping[str, Any]) -> NamingRules:
    """The word-list file named by ``[naming] word_lists``, overlaid by ``[naming]`` keys."""
    section = dict(data.get("naming", {}))
    lists = section.get("word_lists")
    base = _read_toml(Path(lists)) if lists else {}
    return NamingRules.from_section({**base, **section})


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the default config, overlaid by ``path`` or ``$UPLOADER_CONFIG`` when given.

    Every problem is one ConfigError line, naming the operator's file when there is one.
    """
    chosen = path or os.environ.get(ENV_VAR) or None
    try:
        return _load(chosen)
    except ConfigError as exc:
        text = str(exc)
        if chosen and text.startswith("config: "):
            where = Path(chosen).expanduser().resolve()
            raise ConfigError(f"{where}: {text.removeprefix('config: ')}") from None
        raise


def _load(chosen: str | os.PathLike[str] | None) -> Config:
    sources = [DEFAULT_CONFIG]
    data = _resolve_paths(_read_toml(DEFAULT_CONFIG), DEFAULTS_DIR, Path.cwd())
    if chosen:
        user_path = Path(chosen).expanduser().resolve()
        user = _read_toml(user_path)
        _check_tables(user, user_path)
        data = _merge(data, _resolve_paths(user, user_path.parent, user_path.parent))
        sources.append(user_path)
    wiki_raw = dict(data.get("wiki", {}))
    if not wiki_raw.get("api") or not wiki_raw.get("user"):
        raise ConfigError("config: [wiki] needs api and user")
    volumes = {}
    for key, value in dict(data.get("volumes", {})).items():
        if not isinstance(value, str) or not value:
            raise ConfigError(f'config: [volumes] {key} must be the path of a volume file ("…")')
        volumes[str(key)] = Path(value)
    return Config(
        raw=MappingProxyType(data),
        wiki=typed(WikiConfig, wiki_raw, "wiki"),
        run=_beside_ledger(typed(RunConfig, dict(data.get("run", {})), "run")),
        volumes=MappingProxyType(volumes),
        render=RenderSettings.from_section(dict(data.get("render", {}))),
        citation=Citation.from_section(dict(data.get("citation", {}))),
        naming=_naming(data),
        sources=tuple(sources),
        limits=typed(Limits, dict(data.get("limits", {})), "limits"),
    )
