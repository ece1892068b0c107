"""Operators and failures against the REAL local MediaWiki, many through a fault-injecting
proxy (tests/wiki/faultproxy.py): cut answers, delays, 502s, connections closed after the
wiki did the edit, lost sessions, a second run on the same ledger, signals during login.

Each test uses its own titles and its own ledger; runs go through the library or, where a
process must be signalled or two must race, through ``python -m uploader`` children.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.test_integration_publish import (
    UNLIMITED,
    all_titles,
    assert_published_once,
    child,
    ledger_rows,
    make_pages,
    make_volume,
    no_edit_limit,
    reap_children,
    seed,
    volume_titles,
    wait_for,
    write_config,
)
from tests.wiki.faultproxy import FaultProxy
from tests.wiki.server import LocalWiki, free_port
from uploader.cli import main
from uploader.commands import upload_volume
from uploader.config import Config, load_config
from uploader.publish.ledger import Ledger, State
from uploader.publish.runner import Outcome

pytestmark = pytest.mark.wiki
__all__ = ["no_edit_limit", "reap_children"]  # autouse fixtures shared with the module above

INFO_BATCH = {"action": "query", "prop": "info|revisions|templates"}


@pytest.fixture
def proxy(wiki: LocalWiki) -> Iterator[FaultProxy]:
    with FaultProxy(f"http://127.0.0.1:{wiki.port}") as started:
        yield started


def via(config_path: Path, api_url: str) -> Path:
    """Point a config written by ``write_config`` at another API address."""
    text = config_path.read_text(encoding="utf-8")
    lines = [f'api = "{api_url}"' if ln.startswith("api = ") else ln for ln in text.splitlines()]
    config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config_path


def last_run_outcome(config: Config) -> str:
    db = sqlite3.connect(config.run.ledger)
    try:
        return str(db.execute("SELECT outcome FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0])
    finally:
        db.close()


def bot_creations(wiki: LocalWiki, titles: list[str]) -> int:
    wanted = set(titles)
    return sum(1 for c in wiki.recent_changes() if c["user"] == "KazBot" and c["title"] in wanted)


def drop_sessions(wiki: LocalWiki) -> None:
    """Forget every session on the wiki's side (the object cache), as an expiry would."""
    with sqlite3.connect(wiki.root / "data" / "wikicache.sqlite", timeout=30) as db:
        db.execute("DELETE FROM objectcache WHERE keyname LIKE '%MWSession%'")
    db.close()


# --- the bar: two runs at once on one ledger ---------------------------------------------


def test_faults_two_volume_runs_at_once_one_runs_one_refuses(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    volume = make_volume(tmp_path / "twice.docx", "ЕКІ", 6)
    config_path = write_config(tmp_path, wiki, volume, put_throttle=0.5)
    config = load_config(config_path)
    titles = volume_titles(config)
    first, second = child(config_path, "volume", "g"), child(config_path, "volume", "g")
    results = {}
    for proc in (first, second):
        out, err = proc.communicate(timeout=120)
        results[proc.pid] = (proc.returncode, out, err)
    codes = sorted(code for code, _, _ in results.values())
    assert codes == [0, 5], results
    (winner,) = [pid for pid, (code, _, _) in results.items() if code == 0]
    (loser,) = [r for r in results.values() if r[0] == 5]
    lines = loser[2].strip().splitlines()
    assert len(lines) == 1 and loser[1] == "", loser
    assert lines[0].startswith(f"upload: error: {config.run.ledger}: another run is using")
    assert f"pid {winner} (upload volume g), running since " in lines[0]
    assert f"{len(titles)} created" in results[winner][1]
    assert_published_once(wiki, config, titles)
    assert bot_creations(wiki, titles) == len(titles)


# --- faults in the middle of a run -------------------------------------------------------


def test_faults_run_through_cut_dropped_delayed_and_502_answers_publishes_once(
    wiki: LocalWiki, proxy: FaultProxy, tmp_path: Path
) -> None:
    pages = make_pages("Ақау", 12)
    config = load_config(
        via(write_config(tmp_path, wiki, max_retries=3, retry_wait=0.2), proxy.api_url)
    )
    edit = {"action": "edit"}
    faults = [
        proxy.add("drop", edit, after=1),  # the wiki saved it, the bot never heard
        proxy.add("cut", edit, after=3, cut_at=7),  # saved, the answer cut mid-body
        proxy.add("502", edit, after=5),  # not saved
        proxy.add("delay", edit, after=7, delay=1.5),
        proxy.add("drop", edit, after=9, times=2),  # saved, and the retry's answer lost too
        proxy.add("cut", INFO_BATCH),
        proxy.add("502", {"action": "query", "list": "usercontribs"}),
        proxy.add("drop", {"action": "query", "meta": "tokens", "type": "csrf"}),
    ]
    out = upload_volume(config, "t", pages=pages, progress=False)
    assert isinstance(out, Outcome)
    assert [f.fired for f in faults] == [f.times for f in faults]
    titles = all_titles(pages)
    assert_published_once(wiki, config, titles)
    assert {state for state, _ in ledger_rows(config).values()} == {State.PUBLISHED}
    assert out.created + out.own == len(titles) and out.exists == 0 and out.failed == 0
    assert bot_creations(wiki, titles) == len(titles)


def test_faults_kill_after_the_wiki_saved_then_resume_publishes_once(
    wiki: LocalWiki, proxy: FaultProxy, tmp_path: Path
) -> None:
    pages = make_pages("Үзік", 6, 0)
    config_path = via(write_config(tmp_path, wiki), proxy.api_url)
    config = load_config(config_path)
    seed(config, pages)
    hold = proxy.add("delay", {"action": "edit"}, after=2, delay=30.0)  # the wiki saves later
    proc = child(config_path, "resume")
    wait_for(lambda: hold.fired == 1)
    proc.kill()
    proc.communicate(timeout=30)
    assert "in_flight" in {s for s, _ in ledger_rows(config).values()}
    proxy.clear()
    done = child(config_path, "resume")
    _, stderr = done.communicate(timeout=120)
    assert done.returncode == 0, stderr
    assert_published_once(wiki, config, all_titles(pages))


def test_faults_session_lost_mid_run_logs_in_again_and_carries_on(
    wiki: LocalWiki, proxy: FaultProxy, tmp_path: Path
) -> None:
    pages = make_pages("Сессия", 7, 0)
    config = load_config(via(write_config(tmp_path, wiki, batch_size=4), proxy.api_url))
    forget = lambda: drop_sessions(wiki)  # noqa: E731 - a hook
    on_write = proxy.add("hook", {"action": "edit"}, after=2, hook=forget)
    on_read = proxy.add("hook", INFO_BATCH, after=1, hook=forget)
    try:
        out = upload_volume(config, "t", pages=pages, progress=False)
    finally:
        wiki._admin = None  # the harness's own sessions went too
        wiki._humans.clear()
    assert isinstance(out, Outcome) and out.created == len(pages)
    assert (on_write.fired, on_read.fired) == (1, 1)
    actions = [p.get("action") for p, _ in proxy.seen]
    start = actions.index("edit")  # pywikibot's own login (if any) came before
    assert actions[start:].count("login") == 2  # one for each lost session
    assert_published_once(wiki, config, all_titles(pages))


def test_faults_rate_limit_longer_than_the_retries_is_waited_out(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    pages = make_pages("Шектеу", 6, 0)
    config = load_config(
        write_config(tmp_path, wiki, max_retries=1, retry_wait=0.3, wait_out=600.0)
    )
    wiki.set_faults(ratelimit=2)
    lift = threading.Timer(4.0, lambda: wiki.set_faults(ratelimit=UNLIMITED))
    lift.start()
    started = time.monotonic()
    try:
        out = upload_volume(config, "t", pages=pages, progress=False)
    finally:
        lift.cancel()
    assert time.monotonic() - started >= 4.0
    assert isinstance(out, Outcome) and out.created == len(pages)
    assert_published_once(wiki, config, all_titles(pages))


# --- lost WAL ----------------------------------------------------------------------------


def test_faults_ledger_without_its_wal_recognises_the_bots_edited_pages(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    pages = make_pages("Журнал", 4, 2)
    titles = all_titles(pages)
    config = load_config(write_config(tmp_path, wiki))
    with Ledger.open(config.run.ledger) as ledger:
        ledger.register(pages, "t")
    stale = tmp_path / "stale.sqlite3"
    stale.write_bytes(config.run.ledger.read_bytes())  # the main file without the run's WAL
    out = upload_volume(config, "t", pages=pages, progress=False)
    assert isinstance(out, Outcome) and out.created == len(titles)
    edited = [pages[1].title, pages[3].title]
    for title in edited:
        wiki.create_user_page("Түзетуші", title, "адам жақсартты")
    text = config.sources[-1].read_text(encoding="utf-8")
    lost_path = tmp_path / "lost.toml"
    lost_path.write_text(text.replace("state/ledger.sqlite3", str(stale)), encoding="utf-8")
    lost = load_config(lost_path)
    assert lost.run.ledger == stale
    again = upload_volume(lost, "t", pages=pages, progress=False)
    assert isinstance(again, Outcome)
    assert (again.created, again.exists, again.forgotten) == (0, 0, len(titles))
    assert "the ledger had lost" in again.line()
    rows = ledger_rows(lost)
    assert {state for state, _ in rows.values()} == {State.PUBLISHED}
    for title in titles:
        revs = wiki.revisions(title)
        assert revs[0]["user"] == "KazBot" and rows[title] == ("published", revs[0]["revid"])
        assert len(revs) == (2 if title in edited else 1)


# --- one line and the right exit code ----------------------------------------------------


@pytest.mark.parametrize("kind", ["drop", "502", "cut"])
def test_faults_login_failing_through_the_network_is_one_line(
    wiki: LocalWiki, proxy: FaultProxy, tmp_path: Path, kind: str
) -> None:
    config_path = via(write_config(tmp_path, wiki), proxy.api_url)
    config = load_config(config_path)
    seed(config, make_pages(f"Кіру {kind}", 1, 0))
    proxy.add(kind, {"action": "login"}, times=100)
    proc = child(config_path, "resume")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"upload: error: cannot log in to {proxy.api_url}: the network")
    assert lines[0].endswith(f"continue with: upload resume --config {config_path}")
    assert last_run_outcome(config).startswith("error: cannot log in")


@pytest.mark.parametrize("kind", ["html", "404", "refused", "502"])
def test_faults_api_that_is_not_a_mediawiki_is_one_line(
    wiki: LocalWiki, proxy: FaultProxy, tmp_path: Path, kind: str
) -> None:
    api = {
        "html": proxy.api_url,
        # another host name than the other tests use: pywikibot keeps one site per host
        "404": f"http://localhost:{wiki.port}/w/api.php",
        "refused": f"http://127.0.0.1:{free_port()}/api.php",
        "502": proxy.api_url,
    }[kind]
    if kind in ("html", "502"):
        proxy.add(kind, times=100)
    config_path = via(write_config(tmp_path, wiki), api)
    seed(load_config(config_path), make_pages(f"Мекенжай {kind}", 1, 0))
    result = CliRunner().invoke(main, ["resume", "--config", str(config_path), "--no-progress"])
    assert result.exit_code == 3
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    expected = {
        "html": f"{api} is not a MediaWiki API (it sent text/html, not JSON)",
        "404": f"{api} answered HTTP 404, not an API reply",
        "refused": f"cannot reach {api} (connection refused)",
        "502": f"{api} answered HTTP 502, not an API reply",
    }[kind]
    assert lines[0].startswith(f"upload: error: {expected}; check [wiki] api")


def test_faults_assertuserfailed_on_a_read_is_one_line_exit_3(
    wiki: LocalWiki, proxy: FaultProxy, tmp_path: Path
) -> None:
    config_path = via(write_config(tmp_path, wiki), proxy.api_url)
    config = load_config(config_path)
    seed(config, make_pages("Сессиясыз", 2, 0))
    proxy.add("nocookies", {"action": "query", "list": "usercontribs"}, times=100)
    proxy.add("nocookies", {"action": "login"}, times=100, after=1)  # logging in again fails
    proc = child(config_path, "resume")
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 3
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("upload: error: the session was lost and logging in again")
    assert lines[0].endswith(f"continue with: upload resume --config {config_path}")
    assert last_run_outcome(config).startswith("error: ")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_faults_signal_during_login_leaves_the_run_stopped(
    wiki: LocalWiki, proxy: FaultProxy, tmp_path: Path, sig: signal.Signals
) -> None:
    pages = make_pages(f"Кірісте {sig.name}", 3, 0)
    config_path = via(write_config(tmp_path, wiki), proxy.api_url)
    config = load_config(config_path)
    seed(config, pages)
    slow = proxy.add("delay", {"action": "login"}, delay=2.0)
    proc = child(config_path, "resume")
    wait_for(lambda: slow.fired == 1)
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 4, stderr
    assert stderr.strip().splitlines() == [
        f"upload: stopped: signal {sig.name}; continue with: upload resume --config {config_path}"
    ]
    assert last_run_outcome(config).startswith(f"stopped: signal {sig.name}")
    assert all(wiki.page_text(t) is None for t in all_titles(pages))
