"""Errors as RFC 9457 problem details (application/problem+json) with a Chinese `detail`, the
handlers that turn every failure, including bugs, into one, and the outermost middleware (`Edge`)."""
from __future__ import annotations

import json
import logging
import time
import traceback
from datetime import datetime, timezone

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("clausecheck.errors")
PROBLEM_TYPE = "https://clausecheck.invalid/problems/"  # stable identifiers, not fetched

TITLES = {400: "请求无效", 401: "需要令牌", 403: "禁止访问", 404: "未找到", 405: "方法不允许",
          406: "无法提供该格式", 413: "文件过大", 415: "不支持的文件类型", 422: "参数无效",
          429: "请求过多", 500: "服务器内部错误", 503: "服务繁忙"}


class Problem(Exception):
    def __init__(self, status: int, code: str, title: str, detail: str, *, headers: dict | None = None,
                 extra: dict | None = None):
        super().__init__(code)
        self.status, self.code, self.title, self.detail = status, code, title, detail
        self.headers = headers or {}
        self.extra = extra or {}


def problem_response(status: int, code: str, title: str, detail: str, headers: dict | None = None,
                     **extra) -> JSONResponse:
    body = {"type": PROBLEM_TYPE + code, "title": title, "status": status, "detail": detail, "code": code, **extra}
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def from_problem(p: Problem) -> JSONResponse:
    return problem_response(p.status, p.code, p.title, p.detail, p.headers, **p.extra)


def internal_error(exc: BaseException) -> JSONResponse:
    # The message may quote the contract, so only the type and the stack go to the log.
    frames = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)]
    log.error("unhandled %s at %s", type(exc).__name__, " <- ".join(reversed(frames[-8:])))
    return problem_response(500, "internal", TITLES[500], "服务器内部错误，已记录日志。请稍后重试或联系管理员。")


SUCCESS = {200: "成功", 201: "已创建", 202: "已受理，正在处理", 204: "成功（无内容）"}


def response_description(code: int | str, current: str = "") -> str:
    """A Chinese description for an OpenAPI response (FastAPI's defaults are English)."""
    if _is_chinese(current or ""):
        return current
    code = int(code) if str(code).isdigit() else 0
    return SUCCESS.get(code) or TITLES.get(code) or ("成功" if 200 <= code < 300 else "错误")


_MESSAGES = {  # pydantic error type -> Chinese; {…} filled from the error's ctx
    "missing": "缺少该字段", "extra_forbidden": "不允许的字段", "json_invalid": "不是有效的 JSON",
    "json_type": "应为 JSON", "model_type": "应为 JSON 对象", "model_attributes_type": "应为 JSON 对象",
    "dict_type": "应为 JSON 对象", "list_type": "应为数组", "string_type": "应为字符串",
    "string_too_short": "长度不能少于 {min_length} 个字符", "string_too_long": "长度不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "格式不正确", "bool_type": "应为布尔值（true/false）",
    "bool_parsing": "应为布尔值（true/false）", "int_type": "应为整数", "int_parsing": "应为整数",
    "int_from_float": "应为整数", "float_type": "应为数字", "float_parsing": "应为数字",
    "greater_than_equal": "不能小于 {ge}", "greater_than": "必须大于 {gt}", "less_than_equal": "不能大于 {le}",
    "less_than": "必须小于 {lt}", "literal_error": "取值无效，可用：{expected}", "enum": "取值无效，可用：{expected}",
    "bytes_type": "应为文件内容", "uuid_parsing": "应为 UUID", "uuid_type": "应为 UUID",
    "datetime_parsing": "应为日期时间", "date_parsing": "应为日期",
}
_LOC_SKIP = ("body", "query", "path", "header", "cookie")


def zh_error(err: dict) -> str:
    """One validation error in Chinese, with where it is; never the offending input (it may be a
    whole contract, or a megabyte of junk), and field names cut short (they come from the client)."""
    where = ".".join(str(x)[:32] for x in err.get("loc", ()) if x not in _LOC_SKIP)[:80]
    template = _MESSAGES.get(err.get("type", ""), "取值无效")
    try:
        ctx = {k: str(v)[:120] for k, v in (err.get("ctx") or {}).items()}
        if "expected" in ctx:  # "'json', 'md' or 'docx'" -> "'json'、'md'、'docx'"
            ctx["expected"] = ctx["expected"].replace(" or ", "、").replace(", ", "、")
        msg = template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        msg = template.split("{")[0].rstrip("：，") or "取值无效"
    return f"{where or '请求'}：{msg}"


def zh_errors(errors: list[dict], limit: int = 5) -> str:
    return "；".join(zh_error(e) for e in errors[:limit])


def _validation_detail(exc: RequestValidationError) -> str:
    return "参数无效。" + zh_errors(exc.errors())


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_request: Request, exc: Problem):
        return from_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException):
        code = getattr(exc, "code", None) or {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        detail = exc.detail if isinstance(exc.detail, str) and _is_chinese(exc.detail) else _default_detail(exc)
        return problem_response(exc.status_code, code, TITLES.get(exc.status_code, "错误"), detail,
                                dict(exc.headers or {}))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError):
        return problem_response(422, "invalid-parameters", TITLES[422], _validation_detail(exc))


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _default_detail(exc: StarletteHTTPException) -> str:
    return {400: "请求格式无效。", 404: "请求的资源不存在。", 405: "该地址不支持此请求方法。",
            413: "请求体超过大小上限。"}.get(exc.status_code, f"请求失败（{exc.status_code}）。")


class BodyTooLarge(StarletteHTTPException):
    """Raised from `receive` while the body streams in, so nothing past the limit is ever buffered.
    An HTTPException, so that FastAPI's own body parsing lets it through untouched."""

    code = "too-large"

    def __init__(self, limit: int):
        super().__init__(413, f"上传内容超过大小上限（{limit / 1048576:g} MB）。")


SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
                               "form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
access_log = logging.getLogger("clausecheck.access")


class Edge:
    """Outermost middleware: body size limits, security headers, a JSON access log (no contract text,
    no file names) and the last line of defence that turns any escaped exception into problem+json."""

    FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and fields around the file(s)

    def __init__(self, app, max_body: int, max_batch_body: int):
        self.app, self.max_body, self.max_batch_body = app, max_body, max_batch_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from starlette.datastructures import Headers, MutableHeaders

        t0 = time.perf_counter()
        path = scope.get("path", "")
        shown = self.max_batch_body if path.startswith("/v1/batches") else self.max_body
        limit = shown + self.FORM_OVERHEAD
        st = {"status": 0, "in": 0, "out": 0, "started": False}

        async def counted_receive():
            msg = await receive()
            if msg["type"] == "http.request":
                st["in"] += len(msg.get("body", b""))
                if st["in"] > limit:
                    raise BodyTooLarge(shown)
            return msg

        async def guarded_send(msg):
            if msg["type"] == "http.response.start":
                st["started"], st["status"] = True, msg["status"]
                headers = MutableHeaders(scope=msg)
                for k, v in SECURITY_HEADERS.items():
                    if k not in headers:
                        headers[k] = v
                if path.startswith("/v1/") and "cache-control" not in headers:
                    headers["cache-control"] = "no-store"  # answers quote contracts
            elif msg["type"] == "http.response.body":
                st["out"] += len(msg.get("body", b""))
            await send(msg)

        try:
            declared = Headers(scope=scope).get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise BodyTooLarge(shown)
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge as exc:
            if not st["started"]:
                await problem_response(413, "too-large", TITLES[413], exc.detail,
                                       {"Connection": "close"})(scope, receive, guarded_send)
        except Exception as exc:
            if st["started"]:
                log.error("failed after the answer began: %s", type(exc).__name__)
            else:
                await internal_error(exc)(scope, receive, guarded_send)
        finally:
            access_log.info(json.dumps({
                "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "method": scope.get("method"), "path": path[:200], "status": st["status"],
                "duration_ms": round((time.perf_counter() - t0) * 1000, 1), "bytes_in": st["in"],
                "bytes_out": st["out"]}))
