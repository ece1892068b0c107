"""Configuration: defaults overlaid by the operator's file, paths resolved, errors in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from uploader.config import DEFAULT_CONFIG, load_config
from uploader.errors import ConfigError


def test_config_default_targets_kk_wikipedia(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UPLOADER_CONFIG", raising=False)
    config = load_config()
    assert config.wiki.api == "https://kk.wikipedia.org/w/api.php"
    assert config.run.put_throttle == 10 and config.run.maxlag == 5
    assert config.sources == (DEFAULT_CONFIG,)


def test_config_operator_file_overrides_and_resolves_paths(tmp_path: Path) -> None:
    (tmp_path / "op.toml").write_text(
        '[wiki]\napi = "http://127.0.0.1:9/api.php"\nuser = "Bot@app"\n'
        '[run]\nput_throttle = 0\nledger = "state/l.sqlite3"\nshutoff_page = "Қатысушы:Bot/Run"\n'
        '[volumes]\n7 = "vols/07.docx"\n',
        encoding="utf-8",
    )
    config = load_config(tmp_path / "op.toml")
    assert (config.wiki.api, config.wiki.user) == ("http://127.0.0.1:9/api.php", "Bot@app")
    assert config.run.put_throttle == 0.0 and config.run.shutoff_page == "Қатысушы:Bot/Run"
    assert config.run.ledger == tmp_path / "state" / "l.sqlite3"
    assert config.volume_path("7") == tmp_path / "vols" / "07.docx"
    # state that is not configured lives beside the ledger
    assert config.run.log_dir == tmp_path / "state" / "logs"
    assert config.run.preview_dir == tmp_path / "state" / "preview"
    assert config.run.stop_file == tmp_path / "state" / "STOP"


def test_config_env_variable_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "env.toml").write_text("[run]\nmaxlag = 3\n", encoding="utf-8")
    monkeypatch.setenv("UPLOADER_CONFIG", str(tmp_path / "env.toml"))
    assert load_config().run.maxlag == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "config file not found"),
        ("[run\n", "not valid TOML"),
        ("[run]\nthrottle = 1\n", "unknown key(s) in [run]: throttle"),
        ('[run]\nmaxlag = "soon"\n', "has the wrong type"),
        ('[wiki]\napi = ""\n', "[wiki] needs api and user"),
    ],
)
def test_config_errors_are_one_line(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "bad.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_config_unknown_volume_names_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"volume 99 is not configured \(known: sample"):
        load_config().volume_path("99")


def test_config_title_index_cache_resolves_against_the_operators_file(tmp_path: Path) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "op.toml").write_text(
        '[render]\ntitle_index_cache = "cache/ti"\n', encoding="utf-8"
    )
    config = load_config(tmp_path / "ops" / "op.toml")
    assert config.title_index_cache() == tmp_path / "ops" / "cache" / "ti"


def test_config_title_index_cache_unset_lives_beside_the_ledger(tmp_path: Path) -> None:
    (tmp_path / "op.toml").write_text('[run]\nledger = "st/l.sqlite3"\n', encoding="utf-8")
    config = load_config(tmp_path / "op.toml")
    assert config.title_index_cache() == tmp_path / "st" / "title-index"


def test_config_defaults_live_only_in_the_toml() -> None:
    """Every typed section has no defaults of its own: each value comes from the files."""
    import dataclasses

    from uploader.config import Citation, NamingRules, RenderSettings, RunConfig, WikiConfig

    for cls in (WikiConfig, RunConfig, RenderSettings, Citation, NamingRules):
        with_defaults = [
            f.name
            for f in dataclasses.fields(cls)
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
        ]
        assert with_defaults == [], (cls.__name__, with_defaults)


def test_config_naming_word_lists_can_be_overridden(tmp_path: Path) -> None:
    (tmp_path / "op.toml").write_text('[naming]\nacronyms = ["ЖЗЖ"]\n', encoding="utf-8")
    config = load_config(tmp_path / "op.toml")
    assert config.naming.acronyms == frozenset({"ЖЗЖ"})
    assert config.naming.ruler_titles == load_config().naming.ruler_titles


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[rnu]\nx = 1\n", "unknown table or key 'rnu'"),
        ("run = 5\n", "run must be a table"),
        ("[run]\nmax_retries = -1\n", "negative value"),
        ("[naming]\nacronyms = 5\n", "has the wrong type"),
    ],
)
def test_config_operator_file_shape_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert message in str(info.value) and "\n" not in str(info.value)
