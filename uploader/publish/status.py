"""``upload status`` and ``upload created``: what the ledger says, for operators and approvers."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from typing import Any

from uploader.errors import ConfigError
from uploader.publish.ledger import Item, Ledger, Run, State


@dataclass(frozen=True)
class VolumeStatus:
    """Per volume: rows per state, the last run, its edit rate, and the time left."""

    volume: str
    counts: dict[str, int]
    remaining: int
    last_run: Run | None
    rate_per_min: float | None  # confirmed edits per minute in the last run
    eta_seconds: float  # remaining × max(throttle, measured seconds per edit)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = asdict(self)
        out["total"] = sum(self.counts.values())
        return out


def volume_status(ledger: Ledger, throttle: float) -> list[VolumeStatus]:
    """The status of every volume in the ledger."""
    out = []
    for volume, counts in ledger.counts().items():
        remaining = counts.get(State.PENDING, 0) + counts.get(State.IN_FLIGHT, 0)
        run = ledger.last_run(volume)
        rate = None
        per_edit = throttle
        if run is not None and run.edits and run.ended:
            seconds = max(run.ended - run.started, 1e-6)
            rate = run.edits * 60.0 / seconds
            per_edit = max(throttle, seconds / run.edits)
        out.append(VolumeStatus(volume, dict(counts), remaining, run, rate, remaining * per_edit))
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
    return "\n".join(lines)


def created_pages(ledger: Ledger, volume: str | None = None) -> list[Item]:
    """Every page the ledger says the bot published (with its revision id)."""
    return [i for i in ledger.items(volume, State.PUBLISHED) if i.revid is not None]


def format_created(items: list[Item], fmt: str = "text") -> str:
    """The created pages as tab-separated text, JSON, or a wiki list for approvers."""
    if fmt == "json":
        rows = [
            {
                "title": i.title,
                "revid": i.revid,
                "volume": i.volume,
                "source": i.pos,
                "redirect_to": i.target or None,
            }
            for i in items
        ]
        return json.dumps(rows, ensure_ascii=False, indent=2)
    if fmt == "wiki":
        return "\n".join(
            f"# [[{i.title}]] — [[Special:PermanentLink/{i.revid}|{i.revid}]]"
            + (f" (→ [[{i.target}]])" if i.target else "")
            for i in items
        )
    if fmt == "text":
        return "\n".join(
            f"{i.title}\t{i.revid}\t{i.volume}\t{i.pos}" + (f"\t→ {i.target}" if i.target else "")
            for i in items
        )
    raise ConfigError(f"unknown format {fmt!r} (text, json, wiki)")
