"""The update pass without a wiki: matching, the per-page decision, the ledger's update
rows and re-keying, the report, the summary template and the CLI's one-line errors.
(The pass itself runs against the real MediaWiki in tests/test_integration_update.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from uploader.cli import main
from uploader.commands import update_summaries
from uploader.config import load_config
from uploader.model import Page, SourcePos
from uploader.publish.ledger import Identity, Ledger, Published, State, UpdateState
from uploader.publish.match import Fresh, fresh_articles, match, similarity
from uploader.publish.update import Change, Planned, Step, decide_update
from uploader.publish.update_report import write_update_report
from uploader.publish.wiki import PageInfo
from uploader.wikitext import text_sha1

BODIES = [
    "Ертіс өзенінің сол саласы, ұзындығы 320 км, алабы 4100 шаршы км.",
    "Алматы облысындағы ауыл, аудан орталығынан 40 км солтүстікте.",
    "Қазақ ақыны, жыршы; ел аузында көп өлеңі сақталған.",
    "Маңғыстаудағы ойпат, теңіз деңгейінен 132 м төмен жатыр.",
    "Тянь-Шань жотасының шыңы, биіктігі 4973 м, мұздықтары көп.",
    "Ботаникалық бақ, 1932 жылы ашылған; 6000 түр өсімдік бар.",
]


def old_row(i: int, headword: str, body: str, *, occurrence: int = 1, title: str = "") -> Published:
    text = f"'''{title or headword.title()}''' — {body}"
    return Published(
        i, f"v.docx:{i * 3}", i, title or headword.title(), text_sha1(text), 100 + i,
        headword, occurrence if headword else 0, "", text,
    )  # fmt: skip


def new_page(i: int, headword: str, body: str) -> Fresh:
    text = f"'''{headword.title()}''' — {body}"
    return Fresh(i, f"v.docx:{i * 3 + 1}", headword.title(), headword, 1, text, text_sha1(text), "")


def pairs_of(old: list[Published], new: list[Fresh]) -> list[tuple[str, str, str]]:
    return [(p.old.title, p.new.title, p.how) for p in match(old, new).pairs]


def test_match_by_headword_even_when_every_position_moved() -> None:
    old = [old_row(i, f"СӨЗ{i}", b) for i, b in enumerate(BODIES)]
    new = [new_page(i, f"СӨЗ{i}", b + " Түзетілді.") for i, b in enumerate(BODIES)]
    assert pairs_of(old, new) == [(f"Сөз{i}", f"Сөз{i}", "headword") for i in range(6)]


def test_match_a_corrected_headword_by_position_and_text() -> None:
    old = [old_row(i, "АҚСАЙ" if i == 2 else f"СӨЗ{i}", b) for i, b in enumerate(BODIES)]
    new = [new_page(i, "АҚСАЙЫ" if i == 2 else f"СӨЗ{i}", b) for i, b in enumerate(BODIES)]
    result = match(old, new)
    assert ("Ақсай", "Ақсайы", "position") in pairs_of(old, new)
    assert not (result.gone or result.unsure or result.new)


OTHER = "Мүлде басқа мақала: 1999 жылғы оқиға туралы жазба."


@pytest.mark.parametrize(
    ("before", "after", "gone", "unsure", "new"),
    [
        # an article gone, nothing in its place
        (["С0", "С1", "ЕСКІ:2", "С3"], ["С0", "С1", "С3"], 1, 0, 0),
        # an article replaced by an unrelated one: gone, and one new
        (["С0", "С1", "ЕСКІ:2", "С3"], ["С0", "С1", "ЖАҢА:o", "С3"], 1, 0, 1),
        # two renamed neighbours with the same text: which is which cannot be told
        (["С0", "ЕСКІ:2", "ЕСКІЛЕУ:2", "С3"], ["С0", "ЖАҢА:2", "ЖАҢАЛАУ:2", "С3"], 0, 2, 2),
    ],
)
def test_match_never_guesses(
    before: list[str], after: list[str], gone: int, unsure: int, new: int
) -> None:
    """Items are "HEADWORD" (body by its digit) or "HEADWORD:n" (body n, o: unrelated)."""

    def split(item: str) -> tuple[str, str]:
        headword, _, body = item.partition(":")
        body = body or headword[-1]
        return headword, OTHER if body == "o" else BODIES[int(body)]

    old = [old_row(i, *split(item)) for i, item in enumerate(before)]
    fresh = [new_page(i, *split(item)) for i, item in enumerate(after)]
    result = match(old, fresh)
    assert (len(result.gone), len(result.unsure), len(result.new)) == (gone, unsure, new)
    assert [p.old.title for p in result.pairs] == [t for t in ("С0", "С1", "С3") if t in before]


def test_match_repeated_headwords_by_occurrence() -> None:
    old = [
        old_row(0, "АҚСУ", BODIES[0], occurrence=1, title="Ақсу (өзен)"),
        old_row(1, "АҚСУ", BODIES[1], occurrence=2, title="Ақсу (ауыл)"),
    ]
    pages = [
        Page("Ақсу (өзен)", f"'''Ақсу''' — {BODIES[0]} Түз.", SourcePos("v.docx", 5, 6), headword="АҚСУ"),
        Page("Ақсу (ауыл)", f"'''Ақсу''' — {BODIES[1]} Түз.", SourcePos("v.docx", 9, 9), headword="Ақсу"),
    ]  # fmt: skip
    fresh = fresh_articles(pages)
    assert [f.occurrence for f in fresh] == [1, 2]
    assert pairs_of(old, fresh) == [
        ("Ақсу (өзен)", "Ақсу (өзен)", "headword"),
        ("Ақсу (ауыл)", "Ақсу (ауыл)", "headword"),
    ]


def test_match_rows_from_before_headwords_by_title() -> None:
    old = [old_row(i, "", b, title=f"Бет {i}") for i, b in enumerate(BODIES[:3])]
    new = [
        Fresh(i, f"v.docx:{i}", f"Бет {i}", f"БЕТ {i}", 1, o.text, o.sha1, "")
        for i, o in enumerate(old)
    ]
    assert [h for _, _, h in pairs_of(old, new)] == ["title"] * 3


def test_similarity_ignores_the_shared_boilerplate() -> None:
    ref = "<ref>{{Cite book |title=Энциклопедия}}</ref>\n\n== Дереккөздер ==\n<references />"
    a = f"{BODIES[0]}{ref}\n[[Санат:Б]]"
    b = f"{BODIES[1]}{ref}\n[[Санат:Б]]"
    assert similarity(a, b) < 0.3 < 0.8 < similarity(a, a.replace("сол", "оң"))


BOT = "KazBot"
OLD = old_row(1, "СӨЗ", BODIES[0])


def info(title: str, user: str = BOT, sha1: str = OLD.sha1, exists: bool = True) -> PageInfo:
    if not exists:
        return PageInfo(title, False)
    return PageInfo(title, True, 7, user, sha1, 10)


def fresh(title: str = OLD.title, text: str = OLD.text) -> Fresh:
    return Fresh(0, "v.docx:9", title, "СӨЗ", 1, text, text_sha1(text), "")


@pytest.mark.parametrize(
    ("new", "at_old", "at_new", "step"),
    [
        (fresh(), info(OLD.title), None, Step.NONE),
        (fresh(text="жаңа"), info(OLD.title), None, Step.EDIT),
        (fresh(text="жаңа"), info(OLD.title, user="Адам", sha1="x"), None, Step.HUMAN),
        (fresh(text="жаңа"), info(OLD.title, sha1="x"), None, Step.HUMAN),  # bot, other text
        (fresh(), info(OLD.title, user="Адам", sha1="x"), None, Step.NONE),  # nothing new
        (fresh("Сөздер"), info(OLD.title), info("Сөздер", exists=False), Step.MOVE),
        (fresh("Сөздер", "жаңа"), info(OLD.title), info("Сөздер", exists=False), Step.MOVE_EDIT),
        (fresh("Сөздер"), info(OLD.title), info("Сөздер", user="Адам"), Step.TAKEN),
        (fresh("Сөздер"), info(OLD.title, user="Адам"), info("Сөздер", exists=False), Step.HUMAN),
        (fresh("Сөздер"), info(OLD.title), PageInfo("Сөздер", False, invalid="bad"), Step.BLOCKED),
        (fresh("Сөздер"), info(OLD.title), PageInfo("Сөздер", False, create_protection="sysop"), Step.BLOCKED),
        (fresh(text="жаңа"), info(OLD.title, exists=False), None, Step.MISSING),
        (fresh(text="жаңа"), info(OLD.title, sha1=text_sha1("жаңа")), None, Step.NONE),  # done
    ],
)  # fmt: skip
def test_decide_update_rules(
    new: Fresh, at_old: PageInfo, at_new: PageInfo | None, step: Step
) -> None:
    assert decide_update(OLD, new, at_old, at_new, BOT)[0] is step


def _register(ledger: Ledger, n: int) -> list[Page]:
    pages = [
        Page(f"Бет {i}", f"мәтін {i}", SourcePos("v.docx", i, i), headword=f"БЕТ {i}")
        for i in range(n)
    ]
    ledger.register(pages, "v")
    for item in ledger.items("v"):
        ledger.mark(item.id, State.PUBLISHED, revid=10 + item.id)
    return pages


def test_ledger_update_rows_bring_the_item_up_to_date(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        _register(ledger, 2)
        row = ledger.published_articles("v")[0]
        uid = ledger.begin_update(
            row.id, kind="edit", old_title=row.title, new_title=row.title, old_sha1=row.sha1,
            new_sha1=text_sha1("жаңа"), base_revid=row.revid, text="жаңа",
        )  # fmt: skip
        assert [u.state for u in ledger.updates("v")] == [UpdateState.IN_FLIGHT]
        ident = Identity("v.docx:0", "БЕТ 0", 1, "abc", text_sha1("жаңа"))
        ledger.finish_update(uid, UpdateState.DONE, revid=99, identity=ident)
        now = ledger.published_articles("v")[0]
        assert (now.sha1, now.revid, now.text, now.source_sha1) == (
            text_sha1("жаңа"),
            99,
            "жаңа",
            "abc",
        )
        move = ledger.begin_update(
            row.id, kind="move", old_title=row.title, new_title="Бет нөл", old_sha1=now.sha1,
            new_sha1=now.sha1, base_revid=99,
        )  # fmt: skip
        ledger.finish_update(move, UpdateState.DONE)
        assert ledger.published_articles("v")[0].title == "Бет нөл"
        assert ledger.update_counts() == {"v": {"edit": 1, "move": 1}}


def test_ledger_rekey_swaps_positions_and_retires_a_row_in_the_way(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        _register(ledger, 3)
        a, b, c = ledger.published_articles("v")
        ledger.rekey("v", {a.id: b.pos, b.id: a.pos, c.id: "v.docx:7"})
        ledger.rekey("v", {a.id: c.pos})  # c left it already: nobody is in the way
        pos = {i.title: i.pos for i in ledger.items("v")}
        assert pos == {"Бет 0": "v.docx:2", "Бет 1": "v.docx:0", "Бет 2": "v.docx:7"}
        ledger.rekey("v", {b.id: "v.docx:7"})
        pos = {i.title: i.pos for i in ledger.items("v")}
        assert pos["Бет 1"] == "v.docx:7" and pos["Бет 2"] == f"v.docx:7~{c.id}"


def test_ledger_identity_kept_for_published_rows_only_when_unknown(tmp_path: Path) -> None:
    with Ledger.open(tmp_path / "l.sqlite3") as ledger:
        pages = _register(ledger, 1)
        (ident,) = [f.identity for f in fresh_articles(pages)]
        ledger.record_identity("v", [ident])
        other = Identity(ident.pos, "БАСҚА", 1, "", ident.sha1)
        ledger.record_identity("v", [other])
        assert ledger.published_articles("v")[0].headword == "БЕТ 0"


def test_update_report_shows_the_person_and_the_bot_side_by_side(tmp_path: Path) -> None:
    new = fresh(text=OLD.text + "\nТүзету.")
    human = Planned(
        Step.HUMAN, OLD.title, OLD.title, "edited by Адам", OLD, new,
        info(OLD.title, user="Адам", sha1="x"), OLD.text + "\nАдамның жолы.",
    )  # fmt: skip
    path = write_update_report("v", [human], {"edited": 0}, tmp_path)
    text = path.read_text("utf-8")
    assert f"## {Step.HUMAN} (1)" in text
    assert "-Адамның жолы." in text and "+Түзету." in text
    assert "revision 7 by Адам" in text


def test_update_summary_says_what_and_why_with_the_licence(tmp_path: Path) -> None:
    config = load_config(None)
    summary = update_summaries(config, "2")
    moved = summary(Change("Жаңа", "Ескі", "v.docx:3", False, "", "headword"))
    edited = summary(Change("Жаңа", "", "v.docx:3", True, "source", ""))
    assert "«Ескі»" in moved and "тақырып сөзі түзетілді" in moved
    assert "томның түзетілген мәтіні" in edited and "«Ескі»" not in edited
    assert config.citation.licence in moved and config.citation.licence in edited
    assert "\n" not in moved + edited


def test_cli_update_errors_are_one_line(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[run]\nledger = "state/l.sqlite3"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["update", "nosuch", "--dry-run", "--config", str(config)])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "upload: error: volume nosuch is not configured (known: sample); add it under [volumes]"
    ]
