"""Benchmark: parsing (and parse + render) of a volume-sized file against a bare lxml pass.

    python bench/bench_parse.py [--articles 3500] [--repeat 5]

Builds a volume of about 3,500 articles by repeating the bundled sample volume's description,
then times, in this same process (best of --repeat; other work on the machine only ever makes a
run slower, so the best of several is the fairest figure, and the load average is printed):

* baseline: a bare lxml iterparse over word/document.xml (read from the zip, every element
  visited and cleared) — the floor any streaming parser pays;
* parse: ``iter_articles`` over the file;
* parse + render: ``pipeline.iter_pages`` (parse → render → validate), when the renderer exists;
* pandoc ``-f docx -t mediawiki`` on the same file, when pandoc is installed (for reference);
* one 200,000-character paragraph.

Peak memory of each stage is measured in a fresh child process (ru_maxrss). Bars: parse ≤ 3×
baseline under 150 MB; parse + render ≤ 4× baseline under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from samples.make_sample_volume import sample_volume  # noqa: E402
from tests import docxgen as g  # noqa: E402

STAGES = {
    "baseline": "from bench.bench_parse import bare_pass; bare_pass(PATH)",
    "parse": "from uploader.parse.volume import iter_articles\nfor _ in iter_articles(PATH): pass",
    "parse+render": (
        "from uploader.config import load_config\nfrom uploader.pipeline import iter_pages\n"
        "from uploader.report import Report\nfor _ in iter_pages(PATH, load_config(), Report()): pass"
    ),
}


def bare_pass(path: str | Path) -> int:
    """Visit every element of word/document.xml with lxml iterparse; return the count."""
    count = 0
    with zipfile.ZipFile(path) as zf, zf.open("word/document.xml") as stream:
        for _, el in etree.iterparse(stream, events=("end",), huge_tree=True):
            count += 1
            el.clear(keep_tail=True)
    return count


_LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХ"


def _mark(entry: g.Entry, k: int) -> g.Entry:
    """The entry with a per-copy suffix on its headword (``АБАЙ`` → ``АБАЙ-БВ``)."""
    first, *rest = entry.blocks
    if not isinstance(first, g.Para) or k == 0:
        return entry
    suffix = "-" + _LETTERS[k // len(_LETTERS) % len(_LETTERS)] + _LETTERS[k % len(_LETTERS)]
    runs = list(first.runs)
    for i, run in enumerate(runs):
        if isinstance(run, g.Run) and run.bold and run.text.strip():
            head, _, tail = run.text.partition(" ")
            runs[i] = replace(run, text=head + suffix + (" " + tail if tail else ""))
            break
    para = g.Para(
        runs,
        first.align,
        first.indent,
        first.style,
        first.page_break,
        first.section,
        first.keep_next,
    )
    return replace(entry, blocks=(para, *rest), headword=None)


def build_volume(path: Path, articles: int) -> int:
    """Write a volume of at least ``articles`` articles by repeating the bundled sample.

    Each copy's headwords get a suffix, so that the volume has distinct headwords as a real
    one does (a plain repeat would make every article a same-title collision).
    """
    base = sample_volume()
    per = len(base.entries())
    times = max(1, -(-articles // per))
    blocks = [
        _mark(b, k) if isinstance(b, g.Entry) else b for k in range(times) for b in base.blocks
    ]
    g.write_docx(replace(base, blocks=tuple(blocks)), path)
    return per * times


def _load() -> str:
    """The 1-minute load average, or "n/a" where the OS does not tell."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def best_of(repeat: int, func: Callable[[], object]) -> float:
    """The fastest of ``repeat`` timed calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def peak_mb(stage: str, path: Path) -> float | None:
    """Peak RSS in MB of a child process running one stage over the file.

    Read from VmHWM in /proc/self/status: ru_maxrss survives fork + exec on Linux and would
    report the (larger) benchmark process instead of the child.
    """
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r}); PATH = {str(path)!r}\n"
        + STAGES[stage]
        + "\nprint(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        return None
    return int(done.stdout.strip().splitlines()[-1]) / 1024


def _parse_all(path: Path) -> int:
    from uploader.parse.volume import iter_articles

    return sum(1 for _ in iter_articles(path))


def _render_all(path: Path) -> int | None:
    try:
        from uploader.config import load_config
        from uploader.pipeline import iter_pages
        from uploader.report import Report
    except ImportError:
        return None
    return sum(1 for _ in iter_pages(path, load_config(), Report()))


def main() -> int:
    """Run the benchmark and print the figures and ratios."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--articles", type=int, default=3500)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = ap.parse_args()
    results: dict[str, float | int | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        # State (the title-index cache) goes to the temporary folder, not the project.
        (Path(tmp) / "bench.toml").write_text('[run]\nledger = "state/ledger.sqlite3"\n')
        os.environ["UPLOADER_CONFIG"] = str(Path(tmp) / "bench.toml")
        path = Path(tmp) / "volume.docx"
        made = build_volume(path, args.articles)
        size = path.stat().st_size
        with zipfile.ZipFile(path) as zf:
            xml_size = zf.getinfo("word/document.xml").file_size
        print(
            f"volume: {made} articles, {size / 1e6:.1f} MB docx, {xml_size / 1e6:.1f} MB document.xml"
        )
        print(f"load average before timing: {_load()}")
        base = best_of(args.repeat, lambda: bare_pass(path))
        parse = best_of(args.repeat, lambda: _parse_all(path))
        results.update(articles=made, baseline_s=base, parse_s=parse, parse_ratio=parse / base)
        print(f"baseline (bare lxml iterparse): {base:.3f} s")
        print(
            f"parse (iter_articles):          {parse:.3f} s   ratio {parse / base:.2f}x  (bar ≤ 3x)"
        )
        if _render_all(path) is not None:
            render = best_of(args.repeat, lambda: _render_all(path))
            results.update(render_s=render, render_ratio=render / base)
            print(
                f"parse + render (iter_pages):    {render:.3f} s   ratio {render / base:.2f}x  (bar ≤ 4x)"
            )
        else:
            print("parse + render: renderer not available")
        for stage, bar in (("baseline", None), ("parse", 150), ("parse+render", 200)):
            mb = peak_mb(stage, path)
            results[f"{stage}_peak_mb"] = mb
            note = f"  (bar < {bar} MB)" if bar else ""
            print(
                f"peak memory {stage:<13} {mb:.0f} MB{note}" if mb else f"peak memory {stage}: n/a"
            )
        if shutil.which("pandoc"):
            start = time.perf_counter()
            subprocess.run(
                [
                    "pandoc",
                    "-f",
                    "docx",
                    "-t",
                    "mediawiki",
                    str(path),
                    "-o",
                    str(Path(tmp) / "p.wiki"),
                ],
                check=False,
                capture_output=True,
            )
            pandoc = time.perf_counter() - start
            results["pandoc_s"] = pandoc
            print(
                f"pandoc -f docx -t mediawiki:    {pandoc:.3f} s   ({pandoc / parse:.1f}x our parse time)"
            )
        else:
            print("pandoc: not installed")
        huge = Path(tmp) / "huge.docx"
        g.write_docx(g.Volume([g.article("АЛҰЗЫН", "өзен ағады, " * 17000, title="Алұзын")]), huge)
        one = best_of(1, lambda: _parse_all(huge))
        results["huge_paragraph_s"] = one
        print(f"one 200,000-character paragraph: {one:.3f} s")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
