"""Operators and failures (no wiki): the run lock, the migrations race, one-line ledger and
config errors, read-only status, session renewal, waiting out rate limits, a ledger that
lost its WAL. The same failures against the real MediaWiki are in tests/test_faults.py.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.fakewiki import FakeApi, run_settings
from tests.renderkit import with_redirect_texts
from uploader.cli import main
from uploader.config import RunConfig, load_config
from uploader.errors import ConfigError, LedgerError, RunStopped, WikiError
from uploader.model import Page, SourcePos
from uploader.publish import ledger as ledger_module
from uploader.publish.credentials import ENV_SECRET
from uploader.publish.ledger import SCHEMA_VERSION, Ledger, State
from uploader.publish.lock import LedgerBusy, lock_path, run_lock
from uploader.publish.runner import Stopper, publish, resume
from uploader.publish.wiki import WikiClient

PROJECT = Path(__file__).resolve().parent.parent
SECRET = "s3cr3t-for-tests-0000000000000000"


def pages(n: int, prefix: str = "Бет") -> list[Page]:
    return [
        with_redirect_texts(Page(f"{prefix} {i}", f"мәтін {i}", SourcePos("v.docx", i, i)))
        for i in range(n)
    ]


def write_config(tmp_path: Path, **run: object) -> Path:
    lines = [
        "[wiki]",
        'api = "http://127.0.0.1:9/api.php"',
        'user = "KazBot@upload"',
        "[run]",
        'ledger = "state/l.sqlite3"',
        "put_throttle = 0.0",
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in run.items()]
    path = tmp_path / "c.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli(*args: str) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, list(args), env={ENV_SECRET: SECRET})
    return result.exit_code, result.output.strip().splitlines()


def seed(ledger_path: Path, n: int = 3) -> None:
    with Ledger.open(ledger_path) as ledger:
        ledger.register(pages(n), "7")
        ledger.end_run(ledger.start_run("7", {}), "seeded")


# --- one run per ledger ------------------------------------------------------------------


def test_lock_second_run_is_refused_naming_the_first(tmp_path: Path) -> None:
    ledger = tmp_path / "l.sqlite3"
    with run_lock(ledger, "upload volume 7"):
        holder = json.loads(lock_path(ledger).read_text())
        assert holder["pid"] == os.getpid() and holder["command"] == "upload volume 7"
        with pytest.raises(LedgerBusy) as info, run_lock(ledger, "upload resume"):
            pass
    message = str(info.value)
    assert f"pid {os.getpid()} (upload volume 7), running since " in message
    assert "\n" not in message and info.value.exit_code == 5
    with run_lock(ledger, "again"):  # released on exit
        pass


def test_lock_left_by_a_killed_run_is_taken_over(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = tmp_path / "l.sqlite3"
    code = (
        "import sys, time; from pathlib import Path; from uploader.publish.lock import run_lock\n"
        "with run_lock(Path(sys.argv[1]), 'upload volume 7'):\n"
        "    print('locked', flush=True); time.sleep(60)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(ledger)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        with pytest.raises(LedgerBusy, match=f"pid {proc.pid} "), run_lock(ledger):
            pass
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert json.loads(lock_path(ledger).read_text())["pid"] == proc.pid  # left behind
    with caplog.at_level("WARNING", "uploader.publish.lock"), run_lock(ledger, "upload resume"):
        assert json.loads(lock_path(ledger).read_text())["pid"] == os.getpid()
    assert f"stale run lock {lock_path(ledger)} left by pid {proc.pid}" in caplog.text
    assert "(gone)" in caplog.text


def test_cli_resume_refused_in_one_line_while_another_run_holds_the_ledger(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    ledger = tmp_path / "state" / "l.sqlite3"
    seed(ledger)
    with run_lock(ledger, "upload volume 7"):
        code, lines = cli("resume", "--config", str(config), "--no-progress")
        assert code == 5
        assert len(lines) == 1 and lines[0].startswith(f"upload: error: {ledger}: another run")
        assert f"pid {os.getpid()} (upload volume 7)" in lines[0]
        status_code, status = cli("status", "--config", str(config))  # read-only: no lock
        assert status_code == 0 and status[0].startswith("volume 7: pending 3")


# --- migrations race ---------------------------------------------------------------------


def _open_ledger(path: str, results: multiprocessing.Queue[str]) -> None:
    try:
        Ledger.open(Path(path)).close()
        results.put("ok")
    except Exception as exc:
        results.put(f"{type(exc).__name__}: {exc}")


def test_ledger_four_processes_opening_a_new_ledger_all_succeed(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    failures: dict[str, int] = {}
    rounds, procs = 25, 4
    for r in range(rounds):
        path = str(tmp_path / f"l{r}.sqlite3")
        results: multiprocessing.Queue[str] = context.Queue()
        children = [
            context.Process(target=_open_ledger, args=(path, results)) for _ in range(procs)
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(timeout=60)
        for _ in children:
            outcome = results.get(timeout=10)
            if outcome != "ok":
                failures[outcome] = failures.get(outcome, 0) + 1
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        db.close()
    assert failures == {}


# --- every failure is one line -----------------------------------------------------------


def _good_ledger(path: Path, n: int = 300) -> None:
    with Ledger.open(path) as ledger:
        ledger.register(pages(n), "7")


@pytest.mark.parametrize(
    ("damage", "needle"),
    [
        ("truncate-header", "not a readable ledger"),
        ("truncate-half", "not a readable ledger"),
        ("garbage", "not a readable ledger"),
        ("text", "not a readable ledger"),
    ],
)
@pytest.mark.parametrize("command", ["status", "created", "resume"])
def test_cli_damaged_ledger_is_one_line(
    tmp_path: Path, damage: str, needle: str, command: str
) -> None:
    config = write_config(tmp_path)
    ledger = tmp_path / "state" / "l.sqlite3"
    _good_ledger(ledger)
    size = ledger.stat().st_size
    if damage == "truncate-header":
        os.truncate(ledger, 100)
    elif damage == "truncate-half":
        os.truncate(ledger, size // 2)
    elif damage == "garbage":
        ledger.write_bytes(os.urandom(20_000))
    else:
        ledger.write_text("not a database\n")
    code, lines = cli(command, "--config", str(config))
    assert code == 1, lines
    assert len(lines) == 1 and lines[0].startswith(f"upload: error: {ledger}: {needle}")
    assert "restore a backup" in lines[0]


def test_cli_locked_ledger_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_module, "BUSY_TIMEOUT", 0.3)
    config = write_config(tmp_path)
    ledger = tmp_path / "state" / "l.sqlite3"
    seed(ledger)
    other = sqlite3.connect(ledger, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")  # another program keeps writing
    try:
        code, lines = cli("resume", "--config", str(config), "--no-progress")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert code == 1
    assert lines == [
        "upload: error: ledger: the ledger is locked by another process (database is locked); "
        "wait for it to finish (see upload status) and try again"
    ]


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make files and folders unwritable, for root too (chattr +i), and undo it after."""
    as_root = os.geteuid() == 0
    if as_root and shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: cannot make a file read-only")
    modes = {p: p.stat().st_mode for p in paths}
    try:
        for p in paths:
            if as_root:
                subprocess.run(["chattr", "+i", str(p)], check=True)
            else:
                p.chmod(0o555 if p.is_dir() else 0o444)
        yield
    finally:
        for p in paths:
            if as_root:
                subprocess.run(["chattr", "-i", str(p)], check=False)
            p.chmod(modes[p])


def test_cli_status_reads_a_read_only_ledger_and_leaves_no_files(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    folder = tmp_path / "state"
    ledger = folder / "l.sqlite3"
    seed(ledger)
    before = sorted(p.name for p in folder.iterdir())
    assert before == ["l.sqlite3"]  # checkpointed on close: no -wal/-shm
    with read_only(ledger, folder):
        code, lines = cli("status", "--config", str(config))
        assert code == 0 and lines[0].startswith("volume 7: pending 3"), lines
        code, lines = cli("created", "--config", str(config))
        assert code == 0 and lines == []
        assert sorted(p.name for p in folder.iterdir()) == before
        code, lines = cli("resume", "--config", str(config), "--no-progress")
        assert code == 1 and len(lines) == 1, lines
        assert lines[0].startswith("upload: error: ")
        assert sorted(p.name for p in folder.iterdir()) == before


def test_cli_status_without_a_ledger_creates_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code, lines = cli("status", "--config", str(config))
    assert code == 0 and lines == ["ledger is empty: no volume registered yet"]
    assert not (tmp_path / "state").exists()


def test_ledger_open_errors_are_ledger_errors(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(5000))
    with pytest.raises(LedgerError, match="not a readable ledger"):
        Ledger.open(path)
    with pytest.raises(LedgerError, match="not a readable ledger"):
        Ledger.open_readonly(path)


@pytest.mark.parametrize("command", ["resume", "status"])
def test_cli_uncreatable_state_folder_is_one_line(tmp_path: Path, command: str) -> None:
    (tmp_path / "blocker").write_text("a file where the state folder should be")
    config = write_config(tmp_path)
    text = config.read_text().replace('ledger = "state/l.sqlite3"', 'ledger = "blocker/s/l.db"')
    config.write_text(text)
    code, lines = cli(
        command, "--config", str(config), *(["--no-progress"] * (command != "status"))
    )
    if command == "status":  # nothing to read: an empty ledger, nothing created
        assert code == 0 and lines == ["ledger is empty: no volume registered yet"]
        return
    assert code == 1 and len(lines) == 1
    assert lines[0] == (
        f"upload: error: {tmp_path / 'blocker' / 's'}: Not a directory; "
        "a part of the path is not a folder"
    )


# --- config ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[rnu]\nmaxlag = 3\n", "unknown table or key 'rnu' (known: [wiki], [run]"),
        ("maxlag = 3\n", "unknown table or key 'maxlag'"),
        ("run = 5\n", "run must be a table ([run]), not a value"),
        ('wiki = "kk"\n', "wiki must be a table ([wiki]), not a value"),
        ("volumes = [1, 2]\n", "volumes must be a table"),
        ("[run]\nmax_retries = -1\n", "[run] max_retries = -1 has the wrong type or a negative"),
        ("[run]\nretry_wait = -0.5\n", "[run] retry_wait = -0.5 has the wrong type or a negat"),
        ("[run]\nmaxlag = true\n", "[run] maxlag = True has the wrong type"),
        ("[run]\nledger = 5\n", "[run] ledger = 5 has the wrong type"),
        ("[run]\nratelimit = 5\n", "unknown key(s) in [run]: ratelimit"),
        ("[wiki]\napi = 5\n", "[wiki] api = 5 has the wrong type"),
        ("[volumes]\ng = 5\n", "[volumes] g must be the path of a volume file"),
        ("[render]\nsections = 3\n", "[render] sections = 3 has the wrong type"),
    ],
)
def test_config_operator_mistakes_are_one_line_naming_the_file(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "op.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text
    code, lines = cli("status", "--config", str(path))
    assert code == 1 and lines == [f"upload: error: {text}"]


# --- sessions, rate limits, stops --------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> RunConfig:
    return run_settings(tmp_path, max_retries=2, retry_wait=0.01)


def _counting_logins(api: FakeApi) -> tuple[WikiClient, list[int]]:
    """A client over ``api`` whose every new login is counted in the list."""
    logins: list[int] = []
    client = WikiClient(
        api, "KazBot@upload", sleep=lambda s: None, relogin=lambda: logins.append(1)
    )
    return client, logins


def test_publish_session_lost_on_a_write_logs_in_again_once_and_carries_on(
    settings: RunConfig,
) -> None:
    api = FakeApi()
    client, logins = _counting_logins(api)
    api.fail("edit", "assertuserfailed")
    with Ledger.open(settings.ledger) as ledger:
        out = publish(pages(4), ledger, client, settings, volume="7")
        assert out.created == 4 and logins == [1]
        assert {i.state for i in ledger.items()} == {State.PUBLISHED}


def test_publish_session_lost_twice_in_one_request_stops_resumably(settings: RunConfig) -> None:
    api = FakeApi()
    client = WikiClient(api, "KazBot@upload", sleep=lambda s: None, relogin=lambda: None)
    api.fail("query", "assertuserfailed", times=2)  # on a read, and again after the login
    with Ledger.open(settings.ledger) as ledger, pytest.raises(WikiError) as info:
        publish(pages(2), ledger, client, settings, volume="7")
    assert "assertuserfailed" in str(info.value)
    with Ledger.open(settings.ledger) as ledger:
        last = ledger.last_run()
        assert last is not None and last.outcome.startswith("error: ")
        assert resume(ledger, client, settings).created == 2


def test_publish_badtoken_that_a_new_token_does_not_cure_logs_in_again(
    settings: RunConfig,
) -> None:
    api = FakeApi()
    client, logins = _counting_logins(api)
    api.fail("edit", "badtoken", times=2)
    with Ledger.open(settings.ledger) as ledger:
        assert publish(pages(2), ledger, client, settings, volume="7").created == 2
    assert logins == [1]


def test_publish_rate_limit_longer_than_the_retries_is_waited_out(settings: RunConfig) -> None:
    api = FakeApi()
    waits: list[float] = []
    client = WikiClient(
        api, "KazBot@upload", max_retries=2, retry_wait=1.0, sleep=waits.append, wait_out=600
    )
    api.fail("edit", "ratelimited", times=7)
    api.fail("edit", "maxlag", times=1, lag=90.0)
    with Ledger.open(settings.ledger) as ledger:
        assert publish(pages(3), ledger, client, settings, volume="7").created == 3
    assert waits[:2] == [1.0, 2.0]  # the retry budget, then waiting beyond it
    assert waits[2:7] == [4.0, 8.0, 16.0, 32.0, 60.0]  # capped at a minute a try
    assert waits[7:] == [90.0]  # the lag the wiki reported


def test_publish_rate_limit_beyond_the_wait_out_limit_stops(settings: RunConfig) -> None:
    api = FakeApi()
    client = WikiClient(api, "KazBot@upload", sleep=lambda s: None, wait_out=100)
    api.fail("edit", "ratelimited", times=50)
    with Ledger.open(settings.ledger) as ledger, pytest.raises(WikiError, match="ratelimited"):
        publish(pages(1), ledger, client, settings, volume="7")


def test_publish_wait_for_a_rate_limit_stops_on_the_stop_file(settings: RunConfig) -> None:
    api = FakeApi()
    stopper = Stopper(settings.stop_file, "upload resume --config c.toml")
    client = WikiClient(api, "KazBot@upload", retry_wait=0.2, sleep=stopper.sleep, wait_out=3600)
    api.fail("edit", "ratelimited", times=10**6)
    threading.Timer(1.0, settings.stop_file.touch).start()
    started = time.monotonic()
    with Ledger.open(settings.ledger) as ledger, pytest.raises(RunStopped) as info:
        publish(pages(1), ledger, client, settings, volume="7", stopper=stopper)
    assert time.monotonic() - started < 4.0
    assert str(info.value).endswith("continue with: upload resume --config c.toml")


# --- lost WAL ----------------------------------------------------------------------------


def test_publish_ledger_that_lost_its_wal_recognises_the_bots_pages(
    settings: RunConfig, tmp_path: Path
) -> None:
    api = FakeApi()
    client = WikiClient(api, "KazBot@upload", sleep=lambda s: None)
    work = pages(5)
    with Ledger.open(settings.ledger) as ledger:
        ledger.register(work, "7")
    stale = tmp_path / "stale.sqlite3"
    shutil.copy(settings.ledger, stale)  # the main file as it was before the run's WAL
    with Ledger.open(settings.ledger) as ledger:
        assert publish(work, ledger, client, settings, volume="7").created == 5
    # someone edits two of the bot's pages; then the ledger comes back without its WAL
    api.put("Бет 1", "адам түзетті", "Human")
    api.put("Бет 3", "адам түзетті", "Human")
    stale_settings = dataclasses.replace(settings, ledger=stale)
    with Ledger.open(stale) as ledger:
        assert {i.state for i in ledger.items()} == {State.PENDING}
        out = publish(work, ledger, client, stale_settings, volume="7")
        assert {i.title: i.state for i in ledger.items()} == {
            f"Бет {i}": State.PUBLISHED for i in range(5)
        }
    assert (out.created, out.own, out.exists, out.forgotten) == (0, 5, 0, 5)
    assert "the ledger had lost 5 page(s) the bot created" in out.line()
    assert len(api.edits_by("KazBot")) == 5


# --- signals during start-up -------------------------------------------------------------


def test_upload_signal_while_reading_the_volume_stops_before_login_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from uploader.commands import upload_volume

    monkeypatch.setenv(ENV_SECRET, SECRET)
    config_path = write_config(tmp_path)
    work = pages(3)

    def reading() -> Iterator[Page]:
        for number, page in enumerate(work):
            if number == 1:
                os.kill(os.getpid(), signal.SIGTERM)  # the operator changes their mind
            yield page

    handler = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RunStopped) as info:
        upload_volume(load_config(config_path), "7", pages=reading(), progress=False)
    assert signal.getsignal(signal.SIGTERM) == handler  # restored
    assert str(info.value) == (
        f"stopped: signal SIGTERM; continue with: upload resume --config {config_path}"
    )
    with Ledger.open_readonly(tmp_path / "state" / "l.sqlite3") as ledger:
        last = ledger.last_run()
        assert last is not None and last.outcome.startswith("stopped: signal SIGTERM")
        assert {i.state for i in ledger.items()} == {State.PENDING}


def test_publish_lists_the_bots_new_pages_since_the_last_known_run(settings: RunConfig) -> None:
    api = FakeApi()
    client = WikiClient(api, "KazBot@upload", sleep=lambda s: None)
    with Ledger.open(settings.ledger) as ledger:
        publish(pages(2), ledger, client, settings, volume="7")
        publish(pages(3), ledger, client, settings, volume="7")
        first = ledger.db.execute("SELECT started FROM runs WHERE id=1").fetchone()[0]
    contribs = [p for p in api.log if p.get("list") == "usercontribs"]
    assert len(contribs) == 2
    assert "ucend" not in contribs[0]  # no earlier run known: the whole history
    assert contribs[1]["ucend"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(first - 3600))
    assert contribs[1]["ucuser"] == "KazBot" and contribs[1]["ucshow"] == "new"


def test_publish_in_flight_row_after_a_crash_is_not_lost_state(settings: RunConfig) -> None:
    api = FakeApi()
    client = WikiClient(api, "KazBot@upload", sleep=lambda s: None)
    with Ledger.open(settings.ledger) as ledger:
        ledger.register(pages(2), "7")
        ledger.end_run(ledger.start_run("7", {}), "crashed: killed")
        item = ledger.items()[0]
        ledger.mark(item.id, State.IN_FLIGHT)  # marked, sent, saved; then the process died
        api.put(item.title, ledger.text_of(item.id), "KazBot")
        api.put(item.title, "адам түзетті", "Human")
        out = resume(ledger, client, settings)
    assert (out.created, out.own, out.exists, out.forgotten) == (1, 1, 0, 0)
    assert "WARNING" not in out.line()


class LoginPoster:
    """Answers the two requests of a login (token, then login/clientlogin) as given."""

    def __init__(self, answer: dict[str, object]) -> None:
        self.answer = answer
        self.sent: list[dict[str, str]] = []

    def post(self, params: dict[str, str]) -> dict[str, object]:
        self.sent.append(dict(params))
        if params.get("meta") == "tokens":
            return {"query": {"tokens": {"logintoken": "lt+\\"}}}
        return self.answer


@pytest.mark.parametrize(
    ("login", "answer", "action", "error"),
    [
        ("KazBot@upload", {"login": {"result": "Success"}}, "login", None),
        ("KazBot@upload", {"login": {"result": "Failed", "reason": "bad"}}, "login", "(bad)"),
        ("KazBot", {"clientlogin": {"status": "PASS"}}, "clientlogin", None),
        ("KazBot", {"clientlogin": {"status": "FAIL", "message": "no"}}, "clientlogin", "(no)"),
    ],
)
def test_session_api_login(
    login: str, answer: dict[str, object], action: str, error: str | None
) -> None:
    from uploader.publish.session import api_login

    poster = LoginPoster(answer)
    if error is None:
        api_login(poster, login, SECRET)
    else:
        with pytest.raises(
            WikiError, match=rf"logging in again as {login} failed \({error[1:-1]}\)"
        ):
            api_login(poster, login, SECRET)
    assert [p["action"] for p in poster.sent] == ["query", action]
    assert SECRET in poster.sent[1].values() and poster.sent[1].get("lgtoken", "lt+\\") == "lt+\\"
