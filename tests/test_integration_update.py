"""``upload update`` against the REAL local MediaWiki (tests/wiki): the second pass that
brings the bot's own pages up to date with a corrected volume.

The volumes are real .docx files (tests/docxgen). Runs that must be killed go through
``python -m uploader`` in a child process; the edit-conflict test calls the library with a
wiki client that lets a person save between the bot's read and its write.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests import docxgen as g
from tests.test_integration_publish import (
    LETTERS,
    child,
    no_edit_limit,
    reap_children,
    wait_for,
    write_config,
)
from tests.wiki.server import LocalWiki
from uploader.cli import main
from uploader.commands import update_summaries, upload_update, upload_volume
from uploader.config import Config, load_config
from uploader.errors import RunStopped
from uploader.model import Page, SourcePos
from uploader.pipeline import iter_pages
from uploader.publish.credentials import load_credentials
from uploader.publish.ledger import Ledger, UpdateState
from uploader.publish.runner import Outcome
from uploader.publish.update import Step, UpdateOutcome, UpdatePlan, update, update_dir
from uploader.publish.wiki import Saved, WikiClient, connect
from uploader.report import Report
from uploader.wikitext import storage_form, text_sha1

pytestmark = pytest.mark.wiki
__all__ = ["no_edit_limit", "reap_children"]  # the publish tests' autouse fixtures, here too

HUMAN = "Түзетуші"
TYPO, FIXED = "ТАЙ", "ТАУ"  # the mistyped and the corrected end of one headword


def _entries(prefix: str, n: int, corrected: bool) -> list[g.Entry]:
    """n place articles; the corrected copy fixes article 4's headword and corrects the
    texts of articles 1, 6 and 8 (article 1 gains a paragraph, so every later position
    shifts)."""
    entries = []
    for i in range(n):
        stem = f"{prefix}{LETTERS[i]}"
        end = TYPO if i == 4 and not corrected else FIXED
        text = f"Қазақстандағы {i + 1}-тау. Биіктігі {1000 + 37 * i} м, ұзындығы {20 + i} км."
        more = []
        if corrected and i in (1, 6, 8):
            text = text.replace("Биіктігі", "Абсолюттік биіктігі")
        if corrected and i == 1:
            more.append(g.body("Етегінде бұлақтар көп."))
        entries.append(
            g.article(
                f"{stem}{end}", text, title=f"{stem}{end}".capitalize(), kind="place", more=more
            )
        )
    return entries


def write_volume(path: Path, prefix: str, n: int, corrected: bool) -> Path:
    """The uncorrected or the corrected copy of one generated volume at ``path``."""
    g.write_docx(g.Volume(_entries(prefix, n, corrected)), path)
    return path


def rendered(config: Config) -> dict[str, Page]:
    """The pages of volume g as the pipeline renders them now, by title."""
    pages = iter_pages(config.volume_path("g"), config, Report(), volume="g")
    return {p.title: p for p in pages}


def update_rows(config: Config) -> int:
    """How many update rows the ledger has (any state); 0 while it is being opened."""
    db = sqlite3.connect(config.run.ledger, timeout=5)
    try:
        return int(db.execute("SELECT count(*) FROM updates").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


def redirect_target(wiki: LocalWiki, title: str) -> str | None:
    """Where ``title`` redirects to, per the wiki (None: not a redirect)."""
    reply = wiki.api(action="query", titles=title, redirects="1")
    hops = reply["query"].get("redirects", [])
    return hops[0]["to"] if hops else None


def _alive_after(config: Config, count: int, proc: Any) -> bool:
    return update_rows(config) >= count or proc.poll() is not None


def test_integration_update_corrected_volume_survives_two_sigkills(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    volume = write_volume(tmp_path / "vol.docx", "ЖАҢ", 10, corrected=False)
    config = load_config(write_config(tmp_path, wiki, volume))
    out = upload_volume(config, "g", progress=False)
    assert isinstance(out, Outcome) and out.created == 10
    config_path = write_config(tmp_path, wiki, volume, put_throttle=0.4)  # room for kills
    config = load_config(config_path)
    before = rendered(config)
    titles = list(before)  # source order
    typo = next(t for t in titles if t.endswith(TYPO.lower()))
    fixed = typo[: -len(TYPO)] + FIXED.lower()
    human_title = titles[8]
    wiki.create_user_page(HUMAN, human_title, before[human_title].wikitext + "\n\nАдамның қосқаны.")

    write_volume(volume, "ЖАҢ", 10, corrected=True)
    after = rendered(config)
    corrected = [titles[1], titles[6]]  # untouched by people, texts corrected
    assert all(after[t].wikitext != before[t].wikitext for t in [*corrected, human_title])
    revisions = {t: wiki.revisions(t) for t in titles}

    dry = child(config_path, "update", "g", "--dry-run")
    stdout, stderr = dry.communicate(timeout=120)
    assert dry.returncode == 0, stderr
    assert "3 edits, 1 moves" in stdout and "1 skipped" in stdout, stdout
    assert f"skip «{human_title}»: edited by someone else" in stdout
    assert {t: wiki.revisions(t) for t in titles} == revisions
    assert wiki.page_text(fixed) is None

    rng = random.Random(20261201)
    for kill in range(2):
        seen = update_rows(config)
        proc = child(config_path, "update", "g")
        wait_for(partial(_alive_after, config, seen + 1, proc), timeout=120)
        time.sleep(rng.uniform(0.0, 0.4))  # anywhere in the edit cycle
        assert proc.poll() is None, (kill, proc.communicate())
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    final = child(config_path, "update", "g")
    stdout, stderr = final.communicate(timeout=120)
    assert final.returncode == 0, stderr

    for title in corrected:
        revs = wiki.revisions(title)
        assert [r["user"] for r in revs] == ["KazBot", "KazBot"], title
        assert wiki.page_text(title) == after[title].wikitext.rstrip(), title
    assert redirect_target(wiki, typo) == fixed
    assert wiki.page_text(fixed) == after[fixed].wikitext.rstrip()
    assert {r["user"] for r in wiki.revisions(fixed)} == {"KazBot"}
    assert [r["revid"] for r in wiki.revisions(human_title)] == [
        r["revid"] for r in revisions[human_title]
    ]
    assert wiki.revisions(human_title)[-1]["user"] == HUMAN
    report = (update_dir(config.run, "g") / "report.md").read_text("utf-8")
    assert f"«{human_title}»" in report and "Адамның қосқаны." in report
    others = [t for t in titles if t not in (*corrected, human_title, typo)]
    assert {t: wiki.revisions(t) for t in others} == {t: revisions[t] for t in others}

    with Ledger.open(config.run.ledger) as ledger:
        states = [u.state for u in ledger.updates("g")]
    assert UpdateState.IN_FLIGHT not in states
    assert states.count(UpdateState.DONE) == 4  # two edits, the move, the moved page's edit
    comment = wiki.revisions(corrected[0])[-1]["comment"]
    assert "түзетілген" in comment and config.citation.licence in comment

    changes = len(wiki.recent_changes())
    again = child(config_path, "update", "g")
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert "0 edited, 0 moved" in stdout
    assert len(wiki.recent_changes()) == changes

    runner = CliRunner()
    status = runner.invoke(main, ["status", "--config", str(config_path)])
    (updates,) = [line for line in status.output.splitlines() if "updates:" in line]
    assert "updates: edit 3," in updates and "move 1" in updates  # "edit lost 1" may show
    created = runner.invoke(main, ["created", "--config", str(config_path)])
    assert f"moved from «{typo}»" in created.output


class HumanFirst:
    """A wiki client that lets a person save the page just before each bot edit is sent."""

    def __init__(self, client: WikiClient, wiki: LocalWiki, text: str) -> None:
        self.client = client
        self.wiki = wiki
        self.text = text
        self.user = client.user

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    @property
    def requests(self) -> int:
        return self.client.requests

    def edit(self, title: str, text: str, summary: str, *, baserevid: int) -> Saved:
        self.wiki.create_user_page(HUMAN, title, self.text)
        return self.client.edit(title, text, summary, baserevid=baserevid)


def _pages(prefix: str, lines: list[str]) -> list[Page]:
    return [
        Page(
            title=f"{prefix} {i}",
            wikitext=f"'''{prefix} {i}''' — {line}",
            source=SourcePos("c.docx", 10 * i, 10 * i + 1),
            summary=f"Бот: сынақ {i}",
            headword=f"{prefix.upper()} {i}",
            volume="t",
        )
        for i, line in enumerate(lines)
    ]


def test_integration_update_edit_conflict_is_a_skip_never_an_overwrite(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    config = load_config(write_config(tmp_path, wiki))
    first = _pages("Қайшылық", ["бірінші мәтін.", "екінші мәтін."])
    out = upload_volume(config, "t", pages=first, progress=False)
    assert isinstance(out, Outcome) and out.created == 2
    second = [replace(first[0], wikitext=first[0].wikitext + " Түзету."), first[1]]
    person = "'''Қайшылық 0''' — адам өзгерткен мәтін."
    credentials = load_credentials(config.wiki.user, config.wiki.password_file)
    client = connect(config, config.run, credentials)
    site = HumanFirst(client, wiki, person)

    with Ledger.open(config.run.ledger) as ledger:
        done = update(
            second,
            ledger,
            site,  # type: ignore[arg-type]
            config.run,
            volume="t",
            summaries=update_summaries(config, "t"),
        )
        (row,) = ledger.updates("t")
    assert isinstance(done, UpdateOutcome) and done.edited == 0
    assert [p.step for p in done.skipped] == [Step.CONFLICT]
    assert row.state is UpdateState.SKIPPED and "editconflict" in row.reason
    revs = wiki.revisions("Қайшылық 0")
    assert [r["user"] for r in revs] == ["KazBot", HUMAN]
    assert wiki.page_text("Қайшылық 0") == person
    assert done.report is not None and "«Қайшылық 0»" in done.report.read_text("utf-8")

    plan = upload_update(config, "t", dry_run_only=True, pages=second)
    assert isinstance(plan, UpdatePlan)
    assert [(p.title, p.step) for p in plan.skips()] == [("Қайшылық 0", Step.HUMAN)]
    again = upload_update(config, "t", pages=second)
    assert isinstance(again, UpdateOutcome) and again.edited == 0
    assert [r["user"] for r in wiki.revisions("Қайшылық 0")] == ["KazBot", HUMAN]


def test_integration_update_settles_a_stopped_runs_writes_from_the_wiki(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    config = load_config(write_config(tmp_path, wiki))
    first = _pages("Үзілген", ["бірінші мәтін.", "екінші мәтін."])
    upload_volume(config, "t", pages=first, progress=False)
    second = [replace(p, wikitext=p.wikitext + " Түзету.") for p in first]
    client = connect(
        config, config.run, load_credentials(config.wiki.user, config.wiki.password_file)
    )
    with Ledger.open(config.run.ledger) as ledger:  # a run stopped in the middle of two edits:
        rows = ledger.published_articles("t")
        infos = client.page_infos([r.title for r in rows])
        for row, page in zip(rows, second, strict=True):
            ledger.begin_update(
                row.id, kind="edit", old_title=row.title, new_title=row.title,
                old_sha1=row.sha1, new_sha1=text_sha1(page.wikitext),
                base_revid=infos[row.title].revid, text=storage_form(page.wikitext),
            )  # fmt: skip
        base = infos[rows[0].title]
        assert base.revid is not None
        # the first reached the wiki, its answer was lost; the second never left
        client.edit(rows[0].title, second[0].wikitext, "сынақ", baserevid=base.revid)

    out = upload_update(config, "t", pages=second)
    assert isinstance(out, UpdateOutcome)
    assert (out.settled, out.edited) == (1, 1)
    for page in second:
        assert [r["user"] for r in wiki.revisions(page.title)] == ["KazBot", "KazBot"]
        assert wiki.page_text(page.title) == page.wikitext
    with Ledger.open(config.run.ledger) as ledger:
        assert [u.state for u in ledger.updates("t")] == [
            UpdateState.DONE,
            UpdateState.LOST,
            UpdateState.DONE,
        ]
        assert {r.sha1 for r in ledger.published_articles("t")} == {
            text_sha1(p.wikitext) for p in second
        }


def test_integration_update_merged_by_the_wiki_is_reported_and_never_overwritten(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    config = load_config(write_config(tmp_path, wiki))
    first = _pages("Біріккен", ["бірінші жол.\n\nекінші жол.\n\nүшінші жол."])
    upload_volume(config, "t", pages=first, progress=False)
    second = [replace(first[0], wikitext=first[0].wikitext.replace("бірінші", "түзетілген"))]
    person = first[0].wikitext.replace("үшінші", "адамның үшінші")  # another line
    client = connect(
        config, config.run, load_credentials(config.wiki.user, config.wiki.password_file)
    )
    with Ledger.open(config.run.ledger) as ledger:
        done = update(
            second,
            ledger,
            HumanFirst(client, wiki, person),  # type: ignore[arg-type]
            config.run,
            volume="t",
            summaries=update_summaries(config, "t"),
        )
    assert [p.step for p in done.skipped] == [Step.MERGED]
    text = wiki.page_text("Біріккен 0") or ""
    assert "түзетілген жол." in text and "адамның үшінші жол." in text  # both kept
    assert done.report is not None and "merged" in done.report.read_text("utf-8")
    third = [replace(second[0], wikitext=second[0].wikitext + " Тағы.")]
    again = upload_update(config, "t", pages=third)
    assert isinstance(again, UpdateOutcome) and again.edited == 0
    assert [p.step for p in again.skipped] == [Step.HUMAN]
    assert wiki.page_text("Біріккен 0") == text


def test_integration_update_max_edits_stops_with_the_update_command(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    config_path = write_config(tmp_path, wiki)
    config = load_config(config_path)
    first = _pages("Шекара", ["бір.", "екі.", "үш."])  # titles unique in the session
    upload_volume(config, "t", pages=first, progress=False)
    second = [replace(p, wikitext=p.wikitext + " Түзету.") for p in first]
    with pytest.raises(RunStopped, match=f"continue with: upload update t --config {config_path}"):
        upload_update(config, "t", max_edits=2, pages=second)
    edited = [len(wiki.revisions(p.title)) for p in second]
    assert sorted(edited) == [1, 2, 2]
    done = upload_update(config, "t", pages=second)
    assert isinstance(done, UpdateOutcome) and (done.edited, done.unchanged) == (1, 2)
