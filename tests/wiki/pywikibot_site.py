"""Point pywikibot at a :class:`~tests.wiki.server.LocalWiki` without touching the user's
files: a private ``base_dir``, no real user-config, the bot's BotPassword in a chmod-600
password file.

pywikibot reads its configuration when it is first imported, so use it in a child
process::

    env = {**os.environ, **pywikibot_env(wiki, tmp_path / "pwb")}
    subprocess.run([sys.executable, SCRIPT], env=env, cwd=tmp_path, check=True)

and, inside that process, before anything else imports pywikibot, call
:func:`tests.wiki.pwb_save.configured_site` (or do the same steps: set
``config.family_files[FAMILY] = api_url``, ``config.usernames[FAMILY]['*']``,
``config.password_file``, then ``pywikibot.Site(FAMILY, FAMILY).login()``).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.wiki.server import BOT_APP_ID, LocalWiki

FAMILY = "kaztest"
_MARKER = (
    "# Deliberately empty. pywikibot honours PYWIKIBOT_DIR only when it holds a\n"
    "# user-config.py; the settings themselves are made in code (tests/wiki).\n"
)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def pywikibot_env(wiki: LocalWiki, base_dir: Path) -> dict[str, str]:
    """Prepare ``base_dir`` as a private pywikibot folder for ``wiki``'s bot and return the
    environment variables a child process needs: ``PYWIKIBOT_NO_USER_CONFIG=2``,
    ``PYWIKIBOT_DIR`` and the ``KAZWIKI_*`` values read by
    :func:`tests.wiki.pwb_save.configured_site` (api url, family name, user, password
    file). No secret is placed in the environment."""
    base_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(base_dir / "user-config.py", _MARKER)
    password_file = base_dir / "passwordfile"
    _write_private(
        password_file,
        f"({wiki.bot_user!r}, BotPassword({BOT_APP_ID!r}, {wiki.bot_password!r}))\n",
    )
    return {
        "PYWIKIBOT_NO_USER_CONFIG": "2",
        "PYWIKIBOT_DIR": str(base_dir),
        "KAZWIKI_API_URL": wiki.api_url,
        "KAZWIKI_FAMILY": FAMILY,
        "KAZWIKI_USER": wiki.bot_user,
        "KAZWIKI_PASSWORD_FILE": str(password_file),
    }
