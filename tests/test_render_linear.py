"""Rendering stays linear in the size of a paragraph: huge run counts, many cross-references.

Each case renders a paragraph of n and of 4n pieces; the larger may take at most about 4x
(allowing 8x for a loaded machine) and must finish well within seconds. A quadratic step
makes the ratio 16x.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests import renderkit as rk
from uploader.model import Article, Span, Vert
from uploader.render import render


def _italic_runs(n: int) -> Article:
    spans = [rk.i("сөз ") if k % 2 == 0 else Span("мәтін ") for k in range(n)]
    return rk.article("АЛМА", rk.para(*spans))


def _crossrefs(n: int) -> Article:
    spans: list[Span] = []
    for k in range(n):
        spans += [Span(" сөз (қ. "), rk.i(f"Мақала{k}"), Span(")")]
    targets = tuple(f"Мақала{k}" for k in range(n))
    return rk.article("АЛМА", rk.para(*spans), crossrefs=targets)


def _inline_crossrefs(n: int) -> Article:
    spans: list[Span] = []
    for k in range(n):
        spans += [Span(" сөз "), rk.i(f"қ. Мақала{k}")]
    targets = tuple(f"Мақала{k}" for k in range(n))
    return rk.article("АЛМА", rk.para(*spans), crossrefs=targets)


def _latin_with_scripts(n: int) -> Article:
    spans = [Span("abc ") if k % 2 == 0 else Span("2", vert=Vert.SUP) for k in range(n)]
    return rk.article("АЛМА", rk.para(*spans))


def _merged_runs(n: int) -> Article:
    # Equal formatting: the renderer merges every run into one segment.
    return rk.article("АЛМА", rk.para(*[rk.i("сөз ") for _ in range(n)]))


CASES: dict[str, tuple[Callable[[int], Article], int]] = {
    "italic runs": (_italic_runs, 4000),
    "cross-references": (_crossrefs, 1500),
    "inline cross-references": (_inline_crossrefs, 1500),
    "latin with superscripts": (_latin_with_scripts, 4000),
    "merged runs": (_merged_runs, 8000),
}


def _seconds(article: Article, repeat: int) -> float:
    ctx = rk.default_context()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        render(article, ctx)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("name", list(CASES))
def test_render_huge_paragraph_is_linear(name: str) -> None:
    make, n = CASES[name]
    small = _seconds(make(n), 3)
    large = _seconds(make(4 * n), 2)
    assert large < 8 * small + 0.1, f"{name}: {small:.3f} s for {n}, {large:.3f} s for {4 * n}"
    assert large < 20


def test_render_crossrefs_in_huge_paragraph_all_linked() -> None:
    page = render(_crossrefs(2000), rk.default_context())
    assert page.wikitext.count("[[Мақала") == 2000
    page = render(_inline_crossrefs(2000), rk.default_context())
    assert page.wikitext.count("[[Мақала") == 2000
