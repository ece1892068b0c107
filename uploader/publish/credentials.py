"""Where the bot's BotPassword comes from; the secret is never printed, logged or stored.

Order: the ``UPLOADER_BOT_PASSWORD`` environment variable; the file in ``[wiki]
password_file``; pywikibot's own ``user-password.py`` (in ``$PYWIKIBOT_DIR`` or
``~/.pywikibot``). A file must be private (``chmod 600``): one readable by group or others is
refused. A file holds either just the secret, or pywikibot's syntax, one tuple a line:
``('KazBot', BotPassword('upload', 'secret'))`` (also ``(family, user, ...)`` and
``(code, family, user, ...)``; the last matching line wins).
"""

from __future__ import annotations

import ast
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from uploader.errors import ConfigError

ENV_SECRET = "UPLOADER_BOT_PASSWORD"


@dataclass(frozen=True)
class Credentials:
    """A login name (``Account@app`` for a BotPassword) and its secret, hidden from repr."""

    login_name: str
    secret: str = field(repr=False)
    source: str = ""  # where the secret came from (never the secret itself)

    @property
    def account(self) -> str:
        """The wiki account name: the login name without ``@app``."""
        return account_name(self.login_name)

    def __str__(self) -> str:
        return f"{self.login_name} (secret from {self.source})"


def account_name(login_name: str) -> str:
    """``KazBot@upload`` → ``KazBot`` (first letter upper, underscores as spaces)."""
    name = login_name.split("@", 1)[0].replace("_", " ").strip()
    return name[:1].upper() + name[1:]


def check_private(path: Path) -> None:
    """Refuse a secret file that group or others may read (or that is missing)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        raise ConfigError(f"{path}: password file not found") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{path}: password file is readable by group/others "
            f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {path}"
        )


def _literal(node: ast.expr) -> object:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        if node.func.id == "BotPassword" and len(node.args) == 2 and not node.keywords:
            app, secret = (ast.literal_eval(a) for a in node.args)
            return ("BotPassword", str(app), str(secret))
        raise ValueError("only BotPassword(app, secret) calls are allowed")
    if isinstance(node, ast.Tuple):
        return tuple(_literal(e) for e in node.elts)
    return ast.literal_eval(node)


def parse_password_file(text: str, login_name: str, path: Path) -> str:
    """The secret for ``login_name`` in a password file's ``text``; ConfigError if none."""
    stripped = (ln.strip() for ln in text.splitlines())
    lines = [ln for ln in stripped if ln and not ln.startswith("#")]
    if len(lines) == 1 and not lines[0].startswith("("):
        return lines[0]
    account = account_name(login_name)
    app = login_name.split("@", 1)[1] if "@" in login_name else None
    found = None
    for number, line in enumerate(lines, 1):
        try:
            entry = _literal(ast.parse(line, mode="eval").body)
        except (SyntaxError, ValueError):
            raise ConfigError(f"{path}: line {number}: not a password tuple") from None
        if not isinstance(entry, tuple) or not 2 <= len(entry) <= 4:
            raise ConfigError(f"{path}: line {number}: not a password tuple")
        user, secret = entry[-2], entry[-1]
        if not isinstance(user, str) or account_name(user) != account:
            continue
        if isinstance(secret, tuple) and secret[:1] == ("BotPassword",):
            if app is None or secret[1] == app:
                found = str(secret[2])
        elif isinstance(secret, str):
            found = secret
    if not found:
        raise ConfigError(f"{path}: no password for {login_name}")
    return found


def _pywikibot_password_file() -> Path | None:
    base = os.environ.get("PYWIKIBOT_DIR") or str(Path.home() / ".pywikibot")
    candidate = Path(base) / "user-password.py"
    return candidate if candidate.is_file() else None


def load_credentials(login_name: str, password_file: Path | None) -> Credentials:
    """Find the secret for ``login_name`` (env, config file, pywikibot's file), or fail."""
    secret = os.environ.get(ENV_SECRET, "").strip()
    if secret:
        return Credentials(login_name, secret, f"${ENV_SECRET}")
    path = password_file or _pywikibot_password_file()
    if path is None:
        raise ConfigError(
            f"no bot password for {login_name}: set ${ENV_SECRET} or [wiki] password_file"
        )
    check_private(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read password file: {type(exc).__name__}") from None
    return Credentials(login_name, parse_password_file(text, login_name, path), str(path))
