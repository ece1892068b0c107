"""The render stage: an ``Article`` → a ``Page`` of kk.wikipedia wikitext, validated.

``render(article, context)`` through the Jinja2 templates (``article``), with inline markup
(``inline``), escaping (``escape``), abbreviations (``abbrev``), cross-reference resolution
(``title_index``) and validation (``validate``). It reads ``Article`` records and imports
nothing of ``uploader.parse`` or ``uploader.publish``.

``render`` and ``RenderContext`` are loaded on first use: a module that needs only the title
index does not load Jinja2 and the renderer (a parse starts reading before they are loaded).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from uploader.render.article import RenderContext, render

__all__ = ["RenderContext", "render"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from uploader.render import article

        return getattr(article, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
