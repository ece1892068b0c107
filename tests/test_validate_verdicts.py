"""The fast validation (tokenizer + line checks) gives the full round trip's verdicts.

Every page of every test volume (the bundled sample, the shared sample, the docxgen record
cases, the big bench volume, the render-literal forms and random formatting) is checked both
ways, and so is each page cut short at a few places (which breaks its markup), so that the
failing verdicts are compared too.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from samples.make_sample_volume import sample_volume
from tests import docxgen as dg
from tests.renderkit import context
from tests.shared import require_shared
from tests.test_docxgen import RECORD_CASES
from tests.test_escape import MARKUP_FORMS
from tests.test_render_literal import _random_spans, _volume_article
from uploader.config import DEFAULTS_DIR
from uploader.model import Paragraph, Role, Table
from uploader.parse import iter_articles
from uploader.render.article import render
from uploader.render.validate import Validator, markup_problems


def _texts(path: Path) -> Iterator[str]:
    ctx = context()
    for article in iter_articles(path):
        yield render(article, ctx).wikitext


def _variants(text: str, rng: random.Random) -> Iterator[str]:
    """The text, then the text cut at a few places (unbalancing its markup)."""
    yield text
    for _ in range(3):
        if len(text) > 2:
            cut = rng.randrange(1, len(text))
            yield text[:cut]
            yield text[cut:]


def _assert_same_verdicts(texts: Iterator[str]) -> int:
    rng = random.Random(12)
    checked = failing = 0
    for text in texts:
        for variant in _variants(text, rng):
            fast, strict = markup_problems(variant), markup_problems(variant, strict=True)
            assert fast == strict, variant
            checked += 1
            failing += bool(fast)
    assert checked and failing  # both kinds of verdict were compared
    return checked


def test_validate_fast_and_strict_agree_on_bundled_sample() -> None:
    assert _assert_same_verdicts(_texts(DEFAULTS_DIR / "sample-volume.docx")) > 40


@pytest.mark.shared
def test_validate_fast_and_strict_agree_on_shared_sample() -> None:
    shared = require_shared()
    assert _assert_same_verdicts(_texts(shared / "samples" / "volume-sample.docx")) > 40


def test_validate_fast_and_strict_agree_on_docxgen_volumes(tmp_path: Path) -> None:
    cases = dg.write_docx(dg.Volume(RECORD_CASES), tmp_path / "cases.docx")
    big = dg.write_docx(dg.repeat_volume(sample_volume(), 3), tmp_path / "big.docx")
    assert _assert_same_verdicts(_texts(cases)) >= len(RECORD_CASES)
    assert _assert_same_verdicts(_texts(big)) > 100


def test_validate_fast_and_strict_agree_on_render_literal_pages() -> None:
    plain = context(latin_protect=False)
    texts = [render(_volume_article(form), plain).wikitext for form in MARKUP_FORMS]
    contexts = {flag: context(latin_single_words=flag) for flag in (False, True)}
    for seed in range(40):
        rng = random.Random(seed)
        paragraphs = [
            Paragraph(tuple(_random_spans(rng, rng.randint(1, 25))), role=role)
            for role in (Role.BODY, Role.BODY, Role.CAPTION, Role.WORKS, Role.LITERATURE)
        ]
        art = _volume_article("x")
        art = type(art)(
            **{
                **{f: getattr(art, f) for f in art.__dataclass_fields__},
                "paragraphs": (art.paragraphs[0], *paragraphs),
                "tables": (
                    Table(0, ((tuple(_random_spans(rng, 4)), tuple(_random_spans(rng, 3))),)),
                ),
            }
        )
        texts.append(render(art, contexts[bool(seed % 2)]).wikitext)
    assert _assert_same_verdicts(iter(texts)) > len(MARKUP_FORMS)


@pytest.mark.parametrize(
    "wikitext",
    [
        "{{Үлгі|x",
        "[[Абай",
        "<ref>x",
        "<!-- x",
        "== x",
        "{|\n| a\n|-\n| b\n|}",
        "&amp; &#123; &#x1F; &bogus;",
        "[http://x.kz x] http://y.kz",
        "''a'' '''b''' '''''c'''''",
        "* a\n# b\n; c : d\n----",
    ],
)
def test_validate_fast_and_strict_agree_on_edge_markup(wikitext: str) -> None:
    assert markup_problems(wikitext) == markup_problems(wikitext, strict=True)


def test_validator_strict_switch_uses_the_round_trip() -> None:
    from tests.test_validate import _page

    assert Validator(strict=True).check(_page())[1] == Validator().check(_page())[1] == []


_MARKUP_PIECES = (
    *("'", "''", "'''", "''''", "'''''", "а", " ", "\n", "\n", "\r", "\u2028", "x"),
    *("<ref>", "</ref>", "<REF name=x>", "<ref />", "<sup>", "</sup>", "<sub>", "</Sub>"),
    *("<b>", "</b>", "<br/>", "<br />", "<br>", "<references />", "<nowiki>", "<", ">"),
    *("<sup>2</sup>", "<ref>{{Cite book |title=X}}</ref>", "<!--", "-->", "-{", "}-"),
    *("{|", "|}", " {|", "\t|}", "{{", "}}", "{", "}", "|", "-", "[[", "]]", "=", "&amp;"),
)


def test_validate_whole_text_line_check_clears_only_balanced_pages() -> None:
    from uploader.render.validate import _line_by_line_problems, _lines_clean

    rng = random.Random(7)
    pages = list(_texts(DEFAULTS_DIR / "sample-volume.docx"))
    texts = [variant for text in pages for variant in _variants(text, rng)]
    texts += [
        "".join(rng.choice(_MARKUP_PIECES) for _ in range(rng.randint(1, 14))) for _ in range(20000)
    ]
    cleared = [text for text in texts if _lines_clean(text)]
    assert [text for text in cleared if _line_by_line_problems(text)] == []
    assert len(cleared) > 1000 and len(cleared) < len(texts)
    # The common case takes the quick way: every balanced page of the sample is cleared.
    assert [p for p in pages if not _lines_clean(p) and not _line_by_line_problems(p)] == []
