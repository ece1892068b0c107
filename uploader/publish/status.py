"""``upload status`` and ``upload created``: what the ledger says, for operators and approvers."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from uploader.errors import ConfigError
from uploader.publish.ledger import Item, Ledger, Run, State, UpdateState


@dataclass(frozen=True)
class VolumeStatus:
    """Per volume: rows per state, the last run, its edit rate, and the time left."""

    volume: str
    counts: dict[str, int]
    remaining: int
    last_run: Run | None
    rate_per_min: float | None  # confirmed edits per minute in the last run
    eta_seconds: float  # remaining × max(throttle, measured seconds per edit)
    updates: dict[str, int] = field(default_factory=dict)  # update pass: "edit", "move", ...

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["total"] = sum(self.counts.values())
        return out


def volume_status(ledger: Ledger, throttle: float) -> list[VolumeStatus]:
    """The status of every volume in the ledger."""
    out = []
    updates = ledger.update_counts()
    for volume, counts in ledger.counts().items():
        remaining = counts.get(State.PENDING, 0) + counts.get(State.IN_FLIGHT, 0)
        run = ledger.last_run(volume)
        rate = None
        per_edit = throttle
        if run is not None and run.edits and run.ended:
            seconds = max(run.ended - run.started, 1e-6)
            rate = run.edits * 60.0 / seconds
            per_edit = max(throttle, seconds / run.edits)
        out.append(
            VolumeStatus(
                volume,
                dict(counts),
                remaining,
                run,
                rate,
                remaining * per_edit,
                updates.get(volume, {}),
            )
        )
    return out


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(stamp)) if stamp else "-"


def format_status(statuses: list[VolumeStatus], as_json: bool = False) -> str:
    """Status as text lines (one block per volume) or JSON."""
    if as_json:
        return json.dumps([s.as_dict() for s in statuses], ensure_ascii=False, indent=2)
    if not statuses:
        return "ledger is empty: no volume registered yet"
    lines = []
    for s in statuses:
        counts = ", ".join(f"{state} {s.counts.get(state, 0)}" for state in State)
        lines.append(f"volume {s.volume}: {counts}")
        if s.last_run:
            r = s.last_run
            rate = f"{s.rate_per_min:.1f} edits/min" if s.rate_per_min else "-"
            lines.append(
                f"  last run {r.id}: {_when(r.started)} → {_when(r.ended)}, "
                f"{r.edits} edits, {rate}, {r.outcome}"
            )
        lines.append(f"  remaining {s.remaining}, ETA {s.eta_seconds / 3600:.1f} h")
        if s.updates:
            parts = ", ".join(f"{kind} {n}" for kind, n in sorted(s.updates.items()))
            lines.append(f"  updates: {parts}")
    return "\n".join(lines)


def created_pages(ledger: Ledger, volume: str | None = None) -> list[Item]:
    """Every page the ledger says the bot published (with its revision id)."""
    return [i for i in ledger.items(volume, State.PUBLISHED) if i.revid is not None]


@dataclass(frozen=True)
class PageUpdates:
    """What the update pass did to one created page: edits made, and the titles it had."""

    edits: int = 0
    moved_from: tuple[str, ...] = ()

    def note(self) -> str:
        """A short note ("updated 1×, moved from «A»"), "" when never updated."""
        parts = [f"updated {self.edits}×"] if self.edits else []
        parts += [f"moved from «{t}»" for t in self.moved_from]
        return ", ".join(parts)


def page_updates(ledger: Ledger, volume: str | None = None) -> dict[int, PageUpdates]:
    """Per ledger row id, the confirmed edits and moves of the update pass."""
    out: dict[int, PageUpdates] = {}
    for up in ledger.updates(volume):
        if up.state not in (UpdateState.DONE, UpdateState.MERGED):
            continue
        seen = out.get(up.item_id, PageUpdates())
        if up.kind == "move":
            seen = PageUpdates(seen.edits, (*seen.moved_from, up.old_title))
        else:
            seen = PageUpdates(seen.edits + 1, seen.moved_from)
        out[up.item_id] = seen
    return out


def format_created(
    items: list[Item], fmt: str = "text", updates: Mapping[int, PageUpdates] | None = None
) -> str:
    """The created pages as tab-separated text, JSON, or a wiki list for approvers; pages
    the update pass edited or moved say so (``updates`` from ``page_updates``)."""
    updates = updates or {}
    none = PageUpdates()
    if fmt == "json":
        rows = [
            {
                "title": i.title,
                "revid": i.revid,
                "volume": i.volume,
                "source": i.pos,
                "redirect_to": i.target or None,
                "updated": updates.get(i.id, none).edits,
                "moved_from": list(updates.get(i.id, none).moved_from),
            }
            for i in items
        ]
        return json.dumps(rows, ensure_ascii=False, indent=2)
    if fmt == "wiki":
        return "\n".join(
            f"# [[{i.title}]] — [[Special:PermanentLink/{i.revid}|{i.revid}]]"
            + (f" (→ [[{i.target}]])" if i.target else "")
            + (f" ({updates[i.id].note()})" if i.id in updates else "")
            for i in items
        )
    if fmt == "text":
        return "\n".join(
            f"{i.title}\t{i.revid}\t{i.volume}\t{i.pos}"
            + (f"\t→ {i.target}" if i.target else "")
            + (f"\t{updates[i.id].note()}" if i.id in updates else "")
            for i in items
        )
    raise ConfigError(f"unknown format {fmt!r} (text, json, wiki)")
