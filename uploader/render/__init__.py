"""The render stage: an ``Article`` → a ``Page`` of kk.wikipedia wikitext, validated.

``render(article, context)`` through the Jinja2 templates (``article``), with inline markup
(``inline``), escaping (``escape``), abbreviations (``abbrev``), cross-reference resolution
(``title_index``) and validation (``validate``). It reads ``Article`` records and imports
nothing of ``uploader.parse`` or ``uploader.publish``.
"""

from uploader.render.article import RenderContext, render

__all__ = ["RenderContext", "render"]
