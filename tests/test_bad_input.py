"""Bad volume files: one clear line naming the file and the problem, non-zero exit, no traceback."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import docxgen as g
from uploader.errors import InputError
from uploader.parse.volume import iter_articles

CFB = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _valid(tmp: Path) -> bytes:
    return g.docx_bytes(g.Volume([g.article("АЛМА", "жеміс ағашы.", title="Алма")]))


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _replace_document(tmp: Path, document: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(_valid(tmp)))
    return _zip(
        {n: (document if n == "word/document.xml" else src.read(n)) for n in src.namelist()}
    )


BAD: list[tuple[str, Callable[[Path], bytes], str]] = [
    ("empty", lambda t: b"", "file is empty"),
    ("plain text", lambda t: "АБАЙ – ақын.\n".encode(), "not a .docx"),
    ("rtf", lambda t: b"{\\rtf1\\ansi Hello}", "RTF"),
    ("truncated zip", lambda t: _valid(t)[: len(_valid(t)) // 2], "damaged"),
    ("zip without document", lambda t: _zip({"hello.txt": b"hi"}), "no word/document.xml"),
    (
        "encrypted",
        lambda t: CFB + b"\0" * 100 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100,
        "encrypted",
    ),
    (
        "document not xml",
        lambda t: _replace_document(t, b"<w:document><w:body><w:p>"),
        "not well-formed XML",
    ),
]


@pytest.mark.parametrize(("name", "make", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_library_raises_input_error(
    tmp_path: Path, name: str, make: Callable[[Path], bytes], message: str
) -> None:
    path = tmp_path / "volume.docx"
    path.write_bytes(make(tmp_path))
    with pytest.raises(InputError) as info:
        list(iter_articles(path))
    assert message in str(info.value)
    assert str(path) in str(info.value)


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "uploader", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


@pytest.mark.parametrize(("name", "make", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_cli_prints_one_line(
    tmp_path: Path, name: str, make: Callable[[Path], bytes], message: str
) -> None:
    path = tmp_path / "volume.docx"
    path.write_bytes(make(tmp_path))
    done = _cli("parse", str(path), "--jsonl")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"upload: error: {path}") and message in lines[0]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_bad_input_missing_file_names_it(tmp_path: Path) -> None:
    done = _cli("parse", str(tmp_path / "nope.docx"))
    assert done.returncode == 1 and "nope.docx: file not found" in done.stderr


def test_bad_input_legacy_doc_without_libreoffice_says_how(tmp_path: Path) -> None:
    path = tmp_path / "old.doc"
    path.write_bytes(CFB + b"\0" * 2048)
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    done = _cli("parse", str(path), env=env)
    assert done.returncode == 1
    assert "libreoffice" in done.stderr.lower() and "apt-get install" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_bad_input_legacy_doc_converts_with_libreoffice(tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI") == "true":
            pytest.fail(
                "LibreOffice is not installed in CI (.ci/run installs libreoffice-writer-nogui)"
            )
        pytest.skip("LibreOffice not installed")
    volume = g.Volume(
        [
            g.article("АЛМА", "жеміс ағашы.", title="Алма"),
            g.article("БАЛЫҚ", ["су жануары; ауданы 5 км", g.sup("2"), "."], title="Балық"),
        ]
    )
    docx = tmp_path / "vol.docx"
    g.write_docx(volume, docx)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(tmp_path / "doc"),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    articles = list(iter_articles(tmp_path / "doc" / "vol.doc"))
    assert [(a.title, a.text) for a in articles] == [
        (r["title"], r["text"]) for r in volume.records()
    ]
    assert articles[1].sup == ["2"]


def test_cli_ctrl_c_prints_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import uploader.commands
    from uploader.cli import main

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(uploader.commands, "run_parse", interrupted)
    result = CliRunner().invoke(main, ["parse", str(tmp_path / "v.docx")])
    assert result.exit_code == 130
    assert result.stderr.strip().splitlines() == [
        "upload: interrupted; the ledger is intact (continue with: upload resume)"
    ]
