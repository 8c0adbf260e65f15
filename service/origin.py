"""Refuse cross-site state-changing requests (CSRF).

In open loopback mode any web page the user visits could otherwise POST a contract or a batch to
http://127.0.0.1:8000 from the user's browser: a multipart form needs no CORS preflight. Browsers
say where such a request comes from (Origin, Sec-Fetch-Site, Referer) and a page cannot forge those
headers, so a POST/PUT/PATCH/DELETE is refused (403, Chinese detail) when they name a site other
than the one addressed (the Host header). Requests without any of them (curl, scripts, other
programs) are not browser requests and pass; our own page is same-origin and passes.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from .problems import problem_response

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_key(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin or URL, or None when it has none (e.g. "null")."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    return parts.scheme.lower(), host.lower(), port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)


def _host_key(host_header: str, scheme: str) -> tuple[str, int] | None:
    key = _origin_key(f"{scheme}://{host_header.strip()}")
    return None if key is None else (key[1], key[2])


class SameOrigin:
    def __init__(self, app, trusted_origins: tuple[str, ...] = ()):
        self.app = app
        self.trusted = {k for k in (_origin_key(o) for o in trusted_origins) if k}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method", "GET").upper() not in UNSAFE:
            return await self.app(scope, receive, send)
        from starlette.datastructures import Headers

        headers = Headers(scope=scope)
        why = self._refusal(headers)
        if why is None:
            return await self.app(scope, receive, send)
        response = problem_response(403, "cross-origin", "禁止跨站请求", why)
        await response(scope, receive, send)

    def _refusal(self, headers) -> str | None:
        if headers.get("sec-fetch-site", "").strip().lower() == "cross-site":
            return "拒绝来自其他网站的请求：请在本服务自己的网页中提交，或在脚本中直接调用接口（不经浏览器）。"
        claimed = headers.get("origin")
        source = "Origin"
        if claimed is None:
            claimed, source = headers.get("referer"), "Referer"
        if claimed is None:
            return None  # not a browser, or a browser that says nothing: nothing to compare
        origin = _origin_key(claimed)
        if origin is not None and origin in self.trusted:
            return None
        hosts = [h for h in (headers.get("host"), headers.get("x-forwarded-host")) if h]
        if origin is not None and any(_host_key(h.split(",")[0], origin[0]) == origin[1:] for h in hosts):
            return None
        return (f"拒绝跨站请求：请求来源（{source}）与本服务的地址不一致。请在本服务自己的网页中操作；"
                "经反向代理访问时，请让代理转发原始 Host，或设置 CLAUSECHECK_TRUSTED_ORIGINS。")
