"""Edit summaries of the update pass (``upload update``), from ``[render]
update_summary_template`` through the render stage's Jinja environment, with the licence."""

from __future__ import annotations

import jinja2

from uploader.config import Config
from uploader.errors import ConfigError
from uploader.render.article import make_environment
from uploader.wikitext import cap_summary


def update_summary_template(config: Config) -> jinja2.Template:
    """The compiled update summary template of a config."""
    env = make_environment(config.render.templates_dir)
    try:
        return env.get_template(config.render.update_summary_template)
    except jinja2.TemplateError as exc:
        raise ConfigError(f"{config.render.templates_dir}: template problem: {exc}") from None


def render_update_summary(
    template: jinja2.Template,
    config: Config,
    volume: str | None,
    *,
    title: str,
    old_title: str,
    source: str,
    text_changed: bool,
    text_why: str,
    title_why: str,
) -> str:
    """One update's edit summary: what changed (moved, text) and why, on one line."""
    text = template.render(
        citation=config.citation.for_volume(volume),
        title=title,
        old_title=old_title,
        source=source,
        text_changed=text_changed,
        text_why=text_why,
        title_why=title_why,
    )
    return cap_summary(text)
