"""Knowing the wiki before writing to it, against the REAL local MediaWiki (tests/wiki).

A person has already written, by hand, pages for some of the volume's subjects under other
names (surname first; given name, patronymic and surname with a redirect from the bot's
title; without the epithet; under the bot's title with the text flattened) and a page about
another subject under a newspaper's bare name. The run must create none of the four, no
redirect to them, the newspaper under its qualified title, every other article exactly once,
and a reconcile report naming each existing page.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests import docxgen as g
from tests.test_integration_publish import UNLIMITED, write_config
from tests.wiki.server import LocalWiki
from uploader.commands import upload_volume
from uploader.config import Config, load_config
from uploader.model import Page
from uploader.pipeline import iter_pages
from uploader.publish.reconcile import read_reconcile
from uploader.publish.runner import DryRun, Outcome
from uploader.report import Report

pytestmark = pytest.mark.wiki
HUMAN = "Тарихшы"

LIFE = "(12.3.1921, Қарқаралы – 4.5.1990, Алматы)"
WRITER = (
    "– жазушы, аудармашы, Қазақстанның халық жазушысы. Қарқаралы педагогикалық техникумын "
    "бітірген. Аудандық газетте тілші, облыстық газетте бөлім меңгерушісі болып істеді. "
    "Алғашқы өлеңдер жинағы 1946 жылы жарық көрді. Романдары мен повестері орыс, украин, "
    "неміс тілдеріне аударылған."
)
SCHOLAR = (
    "– ғалым, тарих ғылымдарының докторы, профессор. Алматыдағы университеттің тарих "
    "факультетін бітірген. Қазақ хандығының саяси тарихы, көшпелілердің шаруашылығы мен "
    "мәдениеті жөнінде ондаған еңбектің авторы. Республикалық ғылыми кеңестің мүшесі болды."
)
HERO = (
    "(1702–1778) – қолбасшы, батыр. Жоңғар шапқыншылығына қарсы күрестің басында тұрған "
    "батырлардың бірі. Ұлы жүздің жасақтарын бастап, Іле бойындағы шайқастарда ерлік "
    "көрсетті. Ел аузында ол туралы көптеген аңыз бен жыр сақталған."
)
RIVER = [
    "Қазақстандағы өзен, Іле өзенінің сол саласы. Ұзындығы 120 км, су жинау алабы 2100 км",
    g.sup("2"),
    ". Жоңғар Алатауының оңтүстік беткейінен басталады. Орташа жылдық су шығыны 3,2 м",
    g.sup("3"),
    "/с. Суы суармалы егіншілікке пайдаланылады. Жағасында бірнеше ауыл орналасқан.",
]
PAPER = (
    "республикалық апталық газет. 1934 жылдан Алматыда шығады. Қазақстан Жазушылар одағының "
    "басылымы. Газетте әдеби шығармалар, сын мақалалар мен әдеби өмір шежіресі жарияланады. "
    "Таралымы 10 мың дана."
)


def volume(path: Path) -> Path:
    """The generated volume: three persons and a place the wiki already has (under other
    names), a «quoted» newspaper, and ordinary articles."""
    # In alphabetical order, by letter group, as a volume is (order is a segmentation signal).
    entries = [
        g.divider("Ж"),
        g.article(
            "ЖАҢАБАЕВ Сапар Омарұлы",
            "(1.2.1940, Ақсу – 3.4.2010, Алматы) – ақын. Бірнеше өлеңдер жинағының авторы.",
            dash=" ",
            title="Сапар Жаңабаев",
            kind="person",
        ),
        g.article("ЖЕЛДІҚАРА", RIVER, title="Желдіқара", kind="place"),
        g.divider("Қ"),
        g.article(
            "ҚАРАТОҒАЙОВ Ерсайын Бекмұратұлы",
            f"{LIFE} {WRITER}",
            dash=" ",
            title="Ерсайын Қаратоғайов",
            kind="person",
            more=[g.literature("Әдебиет тарихы. А., 1990.")],
        ),
        g.article(
            "ҚЫЗЫЛҚАЙЫҢ",
            "Қазақстандағы тау. Биіктігі 1800 м. Беткейлерінде қайың өседі.",
            title="Қызылқайың",
            kind="place",
        ),
        g.divider("С"),
        g.article(
            "СЕРІКБАЕВ Нұрлыбек Жанәбілұлы",
            f"(5.6.1930, Шымкент – 7.8.2001, Алматы) {SCHOLAR}",
            dash=" ",
            title="Нұрлыбек Серікбаев",
            kind="person",
        ),
        g.divider("Т"),
        g.article("«ТАҢҒЫ ШОЛПАН»", PAPER, title="Таңғы шолпан"),
        g.article(
            "ТАСБҰЛАҚ",
            "Қазақстандағы бұлақ. Суы тұщы, мал суаруға пайдаланылады.",
            title="Тасбұлақ",
            kind="place",
        ),
        g.article(
            "ТОҒЫЗБАЙ батыр Сәтбекұлы", HERO, dash=" ", title="Тоғызбай батыр", kind="person"
        ),
    ]
    g.write_docx(g.Volume(entries), path)
    return path


@dataclass
class Scene:
    """The rendered pages by headword, and the pages a person wrote before the run."""

    pages: dict[str, Page]
    human: dict[str, list[dict[str, object]]]  # title -> revisions before the run


def flattened(page: Page) -> str:
    """The article's text as a person typed it from the book: formatting lost (км2)."""
    lines = page.source_text.split("\n")
    head, rest = lines[0].split(" ", 1) if " " in lines[0] else (lines[0], "")
    return f"'''{head.capitalize()}''' {rest}\n\n[[Санат:Қолмен жазылған]]"


def scene(wiki: LocalWiki, config: Config) -> Scene:
    """Write the person's pages on the wiki (as a human account) before any run."""
    pages = {
        p.headword: p for p in iter_pages(config.volume_path("g"), config, Report(), volume="g")
    }
    writer = pages["ҚАРАТОҒАЙОВ Ерсайын Бекмұратұлы"]
    scholar = pages["СЕРІКБАЕВ Нұрлыбек Жанәбілұлы"]
    hero = pages["ТОҒЫЗБАЙ батыр Сәтбекұлы"]
    river = pages["ЖЕЛДІҚАРА"]
    assert "км<sup>2</sup>" in river.wikitext and "км2" in flattened(river)
    scholar_text = flattened(scholar).replace("ондаған", "көптеген").replace("болды", "еді")
    made = {
        "Қаратоғайов Ерсайын": flattened(writer),  # surname first
        "Нұрлыбек Жанәбілұлы Серікбаев": scholar_text,  # given name, patronymic, surname
        "Тоғызбай Сәтбекұлы": flattened(hero),  # without the epithet
        river.title: flattened(river),  # the bot's very title, flattened text
        "Таңғы шолпан": (  # another subject under the newspaper's bare name, one line
            "'''Таңғы шолпан''' — ақынның 1925 жылы жазған лирикалық өлеңі, оқулыққа енген."
        ),
    }
    for title, text in made.items():
        wiki.create_user_page(HUMAN, title, text)
    wiki.create_user_page(HUMAN, scholar.title, "#REDIRECT [[Нұрлыбек Жанәбілұлы Серікбаев]]")
    made[scholar.title] = ""
    return Scene(pages, {t: wiki.revisions(t) for t in made})


def test_integration_reconcile_never_duplicates_a_subject_the_wiki_has(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    wiki.set_faults(ratelimit=UNLIMITED)
    config = load_config(write_config(tmp_path, wiki, volume(tmp_path / "rec.docx")))
    sc = scene(wiki, config)
    existing = [
        sc.pages[h]
        for h in (
            "ҚАРАТОҒАЙОВ Ерсайын Бекмұратұлы",
            "СЕРІКБАЕВ Нұрлыбек Жанәбілұлы",
            "ТОҒЫЗБАЙ батыр Сәтбекұлы",
            "ЖЕЛДІҚАРА",
        )
    ]
    paper = sc.pages["«ТАҢҒЫ ШОЛПАН»"]
    assert paper.fallback_title == "Таңғы шолпан (газет)"
    others = [p for p in sc.pages.values() if p not in existing and p is not paper]
    before = {c["revid"] for c in wiki.recent_changes()}

    dry = upload_volume(config, "g", dry_run_only=True, progress=False)
    assert isinstance(dry, DryRun)
    assert {c["revid"] for c in wiki.recent_changes()} == before  # the dry run edits nothing
    assert sorted(dry.same) == sorted(p.title for p in existing)
    assert dry.qualified == [paper.fallback_title] and not dry.unsure

    out = upload_volume(config, "g", progress=False)
    assert isinstance(out, Outcome)
    assert (out.same, out.unsure, out.qualified) == (4, 0, 1)
    assert out.created == len(dry.new)  # the dry run counted what the run did

    for page in existing:  # no page for an existing subject, no redirect to it
        for title in (page.title, *page.redirects):
            bot = [r for r in wiki.revisions(title) if r["user"] == "KazBot"]
            assert not bot, title
    assert [r["user"] for r in wiki.revisions(paper.fallback_title)] == ["KazBot"]
    assert {t: wiki.revisions(t) for t in sc.human} == sc.human  # no human page touched
    for page in others:
        for title in (page.title, *page.redirects):
            assert [r["user"] for r in wiki.revisions(title)] == ["KazBot"], title

    mark = {c["revid"] for c in wiki.recent_changes()}
    wiki.reset_request_count()
    again = upload_volume(config, "g", progress=False)
    assert isinstance(again, Outcome) and again.created == 0
    assert wiki.request_count() == 0  # what was learnt is in the ledger: nothing to ask
    assert {c["revid"] for c in wiki.recent_changes()} == mark  # a rerun makes no edit

    assert out.reconcile_report is not None
    assert out.reconcile_report.is_relative_to(config.run.ledger.parent)
    rows = {r["existing_page"]: r for r in read_reconcile(out.reconcile_report)}
    named = {
        "Қаратоғайов Ерсайын",
        "Нұрлыбек Жанәбілұлы Серікбаев",
        "Тоғызбай Сәтбекұлы",
        existing[3].title,
        "Таңғы шолпан",
    }
    assert set(rows) == named
    assert {r["creator"] for r in rows.values()} == {HUMAN}
    assert rows["Таңғы шолпан"]["created_as"] == paper.fallback_title
    assert rows["Нұрлыбек Жанәбілұлы Серікбаев"]["via"] == f"redirect [[{existing[1].title}]]"
    assert "superscripts 2 (wiki 0): км2" in rows[existing[3].title]["adds"]
    assert "section «Әдебиет»" in rows["Қаратоғайов Ерсайын"]["adds"]
    html = out.reconcile_report.with_name("reconcile.html").read_text("utf-8")
    assert all(name in html for name in named)


def test_integration_reconcile_dry_run_flags_unsure_for_review(
    wiki: LocalWiki, tmp_path: Path
) -> None:
    wiki.set_faults(ratelimit=UNLIMITED)
    path = tmp_path / "unsure.docx"
    g.write_docx(
        g.Volume(
            [
                g.article(
                    "БОЗШАҚЫЛ",
                    "Қазақстандағы тау. Биіктігі 2400 м. Беткейлерінде арша өседі, "
                    "етегінде жайлау бар. Шыңында мәңгі қар жатады.",
                    title="Бозшақыл",
                    kind="place",
                )
            ]
        ),
        path,
    )
    config = load_config(write_config(tmp_path, wiki, path))
    wiki.create_user_page(HUMAN, "Бозшақыл", "Бозшақыл — тау.")  # too short to judge
    dry = upload_volume(config, "g", dry_run_only=True, progress=False)
    assert isinstance(dry, DryRun) and dry.unsure == ["Бозшақыл"] and not dry.new
    out = upload_volume(config, "g", progress=False)
    assert isinstance(out, Outcome) and (out.created, out.unsure) == (0, 1)
    assert [r["user"] for r in wiki.revisions("Бозшақыл")] == [HUMAN]
    preview = (config.run.preview_dir / "g" / "report.html").read_text("utf-8")
    assert 'id="reconcile"' in preview and "Бозшақыл" in preview
