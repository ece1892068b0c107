"""The wiki: pywikibot Site construction and login from Config, and a thin API layer.

pywikibot builds the site and logs in (BotPassword, cookies in a private folder). Writes and
batched reads then go out as single raw API requests over pywikibot's HTTP session: one
``action=edit`` is one request (``Page.save()`` makes about five), and the retry policy is
ours (bounded, with backoff) instead of pywikibot's long internal waits. Every request carries
``maxlag``, ``assert=user``, ``format=json``, ``formatversion=2``.

pywikibot is imported lazily, only here, after ``PYWIKIBOT_NO_USER_CONFIG=2`` is set.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from uploader.config import Config, RunConfig
from uploader.errors import WikiError
from uploader.publish.credentials import Credentials, account_name
from uploader.wikitext import MAX_TITLE_BYTES, TITLE_FORBIDDEN_CHARS

log = logging.getLogger("uploader.publish.wiki")

USER_AGENT = "KazEncUploader/0.1 (kk.wikipedia encyclopedia import; pywikibot)"
BATCH = 50  # titles per query request (the API limit for ordinary accounts)
CONTRIBS_REQUESTS = 20  # most requests spent listing the bot's new pages at a run's start

# API error codes worth waiting for and retrying (then the run stops, resumable).
RETRYABLE = frozenset(
    {
        "maxlag",
        "ratelimited",
        "readonly",
        "http",
        "connection",
        "badjson",
        "internal_api_error_DBConnectionError",
        "internal_api_error_DBQueryError",
        "internal_api_error_DBQueryTimeoutError",
        "internal_api_error_DBUnexpectedError",
    }
)
# Codes that say "not now" about the bot itself: once the retries are spent, the client keeps
# waiting (up to [run] wait_out seconds, in steps of WAIT_OUT_STEP) instead of stopping.
WAIT_OUT = frozenset({"maxlag", "ratelimited"})
WAIT_OUT_STEP = 60.0
# Codes that mean the session was lost: log in again once, then carry on.
SESSION_LOST = frozenset({"assertuserfailed", "assertbotfailed", "notloggedin", "badtoken"})
# Codes that mean the whole run cannot go on (login, rights, blocks).
RUN_LEVEL = frozenset(
    {
        "assertuserfailed",
        "assertbotfailed",
        "assertnameduserfailed",
        "notloggedin",
        "mustbeloggedin",
        "badtoken",
        "blocked",
        "autoblocked",
        "globalblocking-blockedtext",
        "writeapidenied",
        "readapidenied",
        "permissiondenied",
        "cantcreate",
        "cantcreate-anon",
        "noedit",
        "noedit-anon",
        "login",
    }
)


class ApiError(Exception):
    """An API answer with an error code (or an HTTP/connection failure as code http/connection)."""

    def __init__(self, code: str, info: str = "", lag: float | None = None) -> None:
        self.code = code
        self.info = info
        self.lag = lag
        super().__init__(f"{code}: {info}" if info else code)

    @property
    def retryable(self) -> bool:
        """True for transient errors (lag, rate limit, read-only, server trouble)."""
        return self.code in RETRYABLE

    @property
    def run_level(self) -> bool:
        """True for errors that stop the run rather than fail one article."""
        return self.code in RUN_LEVEL


class Transport(Protocol):
    """Sends one API request; returns the decoded JSON or raises ApiError(http/connection)."""

    requests: int

    def post(self, params: Mapping[str, str]) -> dict[str, Any]: ...


class HttpTransport:
    """POSTs to api.php through pywikibot's HTTP session (shares its login cookies)."""

    def __init__(self, session: Any, api_url: str, timeout: float = 60.0) -> None:
        self.session = session
        self.api_url = api_url
        self.timeout = timeout
        self.requests = 0

    def post(self, params: Mapping[str, str]) -> dict[str, Any]:
        """One HTTP POST; non-2xx, connection failures and bad JSON become ApiError."""
        import requests

        self.requests += 1
        try:
            resp = self.session.post(
                self.api_url,
                data=dict(params),
                headers={"User-Agent": USER_AGENT},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise ApiError("connection", type(exc).__name__) from None
        if resp.status_code >= 500 or resp.status_code == 429:
            lag = _float(resp.headers.get("Retry-After"))
            code = "ratelimited" if resp.status_code == 429 else "http"
            raise ApiError(code, f"HTTP {resp.status_code}", lag)
        try:
            data = resp.json()
        except ValueError:
            raise ApiError("badjson", f"HTTP {resp.status_code}, not JSON") from None
        if not isinstance(data, dict):
            raise ApiError("badjson", "not a JSON object")
        if isinstance(data.get("error"), dict) and resp.headers.get("Retry-After"):
            data["error"].setdefault("lag", _float(resp.headers["Retry-After"]))
        return data


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class PageInfo:
    """What one batched query says about a title."""

    title: str
    exists: bool
    revid: int | None = None
    user: str | None = None  # last editor
    sha1: str | None = None  # of the latest revision
    size: int | None = None
    nobots: bool = False
    invalid: str = ""  # why the title is invalid ("" when valid)
    create_protection: str = ""  # protection level for creating a missing title
    # For a title that is a redirect: the page it leads to (after every hop) and what the
    # query says about that page; the redirect's own revision is not read (user/sha1 None).
    redirect_to: str = ""
    target: PageInfo | None = None

    @property
    def page(self) -> PageInfo | None:
        """The page behind the title (itself, or a redirect's target); None when missing."""
        found = self.target if self.redirect_to else self
        return found if found is not None and found.exists else None


@dataclass(frozen=True, slots=True)
class Revision:
    """One revision: who, which id, content hash."""

    revid: int
    user: str
    sha1: str


Sleep = Callable[[float], None]


class WikiClient:
    """The API operations the publisher needs, with bounded retries and backoff."""

    def __init__(
        self,
        transport: Transport,
        user: str,
        *,
        maxlag: int = 5,
        max_retries: int = 3,
        retry_wait: float = 5.0,
        sleep: Sleep = time.sleep,
        relogin: Callable[[], None] | None = None,
        wait_out: float = 0.0,
    ) -> None:
        self.transport = transport
        self.user = account_name(user)
        self.maxlag = int(maxlag)
        self.max_retries = max_retries
        self.retry_wait = retry_wait
        self.sleep = sleep
        self.relogin = relogin  # renews a lost session (uploader.publish.session.api_login)
        self.wait_out = wait_out  # seconds to keep waiting out lag/rate limits past retries
        self._token: str | None = None

    @property
    def requests(self) -> int:
        """API requests sent so far."""
        return self.transport.requests

    # --- the request loop ---------------------------------------------------------------

    def call(self, params: Mapping[str, Any], *, write: bool = False) -> dict[str, Any]:
        """Send one API call with the standard parameters; retry transient errors, then raise.

        A transient error that persists past ``max_retries`` raises WikiError (run-level).
        Any other API error raises ApiError.
        """
        full = {k: _param(v) for k, v in params.items()}
        full.update(format="json", formatversion="2", maxlag=str(self.maxlag))
        full["assert"] = "user"
        attempt = 0
        relogged = False
        waited = 0.0
        while True:
            try:
                return self._once(full, write)
            except ApiError as err:
                if err.code in SESSION_LOST and self.relogin is not None and not relogged:
                    relogged = True  # once per request: a second loss stops the run
                    self.relogin()
                    self._token = None
                    continue
                if not err.retryable:
                    raise
                attempt += 1
                wait = min(self.retry_wait * 2 ** (attempt - 1), 600.0)
                if attempt > self.max_retries:
                    if err.code not in WAIT_OUT or waited >= self.wait_out:
                        raise WikiError(
                            f"wiki keeps answering {err.code} ({err.info}) after "
                            f"{self.max_retries} retries; stopped, resume later"
                        ) from None
                    wait = min(wait, WAIT_OUT_STEP, self.wait_out - waited)
                if err.lag:
                    wait = max(wait, float(err.lag))
                waited += wait if attempt > self.max_retries else 0.0
                log.warning(
                    "%s (%s); retry %d/%d in %.1fs",
                    err.code,
                    err.info,
                    attempt,
                    self.max_retries,
                    wait,
                )
                self.sleep(wait)

    def _once(self, params: dict[str, str], write: bool) -> dict[str, Any]:
        """One request; a write whose token went stale is sent once more with a fresh one."""
        for attempt in range(2 if write else 1):
            if write:
                if attempt:
                    self._token = None
                params["token"] = self.csrf_token()
            data = self.transport.post(params)
            error = _first_error(data)
            if error is None:
                return data
            code, info, lag = error
            if code != "badtoken" or not write:
                break
        raise ApiError(code, info, lag)

    def csrf_token(self) -> str:
        """The edit token (fetched once, refreshed after badtoken)."""
        if self._token is None:
            data = self.transport.post(
                {
                    "action": "query",
                    "meta": "tokens",
                    "type": "csrf",
                    "format": "json",
                    "formatversion": "2",
                    "maxlag": str(self.maxlag),
                    "assert": "user",
                }
            )
            error = _first_error(data)
            if error is not None:
                raise ApiError(*error)
            self._token = str(data["query"]["tokens"]["csrftoken"])
        return self._token

    # --- operations ---------------------------------------------------------------------

    def page_infos(self, titles: Iterable[str]) -> dict[str, PageInfo]:
        """Existence, latest revision (user, sha1, size), {{nobots}} and create protection
        for each title, 50 titles a request, following redirects (a redirect's PageInfo
        names its target and carries the target's facts); keyed by the titles as given."""
        out: dict[str, PageInfo] = {}
        wanted = []
        for title in dict.fromkeys(titles):
            problem = title_problem(title)
            if problem:
                out[title] = PageInfo(title, False, invalid=problem)
            else:
                wanted.append(title)
        for start in range(0, len(wanted), BATCH):
            out.update(self._info_batch(wanted[start : start + BATCH]))
        return out

    def _info_batch(self, titles: list[str]) -> dict[str, PageInfo]:
        data = self.call(
            {
                "action": "query",
                "titles": "|".join(titles),
                "prop": "info|revisions|templates",
                "inprop": "protection",
                "rvprop": "ids|user|sha1|size",
                "tltemplates": "Template:Nobots|Template:Bots",
                "tllimit": "max",
                "redirects": "1",
            }
        )
        query = data.get("query", {})
        alias: dict[str, str] = {t: t for t in titles}
        for key in ("normalized", "converted"):
            for pair in query.get(key, []):
                for orig, now in list(alias.items()):
                    if now == pair["from"]:
                        alias[orig] = pair["to"]
        hops = {str(r["from"]): str(r["to"]) for r in query.get("redirects", [])}
        by_title: dict[str, PageInfo] = {}
        for page in query.get("pages", []):
            info = _page_info(page)
            by_title[info.title] = info
        for iw in query.get("interwiki", []):
            by_title[iw["title"]] = PageInfo(iw["title"], False, invalid="interwiki title")
        out = {}
        for orig in titles:
            title = alias[orig]
            if title in hops:
                end = _follow(hops, title)
                target = by_title.get(end) or PageInfo(end, False)
                out[orig] = PageInfo(title, True, redirect_to=end, target=target)
                continue
            found = by_title.get(title)
            out[orig] = found or PageInfo(orig, False, invalid="title not understood by wiki")
        return out

    def page_texts(self, titles: Iterable[str]) -> dict[str, tuple[int, str]]:
        """The latest revision id and wikitext of each existing page, 50 titles a request
        (redirects not followed); missing pages are left out."""
        wanted = list(dict.fromkeys(titles))
        out: dict[str, tuple[int, str]] = {}
        for start in range(0, len(wanted), BATCH):
            data = self.call(
                {
                    "action": "query",
                    "titles": "|".join(wanted[start : start + BATCH]),
                    "prop": "revisions",
                    "rvprop": "ids|content",
                    "rvslots": "main",
                }
            )
            for page in data.get("query", {}).get("pages", []):
                revs = page.get("revisions") or []
                if page.get("missing") or not revs:
                    continue
                text = str(revs[0].get("slots", {}).get("main", {}).get("content", ""))
                out[str(page["title"])] = (int(revs[0].get("revid", 0)), text)
        return out

    def _one_revision(self, title: str, **params: str) -> dict[str, Any] | None:
        """One revision of a page (``prop=revisions`` with ``params``), or None if missing."""
        data = self.call({"action": "query", "titles": title, "prop": "revisions", **params})
        pages = data.get("query", {}).get("pages", [])
        if not pages or pages[0].get("missing") or not pages[0].get("revisions"):
            return None
        revision: dict[str, Any] = pages[0]["revisions"][0]
        return revision

    def first_revision(self, title: str) -> Revision | None:
        """The page's first revision (who created it), or None if the page is missing."""
        rev = self._one_revision(title, rvprop="ids|user|sha1", rvdir="newer", rvlimit="1")
        if rev is None:
            return None
        return Revision(int(rev["revid"]), str(rev.get("user", "")), str(rev.get("sha1", "")))

    def page_text(self, title: str) -> str | None:
        """The current wikitext of a page, or None when it does not exist."""
        rev = self._one_revision(title, rvprop="content", rvslots="main")
        return None if rev is None else str(rev["slots"]["main"].get("content", ""))

    def created_since(self, since: float | None, limit: int = CONTRIBS_REQUESTS) -> set[str]:
        """Titles of the pages the bot created since ``since`` (epoch seconds; None: ever),
        newest first, from ``list=usercontribs`` (at most ``limit`` requests of 500 or 5000
        titles each, so a long history is cut at its oldest end)."""
        params: dict[str, str] = {
            "action": "query",
            "list": "usercontribs",
            "ucuser": self.user,
            "ucshow": "new",
            "ucprop": "title",
            "ucdir": "older",
            "uclimit": "max",
        }
        if since is not None:
            params["ucend"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(max(0, since)))
        titles: set[str] = set()
        for _ in range(limit):
            data = self.call(params)
            titles.update(str(c["title"]) for c in data.get("query", {}).get("usercontribs", []))
            cont = data.get("continue")
            if not isinstance(cont, dict):
                break
            params.update({k: str(v) for k, v in cont.items()})
        return titles

    def create(self, title: str, text: str, summary: str) -> int:
        """Create a new page (createonly, bot edit); return the new revision id.

        Raises ApiError (e.g. ``articleexists``, ``protectedtitle``) or WikiError.
        """
        saved = self._save({"title": title, "text": text, "summary": summary, "createonly": "1"})
        return int(saved["newrevid"])

    def edit(self, title: str, text: str, summary: str, *, baserevid: int) -> Saved:
        """Replace an existing page's text (nocreate, bot edit) based on revision
        ``baserevid``; a newer revision by anyone else is an ``editconflict`` ApiError, or a
        merge by the wiki (``Saved.oldrevid`` then differs from ``baserevid``).

        No ``basetimestamp`` is sent: with it, MediaWiki (1.39, EditPage) drops the conflict
        when nobody but the bot saved *after* that second, so a person's edit made in the same
        second as the base revision is silently overwritten (measured on the test wiki);
        ``baserevid`` alone makes the check exact. Raises ApiError or WikiError.
        """
        data = self._save(
            {
                "title": title,
                "text": text,
                "summary": summary,
                "nocreate": "1",
                "baserevid": str(baserevid),
            }
        )
        return Saved(
            int(data.get("newrevid") or data.get("oldrevid") or 0),
            int(data.get("oldrevid") or 0),
            bool(data.get("nochange")),
        )

    def _save(self, params: dict[str, str]) -> dict[str, Any]:
        data = self.call(
            {"action": "edit", "bot": "1", "contentmodel": "wikitext", **params}, write=True
        )
        edit: dict[str, Any] = data.get("edit", {})
        if edit.get("result") != "Success":
            code = str(edit.get("code") or edit.get("result") or "editfailed")
            raise ApiError(code, str(edit.get("info", "")))
        return edit

    def move(self, old: str, new: str, reason: str) -> None:
        """Move page ``old`` to the missing title ``new``, leaving a redirect behind.

        Raises ApiError (``articleexists`` when ``new`` is taken, ``protectedpage`` ...).
        """
        self.call({"action": "move", "from": old, "to": new, "reason": reason}, write=True)

    def revisions_since(self, title: str, revid: int) -> list[Revision]:
        """The revisions of a page from ``revid`` on (oldest first, at most 50)."""
        data = self.call(
            {
                "action": "query",
                "titles": title,
                "prop": "revisions",
                "rvprop": "ids|user|sha1",
                "rvstartid": str(revid),
                "rvdir": "newer",
                "rvlimit": "50",
            }
        )
        pages = data.get("query", {}).get("pages", [])
        revs = pages[0].get("revisions", []) if pages else []
        return [
            Revision(int(r["revid"]), str(r.get("user", "")), str(r.get("sha1", ""))) for r in revs
        ]

    def moves_from(self, title: str) -> list[tuple[str, str]]:
        """(mover, new title) of each logged move of ``title``, newest first."""
        data = self.call(
            {
                "action": "query",
                "list": "logevents",
                "letype": "move",
                "letitle": title,
                "leprop": "user|details|title",
                "lelimit": "20",
            }
        )
        events = data.get("query", {}).get("logevents", [])
        return [
            (str(e.get("user", "")), str(e.get("params", {}).get("target_title", "")))
            for e in events
        ]


@dataclass(frozen=True, slots=True)
class Saved:
    """The answer to an edit: the new revision, the one it replaced, and whether the text
    was already the same (no revision made)."""

    newrevid: int
    oldrevid: int
    nochange: bool = False


def title_problem(title: str) -> str:
    """Why a title can never be a page (checked before asking the wiki), or ""."""
    if not title.strip():
        return "empty title"
    bad = sorted(set(title) & set(TITLE_FORBIDDEN_CHARS))
    if bad:
        return f"title contains {' '.join(bad)}"
    if len(title.encode("utf-8")) > MAX_TITLE_BYTES:
        return f"title longer than {MAX_TITLE_BYTES} bytes"
    return ""


def _follow(hops: Mapping[str, str], title: str) -> str:
    """Where a chain of redirects ends (a loop ends where it closes)."""
    seen = {title}
    while title in hops and hops[title] not in seen:
        title = hops[title]
        seen.add(title)
    return title


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    return str(value)


def _first_error(data: Mapping[str, Any]) -> tuple[str, str, float | None] | None:
    if "error" in data:
        err = data["error"]
        return str(err.get("code", "unknown")), str(err.get("info", "")), _float(err.get("lag"))
    if data.get("errors"):
        err = data["errors"][0]
        data_lag = err.get("data", {}).get("lag") if isinstance(err.get("data"), dict) else None
        return str(err.get("code", "unknown")), str(err.get("text", "")), _float(data_lag)
    return None


def _page_info(page: Mapping[str, Any]) -> PageInfo:
    title = str(page.get("title", ""))
    if page.get("invalid"):
        return PageInfo(title, False, invalid=str(page.get("invalidreason", "invalid title")))
    if page.get("ns", 0) != 0:  # the wiki read a namespace prefix: never an article
        return PageInfo(title, False, invalid=f"the wiki puts it in namespace {page['ns']}, not 0")
    create_level = ""
    for prot in page.get("protection", []):
        if prot.get("type") == "create":
            create_level = str(prot.get("level", ""))
    if page.get("missing"):
        return PageInfo(title, False, create_protection=create_level)
    revs = page.get("revisions") or [{}]
    rev = revs[0]
    templates = {t.get("title", "") for t in page.get("templates", [])}
    return PageInfo(
        title,
        True,
        revid=rev.get("revid"),
        user=rev.get("user"),
        sha1=rev.get("sha1"),
        size=rev.get("size", page.get("length")),
        nobots=any(t.split(":", 1)[-1] == "Nobots" for t in templates),
    )


# --- pywikibot site and login -----------------------------------------------------------


def family_and_code(api_url: str, family: str = "", lang: str = "kk") -> tuple[str, str]:
    """pywikibot (family, code) for an API URL: Wikimedia sites by name, others auto."""
    host = urlparse(api_url).hostname or ""
    if host.endswith(".wikipedia.org") and api_url.endswith("/w/api.php"):
        return "wikipedia", host.split(".", 1)[0] or lang
    netloc = urlparse(api_url).netloc
    name = family or "uploader_" + "".join(c if c.isalnum() else "_" for c in netloc)
    return name, name


def setup_pywikibot(config: Config, base_dir: Path) -> Any:
    """Configure pywikibot (private base_dir, no user-config, short retries) and return it."""
    base_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(base_dir, 0o700)
    # pywikibot reads its throttle file for each new site and, once a process has one site,
    # fails if a new base_dir lacks the file (a second wiki or config in one process).
    (base_dir / "throttle.ctrl").touch(exist_ok=True)
    os.environ["PYWIKIBOT_NO_USER_CONFIG"] = "2"
    os.environ.setdefault("PYWIKIBOT_DIR", str(base_dir))
    import pywikibot
    from pywikibot import config as pwb

    pwb.base_dir = str(base_dir)
    family, code = family_and_code(config.wiki.api, config.wiki.family, config.wiki.lang)
    if family != "wikipedia":
        pwb.family_files[family] = config.wiki.api
    pwb.usernames[family][code] = account_name(config.wiki.user)
    pwb.password_file = None
    # The runner spaces edits itself ([run] put_throttle, measured from each edit's start);
    # pywikibot's own throttle would only add its delay on top, so it is switched off.
    pwb.put_throttle = 0
    pwb.minthrottle = 0
    pwb.write_maxlag = int(config.run.maxlag)  # must be an int (a float is rejected)
    pwb.read_maxlag = int(config.run.maxlag)
    # Our WikiClient does bounded retries; keep pywikibot's own (used at login) short.
    pwb.max_retries = 1
    pwb.retry_wait = 2
    pwb.retry_max = 5
    return pywikibot


def login(config: Config, credentials: Credentials, base_dir: Path) -> Any:
    """A logged-in pywikibot Site for the configured wiki; WikiError when login fails.

    pywikibot's own log output is kept off the terminal while it logs in. When the login
    fails for any reason but the wiki's answer, the API address is probed (one
    ``meta=siteinfo``) so the line says whether it is unreachable or no MediaWiki at all.
    """
    from uploader.publish.session import probe_api, quiet_pywikibot

    pywikibot = setup_pywikibot(config, base_dir)
    from pywikibot import exceptions
    from pywikibot.login import ClientLoginManager

    family, code = family_and_code(config.wiki.api, config.wiki.family, config.wiki.lang)
    try:
        with quiet_pywikibot():
            site = pywikibot.Site(code, family, user=credentials.account)
            site.login(cookie_only=True)
            if not site.logged_in():
                manager = ClientLoginManager(
                    password=credentials.secret, site=site, user=credentials.login_name
                )
                manager.login_to_site()
                manager.storecookiedata()
                site.login(cookie_only=True)
    except exceptions.APIError as exc:
        raise WikiError(f"login as {credentials.login_name} failed: {exc.code}") from None
    except Exception as exc:
        probe_api(config.wiki.api, USER_AGENT)  # raises when the address is the problem
        raise WikiError(
            f"cannot log in to {config.wiki.api}: the network or the wiki failed during "
            f"login ({type(exc).__name__}); check that the wiki answers"
        ) from None
    if not site.logged_in():
        raise WikiError(f"login as {credentials.login_name} failed (wrong bot password?)")
    return site


def connect(
    config: Config, settings: RunConfig, credentials: Credentials, *, sleep: Sleep = time.sleep
) -> WikiClient:
    """Log in and return a WikiClient speaking to the configured wiki (which logs in again
    by itself if the session is lost mid-run)."""
    from pywikibot.comms import http

    from uploader.publish.session import api_login

    base_dir = settings.ledger.parent / "pywikibot"
    login(config, credentials, base_dir)
    transport = HttpTransport(http.session, config.wiki.api)
    return WikiClient(
        transport,
        credentials.account,
        maxlag=settings.maxlag,
        max_retries=settings.max_retries,
        retry_wait=settings.retry_wait,
        sleep=sleep,
        relogin=lambda: api_login(transport, credentials.login_name, credentials.secret),
        wait_out=settings.wait_out,
    )
