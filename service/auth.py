"""Bearer tokens. Only sha256 hashes are stored; the token itself is shown once, when created.

Modes: with no tokens on a loopback address the server is a single-user desk tool and lets every
request through (but checks the Host header, so a web page elsewhere cannot reach it by DNS
rebinding). Once any token exists, or when bound to another address, every /v1 request needs one."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

from .db import Store
from .problems import Problem

NAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
CACHE_SECONDS = 2.0  # revocation takes effect within this long without a DB query per request


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "cc_" + secrets.token_urlsafe(32)


def create(store: Store, name: str) -> str:
    if not NAME_RE.match(name):
        raise ValueError("名称只能包含字母、数字和 _ . @ -，最长 64 个字符 / name: letters, digits, _ . @ - only")
    if any(n == name for n, _ in store.token_names()):
        raise ValueError(f"已存在名为 {name} 的令牌 / a token named {name} exists")
    token = new_token()
    store.add_token(name, hash_token(token))
    return token


class Authenticator:
    def __init__(self, store: Store, require_token: bool, allowed_hosts: set[str]):
        self.store = store
        self.require_token = require_token
        self.allowed_hosts = allowed_hosts
        self._cached: tuple[float, list[tuple[str, str]]] = (0.0, [])

    def _hashes(self) -> list[tuple[str, str]]:
        at, hashes = self._cached
        if time.monotonic() - at > CACHE_SECONDS:
            hashes = self.store.token_hashes()
            self._cached = (time.monotonic(), hashes)
        return hashes

    def check(self, authorization: str | None, host: str | None) -> str | None:
        """Returns the token's name (None in open mode), or raises a 401 Problem (no or wrong token) or
        a 403 one (open mode reached through a host name that is not ours)."""
        hashes = self._hashes()
        if not hashes and not self.require_token:
            name = (host or "").rsplit(":", 1)[0] if not (host or "").endswith("]") else host
            if name and name.lower() not in self.allowed_hosts:
                raise Problem(403, "forbidden-host", "主机名不被允许",
                              "单用户模式只接受通过 localhost / 127.0.0.1 访问。经反向代理访问时，请创建令牌"
                              "（clausecheck tokens create 名称）或设置 CLAUSECHECK_ALLOWED_HOSTS。")
            return None
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented.strip():
            raise Problem(401, "token-required", "需要令牌",
                          "此服务需要访问令牌：请在请求头中提供 Authorization: Bearer <令牌>。",
                          headers={"WWW-Authenticate": 'Bearer realm="clausecheck"'})
        digest = hash_token(presented.strip())
        found = None
        for name, stored in hashes:  # compare with every hash so timing says nothing about which matched
            if hmac.compare_digest(digest, stored):
                found = name
        if found is None:
            # 401 like a missing token (RFC 6750): the client must authenticate again, and is told how
            raise Problem(401, "token-invalid", "令牌无效", "提供的访问令牌无效或已被吊销。",
                          headers={"WWW-Authenticate": 'Bearer realm="clausecheck", error="invalid_token"'})
        return found
