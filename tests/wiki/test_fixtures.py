"""The wiki fixtures skip without MediaWiki, except under CI=true where they fail."""

from __future__ import annotations

import pytest

from tests.wiki import fixtures


@pytest.mark.parametrize(
    ("ci_value", "outcome"),
    [
        (None, pytest.skip.Exception),
        ("false", pytest.skip.Exception),
        ("true", pytest.fail.Exception),
        ("TRUE", pytest.fail.Exception),
    ],
)
def test_require_mediawiki_skips_locally_and_fails_in_ci(
    monkeypatch: pytest.MonkeyPatch, ci_value: str | None, outcome: type[BaseException]
) -> None:
    monkeypatch.setattr(fixtures, "mediawiki_missing", lambda: "php is not installed")
    if ci_value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci_value)
    with pytest.raises(outcome, match="php is not installed"):
        fixtures._require_mediawiki()
