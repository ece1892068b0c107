"""An in-memory stand-in for api.php, for the publisher's fast unit tests.

It answers the few API calls ``uploader.publish.wiki.WikiClient`` sends (tokens, batched info query,
first revision, content, ``action=edit`` with ``createonly``) the way MediaWiki 1.39 does,
with formatversion=2 shapes. Faults are queued per action: ``fail("edit", "ratelimited")``.
The server-backed tests use the real MediaWiki instead (tests/wiki).
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from uploader.config import RunConfig, load_config
from uploader.publish.wiki import ApiError

BAD_TITLE_CHARS = set("#<>[]{}|")
REDIRECT = re.compile(r"^#(?:REDIRECT|АЙДАУ)\s*\[\[([^\]|#]+)", re.I)


@dataclass
class Rev:
    revid: int
    user: str
    text: str

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()


def norm(title: str) -> str:
    title = title.replace("_", " ").strip()
    return title[:1].upper() + title[1:]


@dataclass
class FakeApi:
    """The transport: ``post(params) -> dict`` like HttpTransport, plus test controls."""

    bot: str = "KazBot"
    pages: dict[str, list[Rev]] = field(default_factory=dict)
    create_protected: set[str] = field(default_factory=set)
    errors: dict[str, list[tuple[str, str, float | None]]] = field(default_factory=dict)
    lost_answers: int = 0  # the next N edits are applied but the answer is lost
    before_edit: Callable[[str], None] | None = None
    edit_codes: dict[str, str] = field(default_factory=dict)  # title -> error code
    requests: int = 0
    log: list[dict[str, str]] = field(default_factory=list)
    _revid: int = 100

    # --- test controls --------------------------------------------------------------

    def fail(self, action: str, code: str, times: int = 1, lag: float | None = None) -> None:
        """Answer the next ``times`` requests of ``action`` (edit/query) with ``code``."""
        self.errors.setdefault(action, []).extend([(code, f"fake {code}", lag)] * times)

    def put(self, title: str, text: str, user: str) -> int:
        """Save a revision as ``user`` (a human or the bot) and return its id."""
        self._revid += 1
        self.pages.setdefault(norm(title), []).append(Rev(self._revid, user, text))
        return self._revid

    def edits_by(self, user: str) -> list[tuple[str, Rev]]:
        return [(t, r) for t, revs in self.pages.items() for r in revs if r.user == user]

    # --- the API ----------------------------------------------------------------------

    def post(self, params: Mapping[str, str]) -> dict[str, Any]:
        self.requests += 1
        self.log.append(dict(params))
        assert params.get("maxlag"), "every request must carry maxlag"
        assert params.get("assert") == "user"
        action = params["action"]
        queued = self.errors.get(action)
        if queued:
            code, info, lag = queued.pop(0)
            if code in ("http", "connection"):
                raise ApiError(code, info, lag)
            error: dict[str, Any] = {"code": code, "info": info}
            if lag is not None:
                error["lag"] = lag
            return {"error": error}
        if action == "query" and params.get("meta") == "tokens":
            return {"query": {"tokens": {"csrftoken": "tok+\\"}}}
        if action == "query":
            return self._query(params)
        if action == "edit":
            return self._edit(params)
        raise AssertionError(f"unexpected action {action}")

    def redirect_of(self, title: str) -> str | None:
        """The target of a page that is a redirect (None otherwise)."""
        revs = self.pages.get(norm(title))
        found = REDIRECT.match(revs[-1].text) if revs else None
        return norm(found.group(1).strip()) if found else None

    def _follow(self, titles: list[str]) -> tuple[list[str], list[dict[str, str]]]:
        """With ``redirects=1``: each redirect replaced by its target (chains followed)."""
        out, hops = [], []
        for title in titles:
            seen = {title}
            while (target := self.redirect_of(title)) is not None and target not in seen:
                hops.append({"from": title, "to": target})
                title = target
                seen.add(title)
            out.append(title)
        return list(dict.fromkeys(out)), hops

    def _query(self, params: Mapping[str, str]) -> dict[str, Any]:
        if params.get("list") == "usercontribs":  # ucshow=new; ucstart is not modelled
            made = [t for t, revs in self.pages.items() if revs[0].user == params["ucuser"]]
            return {"query": {"usercontribs": [{"title": t} for t in made]}}
        titles = params["titles"].split("|")
        normalized = [{"from": t, "to": norm(t)} for t in titles if norm(t) != t]
        wanted = [norm(t) for t in titles]
        hops: list[dict[str, str]] = []
        if params.get("redirects"):
            wanted, hops = self._follow(wanted)
        pages = []
        for raw in wanted:
            title = norm(raw)
            if set(title) & BAD_TITLE_CHARS or not title:
                pages.append({"title": raw, "invalid": True, "invalidreason": "bad chars"})
                continue
            revs = self.pages.get(title)
            if not revs:
                page: dict[str, Any] = {"ns": 0, "title": title, "missing": True}
                if title in self.create_protected:
                    page["protection"] = [{"type": "create", "level": "sysop"}]
                pages.append(page)
                continue
            if "content" in params.get("rvprop", "").split("|"):
                rev = revs[-1]
                content = {"revid": rev.revid, "slots": {"main": {"content": rev.text}}}
                pages.append({"title": title, "revisions": [content]})
                continue
            rev = revs[0] if params.get("rvdir") == "newer" else revs[-1]
            page = {
                "ns": 0,
                "title": title,
                "pageid": 1,
                "length": len(rev.text.encode()),
                "revisions": [
                    {
                        "revid": rev.revid,
                        "user": rev.user,
                        "sha1": rev.sha1,
                        "size": len(rev.text.encode()),
                    }
                ],
            }
            if "{{nobots}}" in rev.text:
                page["templates"] = [{"ns": 10, "title": "Template:Nobots"}]
            pages.append(page)
        query: dict[str, Any] = {"pages": pages}
        if normalized:
            query["normalized"] = normalized
        if hops:
            query["redirects"] = hops
        return {"batchcomplete": True, "query": query}

    def _edit(self, params: Mapping[str, str]) -> dict[str, Any]:
        assert params["token"] == "tok+\\"
        assert params["createonly"] == "1" and params["bot"] == "1"
        title = norm(params["title"])
        if self.before_edit:
            self.before_edit(title)
        if title in self.edit_codes:
            code = self.edit_codes[title]
            return {"error": {"code": code, "info": f"fake {code}"}}
        if title in self.create_protected:
            return {"error": {"code": "protectedtitle", "info": "protected"}}
        if self.pages.get(title):
            return {"error": {"code": "articleexists", "info": "exists"}}
        revid = self.put(title, params["text"].rstrip(), self.bot)
        if self.lost_answers:
            self.lost_answers -= 1
            raise ApiError("connection", "answer lost")
        return {"edit": {"result": "Success", "title": title, "new": True, "newrevid": revid}}


def run_settings(tmp_path: Path, **overrides: Any) -> RunConfig:
    """The default ``[run]`` settings for a unit test: no throttle, state under ``tmp_path``."""
    base = {
        "put_throttle": 0.0,
        "ledger": tmp_path / "ledger.sqlite3",
        "log_dir": tmp_path / "logs",
        "stop_file": tmp_path / "STOP",
    }
    return dataclasses.replace(load_config().run, **{**base, **overrides})
