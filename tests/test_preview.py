"""The offline preview: files on disk, the CLI, the scorer bar and the HTML in a browser."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests import docxgen as dg
from tests.renderkit import article, context, i, para
from tests.shared import require_shared, run_scorer
from uploader.cli import main
from uploader.config import load_config
from uploader.model import Kind, Picture, Role
from uploader.pipeline import iter_pages
from uploader.preview.writer import safe_name, write_preview
from uploader.render.article import render
from uploader.render.title_index import TitleIndex
from uploader.report import Report, Review

ROOT = Path(__file__).resolve().parents[1]


def _pages(ctx):  # type: ignore[no-untyped-def]
    pic = Picture(
        after_paragraph=0,
        name="word/media/image1.png",
        content_type="image/png",
        data=dg.tiny_png(),
        caption=1,
    )
    return [
        render(
            article(
                "ӘУЕЗОВ Мұхтар",
                para(i("Мұхтар Әуезов."), role=Role.CAPTION),
                title="Мұхтар Әуезов",
                kind=Kind.PERSON,
                redirects=("Әуезов Мұхтар",),
                pictures=(pic,),
            ),
            ctx,
        ),
        render(article("СКРИПТ", rest=(" – <script>alert('x')</script> & <b>",)), ctx),
        render(article("A/B", title="A/B: сынақ?"), ctx),
    ]


def test_write_preview_files_and_counts(tmp_path: Path) -> None:
    ctx = context()
    report = Report()
    report.quarantine(_pages(ctx)[0].source, "bad <markup>", "ҚАТЕ")
    summary = write_preview(
        iter(_pages(ctx)), tmp_path, report, templates_dir=ctx.settings.templates_dir
    )
    assert summary == {
        "articles": 4,
        "pages": 3,
        "redirects": 1,
        "quarantined": 1,
        "warnings": 0,
        "pictures": 1,
        "review": {**{kind: 0 for kind in Review}, "quarantined": 1},
    }
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")) == summary
    records = [
        json.loads(line) for line in (tmp_path / "pages.jsonl").read_text("utf-8").splitlines()
    ]
    assert [r["title"] for r in records] == [
        "Мұхтар Әуезов",
        "Әуезов Мұхтар",
        "Скрипт",
        "A/B: сынақ?",
    ]
    assert records[1]["wikitext"] == "#АЙДАУ [[Мұхтар Әуезов]]"
    for record in records:
        assert {"title", "wikitext", "redirects", "warnings", "source"} <= set(record)
        wiki_file = tmp_path / record["file"]
        assert wiki_file.parent == tmp_path / "pages"
        assert wiki_file.read_text(encoding="utf-8") == record["wikitext"] + "\n"
    media = list((tmp_path / "pages" / "media").iterdir())
    assert [m.read_bytes() for m in media] == [dg.tiny_png()]
    tsv = (tmp_path / "pictures.tsv").read_text(encoding="utf-8").splitlines()
    assert tsv[1].split("\t")[:2] == ["pages/media/Мұхтар Әуезов.png", "Мұхтар Әуезов"]
    assert tsv[1].endswith("Мұхтар Әуезов.")


def test_write_preview_replaces_previous_preview(tmp_path: Path) -> None:
    ctx = context()
    (tmp_path / "pages" / "media").mkdir(parents=True)
    (tmp_path / "pages" / "Ескі бет.wiki").write_text("old", encoding="utf-8")
    (tmp_path / "pages" / "media" / "old.png").write_bytes(b"old")
    write_preview(
        iter(_pages(ctx)[1:]), tmp_path, Report(), templates_dir=ctx.settings.templates_dir
    )
    assert not (tmp_path / "pages" / "Ескі бет.wiki").exists()
    assert not (tmp_path / "pages" / "media" / "old.png").exists()
    assert len(list((tmp_path / "pages").glob("*.wiki"))) == 2


def test_write_preview_rerun_writes_only_what_changed(tmp_path: Path) -> None:
    ctx = context()
    pages = _pages(ctx)
    write_preview(iter(pages), tmp_path, Report(), templates_dir=ctx.settings.templates_dir)
    files = sorted((tmp_path / "pages").rglob("*.*"))
    old = 1_000_000_000  # an mtime no write can give: a file still holding it was not written
    for path in files:
        os.utime(path, (old, old))
    spoiled, cut = files[0], files[1]
    good = {path: path.read_bytes() for path in files}
    spoiled.write_bytes(bytes(len(good[spoiled])))  # same size, other bytes
    cut.write_bytes(good[cut] + b"more")  # a longer file: cut back to size
    changed = replace(pages[2], wikitext=pages[2].wikitext + "\n\nЖаңа сөйлем.")
    write_preview(
        iter([*pages[:2], changed]), tmp_path, Report(), templates_dir=ctx.settings.templates_dir
    )
    fresh = tmp_path / "pages" / f"{safe_name(changed.title)}.wiki"
    assert fresh.read_text(encoding="utf-8") == changed.wikitext + "\n"
    assert sorted((tmp_path / "pages").rglob("*.*")) == files
    for path in files:
        if path == fresh:
            continue
        assert path.read_bytes() == good[path], path
        assert (path.stat().st_mtime == old) == (path not in (spoiled, cut)), path
    assert fresh.stat().st_mtime != old


def test_write_preview_html_escapes_everything(tmp_path: Path) -> None:
    ctx = context()
    report = Report()
    report.warn("v.docx:¶3", "strange <img src=x onerror=alert(1)>")
    write_preview(iter(_pages(ctx)), tmp_path, report, templates_dir=ctx.settings.templates_dir)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    assert html.count('<article class="page"') == 3
    assert not (tmp_path / "report.html.part").exists()
    assert "http://" not in html and "https://" not in html  # self-contained


def test_write_preview_file_error_is_raised(tmp_path: Path) -> None:
    ctx = context()
    (tmp_path / "pages" / "Мұхтар Әуезов.wiki").mkdir(parents=True)  # cannot become a file
    with pytest.raises(IsADirectoryError):
        write_preview(
            iter(_pages(ctx)), tmp_path, Report(), templates_dir=ctx.settings.templates_dir
        )
    assert not (tmp_path / "report.html.part").exists()


def test_write_preview_report_template_problem_is_a_config_error(tmp_path: Path) -> None:
    from uploader.errors import ConfigError

    ctx = context()
    templates = tmp_path / "templates"
    shutil.copytree(ctx.settings.templates_dir, templates)
    (templates / "report_page.html.j2").write_text("{% for %}", encoding="utf-8")
    with pytest.raises(ConfigError, match="template problem"):
        write_preview(iter(_pages(ctx)), tmp_path / "out", Report(), templates_dir=templates)
    assert not (tmp_path / "out" / "report.html.part").exists()


def test_fill_renders_as_render(tmp_path: Path) -> None:
    import jinja2

    from uploader.preview.html import _environment
    from uploader.templating import fill

    (tmp_path / "g.j2").write_text("{% for n in range(count) %}{{ n }}<{{ x }}>{% endfor %}")
    env = _environment(tmp_path)
    variables = {"count": 3, "x": "<b>&"}
    template = env.get_template("g.j2")
    assert fill(template, variables) == template.render(**variables)
    page = _environment(context().settings.templates_dir).get_template("report_page.html.j2")
    values = {
        "number": 7,
        "title": "A <b>",
        "source": "v.docx:¶1",
        "redirects": ["R & r"],
        "pictures": ["p.png"],
        "warnings": ["w1", "<w2>"],
        "wikitext": "'''A''' <ref>x</ref>",
        "source_text": "A\nB",
    }
    assert fill(page, values) == page.render(**values)
    with pytest.raises(jinja2.UndefinedError):
        fill(template, {"count": 1})


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Ақсу (өзен)", "Ақсу (өзен)"),
        ("A/B: сынақ?", "A_B_ сынақ"),
        ("../..", "page"),
        ("x" * 300, "x" * 120),
        ("Ә" * 130, "Ә" * 100),  # 200 bytes of UTF-8
        ("Ә" * 50, "Ә" * 50),
    ],
)
def test_safe_name_examples(title: str, name: str) -> None:
    assert safe_name(title) == name


def _volume_docx(path: Path) -> Path:
    return dg.write_docx(
        dg.Volume(
            [
                dg.article(
                    "ЕСІК", ["қала. Маңында ", *dg.see("Алтын адам"), " табылған."], title="Есік"
                ),
                dg.article(
                    "АЛТЫН АДАМ", ["сақ жауынгері, ", "км", dg.sup("2"), "."], title="Алтын адам"
                ),
                dg.article(
                    "ӘУЕЗОВ Мұхтар", "(1897–1961) – жазушы.", title="Мұхтар Әуезов", kind="person"
                ),
            ]
        ),
        path,
    )


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[render]\ntitle_index_cache = "{tmp_path / "index.json"}"\n', encoding="utf-8"
    )
    return path


def test_iter_pages_parses_renders_validates(tmp_path: Path) -> None:
    docx = _volume_docx(tmp_path / "v.docx")
    report = Report()
    pages = list(iter_pages(docx, load_config(_config(tmp_path)), report))
    assert [p.title for p in pages] == ["Есік", "Алтын адам", "Мұхтар Әуезов"]
    assert "[[Алтын адам]]" in pages[0].wikitext
    assert not any("Алтын адам" in w for w in pages[0].warnings)  # resolved forward
    assert any("citation lacks" in w for w in report.warnings)
    limited = list(iter_pages(docx, load_config(_config(tmp_path)), Report(), limit=1))
    assert [p.title for p in limited] == ["Есік"]


def test_parse_volume_index_built_as_it_parses(tmp_path: Path) -> None:
    from uploader.pipeline import parse_volume
    from uploader.pipeline.title_index import index_of

    parsed = parse_volume(_volume_docx(tmp_path / "v.docx"), load_config(_config(tmp_path)))
    assert parsed.own is not None  # built during the parse, not after it
    assert parsed.index() is parsed.own
    assert parsed.own.to_json() == index_of(parsed.articles).to_json()
    assert len(parsed.own) == 3


def test_cli_preview_writes_preview(tmp_path: Path) -> None:
    docx = _volume_docx(tmp_path / "v.docx")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["preview", str(docx), "--out", str(out), "--config", str(_config(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    assert "pages=3" in result.output and "quarantined=0" in result.output
    assert {p.name for p in out.iterdir()} >= {
        "pages.jsonl",
        "pages",
        "report.html",
        "summary.json",
        "pictures.tsv",
    }


def test_cli_preview_bad_input_is_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip at all")
    result = CliRunner().invoke(
        main,
        ["preview", str(bad), "--out", str(tmp_path / "o"), "--config", str(_config(tmp_path))],
    )
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "bad.docx" in lines[0] and "Traceback" not in result.output


def _score(truth: Path, docx: Path, out: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    require_shared()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "uploader",
            "preview",
            str(docx),
            "--out",
            str(out),
            "--config",
            str(_config(tmp_path)),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return run_scorer(
        "pages",
        truth,
        out / "pages.jsonl",
        "--min-coverage",
        "0.97",
        "--min-check",
        "0.95",
        "--min-pages-ok",
        "0.95",
    )


@pytest.mark.shared
def test_preview_shared_sample_meets_pages_bar(tmp_path: Path) -> None:
    shared = require_shared()
    done = _score(
        shared / "samples" / "volume-sample.truth.json",
        shared / "samples" / "volume-sample.docx",
        tmp_path / "pv",
        tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.shared
def test_preview_bundled_sample_meets_pages_bar(tmp_path: Path) -> None:
    truth = ROOT / "samples" / "sample-volume.truth.json"
    if not truth.exists():
        pytest.skip("samples/sample-volume.truth.json not built")
    done = _score(truth, ROOT / "samples" / "sample-volume.docx", tmp_path / "pv", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def _chromium() -> str | None:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and os.environ.get("CI") == "true":
        pytest.fail("chromium is required in CI for browser tests")
    return found


def _png_colours(png: bytes) -> int:
    """Distinct byte values in the decompressed image data (1 means one flat colour)."""
    pos, data = 8, b""
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        kind = png[pos + 4 : pos + 8]
        if kind == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(data)))


@pytest.mark.browser
def test_preview_report_renders_in_chromium(tmp_path: Path) -> None:
    chromium = _chromium()
    if chromium is None:
        pytest.skip("chromium not installed")
    ctx = context()
    write_preview(
        iter(_pages(ctx)), tmp_path / "pv", Report(), templates_dir=ctx.settings.templates_dir
    )
    url = (tmp_path / "pv" / "report.html").as_uri()
    flags = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    png = tmp_path / "report.png"
    shot = subprocess.run(
        [*flags, f"--screenshot={png}", "--window-size=1280,2000", url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert png.exists(), shot.stderr
    assert png.stat().st_size > 5000 and _png_colours(png.read_bytes()) > 10
    dom = subprocess.run([*flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
    assert "Мұхтар Әуезов" in dom.stdout and "A/B: сынақ?" in dom.stdout
    assert "&lt;script&gt;" in dom.stdout and "<script>alert" not in dom.stdout


def test_iter_pages_quarantines_invalid_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    articles = [
        article("АҚСУ", title="Ақсу"),
        article("АҚСУ", title="Ақсу"),  # same title twice: the second is set aside
        article("ЖАМАН", title="Жаман|атау"),
        article("ЖАҚСЫ", title="Жақсы"),
    ]
    monkeypatch.setattr(
        "uploader.pipeline._iter_articles", lambda path, report, volume, config, *_: iter(articles)
    )
    report = Report()
    config = load_config(_config(tmp_path))
    pages = list(iter_pages(tmp_path / "v.docx", config, report, index=TitleIndex()))
    assert [p.title for p in pages] == ["Ақсу", "Жақсы"]
    reasons = [q.reason for q in report.quarantined]
    assert len(reasons) == 2
    assert "already used" in reasons[0] and "forbidden" in reasons[1]
    assert all(str(q.source).startswith("test.docx:") for q in report.quarantined)
