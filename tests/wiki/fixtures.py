"""pytest plugin for the real local MediaWiki (load with
``pytest_plugins = ["tests.wiki.fixtures"]``).

* ``local_wiki`` (session): one wiki for the whole run, in a private temporary folder;
  created and started on first use, stopped at the end.
* ``wiki`` (function): the same wiki with all faults off before and after the test; the
  test must carry ``@pytest.mark.wiki``.
* ``pywikibot_environ`` (function): environment for a pywikibot child process logged in
  as the wiki's bot (see :mod:`tests.wiki.pywikibot_site`).

Without php or MediaWiki the fixtures skip, naming what is missing, except when ``CI=true``:
then they fail, so CI never silently skips the server-backed tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.wiki.pywikibot_site import pywikibot_env
from tests.wiki.server import LocalWiki, mediawiki_missing


def in_ci() -> bool:
    """True when the CI=true environment variable says this is a CI run."""
    return os.environ.get("CI", "").strip().lower() == "true"


def _require_mediawiki() -> None:
    reason = mediawiki_missing()
    if reason is None:
        return
    if in_ci():
        pytest.fail(f"CI=true but the local wiki cannot run: {reason}", pytrace=False)
    pytest.skip(f"local wiki unavailable: {reason}")


@pytest.fixture(scope="session")
def local_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWiki]:
    """One started LocalWiki shared by the whole test run."""
    _require_mediawiki()
    wiki = LocalWiki.create(tmp_path_factory.mktemp("wiki"))
    wiki.start()
    try:
        yield wiki
    finally:
        wiki.stop()


@pytest.fixture
def wiki(local_wiki: LocalWiki, request: pytest.FixtureRequest) -> Iterator[LocalWiki]:
    """The session's LocalWiki, running, with every fault off before and after the test."""
    if request.node.get_closest_marker("wiki") is None:
        pytest.fail("tests using the wiki fixture must be marked @pytest.mark.wiki")
    if not local_wiki.running:
        local_wiki.start()
    local_wiki.clear_faults()
    try:
        yield local_wiki
    finally:
        local_wiki.clear_faults()


@pytest.fixture
def pywikibot_environ(wiki: LocalWiki, tmp_path: Path) -> dict[str, str]:
    """The full environment for a pywikibot child process logged in as the wiki's bot,
    with a private pywikibot folder under the test's tmp_path."""
    return {**os.environ, **pywikibot_env(wiki, tmp_path / "pywikibot")}
