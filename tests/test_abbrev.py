"""Abbreviations: the configured table and its context rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.renderkit import article, para
from uploader.config import DEFAULTS_DIR
from uploader.errors import ConfigError
from uploader.model import Kind
from uploader.render.abbrev import Abbreviations, HeadwordInitials


@pytest.fixture(scope="module")
def table() -> Abbreviations:
    return Abbreviations.load(DEFAULTS_DIR / "abbreviations.toml")


@pytest.mark.parametrize(
    ("before", "text", "after", "expected"),
    [
        ("", "1957 ж. қала болды", "", "1957 жылы қала болды"),
        ("", "1635–1758 жж. болған", "", "1635–1758 жылдары болған"),
        ("", "17 ғ. аяғы – 18 ғ. басы", "", "17 ғасыр аяғы – 18 ғасыр басы"),
        ("", "т.с.с. және т.б.", "", "тағы сол сияқты және тағы басқа."),
        ("", "т. ж. стансасы", "", "темір жол стансасы"),
        (
            "",
            "ақындар, жыраулар ж. б. өнерпаздар",
            "",
            "ақындар, жыраулар және басқалар өнерпаздар",
        ),
        ("", "Павлодар обл-ндағы қала", "", "Павлодар облысындағы қала"),
        ("", "ауд-ның орт.", "", "ауданының орталығы."),
        ("", "мыс қорыту з-ты", "", "мыс қорыту зауыты"),
        ("", "Тараз қ.", "", "Тараз қаласы."),
        ("Орталығы – ", "Тараз қ.", " Тағы", "Тараз қаласы"),
        ("", "(қ. Ертіс)", "", "(қ. Ертіс)"),
        ("", "мұнда қ. Ертіс", "", "мұнда қ. Ертіс"),
        ("", "Ұз. 712 км", "", "Ұз. 712 км"),
        ("", "жаңа ж.", "", "жаңа жылы."),
        ("", "тәж. сөз", "", "тәж. сөз"),
        ("", "ҚР-ның газеті", "", "ҚР-ның газеті"),
        (
            "",
            "Шығыс Қазақстан обл-ндағы көл. Бұқтырма",
            "",
            "Шығыс Қазақстан облысындағы көл. Бұқтырма",
        ),
    ],
)
def test_abbreviations_expand_body(table, before, text, after, expected) -> None:  # type: ignore[no-untyped-def]
    assert table.expand(text, before, after) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Әуезов М., Абай жолы, А., 1961.", "Әуезов М., Абай жолы, Алматы, 1961."),
        ("Бөкейханов Ә., Шығармалары, М., 1995.", "Бөкейханов Ә., Шығармалары, Мәскеу, 1995."),
        ("Тарих. – А.: Ғылым, 1990.", "Тарих. – Алматы: Ғылым, 1990."),
        ("Әуезов М., Абай жолы", "Әуезов М., Абай жолы"),
    ],
)
def test_abbreviations_imprint_cities(table, text, expected) -> None:  # type: ignore[no-untyped-def]
    assert table.expand_imprint(text) == expected


def test_abbreviations_capitalised_when_configured() -> None:
    table = Abbreviations.from_mapping(
        {"settings": {"capitalised": True}, "expand": {"ұз.": "ұзындығы", "а.": "ауылы"}}
    )
    assert table.expand("Ұз. 712 км") == "Ұзындығы 712 км"
    assert table.expand("А. Байтұрсынұлы") == "А. Байтұрсынұлы"  # one letter: never


@pytest.mark.parametrize(
    ("tables", "text", "expected"),
    [
        ({"expand": {"км": "километр"}}, "12 км жол", "12 километр жол"),  # no full stop
        ({"expand": {"км": "километр"}}, "12 кмден", "12 кмден"),
        ({"expand": {"ж.": "жылы"}}, "1957 ж", "1957 ж"),
        ({"stems": {"обл-": "облысы"}}, "обл-ның", "облысының"),
        ({"after_name": {"қ.": "қаласы"}}, "Тараз қ. маңы", "Тараз қаласы маңы"),
        ({"after_name": {"қ.": "қаласы"}}, "Тараз қала", "Тараз қала"),
    ],
)
def test_abbreviations_table_shapes(tables, text, expected) -> None:  # type: ignore[no-untyped-def]
    assert Abbreviations.from_mapping(tables).expand(text) == expected


@pytest.mark.parametrize(
    ("content", "message"),
    [("[expand\n", "not valid TOML"), ('[expand]\n"ж." = 3\n', "must map")],
)
def test_abbreviations_bad_file_is_config_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "abbr.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        Abbreviations.load(path)


def test_abbreviations_missing_file_is_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        Abbreviations.load(tmp_path / "none.toml")


@pytest.mark.parametrize(
    ("headword", "kind", "lead", "text", "before", "expected"),
    [
        ("ЖЫРАУ", Kind.OTHER, "Жырау", "Ж-лар хан кеңесшісі", "", "Жыраулар хан кеңесшісі"),
        ("ЖЫРАУ", Kind.OTHER, "Жырау", "ал Ж-лар", "", "ал жыраулар"),
        ("ЖЫРАУ", Kind.OTHER, "Жырау", "Ж. Мәлібеков", "", "Ж. Мәлібеков"),
        ("ЖЫРАУ", Kind.OTHER, "Жырау", "Д. Ж. Ақаев", "", "Д. Ж. Ақаев"),
        ("ЕСІЛ", Kind.PLACE, "Есіл", "бойы Е-дің", "", "бойы Есілдің"),
        ("ҚАЗАҚ ХАНДЫҒЫ", Kind.OTHER, "Қазақ хандығы", "Қ. х-ның", "", "Қазақ хандығының"),
        (
            "ҚАЗАҚ ХАНДЫҒЫ",
            Kind.OTHER,
            "Қазақ хандығы",
            "ал Қ. х. құрылды",
            "",
            "ал Қазақ хандығы құрылды",
        ),
        ("АБАЙ (Ибраһим) Құнанбайұлы", Kind.PERSON, "Абай Құнанбайұлы", "А-дың", "", "Абайдың"),
        ("ЖЕЗ", Kind.OTHER, "Жез", "сары ж. түрі", "", "сары ж. түрі"),
    ],
)
def test_headword_initials_expand(headword, kind, lead, text, before, expected) -> None:  # type: ignore[no-untyped-def]
    art = article(headword, para("x"), kind=kind, lead=lead, title=lead)
    assert HeadwordInitials.for_article(art).expand(text, before) == expected


@pytest.mark.parametrize(
    ("before", "text", "after", "changes"),
    [
        ("", "1957 ж. қала болды", "", True),
        ("Павлодар ", "обл-ндағы", " қала", True),
        ("", "д-ры", "лар", True),  # the piece ends where the paragraph's word goes on
        ("Орталығы – Тараз ", "қ.", " Тағы", True),
        ("", "Қала 1957 жылы салынды", "", False),
        ("", "мыс қорыту", " зауыты", False),
    ],
)
def test_abbreviations_may_expand_whenever_expand_changes_a_piece(
    table: Abbreviations, before: str, text: str, after: str, changes: bool
) -> None:
    assert (table.expand(text, before, after) != text) is changes
    assert table.may_expand(before + text + after) is changes


@pytest.mark.parametrize(
    ("headword", "kind", "lead", "before", "text", "after"),
    [
        ("ЖАМБЫЛ", Kind.OTHER, "Жамбыл облысы", "", "Ж. облысы", ""),
        ("ЖАМБЫЛ", Kind.OTHER, "Жамбыл облысы", "", "Ж-ға", "ның"),
        ("ҚАЗАҚ ХАНДЫҒЫ", Kind.OTHER, "Қазақ хандығы", "ал ", "Қ. х.", " құрылды"),
        ("ЖЕЗ", Kind.OTHER, "Жез", "", "сары ж. түрі", ""),
        ("АБАЙ", Kind.PERSON, "Абай Құнанбайұлы", "", "ақын Абай", ""),
    ],
)
def test_headword_initials_may_expand_whenever_expand_changes_a_piece(
    headword: str, kind: Kind, lead: str, before: str, text: str, after: str
) -> None:
    initials = HeadwordInitials.for_article(article(headword, para("x"), kind=kind, lead=lead))
    changed = initials.expand(text, before) != text
    assert initials.may_expand(before + text + after) is changed
