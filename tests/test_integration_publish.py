"""The publisher against the REAL local MediaWiki (tests/wiki): no fakes on the wiki side.

Runs go through the library (``upload_volume``) or, where a process must be killed or
signalled, through ``python -m uploader`` in a child process. Each test uses its own
titles (the wiki is shared by the session) and its own ledger.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.renderkit import with_redirect_texts
from tests.wiki.server import LocalWiki
from uploader.cli import main
from uploader.commands import upload_volume
from uploader.config import Config, load_config
from uploader.errors import WikiError
from uploader.model import Page, SourcePos
from uploader.publish.ledger import Ledger, State
from uploader.publish.runner import Outcome

pytestmark = pytest.mark.wiki
PROJECT = Path(__file__).resolve().parent.parent
SHUTOFF = "Қатысушы:KazBot/Run"


def make_pages(prefix: str, n: int, every: int = 4) -> list[Page]:
    """n articles titled '<prefix> N'; every ``every``-th has a redirect (0: none)."""
    return [with_redirect_texts(p) for p in _bare_pages(prefix, n, every)]


def _bare_pages(prefix: str, n: int, every: int) -> list[Page]:
    return [
        Page(
            title=f"{prefix} {i}",
            wikitext=f"'''{prefix} {i}''' — сынақ мақаласы.\n\n== Дереккөздер ==\n<references />",
            source=SourcePos("test.docx", 100 + 10 * i, 105 + 10 * i),
            redirects=(f"{prefix} айдау {i}",) if every and not i % every else (),
            summary=f"Бот: сынақ, {prefix} {i}",
            volume="t",
        )
        for i in range(n)
    ]


LETTERS = "АӘБВГҒДЕЖЗИЙКҚЛМНҢОӨПРСТУҰҮФХҺЧШЫІЭЮЯ"


def make_volume(path: Path, prefix: str, n: int) -> Path:
    """A real .docx volume (tests/docxgen) of n articles with unique headwords starting with
    ``prefix``; every third is a person, whose surname-first form becomes a redirect."""
    from tests import docxgen as g

    entries = []
    for i in range(n):
        stem = f"{prefix}{LETTERS[i // len(LETTERS)]}{LETTERS[i % len(LETTERS)]}"
        if i % 3 == 0:
            surname = f"{stem}ОВ"
            entries.append(
                g.article(
                    f"{surname} Мұхтар Омарханұлы",
                    "(1897–1961) – жазушы.",
                    title=f"Мұхтар {surname.capitalize()}",
                    kind="person",
                )
            )
        else:
            entries.append(
                g.article(
                    f"{stem}ТАУ",
                    "Қазақстандағы тау. Биіктігі 1200 м.",
                    title=f"{stem}ТАУ".capitalize(),
                    kind="place",
                )
            )
    g.write_docx(g.Volume(entries), path)
    return path


def volume_titles(config: Config, volume: str = "g") -> list[str]:
    """Article and redirect titles of a configured volume, as the pipeline renders them."""
    from uploader.pipeline import iter_pages
    from uploader.report import Report

    pages = list(iter_pages(config.volume_path(volume), config, Report(), volume=volume))
    return all_titles(pages)


def write_config(
    tmp_path: Path, wiki: LocalWiki, volume: Path | None = None, **run: object
) -> Path:
    """A config TOML for the local wiki, the bot password in a chmod-600 file."""
    secret = tmp_path / "bot-password"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"('{wiki.bot_user}', BotPassword('upload', '{wiki.bot_password}'))\n")
    settings = {
        "put_throttle": 0.0,
        "ledger": "state/ledger.sqlite3",
        "log_dir": "state/logs",
        "stop_file": "state/STOP",
        "preview_dir": "state/preview",
        "max_retries": 2,
        "retry_wait": 0.5,
        **run,
    }
    lines = [
        "[wiki]",
        f'api = "{wiki.api_url}"',
        f'user = "{wiki.bot_login}"',
        'password_file = "bot-password"',
        "[run]",
    ]
    for key, value in settings.items():
        lines.append(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"')
    if volume is not None:
        lines += ["[volumes]", f'g = "{volume}"']
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def seed(config: Config, pages: list[Page], volume: str = "t") -> None:
    """Register pages in the ledger as a run would, so ``upload resume`` picks them up."""
    with Ledger.open(config.run.ledger) as ledger:
        ledger.register(pages, volume)
        ledger.end_run(ledger.start_run(volume, {"seeded": True}), "seeded")


_CHILDREN: list[subprocess.Popen[str]] = []


def child(config_path: Path, *args: str) -> subprocess.Popen[str]:
    """``python -m uploader ARGS --config CONFIG`` in a child process (killed, if still
    running, when the test ends)."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    env.pop("UPLOADER_BOT_PASSWORD", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "uploader", *args, "--config", str(config_path), "--no-progress"],
        cwd=config_path.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _CHILDREN.append(proc)
    return proc


@pytest.fixture(autouse=True)
def reap_children() -> Iterator[None]:
    """Kill any child a failing test left running, so it cannot edit during later tests."""
    yield
    while _CHILDREN:
        proc = _CHILDREN.pop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


def ledger_rows(config: Config) -> dict[str, tuple[str, int | None]]:
    db = sqlite3.connect(config.run.ledger)
    try:
        return {t: (s, r) for t, s, r in db.execute("SELECT title, state, revid FROM items")}
    finally:
        db.close()


def published_count(config: Config) -> int:
    if not config.run.ledger.exists():
        return 0
    db = sqlite3.connect(config.run.ledger, timeout=5)
    try:
        return int(db.execute("SELECT count(*) FROM items WHERE state='published'").fetchone()[0])
    except sqlite3.OperationalError:  # the child is still creating the ledger
        return 0
    finally:
        db.close()


def all_titles(pages: list[Page]) -> list[str]:
    return [t for p in pages for t in (p.title, *p.redirects)]


def assert_published_once(wiki: LocalWiki, config: Config, titles: list[str]) -> None:
    """Each title: exactly one revision, by the bot, with the ledger's revid and text."""
    rows = ledger_rows(config)
    with Ledger.open(config.run.ledger) as ledger:
        texts = {i.title: ledger.text_of(i.id) for i in ledger.items()}
    for title in titles:
        revs = wiki.revisions(title)
        assert [r["user"] for r in revs] == ["KazBot"], title
        assert rows[title] == ("published", revs[0]["revid"]), title
        assert wiki.page_text(title) == texts[title], title


UNLIMITED = 10**6  # MediaWiki's default 90 edits/60 s would throttle a whole test session


@pytest.fixture(autouse=True)
def no_edit_limit(wiki: LocalWiki) -> Iterator[None]:
    """Lift the bot's edit rate limit (tests that need one set it themselves)."""
    wiki.set_faults(ratelimit=UNLIMITED)
    yield


def test_integration_publish_volume_completes_and_second_run_makes_no_edit(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    pages = make_pages("Толық", 12)
    config = load_config(write_config(tmp_path, wiki))
    out = upload_volume(config, "t", pages=pages, progress=False)
    assert isinstance(out, Outcome)
    assert out.created == len(all_titles(pages))
    assert_published_once(wiki, config, all_titles(pages))
    assert wiki.page_text("Толық айдау 0") == "#АЙДАУ [[Толық 0]]"
    comment = wiki.revisions("Толық 1")[0]["comment"]
    assert comment == "Бот: сынақ, Толық 1"

    wiki.reset_request_count()
    again = upload_volume(config, "t", pages=pages, progress=False)
    assert isinstance(again, Outcome) and again.created == 0
    assert wiki.request_count() == 0
    assert all(len(wiki.revisions(t)) == 1 for t in all_titles(pages))

    listed = CliRunner().invoke(main, ["created", "--config", str(config.sources[-1])])
    assert listed.exit_code == 0
    assert {line.split("\t")[0] for line in listed.output.splitlines()} == set(all_titles(pages))


def _reached_or_exited(config: Config, count: int, proc: subprocess.Popen[str]) -> bool:
    return published_count(config) >= count or proc.poll() is not None


def test_integration_publish_survives_sigkill_at_random_moments(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    volume = make_volume(tmp_path / "kill.docx", "ӨЛТ", 60)
    config_path = write_config(tmp_path, wiki, volume)
    config = load_config(config_path)
    titles = volume_titles(config)
    human_title = titles[2]  # a place article (no redirect) someone else already wrote
    wiki.create_user_page("Тексеруші", human_title, "адамның өз беті")
    human_revs = wiki.revisions(human_title)
    rng = random.Random(20261127)
    kills = in_flight = 0
    while kills < 12:
        before = published_count(config)
        assert before < len(titles) - 6, "ran out of work before 12 kills"
        proc = child(config_path, "volume", "g")
        steps = rng.randint(1, 4)
        wait_for(partial(_reached_or_exited, config, before + steps, proc))
        time.sleep(rng.uniform(0.0, 0.12))  # land anywhere in the edit cycle
        assert proc.poll() is None, proc.communicate()[1]
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        kills += 1
        in_flight += any(state == "in_flight" for state, _ in ledger_rows(config).values())
    assert in_flight >= 1  # some kills landed between the in_flight mark and the answer
    final = child(config_path, "resume")
    _, stderr = final.communicate(timeout=120)
    assert final.returncode == 0, stderr

    assert_published_once(wiki, config, [t for t in titles if t != human_title])
    assert wiki.revisions(human_title) == human_revs
    rows = ledger_rows(config)
    assert rows[human_title][0] == "exists"
    assert {state for state, _ in rows.values()} == {"published", "exists"}
    bot_changes = [
        c for c in wiki.recent_changes() if c["user"] == "KazBot" and c["title"] in set(titles)
    ]
    assert len(bot_changes) == sum(1 for s, _ in rows.values() if s == "published")


def test_integration_publish_generated_volume_via_cli(wiki: LocalWiki, tmp_path: Path) -> None:
    volume = make_volume(tmp_path / "full.docx", "ТОЛ", 9)
    config_path = write_config(tmp_path, wiki, volume)
    config = load_config(config_path)
    titles = volume_titles(config)
    assert len(titles) == 12  # 9 articles, 3 person redirects

    dry = child(config_path, "volume", "g", "--dry-run")
    stdout, stderr = dry.communicate(timeout=60)
    assert dry.returncode == 0, stderr
    assert "9 new" not in stdout and "12 new" in stdout
    assert (config.run.preview_dir / "g").is_dir()
    assert all(wiki.page_text(t) is None for t in titles)

    run = child(config_path, "volume", "g")
    stdout, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr
    assert "12 created" in stdout
    assert_published_once(wiki, config, titles)

    wiki.reset_request_count()
    again = child(config_path, "volume", "g")
    stdout, stderr = again.communicate(timeout=60)
    assert again.returncode == 0, stderr
    assert "0 created" in stdout
    assert wiki.request_count() == 0

    runner = CliRunner()
    status = runner.invoke(main, ["status", "--json", "--config", str(config_path)])
    (vol,) = json.loads(status.output)
    assert vol["counts"] == {"published": 12} and vol["remaining"] == 0
    created = runner.invoke(main, ["created", "--format", "wiki", "--config", str(config_path)])
    assert created.output.count("[[Special:PermanentLink/") == 12


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_integration_publish_readonly_mid_run_stops_cleanly_then_resumes(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    pages = make_pages("Оқуғана", 12, 0)
    config_path = write_config(tmp_path, wiki, put_throttle=0.3, retry_wait=0.3)
    config = load_config(config_path)
    seed(config, pages)
    proc = child(config_path, "resume")
    wait_for(lambda: published_count(config) >= 3)
    wiki.set_faults(readonly="сынақ: техникалық жұмыс", ratelimit=UNLIMITED)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3
    last_line = stderr.strip().splitlines()[-1]
    assert last_line.startswith("upload: error: wiki keeps answering readonly")
    assert "Traceback" not in stderr
    wiki.set_faults(ratelimit=UNLIMITED)
    done = child(config_path, "resume")
    _, stderr = done.communicate(timeout=60)
    assert done.returncode == 0, stderr
    assert_published_once(wiki, config, all_titles(pages))


def test_integration_publish_rate_limit_stops_cleanly_then_resumes(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    pages = make_pages("Жылдамдық", 8, 0)
    config = load_config(write_config(tmp_path, wiki, max_retries=1, retry_wait=0.3, wait_out=0.0))
    wiki.set_faults(ratelimit=3)
    with pytest.raises(WikiError, match="ratelimited"):
        upload_volume(config, "t", pages=pages, progress=False)
    assert published_count(config) == 3
    wiki.set_faults(ratelimit=UNLIMITED)
    out = upload_volume(config, "t", pages=pages, progress=False)
    assert isinstance(out, Outcome)
    assert_published_once(wiki, config, all_titles(pages))


def test_integration_publish_waits_out_lag_mid_run(wiki: LocalWiki, tmp_path: Path) -> None:
    pages = make_pages("Кешігу", 6, 0)
    config = load_config(write_config(tmp_path, wiki, max_retries=4, retry_wait=0.3))
    wiki.set_faults(lag=5.5, ratelimit=UNLIMITED)
    timer = threading.Timer(1.0, lambda: wiki.set_faults(ratelimit=UNLIMITED))
    timer.start()
    started = time.monotonic()
    try:
        out = upload_volume(config, "t", pages=pages, progress=False)
    finally:
        timer.cancel()
    assert time.monotonic() - started >= 5.0  # waited at least the reported lag
    assert isinstance(out, Outcome) and out.created == 6
    assert_published_once(wiki, config, all_titles(pages))


def test_integration_publish_leaves_human_nobots_and_protected_pages_alone(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    pages = make_pages("Қақтығыс", 5, 0)
    wiki.create_user_page("Адам", "Қақтығыс 1", "Адам жазған мақала.")
    wiki.create_user_page("Адам", "Қақтығыс 2", "{{nobots}}\nБотсыз бет.")
    wiki.protect("Қақтығыс 3", create_only=True)
    before = {t: wiki.revisions(t) for t in ("Қақтығыс 1", "Қақтығыс 2")}
    config = load_config(write_config(tmp_path, wiki))

    dry = upload_volume(config, "t", pages=pages, dry_run_only=True, progress=False)
    assert not isinstance(dry, (Outcome, Path))
    assert (dry.new, dry.exists, dry.protected) == (
        ["Қақтығыс 0", "Қақтығыс 4"],
        ["Қақтығыс 1", "Қақтығыс 2"],
        ["Қақтығыс 3"],
    )
    assert wiki.page_text("Қақтығыс 0") is None

    out = upload_volume(config, "t", pages=pages, progress=False)
    assert isinstance(out, Outcome) and out.created == 2
    assert {t: wiki.revisions(t) for t in before} == before
    assert wiki.page_text("Қақтығыс 3") is None
    rows = ledger_rows(config)
    assert [rows[f"Қақтығыс {i}"][0] for i in range(5)] == [
        "published",
        "exists",
        "exists",
        "failed",
        "published",
    ]
    assert out.collisions_report is not None
    report = out.collisions_report.read_text("utf-8")
    assert "Қақтығыс 1\t" in report and "nobots" in report
    with Ledger.open(config.run.ledger) as ledger:
        failed = ledger.items(state=State.FAILED)
    assert failed[0].reason.startswith(("protectedtitle", "protectedpage"))


def test_integration_publish_shutoff_page_stops_within_configured_edits(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    wiki.edit_as_admin(SHUTOFF, "run")
    pages = make_pages("Тоқтату", 20, 0)
    every = 3
    config_path = write_config(
        tmp_path, wiki, put_throttle=0.4, shutoff_page=SHUTOFF, shutoff_every=every
    )
    config = load_config(config_path)
    seed(config, pages)
    proc = child(config_path, "resume")
    wait_for(lambda: published_count(config) >= 2)
    wiki.edit_as_admin(SHUTOFF, "stop: тексеру")
    at_flip = published_count(config)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 4, stderr
    assert "shutoff page" in stderr and "upload resume" in stderr
    assert at_flip <= published_count(config) <= at_flip + every + 1
    wiki.edit_as_admin(SHUTOFF, "run")


def test_integration_publish_sigterm_finishes_edit_and_prints_resume(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    pages = make_pages("Сигнал", 10, 0)
    config_path = write_config(tmp_path, wiki, put_throttle=0.3)
    config = load_config(config_path)
    seed(config, pages)
    proc = child(config_path, "resume")
    wait_for(lambda: published_count(config) >= 2)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 4
    assert f"upload resume --config {config_path}" in stderr
    states = {s for s, _ in ledger_rows(config).values()}
    assert State.IN_FLIGHT not in states


def test_integration_publish_never_reveals_the_secret(wiki: LocalWiki, tmp_path: Path) -> None:
    config_path = write_config(tmp_path, wiki)
    config = load_config(config_path)
    seed(config, make_pages("Құпия", 3, 0))
    proc = child(config_path, "resume")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    secret = wiki.bot_password.encode()
    ledger_dir = config.run.ledger.parent
    for path in ledger_dir.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), path
    assert list(config.run.log_dir.glob("*.log"))
    assert wiki.bot_password not in stdout + stderr

    bad = tmp_path / "bad"
    bad.mkdir()
    bad_config = write_config(bad, wiki)
    (bad / "bot-password").write_text("00000000000000000000000000000000wrong")
    seed(load_config(bad_config), make_pages("Құпия жоқ", 1, 0))
    proc = child(bad_config, "resume")
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 3
    assert stderr.strip().startswith("upload: error: login as KazBot@upload failed")
    assert "Traceback" not in stderr

    os.chmod(bad / "bot-password", 0o644)
    proc = child(bad_config, "resume")
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "chmod 600" in stderr
