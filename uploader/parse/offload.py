"""The body read in a second process, so that reading the XML and building articles overlap.

``items_of(pkg, offload)`` yields exactly what ``classify(iter_blocks(pkg))`` yields, in
the same order, with the same error raised at the same place; only the reading of
``word/document.xml`` into blocks, and what segmentation asks of each block alone, happen
in a forked child, which sends them back in batches (as plain tuples through ``marshal``:
many times cheaper to load than pickled dataclasses). The pipe between the two holds a
bounded number of batches, so memory stays flat whichever side is faster.

The child is forked (it inherits the loaded modules: nothing to import, it reads at once)
before this process has threads. With threads running, on a system without ``fork``, or for
a file whose parts could together reach the ``max_total_bytes`` budget (which the two
processes would then count differently), the body is read here, as before.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import pickle
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from uploader.cores import can_fork
from uploader.errors import UploaderError
from uploader.model import Span, Vert
from uploader.parse.blocks import Block, iter_blocks
from uploader.parse.headword import HeadwordMatch
from uploader.parse.package import DocxPackage, open_volume
from uploader.parse.segment import Item, classify

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

BATCH = 128  # blocks a message (about 50 KB)
PIPE_BYTES = 1 << 20  # what the pipe may hold: about 20 batches

_VERTS = {v.value: v for v in Vert}
_END, _ERROR, _BLOCKS = 0, 1, 2  # the kinds of message


Offload = Callable[[], object]


def items_of(pkg: DocxPackage, offload: Offload | None = None) -> Iterator[Item]:
    """The body's blocks in order, classified (``classify(iter_blocks(pkg))``): read here
    when ``offload`` is None, else in a second process when that is safe and available;
    ``offload`` is then called once that process is started (or at once when it cannot be):
    what starts threads (a process pool) starts there, after the fork."""
    if offload is None:
        return classify(iter_blocks(pkg))
    if not can_offload(pkg):
        offload()
        return classify(iter_blocks(pkg))
    return _from_child(pkg, offload)


def can_offload(pkg: DocxPackage) -> bool:
    """Whether the body of ``pkg`` may be read in a forked child with the same result."""
    if not can_fork():
        return False
    declared = sum(info.file_size for info in pkg.zf.infolist())
    return declared <= pkg.budget.limits.max_total_bytes


def _from_child(pkg: DocxPackage, started: Offload) -> Iterator[Item]:
    import multiprocessing  # here: a one-process parse does not need it

    fork = multiprocessing.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    _widen(send)
    child = fork.Process(target=_serve, args=(send, pkg), daemon=True, name="uploader-body-reader")
    child.start()
    send.close()
    try:
        started()
        yield from _received(receive)
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _widen(conn: Connection) -> None:
    """Let the pipe hold several batches (Linux: 64 KB by default, less than one), so that
    the reader runs ahead instead of waiting for each batch to be taken."""
    with contextlib.suppress(ImportError, AttributeError, OSError):
        import fcntl  # not on every system (nor F_SETPIPE_SZ): then the pipe stays as it is

        fcntl.fcntl(conn.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def _received(conn: Connection) -> Iterator[Item]:
    while True:
        try:
            message = conn.recv_bytes()
        except EOFError:
            raise UploaderError(
                "the process reading the volume's body stopped unexpectedly; run again with "
                "--jobs 1 to read it in one process"
            ) from None
        kind, payload = marshal.loads(message)
        if kind == _END:
            return
        if kind == _ERROR:
            raise pickle.loads(payload)
        yield from map(_unpack, payload)


def _serve(conn: Connection, pkg: DocxPackage) -> None:
    """The child: send the blocks of ``pkg``, then the end or the error that stopped the
    reading; exit without running the parent's exit handlers."""
    try:
        _send_blocks(conn, pkg)
        conn.send_bytes(marshal.dumps((_END, None)))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the parent stopped reading
    except Exception as exc:  # sent back whole, raised where the reading stopped
        try:
            conn.send_bytes(marshal.dumps((_ERROR, pickle.dumps(exc))))
        except Exception:
            conn.send_bytes(marshal.dumps((_ERROR, pickle.dumps(RuntimeError(repr(exc))))))
    finally:
        conn.close()
        os._exit(0)


def _send_blocks(conn: Connection, pkg: DocxPackage) -> None:
    """Read the body of ``pkg`` (reopened: the zip handle is not shared) in batches."""
    batch: list[tuple[Any, ...]] = []
    try:
        with open_volume(pkg.path, pkg.budget.limits) as own:
            own.display = pkg.display
            for item in classify(iter_blocks(own)):
                batch.append(_pack(item))
                if len(batch) == BATCH:
                    conn.send_bytes(marshal.dumps((_BLOCKS, batch)))
                    batch = []
    finally:  # the blocks read before an error come before it, as from iter_blocks
        if batch:
            conn.send_bytes(marshal.dumps((_BLOCKS, batch)))


# _pack and _unpack rely on where a Block keeps the fields that hold Span objects.
assert Block._fields[1] == "spans" and Block._fields[6] == "rows"
_PACKED = {v: v.value for v in Vert}  # marshal takes plain str, not the enum
RawSpans = tuple[tuple[str, bool, bool, str], ...]


def _spans(spans: tuple[Span, ...]) -> RawSpans:
    return tuple([(s.text, s.bold, s.italic, _PACKED[s.vert]) for s in spans])


def _unspans(raw: RawSpans) -> tuple[Span, ...]:
    return tuple([Span(t, b, i, _VERTS[v]) for t, b, i, v in raw])


def _pack(item: Item) -> tuple[Any, ...]:
    """The item as nested tuples of str, bool and int (what marshal writes)."""
    block, match, divider, headword, letter = item
    rows = tuple(tuple(map(_spans, row)) for row in block.rows) if block.rows else ()
    packed = (block[0], _spans(block.spans), *block[2:6], rows, *block[7:])
    return packed, (tuple(match) if match is not None else None), divider, headword, letter


def _unpack(raw: tuple[Any, ...]) -> Item:
    """The item ``_pack`` made ``raw`` from."""
    packed, match, divider, headword, letter = raw
    rows = tuple(tuple(map(_unspans, row)) for row in packed[6]) if packed[6] else ()
    block = Block._make((packed[0], _unspans(packed[1]), *packed[2:6], rows, *packed[7:]))
    found = HeadwordMatch._make(match) if match is not None else None
    return Item(block, found, divider, headword, letter)
