"""Hostile volume files, made in code: bombs, entity tricks, odd zips, odd names, huge runs.

``hostile_files(folder)`` writes each into ``folder`` and returns name → path. Large members
are streamed into the zip (the generator's own memory stays small). Each file is what an
attacker or a broken tool could hand the operator; ``tests/test_hostile.py`` runs the CLI on
every one of them.
"""

from __future__ import annotations

import os
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from tests import docxgen as g

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_DOC = "word/document.xml"


def _base() -> g.Volume:
    return g.Volume(
        [
            g.article("АЛМА", "жеміс ағашы.", title="Алма"),
            g.article("АЛМАТЫ", "Қазақстандағы қала.", title="Алматы"),
        ]
    )


def _parts() -> dict[str, bytes]:
    return g.docx_parts(_base())


def _body(parts: dict[str, bytes]) -> tuple[bytes, bytes]:
    """The document split around the body's content: (up to <w:body>, from the sectPr)."""
    doc = parts[_DOC]
    cut = doc.index(b"<w:body>") + len(b"<w:body>")
    return doc[:cut], doc[cut:]


def _write(
    path: Path, parts: dict[str, bytes], stream: dict[str, Iterator[bytes]] | None = None
) -> None:
    """Zip ``parts``; members in ``stream`` are written chunk by chunk (deflated)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name, data in parts.items():
            if stream and name in stream:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with zf.open(info, "w", force_zip64=True) as out:
                    for chunk in stream[name]:
                        out.write(chunk)
            else:
                zf.writestr(name, data)


def _repeat(head: bytes, unit: bytes, times: int, tail: bytes) -> Iterator[bytes]:
    yield head
    block = unit * max(1, (1 << 20) // len(unit))
    per = (1 << 20) // len(unit)
    left = times
    while left > 0:
        n = min(per, left)
        yield block if n == per else unit * n
        left -= n
    yield tail


def _streamed_document(path: Path, unit: bytes, times: int, middle: bytes = b"") -> None:
    parts = _parts()
    head, tail = _body(parts)
    doc = _repeat(head + middle, unit, times, tail)
    _write(path, parts, {_DOC: doc})


# --- bombs ----------------------------------------------------------------------------------


def picture_bomb(path: Path) -> None:
    """A picture that inflates to 300 MB of zeros behind a valid PNG header."""
    vol = g.Volume(
        [
            g.Entry(
                (g.headline("АЛМА", "жеміс ағашы."), g.Picture(g.tiny_png(), "Алма")), title="Алма"
            )
        ]
    )
    parts = g.docx_parts(vol)
    png = next(n for n in parts if n.startswith("word/media/"))
    _write(path, parts, {png: _repeat(b"\x89PNG\r\n\x1a\n", b"\0" * 4096, 300 * 256, b"")})


def picture_lying_size(path: Path) -> None:
    """A 60 MB picture whose zip headers claim it is 10 bytes long."""
    vol = g.Volume(
        [
            g.Entry(
                (g.headline("АЛМА", "жеміс ағашы."), g.Picture(g.tiny_png(), "Алма")), title="Алма"
            )
        ]
    )
    parts = g.docx_parts(vol)
    png = next(n for n in parts if n.startswith("word/media/"))
    parts[png] = b"\x89PNG\r\n\x1a\n" + b"\0" * (60 << 20)
    _write(path, parts)
    _patch_sizes(path, png.encode(), 10)


def _patch_sizes(path: Path, name: bytes, size: int) -> None:
    """Rewrite the uncompressed size of member ``name`` in its local and central headers."""
    data = bytearray(path.read_bytes())
    at = 0
    while (at := data.find(b"PK\x03\x04", at)) >= 0:
        n = struct.unpack_from("<H", data, at + 26)[0]
        if data[at + 30 : at + 30 + n] == name:
            struct.pack_into("<I", data, at + 22, size)
        at += 4
    at = 0
    while (at := data.find(b"PK\x01\x02", at)) >= 0:
        n = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + n] == name:
            struct.pack_into("<I", data, at + 24, size)
        at += 4
    path.write_bytes(bytes(data))


def document_bomb(path: Path) -> None:
    """word/document.xml inflating to ~600 MB of one repeated paragraph (ratio ~1000)."""
    para = b"<w:p><w:r><w:t>" + "мәтін ".encode() * 8 + b"</w:t></w:r></w:p>"
    _streamed_document(path, para, (600 << 20) // len(para))


def empty_paragraphs_bomb(path: Path) -> None:
    """A 1 MB file of 700 MB of empty paragraphs (the issue's 3 MB file holds 2 GB)."""
    _streamed_document(path, b"<w:p/>", (700 << 20) // 6)


def empty_paragraphs(path: Path) -> None:
    """Under the ratio check: 15 MB of empty paragraphs (2.6 million), read through."""
    _streamed_document(path, b"<w:p/>", (15 << 20) // 6)


def empty_paragraphs_noisy(path: Path) -> None:
    """48 MB of empty paragraphs with varying attributes (packs only ~10x: no ratio alarm)."""
    parts = _parts()
    head, tail = _body(parts)

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(48):
            yield b"".join(
                b'<w:p w:rsidR="%08X"/>' % int.from_bytes(os.urandom(4), "big")
                for _ in range((1 << 20) // 26)
            )
        yield tail

    _write(path, parts, {_DOC: chunks()})


def giant_paragraph(path: Path) -> None:
    """One paragraph of 400 MB of text in one run (memory must stay flat: refused)."""
    parts = _parts()
    head, tail = _body(parts)
    start = b"<w:p><w:r><w:t>"
    doc = _repeat(
        head + start, "ұзын ".encode() * 100, (400 << 20) // 900, b"</w:t></w:r></w:p>" + tail
    )
    _write(path, parts, {_DOC: doc})


def giant_unclosed(path: Path) -> None:
    """A body of 100 MB of bookmarks and no paragraph: nothing to cut the element at."""
    parts = _parts()
    head, tail = _body(parts)
    unit = b'<w:bookmarkStart w:id="1" w:name="x"/><w:bookmarkEnd w:id="1"/>'
    _write(path, parts, {_DOC: _repeat(head, unit, (100 << 20) // len(unit), tail)})


def long_paragraph(path: Path) -> None:
    """An article with one paragraph of 600,000 characters (past the paragraph cap)."""
    text = "өзен ағады, " * 50000
    g.write_docx(g.Volume([g.article("АЛҰЗЫН", text, title="Алұзын"), *_base().blocks]), path)


def long_article(path: Path) -> None:
    """An article of 2,500 paragraphs, 1.5 million characters (past the article cap)."""
    more = [g.body("өзен ағады, " * 50) for _ in range(2500)]
    vol = g.Volume([g.article("АЛҰЗЫН", "өзен.", title="Алұзын", more=more), *_base().blocks])
    g.write_docx(vol, path)


def many_italic_runs(path: Path) -> None:
    """One paragraph of 50,000 alternating italic and plain runs."""
    runs = [g.italic("сөз ") if k % 2 == 0 else g.Run("мәтін ") for k in range(50000)]
    g.write_docx(g.Volume([g.article("АЛМА", "жеміс.", title="Алма", more=[g.body(*runs)])]), path)


def many_crossrefs(path: Path) -> None:
    """One paragraph of 20,000 cross-references (қ. X)."""
    runs: list[g.Run] = []
    for k in range(20000):
        runs += g.see(f"Мақала{k}", before=" сөз ")
    g.write_docx(g.Volume([g.article("АЛМА", "жеміс.", title="Алма", more=[g.body(*runs)])]), path)


# --- entity tricks --------------------------------------------------------------------------


def _with_document(path: Path, document: str) -> None:
    parts = _parts()
    parts[_DOC] = document.encode()
    _write(path, parts)


def _doc(dtd: str, text: str) -> str:
    return (
        f'<?xml version="1.0"?>{dtd}<w:document {_W}><w:body><w:p><w:r><w:rPr><w:b/></w:rPr>'
        f"<w:t>АЛМА</w:t></w:r><w:r><w:t> – {text}</w:t></w:r></w:p></w:body></w:document>"
    )


def external_entity(path: Path) -> None:
    """XXE: an external entity naming /etc/passwd."""
    _with_document(path, _doc('<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>', "&x;"))


def parameter_entity(path: Path) -> None:
    """A parameter entity fetching a DTD from the network."""
    dtd = '<!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/evil.dtd"> %p;]>'
    _with_document(path, _doc(dtd, "жеміс"))


def billion_laughs(path: Path) -> None:
    """Nested entities expanding to 10^9 characters."""
    ents = '<!ENTITY a "ааааааааaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    _with_document(path, _doc(f"<!DOCTYPE d [{ents}]>", "&j;"))


def xinclude(path: Path) -> None:
    """An XInclude of /etc/passwd as text."""
    doc = _doc(
        "",
        '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>',
    )
    _with_document(path, doc)


def styles_entity(path: Path) -> None:
    """An external entity in word/styles.xml."""
    parts = _parts()
    styles = parts["word/styles.xml"].decode()
    cut = styles.index("?>") + 2
    parts["word/styles.xml"] = (
        styles[:cut] + '<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + styles[cut:]
    ).encode()
    _write(path, parts)


# --- odd zips -------------------------------------------------------------------------------


def _method(path: Path, method: int) -> None:
    """Mark document.xml as packed with ``method`` (local and central header)."""
    _write(path, _parts())
    data = bytearray(path.read_bytes())
    name = _DOC.encode()
    for sig, name_len_at, name_at, method_at in (
        (b"PK\x03\x04", 26, 30, 8),
        (b"PK\x01\x02", 28, 46, 10),
    ):
        at = 0
        while (at := data.find(sig, at)) >= 0:
            n = struct.unpack_from("<H", data, at + name_len_at)[0]
            if data[at + name_at : at + name_at + n] == name:
                struct.pack_into("<H", data, at + method_at, method)
            at += 4
    path.write_bytes(bytes(data))


def deflate64(path: Path) -> None:
    """document.xml marked as packed with Deflate64 (method 9)."""
    _method(path, 9)


def unknown_method(path: Path) -> None:
    """document.xml marked as packed with an unknown method (99)."""
    _method(path, 99)


def _extra_member(path: Path, name: str, data: bytes = b"x") -> None:
    parts = _parts()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
        info = zipfile.ZipInfo("placeholder")
        info.filename = name
        info.orig_filename = name
        zf.writestr(info, data)


def dotdot_member(path: Path) -> None:
    """A zip entry named ../../evil.txt."""
    _extra_member(path, "../../evil.txt")


def absolute_member(path: Path) -> None:
    """A zip entry named /tmp/evil.txt."""
    _extra_member(path, "/tmp/evil.txt")


def nul_member(path: Path) -> None:
    """A zip entry whose name holds a NUL (word/media/a.png\\0.html)."""
    _write(path, _parts())
    data = bytearray(path.read_bytes())
    # Rename word/settings.xml in place to a same-length name with a NUL in it.
    old, new = b"word/settings.xml", b"word/set\x00ings.xml"
    path.write_bytes(bytes(data).replace(old, new))


def duplicate_document(path: Path) -> None:
    """Two entries named word/document.xml."""
    parts = _parts()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in parts.items():
            zf.writestr(n, d)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zf.writestr(_DOC, _doc("", "басқа мәтін"))


def _picture_as(path: Path, name: str, data: bytes) -> None:
    vol = g.Volume(
        [
            g.Entry(
                (g.headline("АЛМА", "жеміс ағашы."), g.Picture(g.tiny_png(), "Алма")), title="Алма"
            )
        ]
    )
    parts = g.docx_parts(vol)
    png = next(n for n in parts if n.startswith("word/media/"))
    del parts[png]
    parts[f"word/media/{name}"] = data
    rels = parts["word/_rels/document.xml.rels"].decode()
    parts["word/_rels/document.xml.rels"] = rels.replace(
        png.removeprefix("word/"), f"media/{name}"
    ).encode()
    _write(path, parts)


def svg_picture(path: Path) -> None:
    """A picture part that is an SVG with a script."""
    _picture_as(
        path,
        "image1.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    )


def html_picture(path: Path) -> None:
    """A picture part that is an HTML page."""
    _picture_as(path, "image1.html", b"<html><script>alert(1)</script></html>")


def html_as_png(path: Path) -> None:
    """A picture part named .png holding HTML."""
    _picture_as(path, "image1.png", b"<html><script>alert(1)</script></html>")


def escaping_picture_target(path: Path) -> None:
    """A picture relationship whose target climbs out of the package (../../../etc/passwd)."""
    vol = g.Volume(
        [
            g.Entry(
                (g.headline("АЛМА", "жеміс ағашы."), g.Picture(g.tiny_png(), "Алма")), title="Алма"
            )
        ]
    )
    parts = g.docx_parts(vol)
    png = next(n for n in parts if n.startswith("word/media/"))
    rels = parts["word/_rels/document.xml.rels"].decode()
    parts["word/_rels/document.xml.rels"] = rels.replace(
        png.removeprefix("word/"), "../../../etc/passwd"
    ).encode()
    _write(path, parts)


def corrupt_doc(path: Path) -> None:
    """A .doc (OLE header) whose content is garbage text."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"hello world, not a document " * 200)


# --- odd names ------------------------------------------------------------------------------


def four_byte_title(path: Path) -> None:
    """A headword of 62 Deseret capitals (4 bytes each): a 248-byte title."""
    word = "".join(chr(0x10400 + k % 40) for k in range(62))
    g.write_docx(g.Volume([g.article(word, "жазу белгісі.", title=word.capitalize())]), path)


def case_twins(path: Path) -> None:
    """Titles that differ only in case or Unicode form (one file each in the preview)."""
    vol = g.Volume(
        [
            g.article("ÅNGSTRÖM", "бірлік.", title="Ångström"),
            g.article("ÅNGSTRÖM", "бірлік (NFD).", title="Ångström"),
            g.article("\u212bNGSTRÖM", "бірлік (белгі).", title="Ångström"),
        ]
    )
    g.write_docx(vol, path)


def namespace_titles(path: Path) -> None:
    """Headwords that would be pages in other namespaces or on other wikis."""
    vol = g.Volume(
        [
            g.article("ҚАТЫСУШЫ ТАЛҚЫЛАУЫ:АБАЙ", "бет.", title="Қатысушы талқылауы:абай"),
            g.article("USER TALK:ABAI", "бет.", title="User talk:abai"),
            g.article("WP:ABAI", "бет.", title="WP:abai"),
            g.article("EN:KAZAKH", "бет.", title="En:kazakh"),
            g.article("АЛМА", "жеміс.", title="Алма"),
        ]
    )
    g.write_docx(vol, path)


def bidi_title(path: Path) -> None:
    """A headword with direction controls (U+202E, U+200F, U+2066) in it."""
    vol = g.Volume(
        [
            g.article("АЛ\u202eМА", "жеміс.", title="Ал\u202eма"),
            g.article("АЛ\u200fМАТЫ\u2066", "қала.", title="Ал\u200fматы\u2066"),
            g.article("АСТАНА", "қала.", title="Астана"),
        ]
    )
    g.write_docx(vol, path)


def path_titles(path: Path) -> None:
    """Titles that look like paths (../../etc/passwd, /tmp/x)."""
    vol = g.Volume(
        [
            g.article("../../ETC/PASSWD", "жол.", title="../../etc/passwd"),
            g.article("/TMP/X", "жол.", title="/tmp/x"),
            g.article("АЛМА", "жеміс.", title="Алма"),
        ]
    )
    g.write_docx(vol, path)


MAKERS: dict[str, tuple[str, Callable[[Path], None]]] = {
    "picture-bomb": (".docx", picture_bomb),
    "picture-lying-size": (".docx", picture_lying_size),
    "document-bomb": (".docx", document_bomb),
    "empty-paragraphs-bomb": (".docx", empty_paragraphs_bomb),
    "empty-paragraphs": (".docx", empty_paragraphs),
    "empty-paragraphs-noisy": (".docx", empty_paragraphs_noisy),
    "giant-paragraph": (".docx", giant_paragraph),
    "giant-unclosed": (".docx", giant_unclosed),
    "long-paragraph": (".docx", long_paragraph),
    "long-article": (".docx", long_article),
    "many-italic-runs": (".docx", many_italic_runs),
    "many-crossrefs": (".docx", many_crossrefs),
    "external-entity": (".docx", external_entity),
    "parameter-entity": (".docx", parameter_entity),
    "billion-laughs": (".docx", billion_laughs),
    "xinclude": (".docx", xinclude),
    "styles-entity": (".docx", styles_entity),
    "deflate64": (".docx", deflate64),
    "unknown-method": (".docx", unknown_method),
    "dotdot-member": (".docx", dotdot_member),
    "absolute-member": (".docx", absolute_member),
    "nul-member": (".docx", nul_member),
    "duplicate-document": (".docx", duplicate_document),
    "svg-picture": (".docx", svg_picture),
    "html-picture": (".docx", html_picture),
    "html-as-png": (".docx", html_as_png),
    "escaping-picture-target": (".docx", escaping_picture_target),
    "corrupt-doc": (".doc", corrupt_doc),
    "four-byte-title": (".docx", four_byte_title),
    "case-twins": (".docx", case_twins),
    "namespace-titles": (".docx", namespace_titles),
    "bidi-title": (".docx", bidi_title),
    "path-titles": (".docx", path_titles),
}


def hostile_file(folder: Path, name: str) -> Path:
    """Write hostile file ``name`` (a key of MAKERS) into ``folder``; return its path."""
    suffix, make = MAKERS[name]
    path = folder / f"{name}{suffix}"
    if not path.exists():
        make(path)
    return path


def hostile_files(folder: Path) -> dict[str, Path]:
    """Write every hostile file into ``folder``; name → path."""
    return {name: hostile_file(folder, name) for name in MAKERS}
