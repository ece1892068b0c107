"""Knowing the wiki before writing: similarity, the subject verdict (decide.classify), and
the publisher and dry run acting on it, against the in-memory api.php (tests/fakewiki.py).
The same behaviour on the real MediaWiki: tests/test_integration_reconcile.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tests.fakewiki import FakeApi, run_settings
from tests.renderkit import default_context, with_redirect_texts
from uploader.config import RunConfig, load_config
from uploader.errors import RunStopped
from uploader.model import Page, SourcePos
from uploader.publish.decide import Limits, Match, Subject, classify
from uploader.publish.ledger import Ledger, State
from uploader.publish.reconcile import read_reconcile
from uploader.publish.runner import dry_run, publish, resume
from uploader.publish.similarity import additions, features, plain_of_wikitext, similarity
from uploader.publish.wiki import WikiClient
from uploader.render.article import render_redirect
from uploader.report import Report, Review

LIMITS = Limits(same=0.5, other=0.15, min_words=20)
WRITER = (
    "ҚАРАТОҒАЙОВ Ерсайын Бекмұратұлы (12.3.1921, Қарқаралы – 4.5.1990, Алматы) – жазушы, "
    "аудармашы, Қазақстанның халық жазушысы. Қарқаралы педагогикалық техникумын бітірген. "
    "Аудандық газетте тілші, облыстық газетте бөлім меңгерушісі болып істеді. Алғашқы "
    "өлеңдер жинағы 1946 жылы жарық көрді. Романдары орыс, неміс тілдеріне аударылған."
)
RIVER = (
    "ЖЕЛДІҚАРА – Қазақстандағы өзен, Іле өзенінің сол саласы. Ұзындығы 120 км, су жинау "
    "алабы 2100 км2. Жоңғар Алатауының оңтүстік беткейінен басталады. Орташа жылдық су "
    "шығыны 3,2 м3/с. Суы суармалы егіншілікке пайдаланылады. Жағасында ауылдар бар."
)
POEM = (
    "'''Таңғы шолпан''' — ақынның 1925 жылы жазған лирикалық өлеңі. Өлеңде таң атқандағы "
    "дала көрінісі, жастықтың үміті мен махаббат сезімі суреттеледі. Шығарма мектеп "
    "оқулықтарына енген, оған бірнеше композитор ән жазған."
)
PAPER = (
    "«ТАҢҒЫ ШОЛПАН» – республикалық апталық газет. 1934 жылдан Алматыда шығады. Жазушылар "
    "одағының басылымы. Газетте әдеби шығармалар, сын мақалалар мен әдеби өмір шежіресі "
    "жарияланады. Таралымы 10 мың дана."
)


def m(name: str, sim: float, page: str = "", words: int = 50) -> Match:
    return Match(name, page or name, sim, words, "Адам")


@pytest.mark.parametrize(
    ("matches", "free", "subject", "where"),
    [
        ([], True, Subject.NEW, "Бет"),
        ([m("Бет", 0.9)], True, Subject.SAME, ""),
        ([m("Бет аты", 0.8, "Бет Аты Толық")], True, Subject.SAME, ""),  # via a redirect
        ([m("Бет", 0.05)], True, Subject.TAKEN, "Бет (газет)"),
        ([m("Бет", 0.05)], False, Subject.OTHER, ""),  # the qualified title is taken too
        ([m("Бет", 0.3)], True, Subject.UNSURE, ""),  # between the thresholds
        ([m("Бет", 0.9, words=5)], True, Subject.UNSURE, ""),  # too short to judge
        ([m("Бет", 0.9), m("Бет аты", 0.7)], True, Subject.UNSURE, ""),  # two pages
        ([m("Бет", 0.9), m("Бет аты", 0.7, "Бет")], True, Subject.SAME, ""),  # one page
        ([m("«Бет»", 0.02)], True, Subject.NEW, "Бет"),  # another subject, elsewhere
        ([m("Бет", 0.9), m("«Бет»", 0.01)], True, Subject.SAME, ""),
    ],
)
def test_classify_sorts_subjects(
    matches: list[Match], free: bool, subject: Subject, where: str
) -> None:
    verdict = classify("Бет", "Бет (газет)", matches, LIMITS, fallback_free=free)
    assert (verdict.subject, verdict.title) == (subject, where)


def test_classify_without_qualified_title_leaves_a_taken_title_alone() -> None:
    verdict = classify("Бет", "", [m("Бет", 0.0)], LIMITS, fallback_free=False)
    assert verdict.subject is Subject.OTHER and "no qualified title" in verdict.note


def test_similarity_sees_a_flattened_copy_as_the_same_and_another_subject_as_not() -> None:
    ours = RIVER.replace("км2", "км²").replace("м3/с", "м³/с")
    wiki = "'''Желдіқара''' — " + RIVER.split(" – ", 1)[1] + "\n\n[[Санат:Өзендер]]"
    assert similarity(ours, plain_of_wikitext(wiki)) >= 0.9
    assert similarity(PAPER, plain_of_wikitext(POEM)) <= 0.05
    stub = "'''Желдіқара''' — Қазақстандағы өзен, Іле өзенінің сол саласы."
    assert similarity(ours, plain_of_wikitext(stub)) == 1.0  # a stub of the first sentence


@pytest.mark.parametrize(
    ("theirs", "low", "high"),
    [
        ("'''Желдіқара''' — Іле өзенінің саласы, Қазақстанда ағады, ұзын өзен.", 0.5, 1.0),
        ("'''Желдіқара''' — Алматы облысындағы ауыл, 1930 жылы құрылған, мектебі бар.", 0.0, 0.15),
    ],
)
def test_similarity_of_a_short_page_leaves_the_name_out(
    theirs: str, low: float, high: float
) -> None:
    ours = RIVER.replace("км2", "км²")
    assert low <= similarity(ours, plain_of_wikitext(theirs), ["Желдіқара"]) <= high


def test_additions_name_what_the_wiki_copy_lost() -> None:
    ours = features(
        "Алабы 2100 км<sup>2</sup>, H<sub>2</sub>O.\n{|\n|а\n|}\n== Әдебиет ==\n"
        "== Дереккөздер ==\n{{Cite book|title=x}}"
    )
    theirs = features("Алабы 2100 км2, H2O.\n== Дереккөздер ==")
    adds = additions(ours, theirs, "Алабы 2100 км2, H2O.")
    assert adds == [
        "superscripts 1 (wiki 0): км2 flattened on the wiki",
        "subscripts 1 (wiki 0): H2 flattened on the wiki",
        "tables 1 (wiki 0)",
        "section «Әдебиет»",
        "{{Cite book}}",
    ]


# --- the publisher and the dry run -------------------------------------------------------


def page(
    title: str,
    text: str,
    n: int,
    *,
    names: tuple[str, ...] = (),
    redirects: tuple[str, ...] = (),
    fallback: str = "",
) -> Page:
    body = text.split(" – ", 1)[-1]
    ctx = default_context()
    made = Page(
        title=title,
        wikitext=f"'''{title}''' — {body}\n\n== Дереккөздер ==\n<references />",
        source=SourcePos("v.docx", 10 * n, 10 * n + 3),
        redirects=redirects,
        summary=f"test {n}",
        candidates=(title, *names, *redirects, *((fallback,) if fallback else ())),
        fallback_title=fallback,
        fallback_redirect_text=render_redirect(fallback, ctx) if fallback else "",
        source_text=text,
    )
    return with_redirect_texts(made)


def human(text: str) -> str:
    """A hand-made copy: the text, flattened, with wiki markup a person adds."""
    head, body = text.split(" – ", 1) if " – " in text else (text, "")
    return f"'''{head.title()}''' — {body}\n[[Санат:Қолмен]]"


@pytest.fixture
def settings(tmp_path: Path) -> RunConfig:
    return run_settings(tmp_path)


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def client(api: FakeApi) -> WikiClient:
    return WikiClient(api, "KazBot@upload", max_retries=1, retry_wait=0.0, sleep=lambda s: None)


@pytest.fixture
def ledger(settings: RunConfig) -> Ledger:
    return Ledger.open(settings.ledger)


def volume() -> list[Page]:
    """A writer known on the wiki surname first, a newspaper whose bare name is a poem's
    page, a river the wiki has as a redirect to a flattened copy, and a new article."""
    return [
        page(
            "Ерсайын Қаратоғайов",
            WRITER,
            0,
            names=("Қаратоғайов Ерсайын", "Ерсайын Бекмұратұлы Қаратоғайов"),
            redirects=("Қаратоғайов Ерсайын Бекмұратұлы",),
        ),
        page(
            "Таңғы шолпан",
            PAPER,
            1,
            names=("«Таңғы шолпан»",),
            redirects=("Таңғы шолпан газеті",),
            fallback="Таңғы шолпан (газет)",
        ),
        page("Желдіқара", RIVER.replace("км2", "км²"), 2),
        page("Жаңа бет", "ЖАҢА БЕТ – мүлде жаңа мақала, уикиде жоқ.", 3),
    ]


def wiki_before(api: FakeApi) -> None:
    api.put("Қаратоғайов Ерсайын", human(WRITER), "Адам")
    api.put("Таңғы шолпан", POEM, "Адам")
    api.put("Желдіқара өзені", human(RIVER), "Адам")
    api.put("Желдіқара", "#REDIRECT [[Желдіқара өзені]]", "Адам")


def test_publish_creates_no_second_page_and_qualifies_a_taken_title(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    wiki_before(api)
    human_pages = {t: list(revs) for t, revs in api.pages.items()}
    out = publish(volume(), ledger, client, settings, volume="7")
    assert (out.created, out.same, out.qualified, out.unsure) == (3, 2, 1, 0)
    made = sorted(t for t, _ in api.edits_by("KazBot"))
    assert made == ["Жаңа бет", "Таңғы шолпан (газет)", "Таңғы шолпан газеті"]
    assert api.pages["Таңғы шолпан газеті"][0].text == "#АЙДАУ [[Таңғы шолпан (газет)]]"
    assert {t: api.pages[t] for t in human_pages} == human_pages
    rows = {i.title: i for i in ledger.items()}
    assert rows["Ерсайын Қаратоғайов"].state is State.EXISTS
    assert rows["Қаратоғайов Ерсайын Бекмұратұлы"].state is State.SKIPPED  # never to a duplicate
    assert "redirect [[Желдіқара]]" in rows["Желдіқара"].reason
    report = read_reconcile(settings.ledger.parent / "reconcile" / "7" / "reconcile.tsv")
    by_page = {r["existing_page"]: r for r in report}
    assert set(by_page) == {"Қаратоғайов Ерсайын", "Таңғы шолпан", "Желдіқара өзені"}
    assert by_page["Таңғы шолпан"]["created_as"] == "Таңғы шолпан (газет)"
    assert by_page["Қаратоғайов Ерсайын"]["creator"] == "Адам"
    assert float(by_page["Желдіқара өзені"]["similarity"]) >= 0.9

    before = api.requests
    again = publish(volume(), ledger, client, settings, volume="7")
    assert again.created == 0 and api.requests == before  # a rerun asks nothing


def test_dry_run_reports_the_classes_the_run_acts_on(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig, tmp_path: Path
) -> None:
    wiki_before(api)
    api.put("Бос бет", "Бос — бет.", "Адам")
    pages = [*volume(), page("Бос бет", "БОС БЕТ – қысқа бет туралы мақала, мәтіні бар.", 4)]
    report = Report()
    dry = dry_run(pages, ledger, client, settings, volume="7", report=report)
    assert not api.edits_by("KazBot") and ledger.items() == []
    assert sorted(dry.same) == ["Ерсайын Қаратоғайов", "Желдіқара"]
    assert dry.qualified == ["Таңғы шолпан (газет)"] and dry.unsure == ["Бос бет"]
    assert dry.skipped == ["Қаратоғайов Ерсайын Бекмұратұлы"]
    assert [(r.kind, r.headword) for r in report.review] == [(Review.EXISTING, "Бос бет")]
    assert {r["title"] for r in report.reconcile} == {*dry.same, "Таңғы шолпан", "Бос бет"}

    out = publish(pages, ledger, client, settings, volume="7")
    assert out.created == len(dry.new) and sorted(t for t, _ in api.edits_by("KazBot")) == sorted(
        dry.new
    )
    assert (out.same, out.unsure, out.qualified) == (2, 1, 1)


def test_publish_resumes_a_kill_between_retitle_and_edit_exactly_once(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    wiki_before(api)
    pages = volume()[1:2]
    ledger.register(pages, "7")
    article = next(i for i in ledger.items() if not i.redirect)
    ledger.retitle(article, "Таңғы шолпан (газет)")  # committed, then the process died
    ledger.end_run(ledger.start_run("7", {}), "killed")
    resume(ledger, client, settings)
    assert [len(api.pages[t]) for t in ("Таңғы шолпан (газет)", "Таңғы шолпан газеті")] == [1, 1]

    # killed again after the edit was sent, before its answer was recorded
    api2 = FakeApi()
    wiki_before(api2)
    client2 = WikiClient(api2, "KazBot@upload", max_retries=1, retry_wait=0.0, sleep=lambda s: 0)
    other = Ledger.open(settings.ledger.with_name("second.sqlite3"))
    other.register(pages, "7")
    article = next(i for i in other.items() if not i.redirect)
    other.retitle(article, "Таңғы шолпан (газет)")
    other.mark(article.id, State.IN_FLIGHT)
    api2.put("Таңғы шолпан (газет)", other.text_of(article.id), "KazBot")
    other.end_run(other.start_run("7", {}), "killed")
    resume(other, client2, settings)
    assert len(api2.pages["Таңғы шолпан (газет)"]) == 1
    assert {i.title: i.state for i in other.items()}["Таңғы шолпан (газет)"] is State.PUBLISHED


def test_resumed_run_reads_no_page_text_twice(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    wiki_before(api)
    pages = [*volume(), *(page(f"Тағы {i}", f"ТАҒЫ {i} – жаңа мақала.", 10 + i) for i in range(3))]
    with pytest.raises(RunStopped):
        publish(
            pages,
            ledger,
            client,
            dataclasses.replace(settings, batch_size=3, max_edits=1),
            volume="7",
        )
    reads = [e for e in api.log if "content" in e.get("rvprop", "")]
    assert reads
    resume(ledger, client, dataclasses.replace(settings, batch_size=3))
    again = [e for e in api.log if "content" in e.get("rvprop", "")]
    assert again == reads  # the pages read before are in the ledger


def test_publish_requests_per_saved_page_with_names_looked_up(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    pages = [
        page(
            f"Мақала {i}",
            f"МАҚАЛА {i} – сынақ мәтіні.",
            i,
            names=(f"Мақала {i} аты", f"«Мақала {i}»", f"Аты Мақала {i}"),
            redirects=(f"Айдау {i}",) if i % 3 == 0 else (),
            fallback=f"Мақала {i} (газет)",
        )
        for i in range(120)
    ]
    out = publish(pages, ledger, client, settings, volume="7")
    assert out.created == 160
    titles_asked = [
        len(e["titles"].split("|")) for e in api.log if e.get("prop", "").startswith("info")
    ]
    assert max(titles_asked) <= 50
    assert api.requests / out.created <= 1.5


def test_wiki_page_infos_follow_redirects_and_texts_come_fifty_a_request(
    api: FakeApi, client: WikiClient
) -> None:
    api.put("Нысана", "мәтін", "Адам")
    api.put("Айдау", "#REDIRECT [[Нысана]]", "Адам")
    api.put("Бос айдау", "#REDIRECT [[Жоқ нысана]]", "Адам")
    infos = client.page_infos(["Айдау", "Бос айдау", "Нысана", "Жоқ"])
    assert infos["Айдау"].exists and infos["Айдау"].redirect_to == "Нысана"
    assert infos["Айдау"].page is not None and infos["Айдау"].page.user == "Адам"
    assert infos["Бос айдау"].exists and infos["Бос айдау"].page is None
    assert infos["Нысана"].page == infos["Нысана"] and infos["Жоқ"].page is None
    for i in range(60):
        api.put(f"Бет {i}", f"мәтін {i}", "Адам")
    before = api.requests
    texts = client.page_texts(f"Бет {i}" for i in range(60))
    assert api.requests - before == 2 and texts["Бет 7"][1] == "мәтін 7"


def test_rerun_after_stop_keeps_redirects_pointing_to_the_qualified_title(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    wiki_before(api)
    pages = volume()[1:2]
    with pytest.raises(RunStopped):
        publish(pages, ledger, client, dataclasses.replace(settings, max_edits=1), volume="7")
    assert [t for t, _ in api.edits_by("KazBot")] == ["Таңғы шолпан (газет)"]
    publish(pages, ledger, client, settings, volume="7")  # registers the pages again
    assert api.pages["Таңғы шолпан газеті"][0].text == "#АЙДАУ [[Таңғы шолпан (газет)]]"
    assert [r.user for r in api.pages["Таңғы шолпан"]] == ["Адам"]


# --- candidate names: parse (qualifier, names without the epithet) and render -------------


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (("Райымбек батыр", "Райымбек батыр Түкеұлы"), ("Райымбек Түкеұлы",)),
        (("Абылай хан",), ()),  # the bare given name alone is no candidate
        (("Мұхтар Әуезов", "Әуезов Мұхтар Омарханұлы"), ()),
        (("Төле Би Әлібекұлы",), ("Төле Әлібекұлы",)),
    ],
)
def test_without_epithet_drops_the_epithet(
    names: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    from uploader.parse.naming import without_epithet

    assert without_epithet(names, load_config().naming) == expected


def test_render_gives_each_page_its_candidate_names_and_qualified_title(tmp_path: Path) -> None:
    from tests import docxgen as g
    from uploader.pipeline import iter_pages

    path = tmp_path / "names.docx"
    g.write_docx(
        g.Volume(
            [
                g.article(
                    "ЕСЕНБЕРЛИН Ілияс Жақанұлы",
                    "(10.1.1915, Атбасар – 5.6.1983, Алматы) – жазушы.",
                    dash=" ",
                    title="Ілияс Есенберлин",
                    kind="person",
                ),
                g.article(
                    "РАЙЫМБЕК батыр Түкеұлы",
                    "(1705–1785) – қолбасшы.",
                    dash=" ",
                    title="Райымбек батыр",
                    kind="person",
                ),
                g.article(
                    "«ҚАЗАҚ ӘДЕБИЕТІ»", "республикалық апталық газет.", title="Қазақ әдебиеті"
                ),
            ]
        ),
        path,
    )
    pages = {p.headword: p for p in iter_pages(path, load_config(), Report(), volume="x")}
    person = pages["ЕСЕНБЕРЛИН Ілияс Жақанұлы"]
    assert person.candidates[0] == person.title == "Ілияс Есенберлин"
    assert {"Есенберлин Ілияс", "Ілияс Жақанұлы Есенберлин", "Есенберлин Ілияс Жақанұлы"} <= set(
        person.candidates
    )
    assert person.fallback_title == "Ілияс Есенберлин (жазушы)"
    assert "Райымбек Түкеұлы" in pages["РАЙЫМБЕК батыр Түкеұлы"].candidates
    paper = pages["«ҚАЗАҚ ӘДЕБИЕТІ»"]
    assert paper.fallback_title == "Қазақ әдебиеті (газет)"
    assert set(paper.candidates) == {"Қазақ әдебиеті", "Қазақ әдебиеті (газет)", "«Қазақ әдебиеті»"}
    assert paper.fallback_redirect_text == "#АЙДАУ [[Қазақ әдебиеті (газет)]]"
    assert paper.source_text.startswith("«ҚАЗАҚ ӘДЕБИЕТІ»")
