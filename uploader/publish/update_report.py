"""The update report: what the update pass left for a person, one Markdown file per run.

Written next to the ledger (``updates/<volume>/report.md``; the dry run's in ``dry-run/``).
Every page not brought up to date is listed under its reason; for a page that someone else
edited, the report shows the volume's correction (the bot's earlier text against its new
text) and the page as it is now against the bot's new text, as unified diffs, so a person
can merge the two by hand.
"""

from __future__ import annotations

import difflib
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPORT_NAME = "report.md"


def unified(before: str, after: str, before_name: str, after_name: str) -> str:
    """A unified diff of two page texts (line by line), "" when they are the same."""
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), before_name, after_name, lineterm=""
    )
    return "\n".join(lines)


def _fence(diff: str) -> list[str]:
    return ["```diff", diff or "(no difference)", "```", ""]


def _entry(item: Any) -> list[str]:
    title, new_title = item.title, item.new_title
    head = f"### «{title}»" + (f" → «{new_title}»" if new_title and new_title != title else "")
    lines = [head, "", str(item.note), ""]
    old, new = item.old, item.new
    if old is not None and new is not None and old.text != new.text:
        lines.append("The volume's correction (the bot's earlier text → its new text):")
        lines += _fence(unified(old.text, new.text, f"{title} (bot, before)", "bot, now"))
    if item.wiki_text is not None and new is not None:
        who = item.info.user if item.info is not None else "someone"
        revid = item.info.revid if item.info is not None else "?"
        lines.append(f"The page now (revision {revid} by {who}) → the bot's new text:")
        lines += _fence(unified(item.wiki_text, new.text, f"{title} (wiki now)", "bot, now"))
    return lines


def write_update_report(
    volume: str, items: Iterable[Any], counts: Mapping[str, int], out_dir: Path
) -> Path:
    """Write the report of ``items`` (``uploader.publish.update.Planned``) and return its path.

    Items are grouped by their step; ``counts`` opens the report.
    """
    groups: dict[str, list[Any]] = {}
    for item in items:
        groups.setdefault(str(item.step), []).append(item)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    lines = [f"# Update report: volume {volume}", "", f"Written {stamp}.", ""]
    lines += [f"- {name}: {n}" for name, n in counts.items()]
    lines.append("")
    if not groups:
        lines += ["Nothing is left for a person.", ""]
    for step, members in groups.items():
        lines += [f"## {step} ({len(members)})", ""]
        for item in members:
            lines += _entry(item)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_NAME
    partial = path.with_name(path.name + ".tmp")
    partial.write_text("\n".join(lines), encoding="utf-8")
    os.replace(partial, path)
    return path
