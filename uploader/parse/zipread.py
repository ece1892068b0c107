"""Reading a volume's zip with a budget: every member read is bounded, every name is checked.

A .docx is a zip the operator did not make. ``check_archive`` refuses, in one line, a zip
whose entries could mislead or hurt the reader (a name with ``..``, an absolute path, a NUL
or a backslash; two entries of one name; a compression method Python cannot inflate, such as
Deflate64). ``Budget`` then hands out ``MemberStream`` readers that count the bytes actually
inflated while streaming and stop past the member's cap (the declared size is checked before
the first byte), past a packing ratio no real part has, or past the whole file's total. The XML
parser options are set here too, explicitly, for every part that is parsed (``xml_parser``,
``ITERPARSE_OPTIONS``): no entity resolution, no network, no DTD loading or validation;
``huge_tree`` only for the budgeted document stream.
"""

from __future__ import annotations

import zipfile
from pathlib import PurePosixPath
from typing import Any

from lxml import etree

from uploader.config import Limits
from uploader.errors import InputError

# Compression methods zipfile inflates (stored, deflate, bzip2, lzma); Word writes deflate.
SUPPORTED_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_METHOD_NAMES = {9: "Deflate64", 6: "implode", 10: "PKWARE implode", 93: "Zstandard", 98: "PPMd"}
_SAFE_XML = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "remove_comments": True,
    "remove_pis": True,
}
# For word/document.xml, read through a MemberStream: the budget bounds the input, so the
# parser's own size limits (10 MB text nodes, depth 256) may be lifted.
ITERPARSE_OPTIONS: dict[str, Any] = {**_SAFE_XML, "huge_tree": True}


class LimitExceeded(InputError):
    """A part inflates past one of the ``[limits]``; names the file, the part and the limit."""

    def __init__(self, display: str, part: str, limit: str, value: int, found: str) -> None:
        self.part = part
        self.limit = limit
        super().__init__(
            display,
            f"{part} {found}, past [limits] {limit} = {value}; refused "
            "(a decompression bomb or a damaged file; raise the limit only for a file you trust)",
        )


def xml_parser() -> etree.XMLParser:
    """A parser for small XML parts: no entities resolved, no network, no DTD, size limits on."""
    return etree.XMLParser(huge_tree=False, **_SAFE_XML)


def parse_part(data: bytes, display: str, part: str) -> etree._Element:
    """Parse one small XML part with ``xml_parser``; a DTD in it is refused."""
    root = etree.fromstring(data, xml_parser())
    refuse_doctype(root, display, part)
    return root


def refuse_doctype(root: etree._Element | None, display: str, part: str) -> None:
    """Refuse a part that declares a DTD (Word never writes one; entity tricks need one)."""
    if root is not None and root.getroottree().docinfo.internalDTD is not None:
        raise InputError(display, f"{part} declares a DTD (<!DOCTYPE>), which Word never writes")


def _name_problem(name: str) -> str | None:
    if "\x00" in name:
        return "a NUL character"
    if "\\" in name:
        return "a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in PurePosixPath(name).parts:
        return "a '..' segment"
    return None


def check_archive(zf: zipfile.ZipFile, display: str) -> None:
    """Refuse a zip with a dangerous entry name, a duplicate entry or an unsupported method."""
    seen: set[str] = set()
    for info in zf.infolist():
        problem = _name_problem(info.orig_filename)  # as stored: zipfile cuts it at a NUL
        if problem is not None:
            raise InputError(
                display, f"zip entry {info.orig_filename!r} has {problem} in its name; refused"
            )
        if info.filename in seen:
            raise InputError(display, f"zip entry {info.filename!r} occurs twice; refused")
        seen.add(info.filename)
        if info.compress_type not in SUPPORTED_METHODS:
            method = _METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
            raise InputError(
                display,
                f"zip entry {info.filename} is packed with {method}, which cannot be read; "
                "save the file again from Word",
            )


def resolve_target(base_dir: str, target: str) -> str | None:
    """A relationship target as a part name inside the package, or None if it leaves it."""
    parts: list[str] = [] if target.startswith("/") else [p for p in base_dir.split("/") if p]
    for piece in target.split("/"):
        if piece == "..":
            if not parts:
                return None
            parts.pop()
        elif piece and piece != ".":
            parts.append(piece)
    name = "/".join(parts)
    return name if name and _name_problem(name) is None else None


class Budget:
    """What one volume file may inflate: per member (by kind) and in total."""

    def __init__(self, zf: zipfile.ZipFile, display: str, limits: Limits) -> None:
        self.zf = zf
        self.display = display
        self.limits = limits
        self.total = 0  # bytes inflated so far, all members

    def open(self, name: str, cap: int, cap_name: str) -> MemberStream:
        """A counting stream over member ``name``, at most ``cap`` bytes (``cap_name``)."""
        info = self.zf.getinfo(name)
        if info.flag_bits & 0x1:
            raise InputError(self.display, f"{name} is encrypted; remove the password in Word")
        if info.file_size > cap:
            raise LimitExceeded(
                self.display, name, cap_name, cap, f"declares {info.file_size} bytes"
            )
        self._check_ratio(name, info.file_size, info.compress_size)
        if self.total + info.file_size > self.limits.max_total_bytes:
            raise LimitExceeded(
                self.display,
                name,
                "max_total_bytes",
                self.limits.max_total_bytes,
                f"would bring the file's inflated total to {self.total + info.file_size} bytes",
            )
        return MemberStream(self, name, self.zf.open(info), cap, cap_name, info.compress_size)

    def read(self, name: str, cap: int, cap_name: str) -> bytes:
        """The whole member ``name`` (at most ``cap`` bytes, else LimitExceeded)."""
        with self.open(name, cap, cap_name) as stream:
            return stream.read()

    def _check_ratio(self, name: str, size: int, packed: int) -> None:
        limits = self.limits
        if size > limits.ratio_floor_bytes and size > limits.max_ratio * max(packed, 1):
            raise LimitExceeded(
                self.display,
                name,
                "max_ratio",
                limits.max_ratio,
                f"inflates {size // max(packed, 1)} times its packed size",
            )


_CHUNK = 1 << 20


class MemberStream:
    """A file-like reader over one zip member that counts what it inflates.

    ``mark()`` starts a new element: more than ``max_element_bytes`` read without a mark (one
    body element larger than that) raises ``LimitExceeded`` when ``element_cap`` is set.
    """

    def __init__(
        self,
        budget: Budget,
        name: str,
        raw: Any,
        cap: int,
        cap_name: str,
        packed: int,
    ) -> None:
        self.budget = budget
        self.name = name
        self.raw = raw
        self.cap = cap
        self.cap_name = cap_name
        self.packed = packed
        self.read_bytes = 0
        self.element_cap = 0  # 0: no per-element limit
        self.element_count_cap = budget.limits.max_body_elements
        self._mark = 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` inflated bytes (all, when negative), within the limits.

        Everything is inflated a chunk at a time: zipfile asked for "all" inflates the whole
        member in one call before it cuts it to the declared size.
        """
        if size >= 0:
            data = self.raw.read(min(size, _CHUNK))
            self._count(len(data))
            return data
        chunks = []
        while chunk := self.raw.read(_CHUNK):
            self._count(len(chunk))
            chunks.append(chunk)
        return b"".join(chunks)

    def _count(self, n: int) -> None:
        self.read_bytes += n
        self.budget.total += n
        budget = self.budget
        if self.read_bytes > self.cap:
            self._exceeded(self.cap_name, self.cap, f"inflates past {self.cap} bytes")
        limits = budget.limits
        if budget.total > limits.max_total_bytes:
            self._exceeded(
                "max_total_bytes", limits.max_total_bytes, "brings the file's inflated total past"
            )
        if self.read_bytes > limits.ratio_floor_bytes and self.read_bytes > limits.max_ratio * max(
            self.packed, 1
        ):
            self._exceeded(
                "max_ratio", limits.max_ratio, f"inflates {self.read_bytes // self.packed} times"
            )
        if self.element_cap and self.read_bytes - self._mark > self.element_cap + (1 << 16):
            self._exceeded(
                "max_element_bytes",
                self.element_cap,
                f"has a body element of more than {self.element_cap} bytes of XML at byte "
                f"{self._mark}",
            )

    def _exceeded(self, limit: str, value: int, found: str) -> None:
        raise LimitExceeded(self.budget.display, self.name, limit, value, found)

    def too_many_elements(self) -> None:
        """Refuse a document with more paragraphs and tables than ``max_body_elements``."""
        self._exceeded(
            "max_body_elements",
            self.element_count_cap,
            f"has more than {self.element_count_cap} paragraphs and tables",
        )

    def mark(self) -> None:
        """A body element ended: the next one is measured from here."""
        self._mark = self.read_bytes

    def close(self) -> None:
        """Close the member."""
        self.raw.close()

    def __enter__(self) -> MemberStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# Picture parts the parser passes on: raster and metafile images, told by their first bytes.
_IMAGE_MAGIC = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "gif": (b"GIF87a", b"GIF89a"),
    "bmp": (b"BM",),
    "tif": (b"II*\x00", b"MM\x00*"),
    "tiff": (b"II*\x00", b"MM\x00*"),
    "emf": (b"\x01\x00\x00\x00",),
    "wmf": (b"\xd7\xcd\xc6\x9a", b"\x01\x00\x09\x00", b"\x02\x00\x09\x00"),
}


def image_problem(name: str, data: bytes) -> str | None:
    """Why part ``name`` is not a picture the parser passes on (None when it is one)."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
    magic = _IMAGE_MAGIC.get(ext)
    if magic is None:
        return f"{name} is not an image type (.{ext or '?'}); only raster and metafile images"
    if not data.startswith(magic):
        return f"{name} does not hold a .{ext} image (its first bytes say otherwise)"
    return None
