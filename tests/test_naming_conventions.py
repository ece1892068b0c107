"""Page names by the kk.wikipedia conventions (kkwiki.md), one generated article per row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests import docxgen as g
from tests.naming_volume import CONVENTIONS, Convention, naming_volume
from uploader.config import NamingRules
from uploader.parse.naming import Lexicon, name_article, words_of
from uploader.parse.records import article_record
from uploader.parse.volume import iter_articles
from uploader.report import Report, Review


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Report]:
    path = tmp_path_factory.mktemp("naming") / "naming.docx"
    g.write_docx(naming_volume(), path)
    report = Report()
    records = {r["headword"]: r for r in map(article_record, iter_articles(path, report))}
    return records, report


@pytest.mark.parametrize("row", CONVENTIONS, ids=[row.name for row in CONVENTIONS])
def test_naming_convention_title_lead_redirects(
    parsed: tuple[dict[str, Any], Report], row: Convention
) -> None:
    records, _ = parsed
    record = records[row.headword]
    assert (record["title"], record["lead"], record["kind"]) == (row.title, row.lead, row.kind)
    assert record["redirects"] == list(row.redirects)
    assert set(row.alternatives) <= set(record["title_alternatives"])


def test_naming_volume_text_is_the_generated_text(parsed: tuple[dict[str, Any], Report]) -> None:
    records, report = parsed
    for truth in naming_volume().records():
        assert records[truth["headword"]]["text"] == truth["text"]
    assert not report.quarantined
    assert not [i for i in report.review if i.kind is Review.ORDER]


def test_naming_flags_what_was_decided_without_evidence(
    parsed: tuple[dict[str, Any], Report],
) -> None:
    _, report = parsed
    flagged = {(i.kind, i.headword) for i in report.review}
    assert (Review.TITLE_GUESSED, "ЖАЗУШЫЛАР ОДАҒЫ") in flagged  # official ending, no evidence
    assert (Review.PERSON_NAME, "ӘЛ-ХОРЕЗМИ Мұхаммед ибн Мұса") in flagged
    assert (Review.TITLE_GUESSED, "«ЕҢБЕКШІ ҚАЗАҚ»") not in flagged  # «қазақ» is in the text
    # Specific, not one per article: the rest decided with evidence raise nothing.
    assert len(report.review) <= 3


def test_naming_flags_a_later_word_without_evidence() -> None:
    rules = NamingRules.load()
    definition = " – қазақтың лиро-эпостық жыры."
    naming = name_article("«ҚЫЗ ЖІБЕК»", (), definition, Lexicon(), rules, words_of(definition))
    assert naming.title == "Қыз жібек"  # nothing says Жібек is a name: guessed, and flagged
    assert [kind for kind, _ in naming.notes] == [Review.TITLE_GUESSED]
    lex = Lexicon()
    lex.add_words(*words_of("Батыр мен Жібек туралы жыр; Төлеген Жібекке ғашық болды."))
    naming = name_article("«ҚЫЗ ЖІБЕК»", (), definition, lex, rules, words_of(definition))
    assert (naming.title, naming.notes) == ("Қыз Жібек", ())


@pytest.mark.parametrize(
    ("headword", "definition", "title"),
    [
        ("ҚAЗAҚСТAН", " – мемлекет.", "Қазақстан"),  # Latin «A» typed for «А»
        ("ƏУЕЗОВ Мұхтар Омарханұлы", " (28.9.1897, Семей – 1961) – жазушы.", "Мұхтар Әуезов"),
        ("XX ҒАСЫР", " – 1901 – 2000 жылдар.", "XX ғасыр"),  # Latin Roman numerals stay
        ("ҰЛЫБРИТАНИЯ КОРОЛЬДІГІ", " – Еуропадағы мемлекет.", "Ұлыбритания Корольдігі"),
    ],
)
def test_naming_normalises_titles(headword: str, definition: str, title: str) -> None:
    from uploader.wikitext import fix_lookalikes

    rules = NamingRules.load()
    naming = name_article(
        fix_lookalikes(headword), (), definition, Lexicon(), rules, words_of(definition)
    )
    assert naming.title == title


def test_naming_lookalike_letters_fixed_in_titles_text_and_links(tmp_path: Path) -> None:
    volume = g.Volume(
        [
            g.article(
                [g.bold("ЕСІЛ", latin="І")],  # typed with a Latin «I»
                " – Ақмола облысындағы өзен.",
                dash="",
                title="Есіл (өзен)",
                kind="place",
            ),
            g.article(
                "ЕСІЛ",
                [
                    g.Run("Ақмола облысындағы қала ", latin="а"),  # «қaлa»: a tie, all twins
                    g.Run("(қ. "),
                    g.Run("Есіл", italic=True, xref="Есіл", latin="і"),
                    g.Run(")."),
                ],
                title="Есіл (қала)",
                kind="place",
            ),
        ]
    )
    path = g.write_docx(volume, tmp_path / "v.docx")
    assert "ЕСIЛ" in g.docx_parts(volume)["word/document.xml"].decode()  # Latin as typed
    records = [article_record(a) for a in iter_articles(path)]
    truth = volume.records()
    assert [r["title"] for r in records] == ["Есіл (өзен)", "Есіл (қала)"]  # the same name
    for record, expected in zip(records, truth, strict=True):
        for key in ("headword", "text", "crossrefs", "lead"):
            assert record[key] == expected[key], key
