"""Ledger, migrations, status/created listings and credentials (no wiki needed)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from tests.renderkit import with_redirect_texts
from uploader.errors import ConfigError
from uploader.model import Page, Quarantined, SourcePos
from uploader.publish.credentials import (
    ENV_SECRET,
    Credentials,
    load_credentials,
    parse_password_file,
)
from uploader.publish.ledger import (
    CHUNK,
    SCHEMA_VERSION,
    Ledger,
    State,
    connect,
    expand,
    migrate,
    text_sha1,
)
from uploader.publish.status import created_pages, format_created, format_status, volume_status


def page(i: int, text: str = "мәтін", redirects: tuple[str, ...] = ()) -> Page:
    bare = Page(f"Бет {i}", f"{text} {i}", SourcePos("v.docx", i, i), redirects=redirects)
    return with_redirect_texts(bare)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger.open(tmp_path / "l.sqlite3")


def test_ledger_uses_wal_and_full_sync(ledger: Ledger) -> None:
    assert ledger.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert ledger.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_ledger_migrates_a_v1_file_keeping_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = connect(path)
    assert migrate(db, upto=1) == 1
    db.execute(
        "INSERT INTO items (volume, pos, seq, title, sha1, state, created, updated)"
        " VALUES ('7', 'v.docx:1', 1, 'Бет', 'abc', 'published', 0, 0)"
    )
    db.close()
    with Ledger.open(path) as ledger:
        version = ledger.db.execute("PRAGMA user_version").fetchone()[0]
        assert version == SCHEMA_VERSION == 4
        (item,) = ledger.items()
        assert (item.title, item.state, item.wiki_user) == ("Бет", State.PUBLISHED, None)
        indexes = {r[1] for r in ledger.db.execute("PRAGMA index_list(items)")}
        assert "items_queue" in indexes


def test_ledger_refuses_a_newer_schema(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    db = connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError, match="newer"):
        Ledger.open(path)


def test_ledger_register_orders_articles_then_their_redirects(ledger: Ledger) -> None:
    ledger.register([page(1, redirects=("А", "Ә")), page(2)], "7")
    assert [i.title for i in ledger.actionable("7")] == ["Бет 1", "А", "Ә", "Бет 2"]
    red = ledger.items()[1]
    assert (red.redirect, red.target) == ("А", "Бет 1")
    assert ledger.get(red.id).text == "#АЙДАУ [[Бет 1]]"


def test_ledger_register_keeps_final_rows_and_refreshes_pending(ledger: Ledger) -> None:
    ledger.register([page(1), page(2)], "7")
    first = ledger.items()[0]
    ledger.mark(first.id, State.PUBLISHED, revid=5)
    ledger.register([page(1, "жаңа"), page(2, "жаңа")], "7")
    one, two = (ledger.get(i.id) for i in ledger.items())
    assert (one.state, one.text, one.revid) == (State.PUBLISHED, "мәтін 1", 5)
    assert (two.state, two.text, two.sha1) == (State.PENDING, "жаңа 2", text_sha1("жаңа 2"))


def test_ledger_mark_is_committed_for_other_readers(ledger: Ledger) -> None:
    ledger.register([page(1)], "7")
    item = ledger.items()[0]
    ledger.mark(item.id, State.IN_FLIGHT, attempt=True)
    other = sqlite3.connect(ledger.path)
    assert other.execute("SELECT state, attempts FROM items").fetchone() == ("in_flight", 1)


def test_ledger_actionable_spans_chunks_in_order(ledger: Ledger) -> None:
    ledger.register([page(i) for i in range(CHUNK * 2 + 7)], "7")
    items = list(ledger.actionable("7"))
    assert [i.seq for i in items] == list(range(1, CHUNK * 2 + 8))
    assert ledger.remaining("7") == CHUNK * 2 + 7


def test_ledger_quarantine_and_requeue(ledger: Ledger) -> None:
    ledger.register([page(1)], "7")
    ledger.record_quarantined("7", [Quarantined(SourcePos("v.docx", 9, 9), "no headword", "X")])
    item = ledger.items(state=State.PENDING)[0]
    ledger.mark(item.id, State.FAILED, reason="spamblacklist")
    assert ledger.counts() == {"7": {"failed": 1, "quarantined": 1}}
    assert ledger.requeue("7") == 1
    assert ledger.counts()["7"]["pending"] == 1


def test_expand_skips_a_redirect_equal_to_the_title() -> None:
    entries = expand(page(1, redirects=("Бет 1", "Б", "Б")))
    assert [e.title for e in entries] == ["Бет 1", "Б"]


def test_status_counts_last_run_and_eta(ledger: Ledger) -> None:
    ledger.register([page(i) for i in range(5)], "7")
    run = ledger.start_run("7", {})
    for item in ledger.items()[:2]:
        ledger.mark(item.id, State.PUBLISHED, revid=item.id, run_id=run, edit=True)
    ledger.end_run(run, "done")
    (status,) = volume_status(ledger, throttle=10.0)
    assert status.counts == {"published": 2, "pending": 3}
    assert status.remaining == 3
    assert status.eta_seconds >= 30.0
    assert status.last_run is not None and status.last_run.edits == 2
    assert "published 2" in format_status([status])
    data = json.loads(format_status([status], as_json=True))
    assert data[0]["total"] == 5 and data[0]["last_run"]["edits"] == 2


@pytest.mark.parametrize(
    ("fmt", "needle"),
    [
        ("text", "Бет 0\t1\t7\tv.docx:0"),
        ("wiki", "# [[Бет 0]] — [[Special:PermanentLink/1|1]]"),
        ("json", '"revid": 1'),
    ],
)
def test_created_lists_published_pages(ledger: Ledger, fmt: str, needle: str) -> None:
    ledger.register([page(0), page(1)], "7")
    first = ledger.items()[0]
    ledger.mark(first.id, State.PUBLISHED, revid=1)
    items = created_pages(ledger, "7")
    assert [i.title for i in items] == ["Бет 0"]
    assert needle in format_created(items, fmt)


# --- credentials ------------------------------------------------------------------------

SECRET = "0123456789abcdef0123456789abcdef"


def private(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "pw"
    path.write_text(text)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize(
    "text",
    [
        SECRET + "\n",
        f"('KazBot', BotPassword('upload', '{SECRET}'))\n",
        f"# comment\n('Other', 'x')\n('wikipedia', 'KazBot', BotPassword('upload', '{SECRET}'))",
        f"('KazBot', BotPassword('other', 'nope'))\n('KazBot', BotPassword('upload', '{SECRET}'))",
    ],
)
def test_credentials_from_file_formats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.delenv(ENV_SECRET, raising=False)
    creds = load_credentials("KazBot@upload", private(tmp_path, text))
    assert creds.secret == SECRET
    assert creds.account == "KazBot"


def test_credentials_env_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_SECRET, SECRET)
    assert load_credentials("KazBot@upload", None).secret == SECRET


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644])
def test_credentials_refuse_a_readable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    monkeypatch.delenv(ENV_SECRET, raising=False)
    path = private(tmp_path, SECRET, mode)
    with pytest.raises(ConfigError, match="chmod 600") as err:
        load_credentials("KazBot@upload", path)
    assert SECRET not in str(err.value)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_credentials_errors_and_repr_hide_the_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no password for KazBot@upload") as err:
        parse_password_file(f"('Other', '{SECRET}')", "KazBot@upload", tmp_path / "pw")
    assert SECRET not in str(err.value)
    creds = Credentials("KazBot@upload", SECRET, "env")
    assert SECRET not in repr(creds) and SECRET not in str(creds)


def test_credentials_reject_code_in_password_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 1"):
        parse_password_file("('KazBot', __import__('os'))", "KazBot@upload", tmp_path / "pw")


# --- the CLI wrappers -------------------------------------------------------------------


def write_cli_config(tmp_path: Path) -> Path:
    path = tmp_path / "c.toml"
    path.write_text(
        '[wiki]\napi = "http://127.0.0.1:9/api.php"\nuser = "KazBot@upload"\n'
        '[run]\nledger = "state/l.sqlite3"\nput_throttle = 10.0\n',
        encoding="utf-8",
    )
    return path


def test_cli_status_and_created_read_the_ledger(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from uploader.cli import main

    config = write_cli_config(tmp_path)
    with Ledger.open(tmp_path / "state" / "l.sqlite3") as ledger:
        ledger.register([page(1), page(2)], "7")
        ledger.mark(ledger.items()[0].id, State.PUBLISHED, revid=42)
    runner = CliRunner()
    status = runner.invoke(main, ["status", "--config", str(config)])
    assert status.exit_code == 0
    assert "volume 7: pending 1, in_flight 0, published 1" in status.output
    assert "ETA 0.0 h" in status.output  # 1 × 10 s
    created = runner.invoke(main, ["created", "--volume", "7", "--config", str(config)])
    assert created.output.strip() == "Бет 1\t42\t7\tv.docx:1"


def test_cli_resume_without_a_run_is_a_one_line_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from uploader.cli import main

    config = write_cli_config(tmp_path)
    result = CliRunner().invoke(main, ["resume", "--config", str(config)], env={ENV_SECRET: SECRET})
    assert result.exit_code == 1
    assert result.output.startswith("upload: error: ")
    assert "no run to resume" in result.output and len(result.output.splitlines()) == 1
    assert SECRET not in result.output
