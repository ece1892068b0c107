"""Child-process side of the pywikibot smoke test: log in to the local wiki with the
BotPassword and save one page.

Run as ``python tests/wiki/pwb_save.py TITLE TEXT SUMMARY`` with the environment from
:func:`tests.wiki.pywikibot_site.pywikibot_env`; prints one JSON line (user, revid,
rights) and exits 0 on success. Imports nothing from the project, so it runs from any
working directory. :func:`configured_site` is the recipe for a test-safe pywikibot Site.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def configured_site() -> Any:
    """Return a logged-in pywikibot Site for the wiki described by the KAZWIKI_* variables;
    must run before anything else imports pywikibot in this process."""
    if os.environ.get("PYWIKIBOT_NO_USER_CONFIG") != "2":
        raise SystemExit("PYWIKIBOT_NO_USER_CONFIG=2 must be set before pywikibot is imported")
    import pywikibot
    from pywikibot import config

    family = os.environ["KAZWIKI_FAMILY"]
    config.base_dir = os.environ["PYWIKIBOT_DIR"]
    config.family_files[family] = os.environ["KAZWIKI_API_URL"]
    config.usernames[family] = {"*": os.environ["KAZWIKI_USER"]}
    config.password_file = os.environ["KAZWIKI_PASSWORD_FILE"]
    config.put_throttle = 0
    config.max_retries = 1
    config.retry_wait = 1
    config.retry_max = 2
    site = pywikibot.Site(family, family)
    site.login()
    return site


def main(argv: list[str]) -> int:
    """Save argv's TITLE/TEXT/SUMMARY as the bot and print what the wiki recorded."""
    title, text, summary = argv
    site = configured_site()
    import pywikibot

    page = pywikibot.Page(site, title)
    page.text = text
    page.save(summary=summary, bot=True)
    print(
        json.dumps(
            {
                "user": site.username(),
                "revid": page.latest_revision_id,
                "bot_right": site.has_right("bot"),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
