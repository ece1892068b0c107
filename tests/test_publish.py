"""Unit tests of the publisher against an in-memory api.php (tests/fakewiki.py)."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest

from tests.fakewiki import FakeApi, run_settings
from tests.renderkit import with_redirect_texts
from uploader.config import RunConfig
from uploader.errors import RunStopped, WikiError
from uploader.model import Page, SourcePos
from uploader.publish.collisions import read_collisions
from uploader.publish.ledger import Ledger, State, text_sha1
from uploader.publish.runner import Stopper, dry_run, publish, resume, shutoff_allows
from uploader.publish.wiki import WikiClient


def make_pages(n: int, redirects_every: int = 3) -> list[Page]:
    return [with_redirect_texts(p) for p in _bare_pages(n, redirects_every)]


def _bare_pages(n: int, redirects_every: int) -> list[Page]:
    return [
        Page(
            title=f"Мақала {i}",
            wikitext=f"'''Мақала {i}''' — сынақ мәтіні.\n\n== Дереккөздер ==\n",
            source=SourcePos("vol.docx", 10 * i, 10 * i + 4),
            redirects=(f"Айдау {i}",) if redirects_every and i % redirects_every == 0 else (),
            summary=f"test article {i}",
        )
        for i in range(n)
    ]


@pytest.fixture
def settings(tmp_path: Path) -> RunConfig:
    return run_settings(tmp_path, max_retries=2, retry_wait=1.0)


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(api: FakeApi, sleeps: list[float]) -> WikiClient:
    return WikiClient(api, "KazBot@upload", max_retries=2, retry_wait=1.0, sleep=sleeps.append)


@pytest.fixture
def ledger(settings: RunConfig) -> Ledger:
    return Ledger.open(settings.ledger)


def states(ledger: Ledger) -> dict[str, State]:
    return {i.title: i.state for i in ledger.items()}


def test_publish_creates_articles_then_redirects_in_source_order(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    pages = make_pages(7)
    out = publish(pages, ledger, client, settings, volume="7")
    expected = []
    for p in pages:
        expected += [p.title, *p.redirects]
    edited = [e["title"] for e in api.log if e["action"] == "edit"]
    assert edited == expected
    assert out.created == len(expected)
    assert set(states(ledger).values()) == {State.PUBLISHED}
    assert api.pages["Айдау 0"][0].text == "#АЙДАУ [[Мақала 0]]"
    for item in ledger.items():
        assert item.revid == api.pages[item.title][0].revid


def test_publish_second_run_makes_no_request(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    publish(make_pages(5), ledger, client, settings, volume="7")
    before = api.requests
    out = publish(make_pages(5), ledger, client, settings, volume="7")
    assert api.requests == before
    assert out.created == 0


def test_publish_requests_per_saved_page_at_most_1_5(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    out = publish(make_pages(120), ledger, client, settings, volume="7")
    assert out.created > 0
    assert api.requests / out.created <= 1.5


def test_publish_never_overwrites_a_human_page_and_reports_it(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    api.put("Мақала 1", "адам жазған мәтін", "Human")
    api.put("Мақала 2", "{{nobots}} басқа мәтін", "Human")
    out = publish(make_pages(4, 0), ledger, client, settings, volume="7")
    assert [r.user for r in api.pages["Мақала 1"]] == ["Human"]
    assert [r.user for r in api.pages["Мақала 2"]] == ["Human"]
    assert states(ledger)["Мақала 1"] is State.EXISTS
    assert out.exists == 2 and out.created == 2
    assert out.collisions_report is not None
    rows = {r["title"]: r for r in read_collisions(out.collisions_report)}
    assert rows["Мақала 1"]["last_editor"] == "Human"
    assert rows["Мақала 1"]["existing_size"] == str(len("адам жазған мәтін".encode()))
    assert "nobots" in rows["Мақала 2"]["note"]
    ours = (out.collisions_report.parent / rows["Мақала 1"]["our_wikitext"]).read_text("utf-8")
    assert "Мақала 1" in ours


def test_publish_skips_redirects_of_an_article_it_did_not_publish(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    api.put("Мақала 0", "адам", "Human")
    publish(make_pages(1), ledger, client, settings, volume="7")
    assert states(ledger)["Айдау 0"] is State.SKIPPED
    assert "Айдау 0" not in api.pages


def test_publish_bot_page_with_same_text_is_a_no_op(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    page = make_pages(1, 0)[0]
    revid = api.put(page.title, page.wikitext.rstrip(), "KazBot")
    out = publish([page], ledger, client, settings, volume="7")
    assert out.created == 0 and out.own == 1
    (item,) = ledger.items()
    assert (item.state, item.revid) == (State.PUBLISHED, revid)


def test_publish_lost_answer_then_resume_publishes_exactly_once(
    api: FakeApi, ledger: Ledger, settings: RunConfig
) -> None:
    no_retry = WikiClient(api, "KazBot", max_retries=0, sleep=lambda s: None)
    api.lost_answers = 1
    with pytest.raises(WikiError):
        publish(make_pages(3, 0), ledger, no_retry, settings, volume="7")
    assert states(ledger)["Мақала 0"] is State.IN_FLIGHT
    resume(ledger, no_retry, settings)
    assert set(states(ledger).values()) == {State.PUBLISHED}
    assert all(len(revs) == 1 for revs in api.pages.values())
    assert ledger.items()[0].revid == api.pages["Мақала 0"][0].revid


def test_publish_in_flight_row_edited_by_human_since_is_still_ours(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    page = make_pages(1, 0)[0]
    ledger.register([page], "7")
    (item,) = ledger.items()
    ledger.mark(item.id, State.IN_FLIGHT)
    first = api.put(page.title, page.wikitext.rstrip(), "KazBot")
    api.put(page.title, "адам түзеткен", "Human")
    resume_ledger_run(ledger)
    resume(ledger, client, settings)
    (item,) = ledger.items()
    assert (item.state, item.revid) == (State.PUBLISHED, first)
    assert len(api.pages[page.title]) == 2


def resume_ledger_run(ledger: Ledger) -> None:
    ledger.end_run(ledger.start_run("7", {}), "stopped: test")


def test_publish_articleexists_race_is_reconciled_not_overwritten(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    def human_first(title: str) -> None:
        if title == "Мақала 1" and not api.pages.get(title):
            api.put(title, "адам бірінші", "Human")

    api.before_edit = human_first
    publish(make_pages(3, 0), ledger, client, settings, volume="7")
    assert states(ledger)["Мақала 1"] is State.EXISTS
    assert [r.user for r in api.pages["Мақала 1"]] == ["Human"]
    assert states(ledger)["Мақала 2"] is State.PUBLISHED


@pytest.mark.parametrize(
    "code",
    [
        "protectedtitle",
        "cascadeprotected",
        "abusefilter-disallowed",
        "spamblacklist",
        "titleblacklist-forbidden",
        "contenttoobig",
    ],
)
def test_publish_per_article_error_fails_that_article_only(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig, code: str
) -> None:
    api.edit_codes["Мақала 1"] = code
    out = publish(make_pages(3, 0), ledger, client, settings, volume="7")
    item = next(i for i in ledger.items() if i.title == "Мақала 1")
    assert item.state is State.FAILED and item.reason.startswith(code)
    assert item.attempts == 1
    assert out.created == 2


def test_publish_invalid_title_fails_without_an_edit(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    bad = Page("Жаман [[атау]]", "мәтін", SourcePos("v.docx", 1, 2))
    publish([bad], ledger, client, settings, volume="7")
    assert states(ledger)[bad.title] is State.FAILED
    assert not [e for e in api.log if e["action"] == "edit"]


@pytest.mark.parametrize("code", ["assertuserfailed", "blocked", "permissiondenied"])
def test_publish_run_level_error_stops_and_keeps_row_pending(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig, code: str
) -> None:
    api.fail("edit", code)
    with pytest.raises(WikiError):
        publish(make_pages(2, 0), ledger, client, settings, volume="7")
    assert set(states(ledger).values()) == {State.PENDING}
    resume(ledger, client, settings)
    assert set(states(ledger).values()) == {State.PUBLISHED}


@pytest.mark.parametrize("code", ["ratelimited", "maxlag", "readonly", "http"])
def test_publish_transient_error_is_retried_with_backoff(
    api: FakeApi,
    client: WikiClient,
    ledger: Ledger,
    settings: RunConfig,
    sleeps: list[float],
    code: str,
) -> None:
    api.fail("edit", code, times=2)
    publish(make_pages(2, 0), ledger, client, settings, volume="7")
    assert set(states(ledger).values()) == {State.PUBLISHED}
    assert sleeps == [1.0, 2.0]
    assert all(len(r) == 1 for r in api.pages.values())


def test_publish_maxlag_waits_at_least_the_lag(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig, sleeps: list[float]
) -> None:
    api.fail("query", "maxlag", times=1, lag=7.5)
    publish(make_pages(1, 0), ledger, client, settings, volume="7")
    assert sleeps == [7.5]


def test_publish_persistent_readonly_stops_then_resume_completes(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    api.fail("edit", "readonly", times=3)
    with pytest.raises(WikiError, match="readonly"):
        publish(make_pages(3, 0), ledger, client, settings, volume="7")
    assert ledger.last_run() is not None and ledger.last_run().outcome.startswith("error")  # type: ignore[union-attr]
    resume(ledger, client, settings)
    assert set(states(ledger).values()) == {State.PUBLISHED}
    assert all(len(r) == 1 for r in api.pages.values())


def test_publish_stops_after_ten_failures_in_a_row(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    for i in range(12):
        api.edit_codes[f"Мақала {i}"] = "hookaborted"
    with pytest.raises(WikiError, match="in a row"):
        publish(make_pages(12, 0), ledger, client, settings, volume="7")
    assert sum(s is State.FAILED for s in states(ledger).values()) == 10


def test_publish_max_edits_stops_resumably(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    limited = dataclasses.replace(settings, max_edits=3)
    with pytest.raises(RunStopped, match="edit limit"):
        publish(make_pages(6, 0), ledger, client, limited, volume="7")
    assert len(api.edits_by("KazBot")) == 3
    resume(ledger, client, settings)
    assert len(api.edits_by("KazBot")) == 6


def test_publish_stop_file_stops_before_the_next_edit(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    def touch_stop(title: str) -> None:
        if title == "Мақала 1":
            settings.stop_file.write_text("")

    api.before_edit = touch_stop
    with pytest.raises(RunStopped, match="stop file"):
        publish(make_pages(4, 0), ledger, client, settings, volume="7")
    assert len(api.edits_by("KazBot")) == 2  # the edit in progress finished


def test_publish_stop_request_finishes_current_edit_and_commits(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    stopper = Stopper(settings.stop_file, "upload resume --config x.toml")
    api.before_edit = lambda title: (
        stopper.request("signal SIGTERM") if title == "Мақала 0" else None
    )
    with pytest.raises(RunStopped, match=r"upload resume --config x\.toml"):
        publish(make_pages(3, 0), ledger, client, settings, volume="7", stopper=stopper)
    assert states(ledger)["Мақала 0"] is State.PUBLISHED
    assert states(ledger)["Мақала 1"] is State.PENDING


@pytest.mark.parametrize(
    ("text", "allow", "expected"),
    [
        ("run", "", True),
        ("true", "", True),
        ("  Yes, the bot may run", "", True),
        ("stop", "", False),
        ("do not run", "", False),
        ("", "", False),
        (None, "", False),
        ("Бот: қосулы", "қосулы", True),
        ("Бот: өшірулі", "қосулы", False),
    ],
)
def test_shutoff_allows_rule(text: str | None, allow: str, expected: bool) -> None:
    assert shutoff_allows(text, allow) is expected


def test_publish_shutoff_page_stops_within_shutoff_every_edits(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    api.put("Қатысушы:KazBot/Run", "run", "Admin")
    checked = dataclasses.replace(settings, shutoff_page="Қатысушы:KazBot/Run", shutoff_every=3)

    def flip(title: str) -> None:
        if title == "Мақала 1":
            api.put("Қатысушы:KazBot/Run", "stop", "Admin")

    api.before_edit = flip
    with pytest.raises(RunStopped, match="shutoff page"):
        publish(make_pages(10, 0), ledger, client, checked, volume="7")
    made = len(api.edits_by("KazBot"))
    assert 2 <= made <= 1 + 3


def test_publish_shutoff_page_missing_stops_before_first_edit(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    checked = dataclasses.replace(settings, shutoff_page="Қатысушы:KazBot/Run")
    with pytest.raises(RunStopped):
        publish(make_pages(2, 0), ledger, client, checked, volume="7")
    assert not api.edits_by("KazBot")


class ClockStopper(Stopper):
    """A Stopper whose sleep advances a fake clock instead of waiting."""

    def __init__(self) -> None:
        super().__init__(None)
        self.now = 1000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_publish_throttle_spaces_edit_starts(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    from uploader.publish.runner import Runner

    stopper = ClockStopper()
    starts: list[float] = []

    def at_edit(title: str) -> None:
        starts.append(stopper.now)
        stopper.now += 2.0  # each edit takes 2 s

    api.before_edit = at_edit
    ledger.register(make_pages(4, 0), "7")
    throttled = dataclasses.replace(settings, put_throttle=10.0)
    run_id = ledger.start_run("7", {})
    Runner(ledger, client, throttled, "7", run_id, stopper, clock=lambda: stopper.now).run()
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert gaps == [10.0, 10.0, 10.0]
    assert stopper.slept == [8.0, 8.0, 8.0]


def test_dry_run_classifies_and_writes_nothing(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    pages = make_pages(4, 0)
    api.put("Мақала 1", "адам", "Human")
    api.put("Мақала 2", pages[2].wikitext.rstrip(), "KazBot")
    api.create_protected.add("Мақала 3")
    result = dry_run(pages, ledger, client, settings, volume="7")
    assert result.new == ["Мақала 0"]
    assert result.exists == ["Мақала 1"]
    assert result.own == ["Мақала 2"]
    assert result.protected == ["Мақала 3"]
    assert not [e for e in api.log if e["action"] == "edit"]
    assert ledger.items() == []
    assert result.collisions_report is not None
    assert [r["title"] for r in read_collisions(result.collisions_report)] == ["Мақала 1"]


def test_publish_logs_a_file_per_run(
    client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    publish(make_pages(2, 0), ledger, client, settings, volume="7", log_dir=settings.log_dir)
    (log_file,) = settings.log_dir.glob("run-*.log")
    assert "published Мақала 1" in log_file.read_text("utf-8")


def test_publish_sends_normalized_text_whose_sha1_matches_the_ledger(
    api: FakeApi, client: WikiClient, ledger: Ledger, settings: RunConfig
) -> None:
    page = Page("Й әрпі", "и\u0306 әрпі  \r\n\n", SourcePos("v.docx", 1, 1))
    publish([page], ledger, client, settings, volume="7")
    (item,) = ledger.items()
    assert api.pages["Й әрпі"][0].sha1 == item.sha1 == text_sha1(page.wikitext)


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("https://kk.wikipedia.org/w/api.php", ("wikipedia", "kk")),
        ("https://en.wikipedia.org/w/api.php", ("wikipedia", "en")),
        ("http://127.0.0.1:8080/api.php", ("uploader_127_0_0_1_8080", "uploader_127_0_0_1_8080")),
    ],
)
def test_wiki_family_and_code(api_url: str, expected: tuple[str, str]) -> None:
    from uploader.publish.wiki import family_and_code

    assert family_and_code(api_url) == expected


def test_wiki_page_infos_maps_normalized_titles_back(api: FakeApi, client: WikiClient) -> None:
    api.put("Мақала_бар", "мәтін", "Human")
    infos = client.page_infos(["мақала_бар", "жоқ бет", "Жаман|атау"])
    assert infos["мақала_бар"].exists and infos["мақала_бар"].user == "Human"
    assert not infos["жоқ бет"].exists and not infos["жоқ бет"].invalid
    assert infos["Жаман|атау"].invalid == "title contains |"
    assert api.requests == 1
    assert "Жаман" not in api.log[0]["titles"]


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("Абай", ""),
        ("Ақсу (өзен)", ""),
        ("A#B", "title contains #"),
        ("[[X]]", "title contains [ ]"),
        ("  ", "empty title"),
        ("Ә" * 128, "title longer than 255 bytes"),
    ],
)
def test_wiki_title_problem(title: str, problem: str) -> None:
    from uploader.publish.wiki import title_problem

    assert title_problem(title) == problem


def test_wiki_page_infos_batches_fifty_titles(api: FakeApi, client: WikiClient) -> None:
    client.page_infos(f"Бет {i}" for i in range(120))
    assert [len(e["titles"].split("|")) for e in api.log] == [50, 50, 20]
