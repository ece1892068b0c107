"""The publishing ledger: one SQLite file, the single source of truth for resume and status.

A row per article and per redirect, keyed by (volume, source position, redirect title), with
the title, the exact text we send and its SHA-1, a state and timestamps; a ``runs`` table
records every run. Every state change is its own committed transaction, so the ledger on disk
is never behind the wiki by more than the one edit marked ``in_flight``.

Durability: WAL journal with ``synchronous=FULL``. WAL makes a commit one sequential append;
FULL adds an fsync of the WAL per commit so a committed ``in_flight`` mark survives a power
cut as well as a crash (NORMAL only survives process crashes). The cost is a millisecond or
two per commit against an edit that takes 170 ms or more, so we keep the stronger setting.

Schema changes are numbered migrations (``MIGRATIONS``; ``PRAGMA user_version`` is the number
applied). Never edit a released migration; append a new one.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import quote

from uploader.errors import ConfigError, LedgerError
from uploader.model import Page, Quarantined
from uploader.wikitext import storage_form, text_sha1

CHUNK = 200  # rows fetched per read of the actionable queue


class State(StrEnum):
    """Where a ledger row stands."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    PUBLISHED = "published"
    EXISTS = "exists"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    SKIPPED = "skipped"


FINAL = frozenset({State.PUBLISHED, State.EXISTS, State.QUARANTINED})


@dataclass(frozen=True, slots=True)
class Item:
    """One ledger row: an article or a redirect to publish, with what we will send."""

    id: int
    volume: str
    pos: str
    redirect: str  # "" for the article itself, else the redirect's own title
    seq: int
    title: str
    target: str  # the article title a redirect points to ("" for articles)
    sha1: str
    state: State
    revid: int | None = None
    reason: str = ""
    attempts: int = 0
    text: str = ""
    summary: str = ""
    wiki_user: str | None = None
    wiki_size: int | None = None
    names: tuple[str, ...] = ()  # an article's candidate names (its title first)
    fallback: str = ""  # an article's qualified title, for when its title is taken
    plain: str = ""  # an article's plain text, compared with pages on the wiki
    original: str = ""  # an article's own title (``title`` may have become the fallback)

    @property
    def is_redirect(self) -> bool:
        """True for a redirect row."""
        return bool(self.redirect)


@dataclass(frozen=True, slots=True)
class Run:
    """One row of the runs table."""

    id: int
    volume: str
    started: float
    ended: float | None
    args: dict[str, Any]
    outcome: str
    edits: int


class UpdateState(StrEnum):
    """Where one edit or move of the update pass stands."""

    IN_FLIGHT = "in_flight"  # committed before the request: the wiki may or may not have it
    DONE = "done"  # confirmed (the item row holds the new title / text / revision)
    MERGED = "merged"  # saved, but the wiki merged it with someone's newer edit
    SKIPPED = "skipped"  # refused without harm (edit conflict, title taken): re-planned later
    FAILED = "failed"  # an error; re-planned by the next run
    LOST = "lost"  # in flight when a run died, and the wiki never got it


@dataclass(frozen=True, slots=True)
class Published:
    """A published article row as the update pass sees it: what the bot put on the wiki,
    under which title, and which article of the volume it was."""

    id: int
    pos: str
    seq: int
    title: str
    sha1: str
    revid: int | None
    headword: str
    occurrence: int
    source_sha1: str
    text: str


@dataclass(frozen=True, slots=True)
class Identity:
    """Which article of a volume a row is: its position, headword, the headword's
    occurrence (1 for the first article with that headword) and its source text hash."""

    pos: str
    headword: str
    occurrence: int
    source_sha1: str
    sha1: str  # the hash of the text rendered for it now


@dataclass(frozen=True, slots=True)
class Update:
    """One row of the updates table."""

    id: int
    item_id: int
    kind: str  # "edit" or "move"
    old_title: str
    new_title: str
    old_sha1: str
    new_sha1: str
    base_revid: int | None
    text: str
    state: UpdateState
    revid: int | None
    reason: str
    run_id: int | None


@dataclass(frozen=True, slots=True)
class Entry:
    """One row to be: an article or one of its redirects, with the exact text to send."""

    pos: str
    redirect: str
    title: str
    target: str
    text: str
    summary: str
    sha1: str
    names: tuple[str, ...] = ()  # for the article row: its candidate names, title first
    fallback: str = ""
    fallback_redirect: str = ""  # for the article row: redirect text to the fallback
    plain: str = ""


def subject_names(page: Page) -> tuple[str, ...]:
    """The names to look up for a page: its candidates, or (without) its title, redirects
    and fallback; the title always first."""
    names = page.candidates or (page.title, *page.redirects)
    return tuple(dict.fromkeys(n for n in (page.title, *names, page.fallback_title) if n))


def expand(page: Page) -> list[Entry]:
    """The rows of a page: its article, then each redirect, with the text and summary that
    the render stage made (``Page.saves``), in the form the wiki stores."""
    out = []
    for save in page.saves():
        text = storage_form(save.wikitext)
        redirect = save.title if save.redirect_to else ""
        entry = Entry(
            page.key, redirect, save.title, save.redirect_to, text, save.summary, text_sha1(text)
        )
        if not redirect:
            entry = dataclasses.replace(
                entry,
                names=subject_names(page),
                fallback=page.fallback_title,
                fallback_redirect=storage_form(page.fallback_redirect_text),
                plain=page.source_text,
            )
        out.append(entry)
    return out


@dataclass(frozen=True, slots=True)
class Seen:
    """What the ledger remembers of a page on the wiki (so a resumed run need not ask)."""

    title: str
    revid: int
    plain: str
    features: dict[str, Any]
    creator: str | None = None


@dataclass(frozen=True, slots=True)
class SubjectRow:
    """An article's subject verdict as recorded (for the reconcile report)."""

    item: Item
    subject: str
    page: str
    via: str
    similarity: float | None
    creator: str | None
    editor: str | None
    adds: str
    note: str


# --- migrations -------------------------------------------------------------------------


def _m1_initial(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            volume TEXT NOT NULL,
            started REAL NOT NULL,
            ended REAL,
            args TEXT NOT NULL DEFAULT '{}',
            outcome TEXT NOT NULL DEFAULT 'running',
            edits INTEGER NOT NULL DEFAULT 0)"""
    )
    db.execute(
        """CREATE TABLE items (
            id INTEGER PRIMARY KEY,
            volume TEXT NOT NULL,
            pos TEXT NOT NULL,
            redirect TEXT NOT NULL DEFAULT '',
            seq INTEGER NOT NULL,
            title TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            sha1 TEXT NOT NULL,
            state TEXT NOT NULL,
            revid INTEGER,
            reason TEXT NOT NULL DEFAULT '',
            attempts INTEGER NOT NULL DEFAULT 0,
            created REAL NOT NULL,
            updated REAL NOT NULL,
            run_id INTEGER,
            UNIQUE (volume, pos, redirect))"""
    )
    db.execute(
        """CREATE TABLE texts (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            text TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '')"""
    )


def _m2_collision_facts_and_queue_index(db: sqlite3.Connection) -> None:
    """Keep what we saw on the wiki for a collision; index the work queue."""
    db.execute("ALTER TABLE items ADD COLUMN wiki_user TEXT")
    db.execute("ALTER TABLE items ADD COLUMN wiki_size INTEGER")
    db.execute("CREATE INDEX items_queue ON items (volume, state, seq)")
    db.execute("CREATE INDEX items_title ON items (title)")


def _m3_subjects_and_wiki_pages(db: sqlite3.Connection) -> None:
    """An article's candidate names and what was learnt of them; pages seen on the wiki."""
    db.execute(
        """CREATE TABLE subjects (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            original TEXT NOT NULL,
            names TEXT NOT NULL DEFAULT '[]',
            fallback TEXT NOT NULL DEFAULT '',
            fallback_redirect TEXT NOT NULL DEFAULT '',
            plain TEXT NOT NULL DEFAULT '',
            subject TEXT NOT NULL DEFAULT '',
            page TEXT NOT NULL DEFAULT '',
            via TEXT NOT NULL DEFAULT '',
            similarity REAL,
            creator TEXT,
            editor TEXT,
            adds TEXT NOT NULL DEFAULT '',
            note TEXT NOT NULL DEFAULT '',
            checked REAL)"""
    )
    db.execute(
        """CREATE TABLE wiki_pages (
            title TEXT PRIMARY KEY,
            revid INTEGER NOT NULL,
            plain TEXT NOT NULL,
            features TEXT NOT NULL DEFAULT '{}',
            creator TEXT,
            checked REAL NOT NULL)"""
    )


def _m4_update_pass(db: sqlite3.Connection) -> None:
    """The update pass: each article's identity in its volume (headword, its occurrence,
    the hash of its source text) and an ``updates`` table, one row per edit or move of a
    published page, ``in_flight`` (committed) before the request is sent."""
    db.execute("ALTER TABLE items ADD COLUMN headword TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE items ADD COLUMN occurrence INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE items ADD COLUMN source_sha1 TEXT NOT NULL DEFAULT ''")
    db.execute(
        """CREATE TABLE updates (
            id INTEGER PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            run_id INTEGER,
            kind TEXT NOT NULL,
            old_title TEXT NOT NULL,
            new_title TEXT NOT NULL,
            old_sha1 TEXT NOT NULL,
            new_sha1 TEXT NOT NULL,
            base_revid INTEGER,
            text TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            revid INTEGER,
            reason TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            updated REAL NOT NULL)"""
    )
    db.execute("CREATE INDEX updates_item ON updates (item_id, state)")


MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _m1_initial,
    _m2_collision_facts_and_queue_index,
    _m3_subjects_and_wiki_pages,
    _m4_update_pass,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, upto: int = SCHEMA_VERSION) -> int:
    """Apply the numbered migrations the file lacks (up to ``upto``); return the version.

    Safe when several processes open a new ledger at once: each migration re-reads the
    version inside its write transaction (``BEGIN IMMEDIATE``), so only one applies it.
    """
    version = _version(db)
    while version < upto:
        db.execute("BEGIN IMMEDIATE")
        try:
            version = _version(db)  # another process may have migrated meanwhile
            if version < upto:
                MIGRATIONS[version](db)
                version += 1
                db.execute(f"PRAGMA user_version = {version}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return max(version, upto)


def _version(db: sqlite3.Connection) -> int:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise ConfigError(
            f"ledger schema v{version} is newer than this program (v{SCHEMA_VERSION}); upgrade"
        )
    return version


BUSY_TIMEOUT = 10.0  # seconds to wait for another process's write transaction


def connect(path: Path) -> sqlite3.Connection:
    """Open (creating if needed) an SQLite file in autocommit mode with WAL and FULL sync."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT)
    except sqlite3.Error as exc:
        raise ConfigError(f"{path}: cannot open ledger: {exc}") from None
    _set_wal(db)
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def _set_wal(db: sqlite3.Connection) -> None:
    """Switch to WAL; a new file being switched by another process at the same moment
    answers "database is locked" without waiting, so wait for it here."""
    deadline = time.monotonic() + BUSY_TIMEOUT
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def problem_line(exc: sqlite3.Error, path: Path | None = None, read_only: bool = False) -> str:
    """One line for an SQLite failure on the ledger: which file, what is wrong, what to do."""
    where = f"{path}: " if path else "ledger: "
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return (
            f"{where}not a readable ledger ({text}): the file is truncated or is not a "
            "ledger; move it aside with its -wal/-shm files and restore a backup"
        )
    if "locked" in text or "busy" in text:
        return (
            f"{where}the ledger is locked by another process ({text}); wait for it to "
            "finish (see upload status) and try again"
        )
    if "readonly" in text or "read-only" in text:
        return (
            f"{where}the ledger is read-only ({text}); make the file and its folder "
            "writable (upload status and created can read it as it is)"
        )
    if "unable to open" in text:
        what = "readable" if read_only else "writable"
        return f"{where}cannot open the ledger ({text}); check that its folder is {what}"
    if "disk" in text and "full" in text:
        return f"{where}the disk is full ({text}); free some space and resume"
    return f"{where}ledger database error ({text}); check the [run] ledger file"


_ITEM_COLS = (
    "i.id, i.volume, i.pos, i.redirect, i.seq, i.title, i.target, i.sha1, i.state, i.revid, "
    "i.reason, i.attempts, i.wiki_user, i.wiki_size"
)


def _item(row: tuple[Any, ...], text: str = "", summary: str = "") -> Item:
    return Item(
        id=row[0],
        volume=row[1],
        pos=row[2],
        redirect=row[3],
        seq=row[4],
        title=row[5],
        target=row[6],
        sha1=row[7],
        state=State(row[8]),
        revid=row[9],
        reason=row[10],
        attempts=row[11],
        wiki_user=row[12],
        wiki_size=row[13],
        text=text,
        summary=summary,
    )


class Ledger:
    """The SQLite ledger; open with ``Ledger.open(path)`` and use as a context manager."""

    def __init__(self, db: sqlite3.Connection, path: Path) -> None:
        self.db = db
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open the ledger at ``path``, creating it and applying migrations as needed.

        A ledger that cannot be used (locked, read-only, truncated, not a ledger) is a
        LedgerError naming the file and what to do.
        """
        try:
            db = connect(path)
        except sqlite3.Error as exc:
            raise LedgerError(problem_line(exc, path)) from None
        try:
            migrate(db)
        except sqlite3.Error as exc:
            db.close()
            raise LedgerError(problem_line(exc, path)) from None
        return cls(db, path)

    @classmethod
    def open_readonly(cls, path: Path) -> Ledger:
        """Open the ledger only to read it (``status``, ``created``): nothing is created or
        changed, not even ``-wal``/``-shm`` files beside a ledger nobody may write.

        A missing ledger reads as an empty one; an older schema is upgraded only when the
        file may be written.
        """
        if not path.exists():
            db = sqlite3.connect(":memory:", isolation_level=None)
            migrate(db)
            return cls(db, path)
        writable = os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)
        wal = path.with_name(path.name + "-wal")
        flags = "mode=ro" if writable or wal.exists() else "mode=ro&immutable=1"
        try:
            db = sqlite3.connect(
                f"file:{quote(str(path.resolve()))}?{flags}",
                uri=True,
                isolation_level=None,
                timeout=BUSY_TIMEOUT,
            )
            version = _version(db)
        except sqlite3.Error as exc:
            raise LedgerError(problem_line(exc, path, read_only=True)) from None
        if version < SCHEMA_VERSION:
            db.close()
            if writable:
                return cls.open(path)
            raise LedgerError(
                f"{path}: ledger schema v{version} is older than this program's "
                f"(v{SCHEMA_VERSION}) and the file is read-only; make it writable once"
            )
        return cls(db, path)

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- filling the queue --------------------------------------------------------------

    def register(self, pages: Iterable[Page], volume: str) -> int:
        """Add or refresh rows for ``pages`` (articles, each followed by its redirects).

        Rows already final (published, exists, quarantined) or in flight keep their state and
        text; others take the new title, text and order. Returns the number of rows seen.
        """
        now = time.time()
        seq = 0
        with self._tx() as db:
            for page in pages:
                for entry in expand(page):
                    seq += 1
                    self._upsert(db, volume, entry, seq, now)
        return seq

    def _upsert(
        self, db: sqlite3.Connection, volume: str, entry: Entry, seq: int, now: float
    ) -> None:
        pos, redirect, title, target = entry.pos, entry.redirect, entry.title, entry.target
        text, summary, sha = entry.text, entry.summary, entry.sha1
        found = db.execute(
            "SELECT id, state FROM items WHERE volume=? AND pos=? AND redirect=?",
            (volume, pos, redirect),
        ).fetchone()
        if found is None:
            cur = db.execute(
                "INSERT INTO items (volume, pos, redirect, seq, title, target, sha1, state,"
                " created, updated) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (volume, pos, redirect, seq, title, target, sha, State.PENDING, now, now),
            )
            db.execute(
                "INSERT INTO texts (item_id, text, summary) VALUES (?,?,?)",
                (cur.lastrowid, text, summary),
            )
            if not redirect:
                self._subject(db, int(cur.lastrowid or 0), entry)
            return
        item_id, state = found
        if State(state) in FINAL or state == State.IN_FLIGHT:
            db.execute("UPDATE items SET seq=? WHERE id=?", (seq, item_id))
            return
        if not redirect:
            self._subject(db, item_id, entry)
        new_state = State(state)
        if redirect:
            article = self._article_row(db, volume, pos)
            if new_state is State.SKIPPED and article[0] not in (State.EXISTS, State.QUARANTINED):
                new_state = State.PENDING  # its article may be published yet: try again
            if article[1] and article[1] != target and article[2]:
                # the article went to its qualified title: the redirect points there
                target, text = article[1], article[2]
                sha = text_sha1(text)
        db.execute(
            "UPDATE items SET seq=?, title=?, target=?, sha1=?, state=?, updated=? WHERE id=?",
            (seq, title, target, sha, new_state, now, item_id),
        )
        db.execute("UPDATE texts SET text=?, summary=? WHERE item_id=?", (text, summary, item_id))

    @staticmethod
    def _article_row(db: sqlite3.Connection, volume: str, pos: str) -> tuple[str, str, str]:
        """The state of the article at ``pos``, and its title and fallback redirect text when
        it stays on a title other than its own (published or in flight at its fallback)."""
        row = db.execute(
            "SELECT i.state, i.title, s.original, s.fallback_redirect FROM items i"
            " LEFT JOIN subjects s ON s.item_id = i.id"
            " WHERE i.volume=? AND i.pos=? AND i.redirect=''",
            (volume, pos),
        ).fetchone()
        if row is None:
            return "", "", ""
        state, title, original, fallback_text = row
        if state in (State.PUBLISHED, State.IN_FLIGHT) and original and title != original:
            return state, title, fallback_text or ""
        return state, "", ""

    @staticmethod
    def _subject(db: sqlite3.Connection, item_id: int, entry: Entry) -> None:
        db.execute(
            "INSERT INTO subjects (item_id, original, names, fallback, fallback_redirect, plain)"
            " VALUES (?,?,?,?,?,?) ON CONFLICT (item_id) DO UPDATE SET"
            " original=excluded.original, names=excluded.names, fallback=excluded.fallback,"
            " fallback_redirect=excluded.fallback_redirect, plain=excluded.plain",
            (
                item_id,
                entry.title,
                json.dumps(list(entry.names), ensure_ascii=False),
                entry.fallback,
                entry.fallback_redirect,
                entry.plain,
            ),
        )

    def record_quarantined(self, volume: str, items: Iterable[Quarantined]) -> int:
        """Record quarantined articles (not publishable) so status can count them."""
        now = time.time()
        count = 0
        with self._tx() as db:
            for q in items:
                pos = f"{q.source.file}:{q.source.start}"
                db.execute(
                    "INSERT INTO items (volume, pos, redirect, seq, title, sha1, state, reason,"
                    " created, updated) VALUES (?,?,'',-1,?,'',?,?,?,?)"
                    " ON CONFLICT (volume, pos, redirect) DO UPDATE SET reason=excluded.reason,"
                    " updated=excluded.updated WHERE state NOT IN ('published','in_flight')",
                    (volume, pos, q.headword or pos, State.QUARANTINED, q.reason, now, now),
                )
                count += 1
        return count

    def requeue(self, volume: str, states: Iterable[State] = (State.FAILED, State.SKIPPED)) -> int:
        """Put failed/skipped rows of a volume back to pending (``--retry-failed``)."""
        wanted = [str(s) for s in states]
        marks = ",".join("?" * len(wanted))
        with self._tx() as db:
            cur = db.execute(
                "UPDATE items SET state='pending', updated=? WHERE volume=?"
                f" AND state IN ({marks})",
                (time.time(), volume, *wanted),
            )
        return cur.rowcount

    # --- reading the queue --------------------------------------------------------------

    def actionable(self, volume: str) -> Iterator[Item]:
        """Pending and in-flight rows of a volume in source order, with their text."""
        last = -(10**12)
        while True:
            rows = self.db.execute(
                f"SELECT {_ITEM_COLS}, t.text, t.summary, s.names, s.fallback, s.plain,"
                " s.original FROM items i JOIN texts t ON t.item_id = i.id"
                " LEFT JOIN subjects s ON s.item_id = i.id"
                " WHERE i.volume=? AND i.state IN ('pending','in_flight')"
                " AND i.seq > ? ORDER BY i.seq LIMIT ?",
                (volume, last, CHUNK),
            ).fetchall()
            if not rows:
                return
            for row in rows:
                item = _item(row[:14], row[14], row[15])
                if row[16] is not None:
                    item = dataclasses.replace(
                        item,
                        names=tuple(json.loads(row[16])),
                        fallback=row[17],
                        plain=row[18],
                        original=row[19],
                    )
                yield item
            last = rows[-1][4]

    def remaining(self, volume: str) -> int:
        """How many rows of a volume still need work (pending or in flight)."""
        row = self.db.execute(
            "SELECT count(*) FROM items WHERE volume=? AND state IN ('pending','in_flight')",
            (volume,),
        ).fetchone()
        return int(row[0])

    def get(self, item_id: int) -> Item:
        """One row by id, with its text."""
        row = self.db.execute(
            f"SELECT {_ITEM_COLS}, t.text, t.summary FROM items i LEFT JOIN texts t"
            " ON t.item_id = i.id WHERE i.id=?",
            (item_id,),
        ).fetchone()
        if row is None:
            raise KeyError(item_id)
        return _item(row[:14], row[14] or "", row[15] or "")

    def items(self, volume: str | None = None, state: State | None = None) -> list[Item]:
        """Rows (without text) filtered by volume and state, in volume and source order."""
        where, args = [], []
        if volume is not None:
            where.append("i.volume=?")
            args.append(volume)
        if state is not None:
            where.append("i.state=?")
            args.append(str(state))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = self.db.execute(
            f"SELECT {_ITEM_COLS} FROM items i {clause} ORDER BY i.volume, i.seq", args
        ).fetchall()
        return [_item(r) for r in rows]

    def article_state(self, volume: str, pos: str) -> State | None:
        """The state of the article row at a source position (None when unknown)."""
        row = self.db.execute(
            "SELECT state FROM items WHERE volume=? AND pos=? AND redirect=''", (volume, pos)
        ).fetchone()
        return State(row[0]) if row else None

    def text_of(self, item_id: int) -> str:
        """The text recorded for a row."""
        row = self.db.execute("SELECT text FROM texts WHERE item_id=?", (item_id,)).fetchone()
        return row[0] if row else ""

    # --- state changes: each one its own committed transaction --------------------------

    def mark(
        self,
        item_id: int,
        state: State,
        *,
        revid: int | None = None,
        reason: str = "",
        run_id: int | None = None,
        attempt: bool = False,
        wiki_user: str | None = None,
        wiki_size: int | None = None,
        edit: bool = False,
    ) -> None:
        """Set a row's state (and revid / reason / wiki facts) and commit.

        ``attempt`` counts a try; ``edit`` also counts a confirmed edit against the run.
        """
        with self._tx() as db:
            db.execute(
                "UPDATE items SET state=?, revid=coalesce(?, revid), reason=?, updated=?,"
                " run_id=coalesce(?, run_id), attempts=attempts+?,"
                " wiki_user=coalesce(?, wiki_user), wiki_size=coalesce(?, wiki_size)"
                " WHERE id=?",
                (
                    state,
                    revid,
                    reason,
                    time.time(),
                    run_id,
                    int(attempt),
                    wiki_user,
                    wiki_size,
                    item_id,
                ),
            )
            if edit and run_id is not None:
                db.execute("UPDATE runs SET edits=edits+1 WHERE id=?", (run_id,))

    # --- subjects: what the wiki holds under an article's names -------------------------

    def retitle(self, item: Item, title: str) -> None:
        """Move an article row to its qualified title, and point its redirect rows there
        (with the redirect text the render stage made for that title); one transaction."""
        now = time.time()
        with self._tx() as db:
            db.execute("UPDATE items SET title=?, updated=? WHERE id=?", (title, now, item.id))
            row = db.execute(
                "SELECT fallback_redirect FROM subjects WHERE item_id=?", (item.id,)
            ).fetchone()
            text = row[0] if row and row[0] else ""
            if not text:
                return
            for (rid,) in db.execute(
                "SELECT id FROM items WHERE volume=? AND pos=? AND redirect!=''"
                " AND state NOT IN ('published','in_flight')",
                (item.volume, item.pos),
            ).fetchall():
                db.execute(
                    "UPDATE items SET target=?, sha1=?, updated=? WHERE id=?",
                    (title, text_sha1(text), now, rid),
                )
                db.execute("UPDATE texts SET text=? WHERE item_id=?", (text, rid))

    def record_subject(
        self,
        item_id: int,
        subject: str,
        *,
        page: str = "",
        via: str = "",
        similarity: float | None = None,
        creator: str | None = None,
        editor: str | None = None,
        adds: str = "",
        note: str = "",
    ) -> None:
        """Keep an article's subject verdict (and the page that decided it); commit."""
        with self._tx() as db:
            db.execute(
                "UPDATE subjects SET subject=?, page=?, via=?, similarity=?, creator=?,"
                " editor=?, adds=?, note=?, checked=? WHERE item_id=?",
                (subject, page, via, similarity, creator, editor, adds, note, time.time(), item_id),
            )

    def subject_rows(self, volume: str) -> list[SubjectRow]:
        """Articles of a volume whose subject was found on the wiki (not new), in order."""
        rows = self.db.execute(
            f"SELECT {_ITEM_COLS}, s.original, s.subject, s.page, s.via, s.similarity,"
            " s.creator, s.editor, s.adds, s.note FROM items i JOIN subjects s"
            " ON s.item_id = i.id WHERE i.volume=? AND s.subject NOT IN ('', 'new')"
            " ORDER BY i.seq",
            (volume,),
        ).fetchall()
        return [
            SubjectRow(dataclasses.replace(_item(r[:14]), original=r[14]), *r[15:]) for r in rows
        ]

    def seen(self, titles: Iterable[str]) -> dict[str, Seen]:
        """The remembered wiki pages among ``titles``."""
        out: dict[str, Seen] = {}
        wanted = list(dict.fromkeys(titles))
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            for title, revid, plain, feats, creator in self.db.execute(
                "SELECT title, revid, plain, features, creator FROM wiki_pages"
                f" WHERE title IN ({','.join('?' * len(part))})",
                part,
            ):
                out[title] = Seen(title, revid, plain, json.loads(feats), creator)
        return out

    def remember(self, pages: Iterable[Seen]) -> None:
        """Keep what was read of wiki pages (a page's creator survives a new revision)."""
        now = time.time()
        with self._tx() as db:
            for seen in pages:
                db.execute(
                    "INSERT INTO wiki_pages (title, revid, plain, features, creator, checked)"
                    " VALUES (?,?,?,?,?,?) ON CONFLICT (title) DO UPDATE SET"
                    " revid=excluded.revid, plain=excluded.plain, features=excluded.features,"
                    " creator=coalesce(excluded.creator, creator), checked=excluded.checked",
                    (
                        seen.title,
                        seen.revid,
                        seen.plain,
                        json.dumps(seen.features, ensure_ascii=False),
                        seen.creator,
                        now,
                    ),
                )

    # --- runs ---------------------------------------------------------------------------

    def start_run(self, volume: str, args: dict[str, Any]) -> int:
        """Record the start of a run and return its id."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO runs (volume, started, args) VALUES (?,?,?)",
                (volume, time.time(), json.dumps(args, ensure_ascii=False, sort_keys=True)),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def end_run(self, run_id: int, outcome: str) -> None:
        """Record how a run ended."""
        with self._tx() as db:
            db.execute(
                "UPDATE runs SET ended=?, outcome=? WHERE id=?", (time.time(), outcome, run_id)
            )

    def last_run(self, volume: str | None = None) -> Run | None:
        """The most recent run (of a volume, when given)."""
        sql = "SELECT id, volume, started, ended, args, outcome, edits FROM runs"
        args: tuple[Any, ...] = ()
        if volume is not None:
            sql += " WHERE volume=?"
            args = (volume,)
        row = self.db.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        if row is None:
            return None
        return Run(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6])

    def counts(self) -> dict[str, dict[str, int]]:
        """Per volume, the number of rows in each state."""
        out: dict[str, dict[str, int]] = {}
        for volume, state, n in self.db.execute(
            "SELECT volume, state, count(*) FROM items GROUP BY volume, state ORDER BY volume"
        ):
            out.setdefault(volume, {})[state] = n
        return out

    def volumes(self) -> list[str]:
        """Volume keys present in the ledger."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT volume FROM items ORDER BY 1")]

    # --- the update pass ----------------------------------------------------------------

    def record_identity(self, volume: str, identities: Iterable[Identity]) -> None:
        """Note which article each row is (headword, occurrence, source hash): rows still to
        publish always, published ones only when unknown and their text is this rendering's."""
        with self._tx() as db:
            for ident in identities:
                db.execute(
                    "UPDATE items SET headword=?, occurrence=?, source_sha1=? WHERE volume=?"
                    " AND pos=? AND redirect='' AND (state IN ('pending','failed','skipped')"
                    " OR (headword='' AND sha1=?))",
                    (
                        ident.headword,
                        ident.occurrence,
                        ident.source_sha1,
                        volume,
                        ident.pos,
                        ident.sha1,
                    ),
                )

    def published_articles(self, volume: str) -> list[Published]:
        """The volume's published article rows in source order, with the text sent."""
        rows = self.db.execute(
            "SELECT i.id, i.pos, i.seq, i.title, i.sha1, i.revid, i.headword, i.occurrence,"
            " i.source_sha1, coalesce(t.text, '') FROM items i LEFT JOIN texts t"
            " ON t.item_id = i.id WHERE i.volume=? AND i.redirect='' AND i.state='published'"
            " ORDER BY i.seq",
            (volume,),
        ).fetchall()
        return [Published(*row) for row in rows]

    def rekey(self, volume: str, positions: dict[int, str]) -> None:
        """Give article rows (by id) their positions in the current file, with their
        redirect rows; a row in the way of a new position gets a retired key ``pos~id``."""
        moving = {
            item_id: pos
            for item_id, pos in positions.items()
            if self._pos_of(item_id) not in (None, pos)
        }
        if not moving:
            return
        with self._tx() as db:
            old = {item_id: self._pos_of(item_id) for item_id in moving}
            for pos in old.values():
                db.execute(
                    "UPDATE items SET pos=pos || '~moving' WHERE volume=? AND pos=?",
                    (volume, pos),
                )
            for pos in moving.values():  # rows still there belong to no matched article
                held = db.execute(
                    "SELECT min(id) FROM items WHERE volume=? AND pos=?", (volume, pos)
                ).fetchone()[0]
                if held is not None:
                    db.execute(
                        "UPDATE items SET pos=pos || '~' || ? WHERE volume=? AND pos=?",
                        (held, volume, pos),
                    )
            for item_id, pos in moving.items():
                db.execute(
                    "UPDATE items SET pos=? WHERE volume=? AND pos=?",
                    (pos, volume, f"{old[item_id]}~moving"),
                )

    def _pos_of(self, item_id: int) -> str | None:
        row = self.db.execute("SELECT pos FROM items WHERE id=?", (item_id,)).fetchone()
        return None if row is None else str(row[0])

    def begin_update(
        self,
        item_id: int,
        *,
        kind: str,
        old_title: str,
        new_title: str,
        old_sha1: str,
        new_sha1: str,
        base_revid: int | None,
        text: str = "",
        run_id: int | None = None,
    ) -> int:
        """Record an edit or move as in flight (committed before the request); its id."""
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO updates (item_id, run_id, kind, old_title, new_title, old_sha1,"
                " new_sha1, base_revid, text, state, created, updated)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    item_id,
                    run_id,
                    kind,
                    old_title,
                    new_title,
                    old_sha1,
                    new_sha1,
                    base_revid,
                    text,
                    UpdateState.IN_FLIGHT,
                    now,
                    now,
                ),
            )
        assert cur.lastrowid is not None
        return cur.lastrowid

    def finish_update(
        self,
        update_id: int,
        state: UpdateState,
        *,
        revid: int | None = None,
        reason: str = "",
        identity: Identity | None = None,
    ) -> None:
        """Settle an update; DONE/MERGED also bring its item row up to date (title, and
        for an edit the text, hash and revision), all in one transaction."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "UPDATE updates SET state=?, revid=?, reason=?, updated=? WHERE id=?",
                (state, revid, reason[:500], now, update_id),
            )
            up = self._update(update_id)
            if state in (UpdateState.DONE, UpdateState.MERGED):
                db.execute(
                    "UPDATE items SET title=?, updated=? WHERE id=?",
                    (up.new_title, now, up.item_id),
                )
                if up.kind == "edit":
                    db.execute(
                        "UPDATE items SET sha1=?, revid=coalesce(?, revid) WHERE id=?",
                        (up.new_sha1, revid, up.item_id),
                    )
                    db.execute("UPDATE texts SET text=? WHERE item_id=?", (up.text, up.item_id))
                if up.run_id is not None:
                    db.execute("UPDATE runs SET edits=edits+1 WHERE id=?", (up.run_id,))
            if identity is not None:
                self._set_identity(db, up.item_id, identity)

    def note_identity(self, item_id: int, identity: Identity) -> None:
        """Record a row's current identity (after the update pass found nothing to send)."""
        with self._tx() as db:
            self._set_identity(db, item_id, identity)

    @staticmethod
    def _set_identity(db: sqlite3.Connection, item_id: int, identity: Identity) -> None:
        db.execute(
            "UPDATE items SET headword=?, occurrence=?, source_sha1=? WHERE id=?",
            (identity.headword, identity.occurrence, identity.source_sha1, item_id),
        )

    _UPDATE_COLS = (
        "id, item_id, kind, old_title, new_title, old_sha1, new_sha1, base_revid, text, state,"
        " revid, reason, run_id"
    )

    def _update(self, update_id: int) -> Update:
        row = self.db.execute(
            f"SELECT {self._UPDATE_COLS} FROM updates WHERE id=?", (update_id,)
        ).fetchone()
        return _update_row(row)

    def updates(self, volume: str | None = None, state: UpdateState | None = None) -> list[Update]:
        """Update rows (of a volume's items, in a state), oldest first."""
        sql = f"SELECT {self._UPDATE_COLS} FROM updates WHERE 1=1"
        args: list[Any] = []
        if volume is not None:
            sql += " AND item_id IN (SELECT id FROM items WHERE volume=?)"
            args.append(volume)
        if state is not None:
            sql += " AND state=?"
            args.append(str(state))
        return [_update_row(r) for r in self.db.execute(sql + " ORDER BY id", args)]

    def update_counts(self) -> dict[str, dict[str, int]]:
        """Per volume, confirmed updates by kind (``edit``, ``move``) and the other states."""
        out: dict[str, dict[str, int]] = {}
        for volume, kind, state, n in self.db.execute(
            "SELECT i.volume, u.kind, u.state, count(*) FROM updates u JOIN items i"
            " ON i.id = u.item_id GROUP BY 1, 2, 3"
        ):
            key = kind if state in (UpdateState.DONE, UpdateState.MERGED) else f"{kind} {state}"
            out.setdefault(volume, {})[key] = out.get(volume, {}).get(key, 0) + n
        return out


def _update_row(row: tuple[Any, ...]) -> Update:
    values = dict(zip((f.name for f in fields(Update)), row, strict=True))
    values["state"] = UpdateState(values["state"])
    return Update(**values)
