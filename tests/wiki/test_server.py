"""Smoke tests of the real local MediaWiki harness (server.py, fixtures.py)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.wiki.server import SITE_NAME, ApiSession, LocalWiki, WikiHarnessError

pytestmark = pytest.mark.wiki

PWB_SAVE = Path(__file__).with_name("pwb_save.py")


def error_code(reply: dict[str, Any]) -> str | None:
    """The API error code in ``reply``, or None when the request succeeded."""
    error = reply.get("error")
    return error["code"] if error else None


def bot_request(bot: ApiSession, kind: str, title: str) -> dict[str, Any]:
    """One bot request of the given kind: an edit, or a read sent with maxlag=5."""
    if kind == "edit":
        return bot.call("POST", action="edit", title=title, text=f"{title}.", bot="1")
    return bot.call("GET", action="query", meta="siteinfo", maxlag="5")


def test_local_wiki_siteinfo_is_kazakh(wiki: LocalWiki) -> None:
    general = wiki.api(action="query", meta="siteinfo")["query"]["general"]
    assert general["lang"] == "kk"
    assert general["sitename"] == SITE_NAME
    assert wiki.page_text(general["mainpage"]) is not None


def test_local_wiki_pywikibot_bot_password_save_is_bot_edit(
    wiki: LocalWiki, pywikibot_environ: dict[str, str], tmp_path: Path
) -> None:
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    title, text = "Pywikibot сынағы", "Бот BotPassword арқылы сақтаған мәтін."
    done = subprocess.run(
        [sys.executable, str(PWB_SAVE), title, text, "pywikibot smoke test"],
        env=pywikibot_environ,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    reported = json.loads(done.stdout.strip().splitlines()[-1])
    assert reported["user"] == wiki.bot_user
    assert reported["bot_right"] is True
    assert wiki.page_text(title) == text
    change = wiki.recent_changes(title)[0]
    assert (change["user"], change["revid"], change["bot"]) == (
        wiki.bot_user,
        reported["revid"],
        True,
    )
    assert list(workdir.iterdir()) == []  # pywikibot kept to its private base_dir
    password_file = Path(pywikibot_environ["KAZWIKI_PASSWORD_FILE"])
    assert password_file.stat().st_mode & 0o777 == 0o600
    assert wiki.bot_password not in done.stdout + done.stderr


@pytest.mark.parametrize(
    ("faults", "kind", "expected"),
    [
        pytest.param({"readonly": "сынақ үшін"}, "edit", "readonly", id="readonly"),
        pytest.param({"lag": 10.0}, "maxlag", "maxlag", id="lag"),
        pytest.param({"ratelimit": 0}, "edit", "ratelimited", id="ratelimit"),
    ],
)
def test_local_wiki_fault_switches_on_and_off(
    wiki: LocalWiki, faults: dict[str, Any], kind: str, expected: str
) -> None:
    bot = wiki.bot_session()
    title = f"Ақау {expected}"
    wiki.set_faults(**faults)
    assert error_code(bot_request(bot, kind, title)) == expected
    wiki.clear_faults()
    assert error_code(bot_request(bot, kind, title)) is None


@pytest.mark.parametrize("limit", [1, 3])
def test_local_wiki_ratelimit_allows_n_bot_edits_then_fails(wiki: LocalWiki, limit: int) -> None:
    bot = wiki.bot_session()
    wiki.set_faults(ratelimit=limit)
    codes = [error_code(bot_request(bot, "edit", f"Шек {limit} {i}")) for i in range(limit + 1)]
    assert codes == [None] * limit + ["ratelimited"]
    assert wiki.edit_as_admin(f"Шек {limit} әкімші", "әкімшіге шек жоқ") > 0
    assert wiki.create_user_page("Шек Адамы", f"Шек {limit} адам", "адамға шек жоқ") > 0


def test_local_wiki_readonly_blocks_admin_and_login(wiki: LocalWiki) -> None:
    wiki.set_faults(readonly="сынақ үшін")
    reply = wiki.api("POST", action="edit", title="Тек оқу", text="x")
    assert error_code(reply) == "readonly"
    with pytest.raises(WikiHarnessError) as failed:
        wiki.bot_session()
    assert failed.value.code == "readonly"


def test_local_wiki_request_count_counts_api_requests(wiki: LocalWiki) -> None:
    bot = wiki.bot_session()
    sent = 4
    wiki.reset_request_count()
    for _ in range(sent):
        bot.call("GET", action="query", meta="siteinfo")
    assert wiki.request_count() == sent
    wiki.reset_request_count()
    assert wiki.request_count() == 0


def test_local_wiki_revisions_record_each_editor(wiki: LocalWiki) -> None:
    title = "Тарих сынағы"
    first = wiki.edit_as_admin(title, "бірінші нұсқа")
    second = wiki.create_user_page("Адам Сынақшы", title, "екінші нұсқа")
    revisions = wiki.revisions(title)
    assert [(r["revid"], r["user"]) for r in revisions] == [
        (first, wiki.admin_user),
        (second, "Адам Сынақшы"),
    ]
    assert revisions[-1]["sha1"] == hashlib.sha1("екінші нұсқа".encode()).hexdigest()
    assert wiki.page_text(title) == "екінші нұсқа"
    assert title in wiki.all_pages()
    assert wiki.revisions("Жоқ бет") == []


def test_local_wiki_protect_stops_the_bot(wiki: LocalWiki) -> None:
    title = "Қорғалған бет"
    bot = wiki.bot_session()
    wiki.protect(title)
    assert error_code(bot_request(bot, "edit", title)) == "protectedpage"
    assert wiki.page_text(title) is None
    wiki.edit_as_admin(title, "әкімші жасады")
    wiki.protect(title, create_only=False)
    assert error_code(bot_request(bot, "edit", title)) == "protectedpage"
    assert wiki.page_text(title) == "әкімші жасады"
