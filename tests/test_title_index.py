"""The title index: resolving cross-references across volumes, and its cache."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import docxgen as dg
from tests.renderkit import article
from uploader.model import Kind
from uploader.pipeline.title_index import build_index, cache_file
from uploader.render.title_index import TitleIndex, normalise
from uploader.report import Report


@pytest.fixture(scope="module")
def index() -> TitleIndex:
    return TitleIndex.from_articles(
        [
            article(
                "ӘУЕЗОВ Мұхтар Омарханұлы",
                title="Мұхтар Әуезов",
                lead="Мұхтар Омарханұлы Әуезов",
                kind=Kind.PERSON,
                redirects=("Әуезов Мұхтар Омарханұлы",),
            ),
            article("АҚСУ", title="Ақсу (өзен)", lead="Ақсу"),
            article("АҚСУ", title="Ақсу (қала)", lead="Ақсу"),
            article("БАЛҚАШ КӨЛІ", title="Балқаш көлі"),
        ]
    )


@pytest.mark.parametrize(
    ("target", "title", "exact", "ambiguous"),
    [
        ("Мұхтар Әуезов", "Мұхтар Әуезов", True, 0),
        ("мұхтар_әуезов", "Мұхтар Әуезов", True, 0),
        ("Әуезов Мұхтар Омарханұлы", "Әуезов Мұхтар Омарханұлы", True, 0),
        ("Мұхтар Омарханұлы Әуезов", "Мұхтар Әуезов", False, 0),
        ("Ақсу (өзен)", "Ақсу (өзен)", True, 0),
        ("Ақсу", None, False, 2),
        ("«Балқаш көлі»", "Балқаш көлі", True, 0),
        ("Алтын адам", None, False, 0),
    ],
)
def test_title_index_resolve(index, target, title, exact, ambiguous) -> None:  # type: ignore[no-untyped-def]
    found = index.resolve(target)
    assert found.title == title
    assert found.exact is exact
    assert len(found.ambiguous) == ambiguous


def test_title_index_json_round_trip(index: TitleIndex) -> None:
    again = TitleIndex.from_json(json.loads(json.dumps(index.to_json())))
    assert again.resolve("Ақсу (қала)") == index.resolve("Ақсу (қала)")
    assert len(again) == len(index) == 4


def test_normalise_drops_quotes_case_and_spaces() -> None:
    assert normalise(" «Егемен  Қазақстан» ") == normalise("егемен_қазақстан")


def _volume(path: Path, *entries: dg.Entry) -> Path:
    return dg.write_docx(dg.Volume(entries), path)


def test_build_index_across_volumes_and_cache(tmp_path: Path) -> None:
    v3 = _volume(
        tmp_path / "v3.docx",
        dg.article("ЕСІК", ["қала ", *dg.see("Алтын адам"), "."], title="Есік"),
    )
    v11 = _volume(
        tmp_path / "v11.docx",
        dg.article("АЛТЫН АДАМ", "сақ жауынгерінің жерлеуі.", title="Алтын адам"),
    )
    cache = tmp_path / "cache"
    report = Report()
    index = build_index({"3": v3, "11": v11, "12": tmp_path / "missing.docx"}, cache, report)
    assert index.resolve("Алтын адам").title == "Алтын адам"
    assert index.resolve("Есік").title == "Есік"
    assert any("missing.docx" in w for w in report.warnings)
    assert {p.name for p in cache.iterdir()} == {
        cache_file(cache, v3).name,
        cache_file(cache, v11).name,
    }

    # unchanged files: the cache answers (proved by editing the cached index)
    cached = cache_file(cache, v11)
    data = json.loads(cached.read_text(encoding="utf-8"))
    data["index"]["titles"]["ұлытау"] = "Ұлытау"
    cached.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert build_index({"3": v3, "11": v11}, cache).resolve("Ұлытау").title == "Ұлытау"

    # a changed volume file invalidates its cache file
    _volume(
        v11,
        dg.article("АЛТЫН АДАМ", "сақ жауынгерінің жерлеуі, Есік қорғаны.", title="Алтын адам"),
    )
    rebuilt = build_index({"3": v3, "11": v11}, cache)
    assert rebuilt.resolve("Ұлытау").title is None
    assert rebuilt.resolve("Алтын адам").title == "Алтын адам"


def test_build_index_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    v1 = _volume(tmp_path / "v1.docx", dg.article("ЖЕЗ", "құйма.", title="Жез"))
    cache = tmp_path / "cache"
    cache.mkdir()
    cache_file(cache, v1).write_text("{not json", encoding="utf-8")
    assert build_index({"1": v1}, cache).resolve("Жез").title == "Жез"
    assert json.loads(cache_file(cache, v1).read_text(encoding="utf-8"))["version"] == 1


def test_title_index_merge_keeps_both_volumes() -> None:
    a = TitleIndex.from_articles([article("АҚСУ", title="Ақсу (өзен)", lead="Ақсу")])
    a.merge(TitleIndex.from_articles([article("АҚСУ", title="Ақсу (қала)", lead="Ақсу")]))
    assert len(a.resolve("Ақсу").ambiguous) == 2
    assert a.resolve("Ақсу (қала)").exact
