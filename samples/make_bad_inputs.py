"""Generate the bad inputs the parser must reject with a one-line error.

    python samples/make_bad_inputs.py [OUT_DIR]

writes into ``samples/bad/`` (default):

* ``empty.docx``: 0 bytes;
* ``text.docx``: plain UTF-8 text;
* ``rtf.docx``: an RTF document;
* ``truncated.docx``: a valid .docx cut in half;
* ``no-document.docx``: a zip package without ``word/document.xml``;
* ``encrypted.docx``: an OLE compound file (CFB) holding ``EncryptionInfo`` and
  ``EncryptedPackage`` streams, as Word writes password-protected .docx files;
* ``not-xml.docx``: a package whose ``word/document.xml`` is not well-formed XML;
* ``no-articles.docx``: a valid .docx holding only front matter.

Output is deterministic (fixed zip timestamps, no randomness).
"""

from __future__ import annotations

import hashlib
import io
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.docxgen import (  # noqa: E402
    Para,
    Run,
    Volume,
    docx_bytes,
    docx_parts,
    italic,
    section_break,
    zip_parts,
)

CFB_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512


def _front_matter_only() -> Volume:
    return Volume(
        [],
        front_matter=[
            Para([Run("ҚАЗАҚ ЭНЦИКЛОПЕДИЯСЫ", bold=True, size=40)], align="center"),
            Para([Run("Он бесінші том", size=28)], align="center"),
            Para([italic("«Қазақ энциклопедиясы» Бас редакциясы. Алматы")], align="center"),
            section_break(None),
        ],
    )


def _small_volume() -> Volume:
    return Volume(
        [
            Para([Run("ЕРТІС", bold=True), Run(" – Қазақстандағы ең ұзын өзен.")], indent=True),
            Para([Run("ЕСІК", bold=True), Run(" – Алматы обл-ндағы қала.")], indent=True),
        ]
        * 20
    )


def _pseudo_random(n: int, seed: bytes) -> bytes:
    out = bytearray()
    block = seed
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def _dir_entry(
    name: str, kind: int, start: int, size: int, left: int, right: int, child: int
) -> bytes:
    raw = name.encode("utf-16-le") + b"\0\0" if name else b""
    return (
        raw.ljust(64, b"\0")
        + struct.pack("<HBB", len(raw), kind, 1)
        + struct.pack("<III", left, right, child)
        + b"\0" * 16  # CLSID
        + b"\0" * 4  # state bits
        + b"\0" * 16  # creation / modification times
        + struct.pack("<IQ", start, size)
    )


def encrypted_docx() -> bytes:
    """A minimal CFB v3 container shaped like Word's password-protected .docx."""
    xml = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        b'<encryption xmlns="http://schemas.microsoft.com/office/2006/encryption" '
        b'xmlns:p="http://schemas.microsoft.com/office/2006/keyEncryptor/password">'
        b'<keyData saltSize="16" blockSize="16" keyBits="256" hashSize="64" '
        b'cipherAlgorithm="AES" cipherChaining="ChainingModeCBC" hashAlgorithm="SHA512" '
        b'saltValue="AAAAAAAAAAAAAAAAAAAAAA=="/></encryption>'
    )
    info = (struct.pack("<HHI", 4, 4, 0x40) + xml).ljust(4096, b"\0")  # ≥ mini-stream cutoff
    payload = _pseudo_random(8184, b"kazenc-encrypted")
    package = struct.pack("<Q", 123456) + payload  # declared plain size, then ciphertext
    info_sectors, package_sectors = len(info) // _SECTOR, len(package) // _SECTOR
    # sector 0: FAT, sector 1: directory, then the two streams
    fat = [_FATSECT, _END]
    first_info = len(fat)
    fat += [first_info + i + 1 for i in range(info_sectors - 1)] + [_END]
    first_package = len(fat)
    fat += [first_package + i + 1 for i in range(package_sectors - 1)] + [_END]
    fat += [_FREE] * (_SECTOR // 4 - len(fat))
    directory = (
        _dir_entry("Root Entry", 5, _END, 0, _NOSTREAM, _NOSTREAM, 1)
        + _dir_entry("EncryptionInfo", 2, first_info, len(info), _NOSTREAM, 2, _NOSTREAM)
        + _dir_entry(
            "EncryptedPackage", 2, first_package, len(package), _NOSTREAM, _NOSTREAM, _NOSTREAM
        )
        + _dir_entry("", 0, 0, 0, _NOSTREAM, _NOSTREAM, _NOSTREAM)
    )
    header = (
        CFB_SIGNATURE
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIII", 0, 1, 1, 0)  # dir sectors, FAT sectors, first dir, txn
        + struct.pack("<IIIII", 4096, _END, 0, _END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", _FREE) * 108
    )
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + info + package


def bad_inputs() -> dict[str, bytes]:
    """File name → bytes of every bad input."""
    valid = docx_bytes(_small_volume())
    parts = docx_parts(_small_volume())
    no_document = {k: v for k, v in parts.items() if k != "word/document.xml"}
    not_xml = dict(parts)
    not_xml["word/document.xml"] = b"<w:document><w:body><w:p>unterminated & broken"
    return {
        "empty.docx": b"",
        "text.docx": "ЕРТІС – Қазақстандағы ең ұзын өзен.\nБұл Word құжаты емес.\n".encode(),
        "rtf.docx": (
            b"{\\rtf1\\ansi\\ansicpg1251\\deff0{\\fonttbl{\\f0 Times New Roman;}}\n"
            b"\\f0\\fs24 {\\b \\'c5\\'d0\\'d2\\'b2\\'d1} \\endash  "
            b"\\'e5\\'f2\\'b3\\'ed\\par\n}\n"
        ),
        "truncated.docx": valid[: len(valid) // 2],
        "no-document.docx": _zip(no_document),
        "encrypted.docx": encrypted_docx(),
        "not-xml.docx": _zip(not_xml),
        "no-articles.docx": docx_bytes(_front_matter_only()),
    }


def _zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    zip_parts(parts, buf)
    return buf.getvalue()


def write_bad_inputs(out_dir: Path) -> list[Path]:
    """Write every bad input into ``out_dir``; returns the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, data in bad_inputs().items():
        path = out_dir / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    """Command-line entry: optional output directory."""
    out_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent / "bad"
    for path in write_bad_inputs(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
