"""The hostile-files bar: ``upload parse`` and ``upload preview`` on each file of
``tests/hostile.py`` end within 60 s, under 300 MB, with one line (non-zero exit, no
traceback) or a result (quarantine or review items), and write nothing outside ``--out``.

Peak memory is the child's own ``ru_maxrss`` from ``os.wait4`` (LibreOffice, for the .doc,
is a grandchild the uploader waits for, so it counts as well). Set ``HOSTILE_REPORT=path`` to
get the per-file times and peaks as TSV.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.hostile import MAKERS, hostile_file

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60.0
MAX_MB = 300.0

# What each file must end in: "refused" (one-line error), or "ok" (a preview; quarantines and
# review items as listed in the summary). Every run is checked for time, memory and writes.
EXPECT: dict[str, str] = {
    "picture-bomb": "ok",
    "picture-lying-size": "ok",
    "document-bomb": "refused",
    "empty-paragraphs-bomb": "refused",
    "empty-paragraphs": "refused",
    "empty-paragraphs-noisy": "refused",
    "giant-paragraph": "refused",
    "giant-unclosed": "refused",
    "long-paragraph": "ok",
    "long-article": "ok",
    "many-italic-runs": "ok",
    "many-crossrefs": "ok",
    "external-entity": "refused",
    "parameter-entity": "refused",
    "billion-laughs": "refused",
    "xinclude": "ok",
    "styles-entity": "refused",
    "deflate64": "refused",
    "unknown-method": "refused",
    "dotdot-member": "refused",
    "absolute-member": "refused",
    "nul-member": "refused",
    "duplicate-document": "refused",
    "svg-picture": "ok",
    "html-picture": "ok",
    "html-as-png": "ok",
    "escaping-picture-target": "ok",
    "corrupt-doc": "refused",
    "four-byte-title": "ok",
    "case-twins": "ok",
    "namespace-titles": "ok",
    "bidi-title": "ok",
    "path-titles": "ok",
}


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_file():
            st = path.stat()
            out[str(path.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return out


def _run(args: list[str], cwd: Path) -> tuple[int, float, float, float, str]:
    """Run the CLI; (exit code, seconds, peak MB bound, own peak MB, stderr). Killed after
    TIMEOUT."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HOME": str(cwd),
        "UPLOADER_CONFIG": str(cwd / "config.toml"),
        "TMPDIR": str(cwd / "tmp"),
    }
    err_path = cwd / "stderr.txt"
    peak_kb = 0
    with err_path.open("wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(
            [sys.executable, "-m", "uploader", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > TIMEOUT:
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            peak_kb = max(peak_kb, _hwm_kb(proc.pid))
            time.sleep(0.02)
        seconds = time.monotonic() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    # ru_maxrss also counts what the fork inherited from pytest (it survives exec): an upper
    # bound, with LibreOffice's share; VmHWM polled is the uploader's own peak.
    bound = usage.ru_maxrss / 1024
    return proc.returncode, seconds, bound, peak_kb / 1024, err_path.read_text("utf-8", "replace")


def _hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@pytest.fixture(scope="session")
def hostile_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.mark.parametrize("name", list(MAKERS))
def test_hostile_file_bounded_one_line(name: str, hostile_dir: Path, tmp_path: Path) -> None:
    path = hostile_file(hostile_dir, name)
    work = tmp_path / "work"
    (work / "tmp").mkdir(parents=True)
    (work / "config.toml").write_text('[run]\nledger = "state/ledger.sqlite3"\n', encoding="utf-8")
    out = tmp_path / "out"
    before = _snapshot(work)
    lines = []
    for command in (["parse", str(path)], ["preview", str(path), "--out", str(out)]):
        code, seconds, peak, own, stderr = _run(command, work)
        lines.append(f"{name}\t{command[0]}\t{code}\t{seconds:.2f}\t{peak:.0f}\t{own:.0f}")
        assert seconds < TIMEOUT, f"{name} {command[0]}: {seconds:.1f} s"
        assert peak < MAX_MB, f"{name} {command[0]}: {peak:.0f} MB"
        assert "Traceback" not in stderr, stderr[-2000:]
        if EXPECT[name] == "refused":
            assert code != 0, f"{name} {command[0]} was accepted"
            text = [line for line in stderr.splitlines() if line.strip()]
            assert len(text) == 1 and text[0].startswith("upload: error: "), stderr[-2000:]
            assert path.name in text[0]
        else:
            assert code == 0, f"{name} {command[0]}: exit {code}: {stderr[-2000:]}"
    after = _snapshot(work)
    written = sorted(k for k in after if k not in before and k != "stderr.txt")
    assert not [w for w in written if not w.startswith("tmp/")], written
    assert not list((work / "tmp").iterdir()), "temporary files left behind"
    if EXPECT[name] == "ok":
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        for written_file in out.rglob("*"):
            assert len(written_file.name.encode("utf-8")) <= 255
        _check_outcome(name, out, summary)
    report = os.environ.get("HOSTILE_REPORT")
    if report:
        with open(report, "a", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


def _check_outcome(name: str, out: Path, summary: dict[str, int]) -> None:
    """What an accepted hostile file must have become (quarantines, skipped pictures ...)."""
    records = [json.loads(line) for line in (out / "pages.jsonl").read_text("utf-8").splitlines()]
    titles = [r["title"] for r in records]
    html = (out / "report.html").read_text(encoding="utf-8")
    if name in ("picture-bomb", "svg-picture", "html-picture", "html-as-png"):
        assert summary["pictures"] == 0 and "picture skipped" in html
    if name in ("picture-lying-size", "escaping-picture-target"):
        assert summary["pictures"] == 0
    if name in ("long-paragraph", "long-article"):
        assert summary["quarantined"] == 1 and "[limits] max_" in html
        assert "Алма" in titles
    if name == "namespace-titles":
        assert titles == ["Алма"] and summary["quarantined"] == 4
    if name == "bidi-title":
        assert titles == ["Астана"] and summary["quarantined"] == 2
    if name == "path-titles":
        assert "Алма" in titles and all(not t.startswith(("/", ".")) for t in titles)
    if name == "case-twins":
        files = {r["file"] for r in records}
        assert len(files) == len(records)
    if name in ("many-italic-runs", "many-crossrefs"):
        assert summary["pages"] == 1
