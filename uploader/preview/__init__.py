"""The preview: rendered pages → files an operator reviews (pages.jsonl, .wiki, report.html)."""

from uploader.preview.writer import write_preview

__all__ = ["write_preview"]
