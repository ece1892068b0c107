"""render(): articles built in code → wikitext properties (lead, formatting, sections...)."""

from __future__ import annotations

import re

import jinja2
import mwparserfromhell
import pytest

from tests.renderkit import BR, article, b, context, i, para, sub, sup, table
from uploader.config import TEMPLATES_DIR
from uploader.model import Kind, Picture, Role, Span
from uploader.render.article import Fields, make_environment, render, render_redirect
from uploader.render.title_index import TitleIndex
from uploader.render.validate import markup_problems


@pytest.fixture(scope="module")
def ctx():  # type: ignore[no-untyped-def]
    return context()


def _first_line(wikitext: str) -> str:
    return wikitext.split("\n", 1)[0]


@pytest.mark.parametrize(
    ("art", "opening"),
    [
        (
            article(
                "ӘУЕЗОВ Мұхтар Омарханұлы",
                head_spans=(b("ӘУЕ"), b("ЗОВ "), b("Мұхтар Омарханұлы")),
                rest=(" (28.9.1897, Семей уезі – 27.6.1961, Мәскеу) – жазушы.",),
                title="Мұхтар Әуезов",
                lead="Мұхтар Омарханұлы Әуезов",
                kind=Kind.PERSON,
            ),
            "'''Мұхтар Омарханұлы Әуезов''' (28.9.1897, Семей уезі – 27.6.1961, Мәскеу) – жазушы.",
        ),
        (article("АҚСУ", title="Ақсу (өзен)", lead="Ақсу"), "'''Ақсу''' – мысал"),
        (
            article("«ЕГЕМЕН ҚАЗАҚСТАН»", title="Егемен Қазақстан"),
            "'''«Егемен Қазақстан»''' – мысал",
        ),
        (
            article("ЖАРЫҚ ЖЫЛДАМДЫҒЫ", head_spans=(b("ЖАРЫҚ ЖЫЛДАМ\u00adДЫҒЫ "),)),
            "'''Жарық жылдамдығы''' – мысал",
        ),
    ],
)
def test_render_opens_with_bold_lead(art, opening, ctx) -> None:  # type: ignore[no-untyped-def]
    page = render(art, ctx)
    assert page.wikitext.startswith(opening)
    first_word = re.sub(
        r"[^\w ]", "", mwparserfromhell.parse(_first_line(page.wikitext)).strip_code()
    ).split()[0]
    assert not first_word.isupper()
    assert page.title == art.title


def test_render_headword_not_at_start_warns_and_still_leads(ctx) -> None:  # type: ignore[no-untyped-def]
    art = article("ЖЕЗ", head_spans=(b("ЖЕЗДІ"),), rest=(" құйма.",))
    page = render(art, ctx)
    assert _first_line(page.wikitext).startswith("'''Жез''' құйма.")
    assert any("headword" in w for w in page.warnings)


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ((" 1360 мың км", sup("2"), "."), "1360 мың км<sup>2</sup>."),
        ((" H", sub("2"), "SO", sub("4")), "-{H<sub>2</sub>SO<sub>4</sub>}-"),
        ((" ", b("КСРО"), " құрамында"), "'''КСРО''' құрамында"),
        ((" ", i("сонда"), ","), "''сонда'',"),
        ((" ", Span("екеуі", bold=True, italic=True), "."), "'''''екеуі'''''."),
        ((" бір", BR, "екі"), "бір<br /> екі"),
        (
            (" ", b("жуан "), Span("жуан-көлбеу", bold=True, italic=True)),
            "'''жуан''' '''''жуан-көлбеу'''''",
        ),
    ],
)
def test_render_inline_formatting_survives(spans, expected, ctx) -> None:  # type: ignore[no-untyped-def]
    page = render(article("ТЕСТ", rest=(" – анықтама", *spans)), ctx)
    assert expected in page.wikitext
    assert markup_problems(page.wikitext) == []


def test_render_table_becomes_wikitable(ctx) -> None:  # type: ignore[no-untyped-def]
    art = article(
        "ОБЛЫС",
        para("Аудандары:"),
        para("Соңғы абзац."),
        tables=(table((b("АУДАН"), b("ОРТАЛЫҒЫ")), ("Байзақ", "Сарыкемер а."), after=1),),
    )
    text = render(art, ctx).wikitext
    assert '{| class="wikitable"' in text and "|}" in text
    assert "! АУДАН" in text and "| Байзақ" in text and "| Сарыкемер ауылы" in text
    assert text.index("Аудандары:") < text.index("{|") < text.index("Соңғы абзац.")


def test_render_numbered_senses_stay_inline(ctx) -> None:  # type: ignore[no-untyped-def]
    art = article("ТІЛ", rest=(" – 1) ауыз қуысындағы мүше; 2) сөйлеу құралы.",))
    line = _first_line(render(art, ctx).wikitext)
    assert "1) ауыз қуысындағы мүше; 2) сөйлеу құралы." in line


def test_render_works_and_literature_sections(ctx) -> None:  # type: ignore[no-untyped-def]
    art = article(
        "АБАЙ",
        para(i("Шығ.:"), " Шығармаларының толық жинағы, А., 1957.", role=Role.WORKS),
        para(i("Әдеб.:"), " Әуезов М., Абай жолы, А., 1961.", role=Role.LITERATURE),
        para(i("Р. Нұрғалиев."), role=Role.SIGNATURE),
    )
    text = render(art, ctx).wikitext
    works = text.index("== Шығармалары ==")
    lit = text.index("== Әдебиет ==")
    sources = text.index("== Дереккөздер ==")
    assert works < lit < sources
    assert "\nШығармаларының толық жинағы, Алматы, 1957." in text
    assert "\nӘуезов М., Абай жолы, Алматы, 1961." in text
    assert "Шығ.:" not in text and "Әдеб.:" not in text
    assert "|author=Р. Нұрғалиев" in text
    assert "Р. Нұрғалиев." not in text.split("<ref>")[0]


def test_render_section_names_come_from_config() -> None:
    ctx = context(
        sections={
            "works": "Еңбектері",
            "literature": "Оқу",
            "sources": "Сілтемелер",
            "see_also": "Қараңыз",
        }
    )
    art = article("АБАЙ", para(i("Шығ.:"), " Өлеңдер.", role=Role.WORKS))
    text = render(art, ctx).wikitext
    assert "== Еңбектері ==" in text and "== Сілтемелер ==" in text
    assert "Шығармалары" not in text


def test_render_citation_cites_volume(ctx) -> None:  # type: ignore[no-untyped-def]
    page = render(article("АБАЙ", volume="2"), ctx)
    ref = re.search(r"<ref>(.*?)</ref>", page.wikitext)
    assert ref is not None
    template = mwparserfromhell.parse(ref.group(1)).filter_templates()[0]
    values = {str(p.name).strip(): str(p.value).strip() for p in template.params}
    assert values["isbn"] == "5-89800-123-9" and values["volume"] == "II"
    assert values["year"] == "1998" and values["chapter"] == "Абай"
    assert "<references />" in page.wikitext
    assert "II том" in page.summary and "CC BY-SA" in page.summary


def test_render_unconfigured_volume_citation_problem(ctx) -> None:  # type: ignore[no-untyped-def]
    assert "citation.volumes.99" in (ctx.citation.problem("99") or "")
    assert ctx.citation.problem("2") is None
    text = render(article("АБАЙ", volume="99"), ctx).wikitext
    assert "|isbn=" not in text and "|title=«Қазақстан»" in text


@pytest.mark.parametrize(
    ("kind", "lead", "sortkey"),
    [
        (Kind.PERSON, "Мұхтар Омарханұлы Әуезов", "{{ӘДЕПКІСҰРЫПТАУ:Әуезов, Мұхтар Омарханұлы}}"),
        (Kind.PERSON, "Жамбыл Жабаев", "{{ӘДЕПКІСҰРЫПТАУ:Жабаев, Жамбыл}}"),
        (Kind.PERSON, "Абай (Ибраһим) Құнанбайұлы", "{{ӘДЕПКІСҰРЫПТАУ:Құнанбайұлы, Абай}}"),
        (Kind.PERSON, "Абылай хан", None),
        (Kind.PERSON, "Әл-Фараби", None),
        (Kind.PLACE, "Ақсу", None),
        (Kind.OTHER, "Жез", None),
    ],
)
def test_render_defaultsort_for_persons(kind, lead, sortkey, ctx) -> None:  # type: ignore[no-untyped-def]
    text = render(article("ТЕСТ", kind=kind, lead=lead, title=lead), ctx).wikitext
    if sortkey:
        assert sortkey in text
    else:
        assert "ӘДЕПКІСҰРЫПТАУ" not in text


@pytest.mark.parametrize(("length", "stub"), [(50, True), (2000, False)])
def test_render_stub_and_tracking_category(length, stub) -> None:  # type: ignore[no-untyped-def]
    ctx = context(stub_template="Бастама", stub_threshold=400, tracking_categories=["Импорт"])
    art = article("ТЕСТ", rest=(" – " + "а" * length,))
    text = render(art, ctx).wikitext
    assert ("{{Бастама}}" in text) is stub
    assert text.endswith("[[Санат:Импорт]]")


def test_render_crossref_becomes_link() -> None:
    ctx = context(index=TitleIndex())
    art = article(
        "ЕСІК",
        rest=(" – қала. Алтын адам табылған (қ. ", i("Алтын адам"), ")."),
        crossrefs=("Алтын адам",),
    )
    page = render(art, ctx)
    assert "(қараңыз [[Алтын адам]])." in page.wikitext
    assert any("not found" in w for w in page.warnings)


def test_render_crossref_resolved_across_volumes() -> None:
    other = article("БАЛҚАШ", title="Балқаш көлі", lead="Балқаш")
    ctx = context(index=TitleIndex.from_articles([other]))
    art = article("ІЛЕ", rest=(" – өзен (қ. ", i("Балқаш"), ")."), crossrefs=("Балқаш",))
    page = render(art, ctx)
    assert "[[Балқаш көлі|Балқаш]]" in page.wikitext
    assert not any("not found" in w for w in page.warnings)


def test_render_context_with_index_shares_templates_and_resolves_with_the_index() -> None:
    blank = context()
    other = article("БАЛҚАШ", title="Балқаш көлі", lead="Балқаш")
    index = TitleIndex.from_articles([other])
    ctx = blank.with_index(index)
    assert ctx.index is index and blank.index is None
    assert ctx.article_template is blank.article_template  # compiled once
    assert ctx.with_index(index) is ctx
    art = article("ІЛЕ", rest=(" – өзен (қ. ", i("Балқаш"), ")."), crossrefs=("Балқаш",))
    assert "[[Балқаш көлі|Балқаш]]" in render(art, ctx).wikitext
    assert render(art, context(index=index)).wikitext == render(art, ctx).wikitext


def test_render_crossref_comma_list_links_each_known_part() -> None:
    known = [
        article("АҚТАБАН", title="Ақтабан шұбырынды"),
        article("АЛҚАКӨЛ", title="Алқакөл сұлама"),
    ]
    ctx = context(index=TitleIndex.from_articles(known))
    art = article(
        "ЖОҢҒАР",
        rest=(" – мемлекет (қ. ", i("Ақтабан шұбырынды, Алқакөл сұлама"), ")."),
        crossrefs=("Ақтабан шұбырынды, Алқакөл сұлама",),
    )
    text = render(art, ctx).wikitext
    assert "[[Ақтабан шұбырынды]], [[Алқакөл сұлама]]" in text


def test_render_crossref_unknown_as_text_when_configured() -> None:
    ctx = context(index=TitleIndex(), unknown_links="text")
    art = article("ЕСІК", rest=(" – (қ. ", i("Алтын адам"), ")."), crossrefs=("Алтын адам",))
    text = render(art, ctx).wikitext
    assert "[[" not in text.split("<ref>")[0]
    assert "Алтын адам" in text


def test_render_crossref_not_in_text_goes_to_see_also(ctx) -> None:  # type: ignore[no-untyped-def]
    art = article("ЕСІК", crossrefs=("Алтын адам",))
    text = render(art, ctx).wikitext
    assert "== Тағы қараңыз ==\n* [[Алтын адам]]" in text


@pytest.mark.parametrize(
    ("headword", "kind", "lead", "body", "expected"),
    [
        ("ЖЫРАУ", Kind.OTHER, "Жырау", "Ж-лар хан кеңесшісі болған.", "Жыраулар хан кеңесшісі"),
        ("ЖЫРАУ", Kind.OTHER, "Жырау", "Бұл Ж. туралы.", "Бұл жырау туралы."),
        ("ЕРТІС", Kind.PLACE, "Ертіс", "Кейін Е-тің суы азайды.", "Кейін Ертістің суы"),
        (
            "ЖОҢҒАР ХАНДЫҒЫ",
            Kind.OTHER,
            "Жоңғар хандығы",
            "Ж. х-ның әскері.",
            "Жоңғар хандығының әскері",
        ),
        ("ЕЛТАҢБА", Kind.OTHER, "Елтаңба", "Авторы Е. Мәлібеков.", "Авторы Е. Мәлібеков."),
        ("ӘУЕЗОВ Мұхтар", Kind.PERSON, "Мұхтар Әуезов", "Ә. шығармалары.", "Әуезов шығармалары."),
    ],
)
def test_render_headword_initials_written_out(headword, kind, lead, body, expected, ctx) -> None:  # type: ignore[no-untyped-def]
    art = article(headword, para(body), kind=kind, lead=lead, title=lead)
    assert expected in render(art, ctx).wikitext


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("1957 ж. қала болды.", "1957 жылы қала болды."),
        ("Павлодар обл-ндағы қала.", "Павлодар облысындағы қала."),
        ("Орталығы – Тараз қ.", "Орталығы – Тараз қаласы."),
        ("Каспий т-не құяды, т.б.", "Каспий т-не құяды, тағы басқа"),
        ("(қ. Балқаш)", "(қ. Балқаш)"),
    ],
)
def test_render_abbreviations_expanded(body, expected, ctx) -> None:  # type: ignore[no-untyped-def]
    assert expected in render(article("ТЕСТ", para(body)), ctx).wikitext


@pytest.mark.parametrize(
    ("protect", "single", "body", "expected"),
    [
        (True, False, ("(", i("Zea mays"), ")"), "(''-{Zea mays}-'')"),
        (True, False, ("(грек. zoon – жануар)",), "(грекше zoon – жануар)"),
        (True, True, ("(грек. zoon – жануар)",), "(грекше -{zoon}- – жануар)"),
        (True, False, ("XIX ғ. басы",), "XIX ғасыр басы"),
        (True, False, ("мәні T", sub("max"), " болады"), "мәні -{T<sub>max</sub>}- болады"),
        (False, False, ("(", i("Zea mays"), ")"), "(''Zea mays'')"),
    ],
)
def test_render_latin_protection(protect, single, body, expected) -> None:  # type: ignore[no-untyped-def]
    ctx = context(latin_protect=protect, latin_single_words=single)
    text = render(article("ТЕСТ", para(*body)), ctx).wikitext
    assert expected in text
    assert markup_problems(text) == []


def test_render_picture_caption_kept_and_listed(ctx) -> None:  # type: ignore[no-untyped-def]
    pic = Picture(
        after_paragraph=0,
        name="word/media/image1.png",
        content_type="image/png",
        data=b"\x89PNG",
        caption=1,
    )
    art = article("ЖАМБЫЛ", para(i("Жамбыл Жабаев."), role=Role.CAPTION), pictures=(pic,))
    page = render(art, ctx)
    assert "''Жамбыл Жабаев.''" in page.wikitext
    assert "<!-- word/media/image1.png" in page.wikitext
    assert page.pictures == (pic,)


def test_render_redirects_and_redirect_page(ctx) -> None:  # type: ignore[no-untyped-def]
    art = article(
        "ӘУЕЗОВ Мұхтар",
        title="Мұхтар Әуезов",
        kind=Kind.PERSON,
        redirects=("Әуезов Мұхтар", "Мұхтар Әуезов"),
    )
    page = render(art, ctx)
    assert page.redirects == ("Әуезов Мұхтар",)
    assert render_redirect(page.title, ctx) == "#АЙДАУ [[Мұхтар Әуезов]]"
    assert render_redirect("O'Brien & Co", ctx) == "#АЙДАУ [[O&#39;Brien &amp; Co]]"


def test_render_page_validates(ctx) -> None:  # type: ignore[no-untyped-def]
    art = article(
        "ЖАНУ",
        para("Мысалы: CH", sub("4"), " + 2O", sub("2"), " = CO", sub("2"), "."),
        para(b("КСРО"), " кезінде ", i("зерттелді"), "."),
        tables=(table(("a", "b"), after=1),),
    )
    page = render(art, ctx)
    assert markup_problems(page.wikitext) == []
    assert str(mwparserfromhell.parse(page.wikitext)) == page.wikitext


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("<$ c.title $>", "Т&#124;"),
        ("<$ c['title'] $>", "Т&#124;"),
        ("<% if c.isbn %>x<% endif %>", ""),
        ("<% for k in c.keys() %><$ k $> <% endfor %>", "title isbn "),
    ],
)
def test_render_fields_read_like_a_dict_in_templates(source: str, expected: str) -> None:
    template = make_environment(TEMPLATES_DIR).from_string(source)
    assert template.render(c=Fields({"title": "Т|", "isbn": ""})) == expected


def test_render_fields_missing_key_is_undefined() -> None:
    template = make_environment(TEMPLATES_DIR).from_string("<$ c.editor $>")
    with pytest.raises(jinja2.UndefinedError):
        template.render(c=Fields({"title": "Т"}))
