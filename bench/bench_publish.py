"""Publisher speed on the local MediaWiki (not a timed test: prints figures and ratios).

1. Publish N articles plus their redirects with throttle 0 (``upload_volume``), counting
   api.php requests in the server's log: requests per saved page (bar: at most 1.5) and
   wall time per saved page, login included. Every article's candidate names (five each)
   are looked up before publishing, so the existence checks are counted.
2. A bare pywikibot ``Page.save()`` loop over the same number of pages with the same texts
   (other titles), same wiki, same process, throttles at 0: requests and time per save.
   Bar: ours at most 0.6x of it.
3. A 50,000-row ledger (49,900 published, 100 pending at the end): ``upload resume`` in a
   fresh process, time from launch to its first confirmed edit. Bar: at most 2 s.

Run: ``python bench/bench_publish.py [--articles 100]`` (needs php and MediaWiki, see
.ci/install-mediawiki.sh).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.renderkit import with_redirect_texts  # noqa: E402
from tests.wiki.server import LocalWiki  # noqa: E402
from uploader.commands import upload_volume  # noqa: E402
from uploader.config import load_config  # noqa: E402
from uploader.model import Page, SourcePos  # noqa: E402
from uploader.publish.ledger import Ledger, State, expand  # noqa: E402
from uploader.publish.runner import Outcome  # noqa: E402

BODY = (
    "'''{title}''' — Қазақстандағы елді мекен. Халқы 1 200 адам (2009). "
    "Мектеп, клуб, дәрігерлік амбулатория бар.\n\n== Дереккөздер ==\n<references />\n"
)


def pages(prefix: str, n: int) -> list[Page]:
    """n articles, every 4th with one redirect (its text and summary made by the templates).

    Each article has the candidate names a person's article has (title, surname first,
    given name with patronymic, the redirect, the qualified title): all are looked up before
    publishing, so the existence checks count in the requests per saved page.
    """
    out = []
    for i in range(n):
        title = f"{prefix} {i}"
        redirects = (f"{prefix} айдау {i}",) if i % 4 == 0 else ()
        fallback = f"{title} (тұлға)"
        out.append(
            with_redirect_texts(
                Page(
                    title=title,
                    wikitext=BODY.format(title=title) * 3,
                    source=SourcePos("bench.docx", i * 10, i * 10 + 3),
                    redirects=redirects,
                    summary=f"Бот: сынақ {i}",
                    candidates=(title, f"{i} {prefix}", f"{prefix} Әкесұлы {i}", *redirects),
                    fallback_title=fallback,
                    source_text=BODY.format(title=title),
                )
            )
        )
    return out


def write_config(folder: Path, wiki: LocalWiki) -> Path:
    secret = folder / "bot-password"
    fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(wiki.bot_password + "\n")
    path = folder / "config.toml"
    path.write_text(
        f'[wiki]\napi = "{wiki.api_url}"\nuser = "{wiki.bot_login}"\n'
        'password_file = "bot-password"\n[run]\nput_throttle = 0.0\n'
        'ledger = "state/ledger.sqlite3"\nlog_dir = "state/logs"\nstop_file = "state/STOP"\n',
        encoding="utf-8",
    )
    return path


def bench_publisher(wiki: LocalWiki, folder: Path, n: int) -> tuple[float, int, int]:
    """(seconds, saves, requests) for publishing n articles with our runner."""
    config = load_config(write_config(folder, wiki))
    wiki.reset_request_count()
    start = time.perf_counter()
    out = upload_volume(config, "bench", pages=pages("Өнімділік", n), progress=False)
    seconds = time.perf_counter() - start
    assert isinstance(out, Outcome)
    return seconds, out.created, wiki.request_count()


def bench_pywikibot(wiki: LocalWiki, saves: int) -> tuple[float, int]:
    """(seconds, requests) for a bare Page.save() loop of ``saves`` pages (login excluded)."""
    import pywikibot
    from pywikibot import config as pwb

    family = next(name for name, url in pwb.family_files.items() if url == wiki.api_url)
    site = pywikibot.Site(family, family, user=wiki.bot_user)
    site.login()
    site.throttle.set_delays(delay=0, writedelay=0, absolute=True)
    entries = [e for page in pages("Салыстыру", saves) for e in expand(page)][:saves]
    wiki.reset_request_count()
    start = time.perf_counter()
    for i, entry in enumerate(entries):
        page = pywikibot.Page(site, entry.title)
        page.text = entry.text
        page.save(summary=f"Бот: салыстыру {i}", bot=True, quiet=True)
    return time.perf_counter() - start, wiki.request_count()


def bench_resume(wiki: LocalWiki, folder: Path, rows: int = 50_000, pending: int = 100) -> float:
    """Seconds from launching ``upload resume`` to its first confirmed edit."""
    config_path = write_config(folder, wiki)
    config = load_config(config_path)
    body = BODY * 8  # about 2 KB of text a row
    big = [
        Page(f"Ресурс {i}", body.replace("{title}", f"Ресурс {i}"), SourcePos("big.docx", i, i))
        for i in range(rows)
    ]
    t0 = time.perf_counter()
    with Ledger.open(config.run.ledger) as ledger:
        ledger.register(big, "big")
        ledger.db.execute(
            "UPDATE items SET state='published', revid=id WHERE seq <= ?", (rows - pending,)
        )
        ledger.end_run(ledger.start_run("big", {}), "seeded")
    size = config.run.ledger.stat().st_size
    print(f"  built {rows:,}-row ledger ({size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f}s")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    launched = time.time()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "uploader",
            "resume",
            "--config",
            str(config_path),
            "--max-edits",
            "1",
            "--no-progress",
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    db = sqlite3.connect(config.run.ledger)
    first = db.execute(
        "SELECT min(updated) FROM items WHERE state=? AND seq > ?",
        (State.PUBLISHED, rows - pending),
    ).fetchone()[0]
    db.close()
    if first is None:
        raise SystemExit("resume made no edit")
    return float(first) - launched


def main() -> None:
    """Run the three measurements and print figures and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as tmp:
        root = Path(tmp)
        wiki = LocalWiki.create(root / "wiki")
        wiki.start()
        try:
            wiki.set_faults(ratelimit=10**6)  # MediaWiki's default 90 edits/min would bind
            (root / "ours").mkdir()
            ours_s, saves, ours_req = bench_publisher(wiki, root / "ours", args.articles)
            base_s, base_req = bench_pywikibot(wiki, saves)
            (root / "resume").mkdir()
            resume_s = bench_resume(wiki, root / "resume")
        finally:
            wiki.stop()
    ours_per, base_per = ours_s / saves, base_s / saves
    print(
        f"publisher: {saves} saved pages ({args.articles} articles + redirects), "
        f"{ours_req} API requests = {ours_req / saves:.3f}/page (bar <= 1.5), "
        f"{ours_s:.2f}s = {ours_per * 1000:.0f} ms/page (login included)"
    )
    print(
        f"pywikibot Page.save loop: {saves} saves, {base_req} API requests = "
        f"{base_req / saves:.2f}/save, {base_s:.2f}s = {base_per * 1000:.0f} ms/save"
    )
    print(f"ratio ours/pywikibot wall per page: {ours_per / base_per:.2f} (bar <= 0.6)")
    print(f"resume with a 50,000-row ledger: first edit {resume_s:.2f}s after launch (bar <= 2)")


if __name__ == "__main__":
    main()
