"""The body read and segmented in a second process, so that reading and building overlap.

``drafts_of(pkg, report, ...)`` yields exactly the drafts that segmenting the classified
blocks gives (``segment_items(classify(iter_blocks(pkg)))``, the text outside any article
left out), in the same order, with the same order notes in ``report`` just before the draft
they came with, and the same error raised at the same place. Only reading
``word/document.xml`` into blocks and grouping them into drafts happen in a forked child,
which sends the drafts back in batches (as plain tuples through ``marshal``: many times
cheaper to load than pickled objects). The pipe between the two holds a bounded number of
batches, so memory stays flat whichever side is faster.

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
from typing import TYPE_CHECKING, Any, NamedTuple

from uploader.cores import can_fork
from uploader.errors import UploaderError
from uploader.model import Span, Vert
from uploader.parse.blocks import Block, iter_blocks
from uploader.parse.headword import HeadwordMatch
from uploader.parse.package import DocxPackage, open_volume
from uploader.parse.segment import Draft, Item, TextLimits, classify, segment_items
from uploader.report import Report

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

BATCH = 128  # blocks a message (about 50 KB)
PIPE_BYTES = 1 << 20  # what the pipe may hold: about 20 batches
READ_AHEAD = 512  # blocks read at a time before they are segmented

_VERTS = {v.value: v for v in Vert}
_END, _ERROR, _DRAFTS = 0, 1, 2  # the kinds of message


Offload = Callable[[], object]


class Segmenting(NamedTuple):
    """How the blocks are cut into drafts (``segment_items``' options): the label order
    notes name, how many blocks order looks ahead, the caps on a draft's text."""

    label: str
    lookahead: int
    limits: TextLimits


def drafts_of(
    pkg: DocxPackage,
    report: Report,
    segmenting: Segmenting,
    offload: Offload | None = None,
) -> Iterator[Draft]:
    """The drafts of the body's articles in order, order notes in ``report`` (see the module
    docstring): read here when ``offload`` is None, else in a second process when that is
    safe and available; ``offload`` is then called once that process is started (or at once
    when it cannot be): what starts threads (a process pool) starts there, after the fork.
    """
    if offload is None:
        return _drafts(pkg, report, segmenting)
    if not can_offload(pkg):
        offload()
        return _drafts(pkg, report, segmenting)
    return _from_child(pkg, report, segmenting, offload)


def can_offload(pkg: DocxPackage) -> bool:
    """Whether the body of ``pkg`` may be read in a forked child with the same result."""
    if not can_fork():
        return False
    declared = sum(info.file_size for info in pkg.zf.infolist())
    return declared <= pkg.budget.limits.max_total_bytes


def _drafts(pkg: DocxPackage, report: Report, segmenting: Segmenting) -> Iterator[Draft]:
    """The drafts, read and segmented in this process."""
    label, lookahead, limits = segmenting
    items = _read_ahead(classify(iter_blocks(pkg)))
    for found in segment_items(items, report, label, lookahead, limits):
        if isinstance(found, Draft):
            yield found


def _read_ahead(items: Iterator[Item], size: int = READ_AHEAD) -> Iterator[Item]:
    """The classified blocks in order, read ``size`` at a time.

    Reading a batch before segmenting and building it, rather than alternating block by
    block, keeps the XML parser and the article builder each in the CPU caches (~8% faster
    in one process). An error while reading is raised after the blocks read before it are
    passed on, as without batches.
    """
    while True:
        batch: list[Item] = []
        try:
            for item in items:
                batch.append(item)
                if len(batch) == size:
                    break
        except Exception:
            yield from batch
            raise
        if not batch:
            return
        yield from batch


def _from_child(
    pkg: DocxPackage,
    report: Report,
    segmenting: Segmenting,
    started: Offload,
) -> Iterator[Draft]:
    import multiprocessing  # here: a one-process parse does not need it

    fork = multiprocessing.get_context("fork")
    receive, send = fork.Pipe(duplex=False)
    _widen(send)
    child = fork.Process(
        target=_serve, args=(send, pkg, segmenting), daemon=True, name="uploader-body-reader"
    )
    child.start()
    send.close()
    try:
        started()
        yield from _received(receive, report)
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


def _received(conn: Connection, report: Report) -> Iterator[Draft]:
    while True:
        try:
            message = conn.recv_bytes()
        except EOFError:
            raise UploaderError(
                "the process reading the volume's body stopped unexpectedly; run again with "
                "--jobs 1 to read it in one process"
            ) from None
        kind, payload = marshal.loads(message)
        if kind == _DRAFTS:
            for notes, packed in payload:
                _replay(notes, report)
                yield _unpack_draft(packed)
            continue
        notes, error = payload
        _replay(notes, report)
        if kind == _ERROR:
            raise pickle.loads(error)
        return


def _serve(conn: Connection, pkg: DocxPackage, segmenting: Segmenting) -> None:
    """The child: send the drafts of ``pkg``, then the end or the error that stopped the
    reading (each with the notes made since the last draft); exit without running the
    parent's exit handlers."""
    notes = _Notes()
    try:
        _send_drafts(conn, pkg, notes, segmenting)
        conn.send_bytes(marshal.dumps((_END, (notes.take(), None))))
    except (BrokenPipeError, KeyboardInterrupt):
        pass  # the parent stopped reading
    except Exception as exc:  # sent back whole, raised where the reading stopped
        last = notes.take()
        try:
            conn.send_bytes(marshal.dumps((_ERROR, (last, pickle.dumps(exc)))))
        except Exception:
            fallback = pickle.dumps(RuntimeError(repr(exc)))
            conn.send_bytes(marshal.dumps((_ERROR, (last, fallback))))
    finally:
        conn.close()
        os._exit(0)


def _send_drafts(conn: Connection, pkg: DocxPackage, notes: _Notes, segmenting: Segmenting) -> None:
    """Read and segment the body of ``pkg`` (reopened: the zip handle is not shared) and
    send the drafts in batches of about ``BATCH`` blocks."""
    batch: list[tuple[Any, ...]] = []
    blocks = 0
    try:
        with open_volume(pkg.path, pkg.budget.limits) as own:
            own.display = pkg.display
            for draft in _drafts(own, notes.report, segmenting):
                batch.append((notes.take(), _pack_draft(draft)))
                blocks += len(draft.blocks)
                if blocks >= BATCH:
                    conn.send_bytes(marshal.dumps((_DRAFTS, batch)))
                    batch, blocks = [], 0
    finally:  # the drafts made before an error come before it, as from _drafts
        if batch:
            conn.send_bytes(marshal.dumps((_DRAFTS, batch)))


class _Notes:
    """The child's report: what segmentation reports between two drafts is taken from it
    (``Report.since``, pickled: a few drafts in a hundred come with any) and added to the
    parent's report where that draft is yielded (``Report.extend``)."""

    def __init__(self) -> None:
        self.report = Report()
        self.mark = self.report.mark()

    def take(self) -> bytes | None:
        """What the report collected since the last call, or None when nothing."""
        if self.report.mark() == self.mark:
            return None
        delta = self.report.since(self.mark)
        self.mark = self.report.mark()
        return pickle.dumps(delta, protocol=pickle.HIGHEST_PROTOCOL)


def _replay(notes: bytes | None, report: Report) -> None:
    if notes is not None:
        report.extend(pickle.loads(notes))


# _pack and _unpack rely on where a Block keeps the fields that hold Span objects.
assert Block._fields[1] == "spans" and Block._fields[6] == "rows"
_PACKED = {v: v.value for v in Vert}  # marshal takes plain str, not the enum
RawSpans = tuple[tuple[str, bool, bool, str], ...]


def _spans(spans: tuple[Span, ...]) -> RawSpans:
    return tuple([(s.text, s.bold, s.italic, _PACKED[s.vert]) for s in spans])


def _unspans(raw: RawSpans) -> tuple[Span, ...]:
    return tuple([Span(t, b, i, _VERTS[v]) for t, b, i, v in raw])


def _pack_block(block: Block) -> tuple[Any, ...]:
    """The block as nested tuples of str, bool and int (what marshal writes)."""
    rows = tuple(tuple(map(_spans, row)) for row in block.rows) if block.rows else ()
    return (block[0], _spans(block.spans), *block[2:6], rows, *block[7:])


def _unpack_block(packed: tuple[Any, ...]) -> Block:
    """The block ``_pack_block`` made ``packed`` from."""
    rows = tuple(tuple(map(_unspans, row)) for row in packed[6]) if packed[6] else ()
    return Block._make((packed[0], _unspans(packed[1]), *packed[2:6], rows, *packed[7:]))


def _pack_draft(draft: Draft) -> tuple[Any, ...]:
    match, blocks, overflow = draft
    return tuple(match), tuple(map(_pack_block, blocks)), overflow


def _unpack_draft(packed: tuple[Any, ...]) -> Draft:
    match, blocks, overflow = packed
    return Draft(HeadwordMatch._make(match), tuple(map(_unpack_block, blocks)), overflow)
