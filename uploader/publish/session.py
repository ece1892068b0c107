"""The bot's session with the wiki, around pywikibot's login: check first, log in again later.

- ``probe_api``: when pywikibot's login fails, one ``meta=siteinfo`` request says whether
  the ``[wiki] api`` address answers at all and is a MediaWiki (not an HTML page, a 404, or
  a closed port), so the operator's one line names the real problem.
- ``quiet_pywikibot``: while pywikibot logs in, its own logging (tracebacks of network
  failures, dozens of lines) is kept out of the terminal; the failure becomes a WikiError.
- ``api_login``: a session lost in the middle of a run (``assertuserfailed``, a ``badtoken``
  that a fresh token does not cure) is renewed with ``action=login`` (BotPassword) over the
  same HTTP session, without pywikibot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from uploader.errors import WikiError

log = logging.getLogger("uploader.publish.session")

PROBE_TIMEOUT = 30.0


class Poster(Protocol):
    """Anything that POSTs one API request and returns its JSON (``HttpTransport``)."""

    def post(self, params: Mapping[str, str]) -> dict[str, Any]: ...


def probe_api(api_url: str, user_agent: str, timeout: float = PROBE_TIMEOUT) -> str:
    """Ask ``api_url`` for its site name; WikiError in one line if it is not a MediaWiki API."""
    import requests

    params = {"action": "query", "meta": "siteinfo", "format": "json", "formatversion": "2"}
    fix = "check [wiki] api in the config (it must end in api.php) and that the wiki is up"
    try:
        resp = requests.get(
            api_url, params=params, headers={"User-Agent": user_agent}, timeout=timeout
        )
    except requests.RequestException as exc:
        raise WikiError(f"cannot reach {api_url} ({_reason(exc)}); {fix}") from None
    if resp.status_code != 200:
        raise WikiError(f"{api_url} answered HTTP {resp.status_code}, not an API reply; {fix}")
    try:
        data = resp.json()
    except ValueError:
        kind = resp.headers.get("Content-Type", "").split(";")[0] or "no content type"
        raise WikiError(
            f"{api_url} is not a MediaWiki API (it sent {kind}, not JSON); {fix}"
        ) from None
    general = data.get("query", {}).get("general") if isinstance(data, dict) else None
    if not isinstance(general, dict):
        raise WikiError(f"{api_url} answered JSON without site information; {fix}")
    return str(general.get("sitename", ""))


def _reason(exc: Exception) -> str:
    text = str(exc)
    for needle, reason in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "unknown host name"),
        ("Temporary failure in name resolution", "host name not resolved"),
        ("timed out", "timed out"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__


class _Silence(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextmanager
def quiet_pywikibot() -> Iterator[None]:
    """Keep pywikibot's log output (warnings, tracebacks) off the terminal while inside.

    pywikibot sets up its handlers on its first message and resets its logger's level then,
    so they are set up first and each gets a filter that drops everything.
    """
    from pywikibot import bot

    bot.init_handlers()
    silence = _Silence()
    handlers = list(logging.getLogger("pywiki").handlers)
    for handler in handlers:
        handler.addFilter(silence)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(silence)


def api_login(transport: Poster, login_name: str, secret: str) -> None:
    """Log in again over ``transport``'s session: ``action=login`` for a BotPassword
    (``Account@app``), ``action=clientlogin`` for a main account."""
    base = {"format": "json", "formatversion": "2"}
    tokens = transport.post({"action": "query", "meta": "tokens", "type": "login", **base})
    token = tokens.get("query", {}).get("tokens", {}).get("logintoken")
    if not token:
        raise WikiError("the session was lost and no login token came back; resume later")
    if "@" in login_name:
        data = transport.post(
            {"action": "login", "lgname": login_name, "lgpassword": secret, "lgtoken": token} | base
        )
        answer = data.get("login", {})
        ok, reason = answer.get("result") == "Success", answer.get("reason") or answer.get("result")
    else:
        data = transport.post(
            {
                "action": "clientlogin",
                "username": login_name,
                "password": secret,
                "logintoken": token,
                "loginreturnurl": "http://localhost/",
            }
            | base
        )
        answer = data.get("clientlogin", {})
        ok, reason = answer.get("status") == "PASS", answer.get("message") or answer.get("status")
    if not ok:
        if isinstance(reason, dict):
            reason = reason.get("text") or reason.get("code") or "refused"
        raise WikiError(
            f"the session was lost and logging in again as {login_name} failed "
            f"({reason or 'no answer'}); check the bot password"
        )
    log.warning("session lost; logged in again as %s", login_name)
