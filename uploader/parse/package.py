"""Opening a volume file: checks the container, converts legacy .doc, reads styles and media.

The main part is the one ``_rels/.rels`` names (``word/document.xml`` in most files); its
styles, numbering and images are found through its own relationships. Strict Open XML is read
with its namespaces renamed to the transitional ones. Every failure becomes one
``InputError`` naming the file and what is wrong with it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import cast

from lxml import etree

from uploader.config import Limits
from uploader.errors import InputError
from uploader.parse.numbering import NumberingDefs, read_numbering
from uploader.parse.runs import RunStyle, is_on, merge, read_rpr
from uploader.parse.zipread import (
    Budget,
    LimitExceeded,
    MemberStream,
    check_archive,
    image_problem,
    parse_part,
    resolve_target,
)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
DOCUMENT = "word/document.xml"

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ParaStyle:
    """A paragraph style: its alignment, its run formatting, and its name."""

    name: str = ""
    align: str | None = None
    run: RunStyle = field(default_factory=RunStyle)
    num: tuple[str, int] | None = None  # the list (numId, level) its paragraphs belong to


@dataclass
class DocxPackage:
    """An opened .docx: the zip, its styles, and its image relationships."""

    path: Path
    display: str  # the name used in messages (the file the operator gave)
    zf: zipfile.ZipFile
    para_styles: dict[str, ParaStyle]
    char_styles: dict[str, RunStyle]
    default_run: RunStyle
    default_para: str | None
    media: dict[str, str]  # relationship id → part name (word/media/...)
    budget: Budget
    main: str = DOCUMENT  # the main document part (found through _rels/.rels)
    strict: bool = False  # Strict Open XML: namespaces are read as their transitional twins
    numbering: NumberingDefs = field(default_factory=NumberingDefs)
    # Pictures skipped (too large, not an image) since the last ``take_skipped``: the reasons.
    skipped: list[str] = field(default_factory=list)

    def open_document(self) -> MemberStream:
        """A budgeted stream over the main document part (``mark()`` after each body
        element), its namespaces renamed to the transitional ones for a Strict file."""
        limits = self.budget.limits
        stream = self.budget.open(self.main, limits.max_document_bytes, "max_document_bytes")
        stream.element_cap = limits.max_element_bytes
        return cast(MemberStream, _TransitionalStream(stream)) if self.strict else stream

    def read_media(self, rel_id: str) -> tuple[str, bytes] | None:
        """The part name and bytes of an embedded image, or None when it is missing or was
        skipped (too large, not an image: the reason is kept for ``take_skipped``)."""
        part = self.media.get(rel_id)
        if part is None:
            return None
        limits = self.budget.limits
        try:
            data = self.budget.read(part, limits.max_picture_bytes, "max_picture_bytes")
        except LimitExceeded as exc:
            self.skipped.append(f"picture skipped: {exc.message}")
            return None
        except (KeyError, zipfile.BadZipFile, OSError, EOFError):
            return None
        problem = image_problem(part, data)
        if problem is not None:
            self.skipped.append(f"picture skipped: {problem}")
            return None
        return part, data

    def take_skipped(self) -> list[str]:
        """The pictures skipped since the last call, and why (the list is emptied)."""
        out, self.skipped[:] = list(self.skipped), []
        return out

    def close(self) -> None:
        """Close the underlying zip."""
        self.zf.close()


def _read_styles(
    root: etree._Element | None,
) -> tuple[dict[str, ParaStyle], dict[str, RunStyle], RunStyle, str | None]:
    if root is None:
        return {}, {}, RunStyle(), None
    default_run = read_rpr(root.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr"))
    raw: dict[str, tuple[str, str | None, ParaStyle | RunStyle]] = {}
    default_para = None
    for st in root.iter(W + "style"):
        sid = st.get(W + "styleId") or ""
        kind = st.get(W + "type") or "paragraph"
        based = st.find(W + "basedOn")
        based_on = based.get(W + "val") if based is not None else None
        run = read_rpr(st.find(W + "rPr"))
        if kind == "paragraph":
            jc = st.find(f"{W}pPr/{W}jc")
            name_el = st.find(W + "name")
            name = name_el.get(W + "val") if name_el is not None else sid
            raw[sid] = (
                kind,
                based_on,
                ParaStyle(
                    name or sid, jc.get(W + "val") if jc is not None else None, run, _style_num(st)
                ),
            )
            if is_on(st.find(W + "default")) or st.get(W + "default") in ("1", "true"):
                default_para = sid
        elif kind == "character":
            raw[sid] = (kind, based_on, run)

    def resolve(sid: str, depth: int = 0) -> ParaStyle | RunStyle:
        kind, based_on, own = raw[sid]
        if based_on in raw and depth < 10 and raw[based_on][0] == kind:
            parent = resolve(based_on, depth + 1)
            if isinstance(own, ParaStyle) and isinstance(parent, ParaStyle):
                return ParaStyle(
                    own.name,
                    own.align or parent.align,
                    merge(parent.run, own.run),
                    own.num or parent.num,
                )
            if isinstance(own, RunStyle) and isinstance(parent, RunStyle):
                return merge(parent, own)
        return own

    paras: dict[str, ParaStyle] = {}
    chars: dict[str, RunStyle] = {}
    for sid, (kind, _, _) in raw.items():
        resolved = resolve(sid)
        if kind == "paragraph" and isinstance(resolved, ParaStyle):
            paras[sid] = resolved
        elif isinstance(resolved, RunStyle):
            chars[sid] = resolved
    return paras, chars, default_run, default_para


def _style_num(st: etree._Element) -> tuple[str, int] | None:
    """The list a paragraph style puts its paragraphs in (``w:pPr/w:numPr``), if any."""
    num_pr = st.find(f"{W}pPr/{W}numPr")
    if num_pr is None:
        return None
    num_id = num_pr.find(W + "numId")
    ilvl = num_pr.find(W + "ilvl")
    try:
        level = int(ilvl.get(W + "val") or 0) if ilvl is not None else 0
    except ValueError:
        level = 0
    return (num_id.get(W + "val") or "0") if num_id is not None else "0", level


def _read_media(rels: list[tuple[str, str, str]]) -> dict[str, str]:
    """Relationship id → part name of the main part's images."""
    return {rid: target for rid, kind, target in rels if kind == "image"}


def _sniff(path: Path, display: str) -> bytes:
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise InputError(display, "file not found") from None
    except IsADirectoryError:
        raise InputError(display, "is a directory, not a volume file") from None
    except OSError as exc:
        raise InputError(display, f"cannot be read ({exc.strerror})") from None
    if not head:
        raise InputError(display, "file is empty (0 bytes)")
    return head


def _describe_non_zip(head: bytes) -> str:
    if head.startswith(b"{\\rtf"):
        return "is an RTF file, not a .docx (save it from Word as .docx)"
    if head.startswith(b"%PDF"):
        return "is a PDF, not a .docx"
    if head.startswith(b"<"):
        return "is an XML/HTML file, not a .docx (save it from Word as .docx)"
    return "is not a .docx (Word 2007+ zip); it looks like plain text or another format"


def _is_encrypted_cfb(path: Path) -> bool:
    # Word puts an encrypted .docx into an OLE compound file with an "EncryptionInfo" stream;
    # directory entry names are UTF-16LE.
    with path.open("rb") as fh:
        data = fh.read(1 << 20)
    return (
        "EncryptionInfo".encode("utf-16-le") in data
        or "EncryptedPackage".encode("utf-16-le") in data
    )


def convert_doc(path: Path, display: str, workdir: Path, timeout: float = 600) -> Path:
    """Convert a legacy Word 97–2003 .doc to .docx with LibreOffice, or explain how to get it."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise InputError(
            display,
            "is a legacy Word 97-2003 .doc; converting it needs LibreOffice "
            "(apt-get install libreoffice-writer-nogui) or save it as .docx in Word",
        )
    profile = workdir / "lo-profile"
    cmd = [
        soffice,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        # Only the Word 97 import filter: a damaged .doc fails instead of being read as text.
        "--infilter=MS Word 97",
        "--convert-to",
        "docx",
        "--outdir",
        str(workdir),
        str(path),
    ]
    _run_in_own_group(cmd, display, timeout, workdir)
    out = workdir / (path.stem + ".docx")
    if not out.exists():
        raise InputError(
            display, "LibreOffice cannot read this .doc (damaged, or not a Word 97-2003 file)"
        )
    return out


def _run_in_own_group(cmd: list[str], display: str, timeout: float, home: Path) -> None:
    """Run LibreOffice in its own process group; on a timeout end the whole group
    (``soffice`` starts ``soffice.bin``, which would otherwise be left running)."""
    # LibreOffice writes caches under $HOME (dconf ...): keep them in the work folder too.
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CACHE_HOME": str(home),
        "XDG_CONFIG_HOME": str(home),
    }
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    except OSError as exc:
        raise InputError(display, f"LibreOffice cannot be started ({exc.strerror})") from None
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise InputError(
            display, f"LibreOffice did not convert this .doc within {timeout:.0f} s; stopped it"
        ) from None
    finally:
        _kill_group(proc)
    if proc.returncode != 0:
        raise InputError(display, "LibreOffice could not convert this .doc to .docx")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """End every process of ``proc``'s group (after it ended: whatever it left behind)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


@contextmanager
def open_volume(path: str | Path, limits: Limits | None = None) -> Iterator[DocxPackage]:
    """Open a volume file (.docx, or .doc through LibreOffice) and check it can be parsed.

    Every part is read within ``limits`` (the configured ``[limits]`` when None).
    """
    limits = limits if limits is not None else Limits.load()
    display = str(path)
    path = Path(path)
    head = _sniff(path, display)
    with tempfile.TemporaryDirectory(prefix="uploader-doc-") as tmp:
        if head.startswith(_CFB_MAGIC):
            if _is_encrypted_cfb(path):
                raise InputError(
                    display,
                    "is encrypted (password-protected); remove the password in Word and save again",
                )
            path = convert_doc(path, display, Path(tmp))
        elif not head.startswith(_ZIP_MAGIC):
            if head.startswith(b"PK"):
                raise InputError(
                    display, "is a damaged zip (truncated or corrupt); get a fresh copy"
                )
            raise InputError(display, _describe_non_zip(head))
        pkg = _open_zip(path, display, limits)
        try:
            yield pkg
        finally:
            pkg.close()


def _open_zip(path: Path, display: str, limits: Limits) -> DocxPackage:
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise InputError(
            display, "is a damaged zip (truncated or corrupt); get a fresh copy"
        ) from None
    except OSError as exc:
        raise InputError(display, f"cannot be read ({exc.strerror})") from None
    budget = Budget(zf, display, limits)
    try:
        check_archive(zf, display)
        names = set(zf.namelist())
        main, strict = main_part(budget, names)
        info = zf.getinfo(main)
        if info.flag_bits & 0x1:
            raise InputError(display, "is encrypted; remove the password in Word and save again")
        rels = part_rels(budget, main)
        paras, chars, default_run, default_para = _read_styles(
            _related_xml(budget, rels, "styles", strict)
        )
        media = _read_media(rels)
        numbering = read_numbering(_related_xml(budget, rels, "numbering", strict))
    except InputError:
        zf.close()
        raise
    except (zipfile.BadZipFile, EOFError, OSError, etree.XMLSyntaxError) as exc:
        zf.close()
        raise InputError(display, f"is damaged ({exc.__class__.__name__}: {exc})") from None
    return DocxPackage(
        path,
        display,
        zf,
        paras,
        chars,
        default_run,
        default_para,
        media,
        budget,
        main,
        strict,
        numbering,
    )


# ---------------------------------------------------------------------------
# the main part and its relationships (Transitional and Strict Open XML)

_OFFICE_DOCUMENT = "officeDocument"
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
_NOT_WORD = {
    "spreadsheetml": "an Excel workbook",
    "presentationml": "a PowerPoint presentation",
}
# Strict Open XML names its namespaces differently; everything else this reader needs is the
# same, so a Strict part is read with its namespaces renamed to the transitional ones.
STRICT_NAMESPACES = {
    b"http://purl.oclc.org/ooxml/wordprocessingml/main": (
        b"http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    ),
    b"http://purl.oclc.org/ooxml/officeDocument/relationships": (
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ),
    b"http://purl.oclc.org/ooxml/officeDocument/math": (
        b"http://schemas.openxmlformats.org/officeDocument/2006/math"
    ),
    b"http://purl.oclc.org/ooxml/drawingml/main": (
        b"http://schemas.openxmlformats.org/drawingml/2006/main"
    ),
    b"http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing": (
        b"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
    ),
    b"http://purl.oclc.org/ooxml/drawingml/picture": (
        b"http://schemas.openxmlformats.org/drawingml/2006/picture"
    ),
    b"http://purl.oclc.org/ooxml/drawingml/chart": (
        b"http://schemas.openxmlformats.org/drawingml/2006/chart"
    ),
    b"http://purl.oclc.org/ooxml/drawingml/diagram": (
        b"http://schemas.openxmlformats.org/drawingml/2006/diagram"
    ),
}
_STRICT_MARK = b"http://purl.oclc.org/ooxml/"


def to_transitional(data: bytes) -> bytes:
    """A Strict Open XML part's bytes with its namespaces renamed to the transitional ones."""
    if _STRICT_MARK not in data:
        return data
    for strict, transitional in STRICT_NAMESPACES.items():
        data = data.replace(strict, transitional)
    return data


class _TransitionalStream:
    """A read-only stream over a Strict part that yields it with transitional namespaces.

    A namespace name never holds ``>``, so everything up to the last ``>`` read can be renamed
    while the rest waits for the next chunk.
    """

    def __init__(self, raw: MemberStream) -> None:
        self._raw = raw
        self._rest = b""

    def read(self, size: int = -1) -> bytes:
        while True:
            chunk = self._raw.read(size if size and size > 0 else 1 << 16)
            data = self._rest + chunk
            if not chunk:
                self._rest = b""
                return to_transitional(data)
            cut = data.rfind(b">") + 1
            if cut:
                self._rest = data[cut:]
                return to_transitional(data[:cut])
            self._rest = data

    def close(self) -> None:
        self._raw.close()

    def __getattr__(self, name: str) -> object:
        return getattr(self._raw, name)  # the budget's counters and marks

    def __enter__(self) -> _TransitionalStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_xml(budget: Budget, part: str, strict: bool) -> etree._Element | None:
    """A small part read within the budget and parsed safely, or None when the package
    does not hold it."""
    try:
        data = budget.read(part, budget.limits.max_part_bytes, "max_part_bytes")
    except KeyError:
        return None
    return parse_part(to_transitional(data) if strict else data, budget.display, part)


def _rels_of(part: str) -> str:
    """The relationships part of ``part`` (``word/document.xml`` → ``word/_rels/document.xml.rels``)."""
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def _target(source: str, target: str) -> str | None:
    """A relationship target as a part name: absolute (``/word/x.xml``) or relative to the
    folder of the part that holds the relationship; None when it climbs out of the package."""
    return resolve_target(str(PurePosixPath(source).parent) if "/" in source else "", target)


def _relationships(budget: Budget, source: str) -> list[tuple[str, str, str, bool]]:
    """(id, type's last word, target part, is Strict) of each internal relationship of
    ``source`` ("" for the package)."""
    root = _read_xml(budget, _rels_of(source) if source else "_rels/.rels", False)
    if root is None:
        return []
    out = []
    for rel in root.iter(PKG_REL + "Relationship"):
        if rel.get("TargetMode") == "External":
            continue
        kind = rel.get("Type") or ""
        target = _target(source, rel.get("Target") or "")
        if target is None:  # climbs out of the package: read as missing
            continue
        out.append(
            (
                rel.get("Id") or "",
                kind.rsplit("/", 1)[-1],
                target,
                kind.startswith("http://purl.oclc.org/"),
            )
        )
    return out


def main_part(budget: Budget, names: set[str]) -> tuple[str, bool]:
    """The main document part named by ``_rels/.rels`` (``word/document.xml`` in most files),
    and whether the package is Strict Open XML; an InputError when there is none."""
    display = budget.display
    office = [
        (target, strict)
        for _, kind, target, strict in _relationships(budget, "")
        if kind == _OFFICE_DOCUMENT
    ]
    main, strict = office[0] if office else (DOCUMENT, False)
    if main not in names:
        if office and DOCUMENT in names:
            main = DOCUMENT
        elif office:
            raise InputError(
                display, f"is damaged: _rels/.rels names the main part {main}, which is missing"
            )
        else:
            raise InputError(display, f"is a zip but not a Word document (no {DOCUMENT})")
    kind = _content_type(budget, main)
    for marker, what in _NOT_WORD.items():
        if marker in kind:
            raise InputError(display, f"is {what}, not a Word document (.docx)")
    head = _head(budget, main)
    return main, strict or _STRICT_MARK + b"wordprocessingml/main" in head


def check_wordprocessingml(pkg: DocxPackage) -> None:
    """Raise an InputError when the main part holds no WordprocessingML at all (a body with
    nothing this reader knows would otherwise read as a volume of 0 articles)."""
    head = _head(pkg.budget, pkg.main)
    if b"/wordprocessingml/" not in head:
        raise InputError(
            pkg.display, f"is not a Word document: its main part {pkg.main} is not WordprocessingML"
        )


def _head(budget: Budget, part: str) -> bytes:
    """The first 16 KiB of a part, read within the budget."""
    with budget.open(part, budget.limits.max_document_bytes, "max_document_bytes") as fh:
        return fh.read(1 << 14)


def _content_type(budget: Budget, part: str) -> str:
    """The content type [Content_Types].xml gives ``part`` ("" when it does not say)."""
    root = _read_xml(budget, "[Content_Types].xml", False)
    if root is None:
        return ""
    for override in root.iter(_CT + "Override"):
        if (override.get("PartName") or "").lstrip("/") == part:
            return override.get("ContentType") or ""
    return ""


def part_rels(budget: Budget, main: str) -> list[tuple[str, str, str]]:
    """(id, type's last word, target part) of the main part's relationships."""
    return [(rid, kind, target) for rid, kind, target, _ in _relationships(budget, main)]


def _related_xml(
    budget: Budget, rels: list[tuple[str, str, str]], kind: str, strict: bool
) -> etree._Element | None:
    """The first part the main part relates to with ``kind`` (styles, numbering), parsed."""
    for _, rel_kind, target in rels:
        if rel_kind == kind:
            return _read_xml(budget, target, strict)
    return None
