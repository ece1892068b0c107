"""Alphabetical order as a segmentation signal (volume-format.md), on generated volumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests import docxgen as g
from uploader.model import Span
from uploader.parse.blocks import Block
from uploader.parse.records import article_record
from uploader.parse.segment import Draft, segment
from uploader.parse.volume import iter_articles
from uploader.report import Report, Review

E = g.article


def _parse(tmp_path: Path, *blocks: g.Entry | g.Para) -> tuple[list[dict[str, Any]], Report]:
    volume = g.Volume(blocks, front_matter=[g.Para([g.bold("ҚАЗАҚ ЭНЦИКЛОПЕДИЯСЫ")])])
    path = g.write_docx(volume, tmp_path / "v.docx")
    report = Report()
    got = [article_record(a) for a in iter_articles(path, report)]
    expected = volume.records()
    assert [r["headword"] for r in got] == [e["headword"] for e in expected]
    for record, truth in zip(got, expected, strict=True):
        assert record["text"] == truth["text"], truth["headword"]
    return got, report


def _order_items(report: Report) -> list[str]:
    return [item.headword for item in report.review if item.kind is Review.ORDER]


def _acronyms() -> list[g.Para]:
    return [
        g.headline("АҚШ", "Америка Құрама Штаттары;"),  # of the group, but inside the list
        g.headline("ТМД", "Тәуелсіз Мемлекеттер Достастығы;"),
        g.headline("ҚР", "Қазақстан Республикасы;"),
        g.headline("КСРО", "Кеңестік Социалистік Республикалар Одағы;"),
        g.headline("ҚазКСР", "Қазақ Кеңестік Социалистік Республикасы;"),
        g.headline("БҰҰ", "Біріккен Ұлттар Ұйымы;"),
        g.headline("АЭС", "атом электр стансасы."),
    ]


def test_segment_acronym_list_inside_an_article_stays_one_article(tmp_path: Path) -> None:
    _, report = _parse(
        tmp_path,
        g.divider("А"),
        E(
            "АББРЕВИАТУРА",
            "(итал. abbreviatura – қысқарту) – сөздердің бас әріптерінен құралған қысқарған атау.",
            title="Аббревиатура",
            more=[g.body("Мысалы:"), *_acronyms(), g.body("А. жазуда кең тараған.")],
        ),
        E("АБДОЛ", "өсімдік.", title="Абдол"),
        E("АБЗАЛ", "ер есімі.", title="Абзал"),
        E("АБЫЗ", "көне дәуірдегі емші.", title="Абыз"),
    )
    assert _order_items(report) == [
        "АҚШ",
        "ТМД",
        "ҚР",
        "КСРО",
        "БҰҰ",
        "АЭС",
    ]  # ҚазКСР is no candidate
    assert all("kept as part of «АББРЕВИАТУРА»" in i.reason for i in report.review)


def test_segment_typist_slip_within_a_letter_still_starts_an_article(tmp_path: Path) -> None:
    _, report = _parse(
        tmp_path,
        g.divider("Ж"),
        E("ЖАНУ", "химиялық реакция.", title="Жану"),
        E("ЖЕЗ", "химиялық элемент.", title="Жез"),
        E("ЖАРЫҚ", "электромагниттік сәуле.", title="Жарық"),
        E("ЖЫЛҚЫ", "үй жануары.", title="Жылқы"),
    )
    assert _order_items(report) == ["ЖАРЫҚ"]


def test_segment_new_letter_group_without_a_divider(tmp_path: Path) -> None:
    _, report = _parse(
        tmp_path,
        E("ЖЫЛҚЫ", "үй жануары.", title="Жылқы"),
        E("ЖЫРАУ", "ақын.", title="Жырау"),
        E("ЗАЙСАН", "көл.", title="Зайсан"),
        E("ЗЕРЕНДІ", "ауыл.", title="Зеренді", kind="place"),
        g.divider("И"),
        E("ИВАНОВ Иван", " (1.1.1900, Мәскеу – 1970) – ғалым.", dash="", title="Иван Иванов"),
    )
    assert _order_items(report) == []


def test_segment_out_of_order_after_an_ended_article_is_accepted(tmp_path: Path) -> None:
    got, report = _parse(
        tmp_path,
        E("АББРЕВИАТУРА", "қысқарған атау.", title="Аббревиатура", sig="Ә. Қайдар."),
        E("ТМД", "Тәуелсіз Мемлекеттер Достастығы.", title="ТМД"),
        E("АБДОЛ", "өсімдік.", title="Абдол"),
        E("АБЗАЛ", "ер есімі.", title="Абзал"),
    )
    assert [r["title"] for r in got] == ["Аббревиатура", "ТМД", "Абдол", "Абзал"]
    assert _order_items(report)[0] == "ТМД"
    assert "article before has ended" in report.review[0].reason


def _block(index: int, headword: str) -> Block:
    spans = (Span(headword, bold=True), Span(" – анықтама мәтіні."))
    text = f"{headword} – анықтама мәтіні."
    return Block(index, spans, align="both", text=text, spaced=(False, False))


def test_segment_reads_a_bounded_window_ahead() -> None:
    consumed = 0
    words = ["АБАЙ", "ТМД", *(f"АБА{chr(0x410 + n % 32)}" for n in range(10_000))]

    def blocks() -> Iterator[Block]:
        nonlocal consumed
        for index, word in enumerate(words):
            consumed += 1
            yield _block(index, word)

    drafts = segment(blocks(), Report(), "v.docx", lookahead=20)
    first = next(d for d in drafts if isinstance(d, Draft))
    assert first.match.headword == "АБАЙ"
    assert [b.text.split()[0] for b in first.blocks] == ["АБАЙ", "ТМД"]
    assert consumed <= 2 + 20 + 1


def test_segment_out_of_order_person_is_accepted_with_a_note(tmp_path: Path) -> None:
    got, report = _parse(
        tmp_path,
        E("АББРЕВИАТУРА", "қысқарған атау.", title="Аббревиатура"),
        E(
            [g.bold("ТОҚТАРОВ Ерлан")],
            " (1.1.1950, Алматы – 2000, сонда) – ғалым.",
            dash="",
            title="Ерлан Тоқтаров",
        ),
        E("АБДОЛ", "өсімдік.", title="Абдол"),
        E("АБЗАЛ", "ер есімі.", title="Абзал"),
    )
    assert [r["title"] for r in got] == ["Аббревиатура", "Ерлан Тоқтаров", "Абдол", "Абзал"]
    assert _order_items(report)[0] == "ТОҚТАРОВ Ерлан"
    assert "it names a person" in report.review[0].reason


def test_segment_acronym_list_in_the_last_article_before_a_divider(tmp_path: Path) -> None:
    _, report = _parse(
        tmp_path,
        g.divider("А"),
        E("АБЫЗ", "көне дәуірдегі емші.", title="Абыз"),
        E(
            "АЯҚТАУ",
            "қысқарған атаулардың түрі.",
            title="Аяқтау",
            more=[
                g.headline("ТМД", "Тәуелсіз Мемлекеттер Достастығы;"),
                g.headline("БҰҰ", "ұйым."),
            ],
        ),
        g.divider("Ә"),
        E("ӘБДІ", "ер есімі.", title="Әбді"),
        E("ӘДЕП", "мінез-құлық нормасы.", title="Әдеп"),
    )
    assert _order_items(report) == ["ТМД", "БҰҰ"]
