"""A throwaway MediaWiki 1.39 on 127.0.0.1 for the server-backed tests.

Each :class:`LocalWiki` lives in its own folder (``root``): ``LocalSettings.php``, the
SQLite files, cache, uploads, ``faults.json`` and ``server.log``. MediaWiki's code stays
read-only in ``/usr/share/mediawiki`` (Debian's ``mediawiki`` package, installed by
``.ci/install-mediawiki.sh``); the settings file is chosen with ``MW_CONFIG_FILE``, so
several wikis can run side by side on different ports and nothing global changes.

Accounts made by :meth:`LocalWiki.create`:

* ``Admin`` (sysop, bureaucrat; has ``noratelimit``) - used by :meth:`LocalWiki.api`.
* ``KazBot`` in the core ``bot`` group (no ``noratelimit``, so rate-limit faults hit it),
  with the BotPassword ``KazBot@upload`` (grants basic, highvolume, editpage,
  createeditmovepage).
* Human editors made on demand by :meth:`LocalWiki.create_user_page`, in a ``tester``
  group that has ``noratelimit`` so a rate-limit fault meant for the bot spares them.

Faults (:meth:`LocalWiki.set_faults`) are read from ``root/faults.json`` by
``LocalSettings.php`` on every request, so they apply to the next request, no restart.

Measured on the development machine (Debian 12, 2 vCPU, PHP 8.2, MediaWiki 1.39.17):

* ``LocalWiki.create``: 1.36-1.42 s (install.php about 0.6 s, then createAndPromote and
  createBotPassword about 0.4 s each).
* ``LocalWiki.start``: 0.30 s until api.php answers siteinfo; ``stop``: 0.02 s.
* First Admin call (clientlogin + token + edit): 0.40 s; later edits about 0.1 s; a
  plain read about 0.017 s (300 sequential siteinfo requests).
* A human account made on demand: about 0.5 s (maintenance script + login).
* pywikibot in a child process (import, BotPassword login, one save): 1.9 s.
* ``request_count`` matched exactly after each of 300 requests: php -S writes its log
  line before the next request is served.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

MW_DIR = Path("/usr/share/mediawiki")
MW_INSTALLER = MW_DIR / "maintenance" / "install.php"
SITE_NAME = "Тест Уики"
BOT_USER = "KazBot"
BOT_APP_ID = "upload"
BOT_GRANTS = "basic,highvolume,editpage,createeditmovepage"
ADMIN_USER = "Admin"
HUMAN_GROUP = "tester"
START_TIMEOUT = 20.0
HTTP_TIMEOUT = 30.0

# php -S logs one line per finished request: "[date] 127.0.0.1:PORT [200]: GET /api.php?..."
_API_LOG_LINE = re.compile(r"\[\d{3}\]: [A-Z]+ /api\.php(?:[?\s]|$)")


class WikiHarnessError(RuntimeError):
    """The local test wiki failed: install, start, or an API call a helper relied on."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


def mediawiki_missing() -> str | None:
    """Say why the local wiki cannot run here (php or MediaWiki absent), or None if it can."""
    if shutil.which("php") is None:
        return "php is not installed (run .ci/install-mediawiki.sh as root)"
    if not MW_INSTALLER.is_file():
        return f"MediaWiki is not installed: no {MW_INSTALLER} (run .ci/install-mediawiki.sh)"
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ApiSession:
    """One logged-in (or anonymous) client of a wiki's api.php, with its own cookies."""

    def __init__(self, api_url: str) -> None:
        self.api_url = api_url
        self.http = requests.Session()
        self.http.headers["User-Agent"] = "kazenc-uploader-tests/0.1 (local test wiki)"
        self._tokens: dict[str, str] = {}

    def call(self, method: str = "GET", **params: Any) -> dict[str, Any]:
        """Send one API request and return the decoded JSON, errors included (never raises
        on an API error). Defaults: format=json, formatversion=2; a POST without a
        ``token`` gets this session's csrf token."""
        query: dict[str, Any] = {"format": "json", "formatversion": "2", **params}
        own_token = method.upper() == "POST" and "token" not in query
        if own_token:
            query["token"] = self.token("csrf")
        reply = self._send(method, query)
        if own_token and _error_code(reply) == "badtoken":
            self._tokens.clear()
            query["token"] = self.token("csrf")
            reply = self._send(method, query)
        return reply

    def checked(self, method: str = "GET", **params: Any) -> dict[str, Any]:
        """Like :meth:`call`, but raise :class:`WikiHarnessError` on an API error."""
        reply = self.call(method, **params)
        code = _error_code(reply)
        if code is not None:
            info = reply["error"].get("info", "")
            raise WikiHarnessError(f"API error {code}: {info}", code=code)
        return reply

    def token(self, kind: str = "csrf") -> str:
        """Return (and cache) this session's token of the given kind."""
        if kind not in self._tokens:
            reply = self._send(
                "GET",
                {"action": "query", "meta": "tokens", "type": kind, "format": "json"},
            )
            try:
                self._tokens[kind] = reply["query"]["tokens"][f"{kind}token"]
            except KeyError as exc:
                raise WikiHarnessError(f"no {kind} token in the reply") from exc
        return self._tokens[kind]

    def login_bot(self, login: str, password: str) -> None:
        """Log in with a BotPassword (``action=login``)."""
        reply = self._send(
            "POST",
            {
                "action": "login",
                "lgname": login,
                "lgpassword": password,
                "lgtoken": self.token("login"),
                "format": "json",
            },
        )
        self._tokens.clear()
        result = reply.get("login", {}).get("result") or _error_code(reply)
        if result != "Success":
            raise WikiHarnessError(f"bot login as {login} failed: {result}", code=result)

    def login_user(self, user: str, password: str) -> None:
        """Log in with an account's main password (``action=clientlogin``)."""
        reply = self._send(
            "POST",
            {
                "action": "clientlogin",
                "username": user,
                "password": password,
                "loginreturnurl": "http://127.0.0.1/",
                "logintoken": self.token("login"),
                "format": "json",
            },
        )
        self._tokens.clear()
        status = reply.get("clientlogin", {}).get("status") or _error_code(reply)
        if status != "PASS":
            raise WikiHarnessError(f"login as {user} failed: {status}", code=status)

    def _send(self, method: str, query: dict[str, Any]) -> dict[str, Any]:
        if method.upper() == "POST":
            response = self.http.post(self.api_url, data=query, timeout=HTTP_TIMEOUT)
        else:
            response = self.http.get(self.api_url, params=query, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        decoded: dict[str, Any] = response.json()
        return decoded


def _error_code(reply: dict[str, Any]) -> str | None:
    error = reply.get("error")
    return error.get("code") if isinstance(error, dict) else None


@dataclass
class LocalWiki:
    """A MediaWiki 1.39 served by ``php -S`` on 127.0.0.1, private to one test run."""

    root: Path
    port: int
    admin_password: str
    bot_password: str
    bot_user: str = BOT_USER
    admin_user: str = ADMIN_USER
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _admin: ApiSession | None = field(default=None, repr=False)
    _humans: dict[str, ApiSession] = field(default_factory=dict, repr=False)
    _count_mark: int = field(default=0, repr=False)

    # ----- creation and life cycle -------------------------------------------------

    @classmethod
    def create(cls, root: Path, port: int | None = None) -> LocalWiki:
        """Install a fresh wiki (Kazakh, SQLite) in the empty folder ``root`` and make the
        Admin and KazBot accounts and KazBot's BotPassword; ``port`` None picks a free one.
        The wiki is not started."""
        reason = mediawiki_missing()
        if reason is not None:
            raise WikiHarnessError(reason)
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        if any(root.iterdir()):
            raise WikiHarnessError(f"{root} is not empty")
        wiki = cls(
            root=root,
            port=free_port() if port is None else port,
            admin_password=f"Adm-{secrets.token_hex(12)}",
            bot_password=secrets.token_hex(16),
        )
        wiki._install()
        return wiki

    @property
    def api_url(self) -> str:
        """The wiki's api.php address."""
        return f"http://127.0.0.1:{self.port}/api.php"

    @property
    def bot_login(self) -> str:
        """The BotPassword login name, ``KazBot@upload``."""
        return f"{self.bot_user}@{BOT_APP_ID}"

    @property
    def settings_file(self) -> Path:
        """This wiki's LocalSettings.php."""
        return self.root / "LocalSettings.php"

    @property
    def faults_file(self) -> Path:
        """The JSON file LocalSettings.php reads faults from on every request."""
        return self.root / "faults.json"

    @property
    def log_file(self) -> Path:
        """php -S's request log."""
        return self.root / "server.log"

    @property
    def running(self) -> bool:
        """True while the php -S process started by :meth:`start` is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Serve the wiki with ``php -S`` and return once api.php answers."""
        if self.running:
            return
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(MW_DIR)],
                cwd=self.root,
                env=self._php_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        atexit.register(self.stop)
        self._wait_until_up()

    def stop(self) -> None:
        """Stop the php -S process started by :meth:`start` (by its own PID only)."""
        process, self._process = self._process, None
        atexit.unregister(self.stop)
        self._admin = None
        self._humans.clear()
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def __enter__(self) -> LocalWiki:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ----- faults --------------------------------------------------------------------

    def set_faults(
        self,
        *,
        ratelimit: int | None = None,
        readonly: str | None = None,
        lag: float | None = None,
    ) -> None:
        """Switch on exactly the given faults (the others go off) from the next request.

        ``ratelimit=N``: accounts without ``noratelimit`` (KazBot, not Admin or the human
        testers) may make N edits per 60 s; the (N+1)th fails with ``ratelimited``. The
        window starts afresh: edits made before this call do not count.
        ``readonly="reason"``: ``$wgReadOnly``; every write fails with ``readonly``, and
        so does logging in (``action=login`` writes): log in before switching it on.
        ``lag=seconds``: a fake replica lag, so a request with ``maxlag`` below it fails
        with ``maxlag`` (requests without ``maxlag`` are not affected).
        """
        faults: dict[str, Any] = {}
        if ratelimit is not None:
            if ratelimit < 0:
                raise ValueError("ratelimit must be >= 0")
            faults["ratelimit"] = int(ratelimit)
        if readonly is not None:
            if not readonly:
                raise ValueError("readonly needs a non-empty reason")
            faults["readonly"] = readonly
        if lag is not None:
            faults["lag"] = float(lag)
        if ratelimit is not None:
            self._reset_rate_limit_counters()
        _write_atomically(self.faults_file, json.dumps(faults))

    def clear_faults(self) -> None:
        """Switch every fault off from the next request."""
        _write_atomically(self.faults_file, "{}")

    # ----- API access ------------------------------------------------------------------

    def api(self, method: str = "GET", **params: Any) -> dict[str, Any]:
        """Send one API request as Admin and return the decoded JSON, API errors included.

        Defaults format=json and formatversion=2 (a param overrides them); a POST without
        ``token`` gets Admin's csrf token. Admin has ``noratelimit`` and sends no maxlag,
        so only the readonly fault affects it."""
        return self._admin_session().call(method, **params)

    def token(self, kind: str = "csrf") -> str:
        """Return Admin's token of the given kind (csrf, login, rollback, ...)."""
        return self._admin_session().token(kind)

    def bot_session(self) -> ApiSession:
        """Return a new API session logged in as KazBot through its BotPassword."""
        session = ApiSession(self.api_url)
        session.login_bot(self.bot_login, self.bot_password)
        return session

    def edit_as_admin(self, title: str, text: str, summary: str = "human edit") -> int:
        """Save ``text`` to ``title`` as Admin and return the new revision id (the current
        one when the text was unchanged)."""
        return _saved_revid(
            self._admin_session().checked(
                "POST", action="edit", title=title, text=text, summary=summary
            )
        )

    def create_user_page(self, user: str, title: str, text: str) -> int:
        """Save ``text`` to ``title`` as the human account ``user`` (made on first use, in
        the ``tester`` group: autoconfirmed, not a bot, no rate limit) and return the new
        revision id."""
        session = self._human_session(user)
        reply = session.checked(
            "POST", action="edit", title=title, text=text, summary=f"edit by {user}"
        )
        return _saved_revid(reply)

    def protect(self, title: str, create_only: bool = True) -> None:
        """Restrict ``title`` to sysops, indefinitely.

        ``create_only=True``: the title must not exist; its creation is protected.
        ``create_only=False``: an existing page gets edit and move protection (a missing
        title still gets creation protection)."""
        exists = self.page_text(title) is not None
        if create_only and exists:
            raise WikiHarnessError(f"{title!r} exists; use protect(title, create_only=False)")
        levels = "edit=sysop|move=sysop" if exists else "create=sysop"
        self._admin_session().checked(
            "POST",
            action="protect",
            title=title,
            protections=levels,
            expiry="infinite",
            reason="test protection",
        )

    def page_text(self, title: str) -> str | None:
        """Return the current wikitext of ``title``, or None when the page does not exist."""
        reply = self._admin_session().checked(
            "GET",
            action="query",
            prop="revisions",
            titles=title,
            rvprop="content",
            rvslots="main",
        )
        page = reply["query"]["pages"][0]
        if page.get("missing") or page.get("invalid"):
            return None
        content: str = page["revisions"][0]["slots"]["main"]["content"]
        return content

    def revisions(self, title: str) -> list[dict[str, Any]]:
        """Return all revisions of ``title``, oldest first; each has revid, parentid, user,
        timestamp, comment, sha1, size, minor. Empty when the page does not exist."""
        found: list[dict[str, Any]] = []
        for reply in self._query_pages(
            prop="revisions",
            titles=title,
            rvprop="ids|user|timestamp|comment|sha1|size|flags",
            rvdir="newer",
            rvlimit="max",
        ):
            for page in reply["query"]["pages"]:
                found.extend(page.get("revisions", []))
        return found

    def recent_changes(self, title: str | None = None) -> list[dict[str, Any]]:
        """Return recent changes (newest first), optionally for one title; each has title,
        user, revid, comment, timestamp, type and the booleans bot, minor, new."""
        params: dict[str, Any] = {
            "list": "recentchanges",
            "rcprop": "title|user|ids|comment|timestamp|flags",
            "rclimit": "max",
        }
        if title is not None:
            params["rctitle"] = title
        found: list[dict[str, Any]] = []
        for reply in self._query_pages(**params):
            found.extend(reply["query"]["recentchanges"])
        return found

    def all_pages(self, namespace: int = 0) -> list[str]:
        """Return the titles of all pages in ``namespace``, in title order."""
        titles: list[str] = []
        for reply in self._query_pages(list="allpages", apnamespace=namespace, aplimit="max"):
            titles.extend(page["title"] for page in reply["query"]["allpages"])
        return titles

    # ----- request counting ------------------------------------------------------------

    def request_count(self) -> int:
        """Return how many api.php requests php -S has finished since the last
        :meth:`reset_request_count` (or since creation). Requests made by this harness
        (``api()``, ``page_text()``, the start-up probe, ...) count too."""
        return self._logged_api_requests() - self._count_mark

    def reset_request_count(self) -> int:
        """Make :meth:`request_count` count from now on; return the absolute count so far."""
        self._count_mark = self._logged_api_requests()
        return self._count_mark

    # ----- internals -------------------------------------------------------------------

    def _php_env(self) -> dict[str, str]:
        return {**os.environ, "MW_CONFIG_FILE": str(self.settings_file)}

    def _maintenance(self, script: str, *args: str) -> None:
        completed = subprocess.run(
            ["php", str(MW_DIR / "maintenance" / script), *args],
            cwd=self.root,
            env=self._php_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if completed.returncode != 0:
            tail = (completed.stdout + completed.stderr).strip()[-2000:]
            raise WikiHarnessError(f"{script} failed ({completed.returncode}): {tail}")

    def _install(self) -> None:
        data = self.root / "data"
        data.mkdir()
        self._maintenance(
            "install.php",
            "--dbtype=sqlite",
            f"--dbpath={data}",
            "--dbname=wiki",
            f"--server=http://127.0.0.1:{self.port}",
            "--scriptpath",
            "",
            "--lang=kk",
            f"--pass={self.admin_password}",
            f"--confpath={self.root}",
            SITE_NAME,
            self.admin_user,
        )
        for folder in ("images", "cache"):
            (self.root / folder).mkdir()
        self.clear_faults()
        with self.settings_file.open("a", encoding="utf-8") as settings:
            settings.write(_extra_settings(self.root))
        self._maintenance("createAndPromote.php", "--bot", self.bot_user, _main_password())
        self._maintenance(
            "createBotPassword.php",
            f"--appid={BOT_APP_ID}",
            f"--grants={BOT_GRANTS}",
            self.bot_user,
            self.bot_password,
        )

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        probe = {"action": "query", "meta": "siteinfo", "format": "json"}
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise WikiHarnessError(f"php -S exited; see {self.log_file}")
            try:
                reply = requests.get(self.api_url, params=probe, timeout=2)
                if reply.ok and "query" in reply.json():
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.05)
        self.stop()
        raise WikiHarnessError(f"api.php did not answer within {START_TIMEOUT} s")

    def _admin_session(self) -> ApiSession:
        if self._admin is None:
            session = ApiSession(self.api_url)
            session.login_user(self.admin_user, self.admin_password)
            self._admin = session
        return self._admin

    def _human_session(self, user: str) -> ApiSession:
        if user in (self.admin_user, self.bot_user):
            raise ValueError(f"{user} is not a human test account")
        if user not in self._humans:
            password = _main_password()
            self._maintenance(
                "createAndPromote.php", "--force", f"--custom-groups={HUMAN_GROUP}", user, password
            )
            session = ApiSession(self.api_url)
            session.login_user(user, password)
            self._humans[user] = session
        return self._humans[user]

    def _query_pages(self, **params: Any) -> Iterator[dict[str, Any]]:
        cont: dict[str, Any] = {}
        while True:
            reply = self._admin_session().checked("GET", action="query", **params, **cont)
            yield reply
            if "continue" not in reply:
                return
            cont = reply["continue"]

    def _reset_rate_limit_counters(self) -> None:
        """Forget the rate limiter's counts (WRStats keys in the SQLite object cache)."""
        cache = self.root / "data" / "wikicache.sqlite"
        with sqlite3.connect(cache, timeout=30) as db:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if "objectcache" in tables:
                db.execute("DELETE FROM objectcache WHERE keyname LIKE '%:limiter:%'")
        db.close()

    def _logged_api_requests(self) -> int:
        if not self.log_file.exists():
            return 0
        with self.log_file.open(encoding="utf-8", errors="replace") as log:
            return sum(1 for line in log if _API_LOG_LINE.search(line))


def _main_password() -> str:
    return f"Pw-{secrets.token_hex(12)}"


def _saved_revid(reply: dict[str, Any]) -> int:
    edit = reply.get("edit", {})
    if edit.get("result") != "Success":
        raise WikiHarnessError(f"edit not saved: {edit}")
    revid = edit.get("newrevid", edit.get("oldrevid"))
    if revid is None:
        raise WikiHarnessError(f"edit reply without a revision id: {edit}")
    return int(revid)


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _php_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _extra_settings(root: Path) -> str:
    """PHP appended to the generated LocalSettings.php: private folders, BotPasswords,
    Cite, ParserFunctions and magic links, the tester group, and the faults read from
    faults.json on every request."""
    return f"""
# ----- kazenc test harness (tests/wiki/server.py) -----
$wgUploadDirectory = {_php_string(str(root / "images"))};
$wgCacheDirectory = {_php_string(str(root / "cache"))};
$wgEnableBotPasswords = true;
$wgShowExceptionDetails = true;
# As on kk.wikipedia: footnotes, parser functions and the ISBN/PMID/RFC magic links on.
wfLoadExtension( 'Cite' );
wfLoadExtension( 'ParserFunctions' );
$wgEnableMagicLinks = [ 'ISBN' => true, 'PMID' => true, 'RFC' => true ];
$wgGroupPermissions['{HUMAN_GROUP}']['noratelimit'] = true;

$kazFaultsFile = {_php_string(str(root / "faults.json"))};
$kazFaults = is_readable( $kazFaultsFile )
	? json_decode( (string)file_get_contents( $kazFaultsFile ), true )
	: [];
if ( !is_array( $kazFaults ) ) {{
	$kazFaults = [];
}}
if ( isset( $kazFaults['ratelimit'] ) ) {{
	$kazLimit = [ (int)$kazFaults['ratelimit'], 60 ];
	$wgRateLimits['edit']['user'] = $kazLimit;
	$wgRateLimits['edit']['newbie'] = $kazLimit;
}}
if ( isset( $kazFaults['readonly'] ) ) {{
	$wgReadOnly = (string)$kazFaults['readonly'];
}}
if ( isset( $kazFaults['lag'] ) ) {{
	$kazLag = (float)$kazFaults['lag'];
	$wgHooks['ApiMaxLagInfo'][] = static function ( &$lagInfo ) use ( $kazLag ) {{
		$lagInfo = [ 'host' => 'fake-replica', 'lag' => $kazLag, 'type' => 'db' ];
	}};
}}
"""
