"""Configuration: ``config/default.toml`` overlaid by the operator's TOML file.

The operator's file comes from ``--config PATH`` or the ``UPLOADER_CONFIG`` environment
variable. Relative paths in a file resolve against that file's directory. The result is an
immutable ``Config``; nothing here is global or mutable.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from uploader.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
DEFAULT_CONFIG = CONFIG_DIR / "default.toml"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
ENV_VAR = "UPLOADER_CONFIG"

# Keys whose values are paths, resolved against the directory of the file that set them.
_PATH_KEYS = {
    ("run", "ledger"),
    ("run", "log_dir"),
    ("run", "stop_file"),
    ("run", "preview_dir"),
    ("wiki", "password_file"),
    ("render", "templates_dir"),
    ("render", "abbreviations"),
}


@dataclass(frozen=True)
class WikiConfig:
    """Where and as whom to publish."""

    api: str
    user: str
    password_file: Path | None = None
    family: str = ""  # pywikibot family name; derived from the API URL when empty
    lang: str = "kk"


@dataclass(frozen=True)
class RunConfig:
    """How a run behaves: rate, lag, retries, where state lives, when to stop."""

    put_throttle: float = 10.0
    maxlag: int = 5
    ledger: Path = PROJECT_ROOT / "state" / "ledger.sqlite3"
    # Unset (empty) paths below live beside the ledger: <ledger dir>/logs, /preview, /STOP.
    log_dir: Path = Path()
    preview_dir: Path = Path()
    shutoff_page: str = ""
    shutoff_every: int = 5
    shutoff_allow: str = ""  # regex the shutoff page must match for the bot to run
    stop_file: Path = Path()
    max_retries: int = 3
    retry_wait: float = 5.0
    max_edits: int = 0  # 0 = unlimited
    batch_size: int = 50


@dataclass(frozen=True)
class Config:
    """The merged configuration, immutable."""

    raw: Mapping[str, Any]
    wiki: WikiConfig
    run: RunConfig
    volumes: Mapping[str, Path]
    sources: tuple[Path, ...] = field(default_factory=tuple)

    def section(self, name: str) -> Mapping[str, Any]:
        """A raw section (e.g. ``render``, ``citation``) as a read-only mapping."""
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


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _resolve_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section, value in data.items():
        if not isinstance(value, dict):
            out[section] = value
            continue
        resolved = dict(value)
        for key, item in value.items():
            if (
                isinstance(item, str)
                and item
                and ((section, key) in _PATH_KEYS or section == "volumes")
            ):
                resolved[key] = str((base / os.path.expanduser(item)).resolve())
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


def _typed(cls: type, section: Mapping[str, Any], name: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(section) - set(known))
    if unknown:
        raise ConfigError(f"config: unknown key(s) in [{name}]: {', '.join(unknown)}")
    kwargs: dict[str, Any] = {}
    for key, value in section.items():
        default = known[key].default
        try:
            if isinstance(default, Path) or (key == "password_file" and value):
                kwargs[key] = Path(value)
            elif isinstance(default, bool):
                kwargs[key] = bool(value)
            elif isinstance(default, int):
                kwargs[key] = int(value)
            elif isinstance(default, float):
                kwargs[key] = float(value)
            else:
                kwargs[key] = value
        except (TypeError, ValueError):
            raise ConfigError(f"config: [{name}] {key} = {value!r} has the wrong type") from None
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


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the default config, overlaid by ``path`` or ``$UPLOADER_CONFIG`` when given."""
    sources = [DEFAULT_CONFIG]
    data = _resolve_paths(_read_toml(DEFAULT_CONFIG), DEFAULT_CONFIG.parent)
    chosen = path or os.environ.get(ENV_VAR) or None
    if chosen:
        user_path = Path(chosen).expanduser().resolve()
        data = _merge(data, _resolve_paths(_read_toml(user_path), user_path.parent))
        sources.append(user_path)
    wiki_raw = dict(data.get("wiki", {}))
    if not wiki_raw.get("api") or not wiki_raw.get("user"):
        raise ConfigError("config: [wiki] needs api and user")
    volumes = {str(k): Path(v) for k, v in dict(data.get("volumes", {})).items()}
    return Config(
        raw=MappingProxyType(data),
        wiki=_typed(WikiConfig, wiki_raw, "wiki"),
        run=_beside_ledger(_typed(RunConfig, dict(data.get("run", {})), "run")),
        volumes=MappingProxyType(volumes),
        sources=tuple(sources),
    )
