"""Validation: round trip, balanced markup, valid unique titles, a body."""

from __future__ import annotations

import pytest

from uploader.model import Page, SourcePos
from uploader.render.validate import (
    Validator,
    has_body,
    markup_problems,
    normalise_title,
    title_problems,
)

GOOD = (
    "'''Абай''' – ақын, км<sup>2</sup>, H<sub>2</sub>O.<ref>{{Cite book |title=X}}</ref>"
    "\n\n== Дереккөздер ==\n<references />"
)


def _page(
    title: str = "Абай", wikitext: str = GOOD, redirects: tuple[str, ...] = (), start: int = 1
) -> Page:
    return Page(
        title=title,
        wikitext=wikitext,
        source=SourcePos("v.docx", start, start),
        redirects=redirects,
    )


@pytest.mark.parametrize(
    ("title", "problem"),
    [
        ("Абай", None),
        ("Ақсу (өзен)", None),
        ("", "empty"),
        ("A#b", "forbidden"),
        ("A<b>", "forbidden"),
        ("A[b]", "forbidden"),
        ("A{b}", "forbidden"),
        ("A|b", "forbidden"),
        ("Ә" * 128, "255 bytes"),
        ("Санат:Жаңа", "namespace"),
        ("Category:New", "namespace"),
        ("../x", "relative"),
        ("a~~~b", "signature"),
        ("a&amp;b", "entity"),
    ],
)
def test_title_problems_table(title: str, problem: str | None) -> None:
    found = title_problems(title)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    ("wikitext", "problem"),
    [
        (GOOD, None),
        ("'''Абай – ақын", "unclosed '''"),
        ("''Абай – ақын", "unclosed ''"),
        ("Абай ''''төрт", "4 apostrophes"),
        ("Абай <sup>2", "unclosed <sup>"),
        ("Абай 2</sub>", "does not close"),
        ("Абай <b>x</b>", "unexpected tag <b>"),
        ('{| class="wikitable"\n| a', "never closed"),
        ("a\n|}", "closed that was not opened"),
        ("-{Zea mays", "unbalanced -{"),
        ("{{Stub}}\n[[Санат:X]]", "empty body"),
        ("'''a''' <br /> ''b''", None),
        ("'''''a''''' <!-- '' -->", None),
    ],
)
def test_markup_problems_table(wikitext: str, problem: str | None) -> None:
    found = markup_problems(wikitext)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


@pytest.mark.parametrize(
    ("wikitext", "body"),
    [
        ("Абай", True),
        ("{{Stub}}", False),
        ("{{a|{{b}}}}", False),
        ("<ref>Абай</ref>", False),
        ("== Абай ==", False),
        ("[[Санат:Абай]]", False),
        ("[[Абай]]", True),
        ("<!-- Абай -->", False),
        ("&#91; <br /> 12", False),
        ("{{Stub}} x", True),
    ],
)
def test_has_body_table(wikitext: str, body: bool) -> None:
    assert has_body(wikitext) is body


def test_validator_titles_unique_in_run() -> None:
    validator = Validator()
    _, first, _ = validator.check(_page("абай", start=1))
    _, second, _ = validator.check(_page("Абай", start=2))
    assert first == []
    assert any("already used" in p and "v.docx:1" in p for p in second)


def test_validator_failed_page_does_not_claim_title() -> None:
    validator = Validator()
    _, bad, _ = validator.check(_page("Абай", wikitext="'''Абай"))
    _, good, _ = validator.check(_page("Абай"))
    assert bad and good == []


def test_validator_drops_bad_and_taken_redirects() -> None:
    validator = Validator()
    validator.check(_page("Ертіс"))
    page, problems, warnings = validator.check(
        _page("Абай", redirects=("Құнанбайұлы Абай", "Ертіс", "A|B"), start=2)
    )
    assert problems == []
    assert page.redirects == ("Құнанбайұлы Абай",)
    assert len(warnings) == 2 and all(w in page.warnings for w in warnings)


def test_validator_empty_page_is_a_problem() -> None:
    _, problems, _ = Validator().check(_page(wikitext="  "))
    assert "empty page" in problems


@pytest.mark.parametrize(
    ("raw", "norm"), [("абай_құнанбайұлы", "Абай құнанбайұлы"), ("  Ақсу   (өзен) ", "Ақсу (өзен)")]
)
def test_normalise_title_like_mediawiki(raw: str, norm: str) -> None:
    assert normalise_title(raw) == norm
