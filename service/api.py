"""The REST API and the web page. `create_app(settings)` builds an app with its own store and worker
pool, so tests and the server alike get an isolated instance. The OpenAPI description it serves is
the contract (interfaces.md)."""
from __future__ import annotations

import asyncio
import json
import logging
import os
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from . import problems
from .auth import Authenticator
from .db import Store
from .feedback import FeedbackItem
from .problems import Edge, Problem
from .settings import LOOPBACK_NAMES, Settings
from .worker_pool import LimitExceeded, Overloaded, TimedOut, make_pool, review_job

log = logging.getLogger("clausecheck.api")
WEB = Path(__file__).parent / "web"
FORMATS = Literal["docx", "pdf", "txt", "md", "doc", "wps", "ofd", "html"]
PROFILE_MAX = 64  # characters of a profile id, in JSON and multipart requests alike


# ---- models: what /openapi.json promises (review.schema.json, plus id and text) ----

class Open(BaseModel):
    model_config = ConfigDict(extra="allow")  # the engine may add fields; the schema allows it


class Location(Open):
    article: str | None = None
    page: int | None = Field(None, ge=1)
    paragraph: int | None = Field(None, ge=0)
    start: int = Field(ge=0, description="offset into the normalised text (document_text)")
    end: int = Field(ge=0)


class Evidence(Open):
    text: str
    role: Literal["supports", "weakens", "conflicts"] | None = None
    location: Location


class Finding(Open):
    requirement: str
    title: str
    status: Literal["satisfied", "weak", "conflicting", "missing"]
    severity: Literal["high", "medium", "low"]
    confidence: float | None = Field(None, ge=0, le=1)
    reasons: list[str]
    evidence: list[Evidence]
    sources: list[str] = []
    suggestion: str | None = None


class Summary(Open):
    satisfied: int = Field(ge=0)
    weak: int = Field(ge=0)
    conflicting: int = Field(ge=0)
    missing: int = Field(ge=0)
    verdict: Literal["pass", "needs-revision", "fail"] | None = None


class DocumentInfo(Open):
    name: str
    sha256: str = Field(pattern="^[0-9a-f]{64}$")
    format: FORMATS
    pages: int | None = None
    characters: int = Field(ge=0)
    ocr_pages: int | None = None
    parties: dict[str, list[str]] = {}
    warnings: list[str] = []


class StoredReview(Open):
    """A review object (review.schema.json) with the fields the API adds."""

    schema_: Literal["clausecheck.review/v1"] = Field(alias="schema")
    document: DocumentInfo
    profile: str
    summary: Summary
    findings: list[Finding]
    id: str
    created_at: datetime
    kept: bool = Field(description="whether the file and its text are stored with the review")
    document_text: str | None = Field(None, description="normalised text the evidence offsets point into; "
                                      "always in the POST answer, later only when kept")
    annotated_available: bool = Field(False, description="上传的是 Word .docx 且原文件已保存：report?format=docx "
                                      "给出批注版原稿（加 redline=true 另含修订建议）")
    feedback: list[FeedbackItem] = Field([], description="审查人对本次审查的更正（同 GET /v1/reviews/{id}/feedback）")


class ReviewItem(BaseModel):
    id: str
    created_at: datetime
    name: str
    sha256: str
    size: int
    format: str
    profile: str
    verdict: str | None
    has_text: bool


class ReviewList(BaseModel):
    items: list[ReviewItem]
    total: int


class TextSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field("contract.txt", min_length=1, max_length=255)
    text: str = Field(min_length=1)
    profile: str = Field("auto", min_length=1, max_length=PROFILE_MAX)
    keep: bool = False


class FileSubmission(BaseModel):
    file: bytes = Field(json_schema_extra={"format": "binary"})
    profile: str = Field("auto", min_length=1, max_length=PROFILE_MAX)
    keep: bool = False


class Requirement(BaseModel):
    id: str
    title: str
    severity: Literal["high", "medium", "low"]
    sources: list[str]
    pack: str = Field("clausecheck-core", description="提出该要求的规则包")


class ProfileInfo(BaseModel):
    id: str
    title: str
    source: str
    pack: str = Field("clausecheck-core", description="定义该审查模板的规则包")
    requirements: list[Requirement]


class PackProfile(BaseModel):
    id: str
    title: str
    requirements: int


class PackInfo(BaseModel):
    name: str
    version: str
    title: str
    sources: list[str]
    digest: str
    requirements: list[str] = Field(description="该规则包自己提出的要求编号")
    profiles: list[PackProfile]


class Profiles(BaseModel):
    rules_version: str
    packs: list[PackInfo] = Field(description="已加载的规则包（内置、随产品发布、CLAUSECHECK_RULES_DIRS）")
    profiles: list[ProfileInfo]


class Health(BaseModel):
    status: Literal["ok"]


class ProblemDetail(BaseModel):
    type: str
    title: str
    status: int
    detail: str = Field(description="in Chinese, for people")
    code: str = Field(description="stable, for programs")


def _errors(*codes: int) -> dict:
    return {c: {"model": ProblemDetail} for c in codes}  # media type fixed up in _openapi_with_bodies


# ---- helpers ----

def require_token(request: Request) -> str | None:
    """Dependency for every /v1 route (the batches router may use it too)."""
    return request.app.state.auth.check(request.headers.get("authorization"), request.headers.get("host"))


def _profiles() -> list[dict]:
    import clause_library

    return clause_library.list_profiles()


def _check_profile(profile: str) -> str:
    known = [p["id"] for p in _profiles()]
    if profile != "auto" and profile not in known:
        shown = profile if len(profile) <= PROFILE_MAX else profile[:PROFILE_MAX] + "…"  # never echo much back
        raise Problem(422, "unknown-profile", "审查模板无效", f"未知的审查模板：{shown}。可用：auto、{'、'.join(known)}。",
                      extra={"known": ["auto", *known]})
    return profile


def _clean_name(name: str | None) -> str:
    from .names import clean_name

    # stored and echoed: no control characters or terminal escapes (service.names)
    base = clean_name((name or "").replace("\\", "/").rsplit("/", 1)[-1])
    return base[:255] or "upload"


def _too_many_characters(limit: int, count: int | None = None) -> Problem:
    from .pipeline import TooManyCharacters

    return Problem(413, TooManyCharacters.code, "文字过多", TooManyCharacters(limit, count).message_zh)


async def _check_characters(data: bytes, max_chars: int | None, request: Request | None = None) -> None:
    """Plain text over the characters limit is refused before any reviewing. Telling text from a
    container means sniffing it, so that happens in a review worker too, never in this process."""
    if not max_chars or len(data) <= max_chars:  # every character takes at least one byte
        return
    if request is None:
        return  # the worker's review checks the same limit first
    from .worker_pool import character_check_job

    try:
        error = await request.app.state.pool.run(character_check_job, data, max_chars)
    except (LimitExceeded, TimedOut):
        return  # the review itself will say what is wrong with the file
    except Overloaded as exc:
        raise Problem(503, "overloaded", "服务繁忙", f"当前审查任务过多，请在 {exc.retry_after} 秒后重试。",
                      headers={"Retry-After": str(exc.retry_after)}) from None
    except Exception:
        return
    if error:
        raise Problem(413, error["code"], "文字过多", error["zh"])


async def _read_submission(request: Request, max_bytes: int,
                           max_chars: int | None = None) -> tuple[bytes, str, str, bool]:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    too_big = Problem(413, "too-large", "文件过大", f"文件超过大小上限（{max_bytes / 1048576:g} MB）。")
    if ctype == "multipart/form-data":
        form = await request.form(max_files=1, max_fields=8)
        try:  # the file part is spooled to a temporary file, removed on close
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise Problem(422, "file-required", "缺少文件", "请在表单字段 file 中上传合同文件。")
            profile = form.get("profile")
            profile = profile if isinstance(profile, str) and profile else "auto"
            if len(profile) > PROFILE_MAX:  # the JSON body's limit; the value itself is not echoed
                raise Problem(422, "invalid-parameters", "参数无效",
                              f"参数无效。profile：长度不能超过 {PROFILE_MAX} 个字符")
            data = await upload.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise too_big
            await _check_characters(data, max_chars, request)
            keep = str(form.get("keep", "")).lower() in ("1", "true", "on", "yes")
            return data, _clean_name(upload.filename), profile, keep
        finally:
            await form.close()
    if ctype in ("application/json", ""):
        try:
            sub = TextSubmission.model_validate_json(await request.body())
        except ValidationError as exc:
            raise Problem(422, "invalid-parameters", "参数无效", f"请求体无效。{problems.zh_errors(exc.errors())}") from None
        if max_chars and len(sub.text) > max_chars:
            raise _too_many_characters(max_chars, len(sub.text))
        data = sub.text.encode("utf-8")
        if len(data) > max_bytes:
            raise too_big
        return data, _clean_name(sub.name), sub.profile, sub.keep
    raise Problem(415, "unsupported-media-type", "不支持的请求格式",
                  "请以 multipart/form-data 上传文件（字段 file），或以 application/json 提交 {name, text, profile}。")


async def _run_review(request: Request, data: bytes, name: str, profile: str) -> dict:
    s: Settings = request.app.state.settings
    try:
        result = await request.app.state.pool.run(review_job, data, name, profile,
                                                  (s.max_upload_bytes, s.max_pages, s.max_ocr_pages, s.max_characters))
    except Overloaded as exc:
        raise Problem(503, "overloaded", "服务繁忙", f"当前审查任务过多，请在 {exc.retry_after} 秒后重试。",
                      headers={"Retry-After": str(exc.retry_after)}) from None
    except TimedOut:
        # the file's doing, not the server's load (queueing time does not count): retrying will not help
        raise Problem(422, "timeout", "审查超时",
                      f"审查超过时限（{s.review_timeout_s:g} 秒）未完成，已终止：文件可能过大或过于复杂。请拆分后重试，"
                      "或请管理员调高 CLAUSECHECK_REVIEW_TIMEOUT。") from None
    except LimitExceeded as exc:
        f = exc.failure
        log.warning("review stopped: %s (sha256 %s)", f.code, _sha_prefix(data))
        raise Problem(f.status, f.code, "文件过大" if f.status == 413 else "文件过于复杂", f.zh) from None
    except Exception as exc:  # a crash on this input is still about this input: never a 500
        log.error("review failed: %s (sha256 %s)", type(exc).__name__, _sha_prefix(data))
        raise Problem(400, "processing-failed", "无法处理文件",
                      "处理该文件时出错，文件可能已损坏或格式异常。已记录日志，请检查文件后重试。") from None
    if "error" in result:
        e = result["error"]
        title = {400: "无法读取文件", 413: "文字过多" if e["code"] == "too-many-characters" else "文件过大",
                 415: "不支持的文件类型"}.get(e["status"], problems.TITLES.get(e["status"], "错误"))
        raise Problem(e["status"], e["code"], title, e["zh"])
    return result


def _annotatable(review: dict) -> bool:
    """Whether the review is of a Word .docx, i.e. its kept upload can come back with comments."""
    return review.get("document", {}).get("format") == "docx"


def _feedback(request: Request, rid: str, review: dict) -> list[dict]:
    from . import feedback as fb

    titles = {f["requirement"]: f.get("title", f["requirement"]) for f in review.get("findings", [])}
    return [FeedbackItem.model_validate(it).model_dump(mode="json")
            for it in fb.list_for(request.app.state.store, rid, titles)]


def _sha_prefix(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()[:12]


def _attachment(filename: str, display: str | None = None) -> dict:
    from urllib.parse import quote

    value = f'attachment; filename="{filename}"'
    if display:  # RFC 6266: browsers that understand it save under the contract's own name
        value += f"; filename*=UTF-8''{quote(display)}"
    return {"Content-Disposition": value,
            # the HTML report carries its own <style>; nothing else may run if opened in place
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox"}


# ---- routes ----

def _api_router() -> APIRouter:
    r = APIRouter(prefix="/v1", dependencies=[Depends(require_token)], responses=_errors(401, 403, 422))

    @r.get("/profiles", response_model=Profiles, summary="审查模板及其要求")
    def profiles() -> Any:
        import clause_library

        from clause_library.packs import list_packs

        return {"rules_version": clause_library.rules_version(), "profiles": _profiles(),
                "packs": [{k: v for k, v in p.items() if k != "path"} for p in list_packs()]}

    @r.post("/reviews", response_model=StoredReview, summary="审查一份合同",
            responses=_errors(400, 413, 415, 422, 503),
            openapi_extra={"requestBody": {"required": True, "content": {
                "multipart/form-data": {"schema": {"$ref": "#/components/schemas/FileSubmission"}},
                "application/json": {"schema": {"$ref": "#/components/schemas/TextSubmission"}}}}})
    async def create_review(request: Request, owner: str | None = Depends(require_token)) -> Any:
        s: Settings = request.app.state.settings
        data, name, profile, keep = await _read_submission(request, s.max_upload_bytes, s.max_characters)
        _check_profile(profile)
        result = await _run_review(request, data, name, profile)
        keep = keep or s.keep_uploads
        review = result["review"]
        rid, created = await run_in_threadpool(
            request.app.state.store.add_review, review, size=len(data), owner=owner,
            text=result["text"] if keep else None, upload=data if keep else None)
        body = {**review, "id": rid, "created_at": created.isoformat(), "kept": keep, "document_text": result["text"],
                "annotated_available": keep and _annotatable(review), "feedback": []}
        return JSONResponse(body)

    @r.get("/reviews", response_model=ReviewList, summary="最近的审查")
    def list_reviews(request: Request, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000_000)) -> Any:
        items, total = request.app.state.store.list_reviews(limit, offset)
        return {"items": items, "total": total}

    def _get(request: Request, rid: str) -> dict:
        row = request.app.state.store.get_review(rid)
        if row is None:
            raise Problem(404, "not-found", "未找到", "找不到该审查记录（可能已删除或已过保存期限）。")
        return row

    @r.get("/reviews/{review_id}", response_model=StoredReview, responses=_errors(404), summary="取回一次审查")
    def get_review(request: Request, review_id: str) -> Any:
        row = _get(request, review_id)
        return JSONResponse({**row["review"], "id": row["id"], "created_at": row["created_at"].isoformat(),
                             "kept": row["kept"], "document_text": row["document_text"],
                             "annotated_available": row["has_upload"] and _annotatable(row["review"]),
                             "feedback": _feedback(request, row["id"], row["review"])})

    @r.delete("/reviews/{review_id}", status_code=204, responses=_errors(404), summary="删除审查及其全部数据")
    def delete_review(request: Request, review_id: str) -> Response:
        if not request.app.state.store.delete_review(review_id):
            raise Problem(404, "not-found", "未找到", "找不到该审查记录（可能已删除或已过保存期限）。")
        return Response(status_code=204)

    @r.get("/reviews/{review_id}/report", responses={**_errors(404), 200: {"content": {
        "application/json": {}, "text/markdown": {}, "text/html": {},
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {}}}},
        response_class=Response, summary="下载审查报告；Word 原稿可带批注（及修订建议）返回",
        description="format=docx：上传的是 Word .docx 且原文件已保存（keep）时，返回律师自己的原稿，"
                    "在每处薄弱、冲突条文上加批注（作者 clausecheck），首段批注列出结论和缺失的要求；"
                    "redline=true 另把建议措辞作为修订插入。否则返回 Word 审查报告。"
                    "响应头 X-Clausecheck-Docx 说明给出的是 annotated（批注版原稿）还是 memo（审查报告）。")
    async def report(request: Request, review_id: str,
                     format: Literal["json", "md", "html", "docx"] = Query("json"),  # noqa: A002
                     kind: Literal["auto", "annotated", "memo"] = Query(
                         "auto", description="format=docx 时：auto——能批注原稿时给批注版原稿，否则给审查报告；"
                                             "annotated——只要批注版原稿（不可用时 422）；memo——审查报告"),
                     redline: bool = Query(False, description="与 format=docx 合用：批注版原稿中把建议措辞作为修订"
                                                              "（作者 clausecheck）插入相应条款之后，可在 Word 中接受或拒绝")
                     ) -> Response:
        from . import report as render

        row = await run_in_threadpool(_get, request, review_id)
        review = {**row["review"], "created_at": row["created_at"].isoformat()}  # the reports show the date
        stem = f"clausecheck-{review_id[:12]}"
        shown = str(review.get("document", {}).get("name", "")).rsplit(".", 1)[0][:100] + "-审查报告"

        def headers(ext: str) -> dict:
            return _attachment(f"{stem}.{ext}", f"{shown}.{ext}")

        if format == "json":
            return Response(json.dumps(review, ensure_ascii=False, indent=2), media_type="application/json",
                            headers=headers("json"))
        if format == "md":
            return Response(await run_in_threadpool(render.render_markdown, review),
                            media_type="text/markdown; charset=utf-8", headers=headers("md"))
        if format == "html":
            return Response(await run_in_threadpool(render.render_html, review),
                            media_type="text/html; charset=utf-8", headers=headers("html"))
        docx_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if kind != "memo":
            draft = await _annotated_draft(request, row, review, redline)
            if draft is not None:
                what = "-审查批注及修订" if redline else "-审查批注"
                name = str(review.get("document", {}).get("name", "")).rsplit(".", 1)[0][:100] + what
                suffix = "annotated-redline" if redline else "annotated"
                return Response(draft, media_type=docx_type,
                                headers={**_attachment(f"{stem}-{suffix}.docx", f"{name}.docx"),
                                         "X-Clausecheck-Docx": "annotated"})
            if kind == "annotated":
                why = ("无法在该原稿上添加批注（文件可能已损坏或不是标准的 Word .docx 文档）。"
                       if row["has_upload"] and _annotatable(row["review"]) else
                       "只有上传 Word .docx 文件并勾选“保存原文”（keep）的审查才能下载批注版原稿。")
                raise Problem(422, "annotated-unavailable", "无法提供批注版原稿", why + "请用 kind=memo 下载审查报告。")
        return Response(await run_in_threadpool(render.render_docx, review), media_type=docx_type,
                        headers={**headers("docx"), "X-Clausecheck-Docx": "memo"})

    return r


async def _annotated_draft(request: Request, row: dict, review: dict, redline: bool) -> bytes | None:
    """The kept .docx upload with the review as Word comments (and tracked suggestions), made in the
    worker pool like a review (same limits on load and time); None when there is no such upload or it
    cannot be annotated."""
    if not (row["has_upload"] and _annotatable(row["review"])):
        return None
    original = await run_in_threadpool(request.app.state.store.get_upload, row["id"])
    if original is None:  # deleted meanwhile
        return None
    from .docx_annotate import annotate_job

    s: Settings = request.app.state.settings
    try:
        result = await request.app.state.pool.run(annotate_job, original, review, redline)
    except LimitExceeded as exc:
        log.warning("annotating review %s stopped: %s", row["id"][:12], exc.failure.code)
        return None
    except Overloaded as exc:
        raise Problem(503, "overloaded", "服务繁忙", f"当前任务过多，请在 {exc.retry_after} 秒后重试。",
                      headers={"Retry-After": str(exc.retry_after)}) from None
    except TimedOut:
        raise Problem(503, "timeout", "生成批注版超时",
                      f"在原稿上添加批注超过时限（{s.review_timeout_s:g} 秒）未完成。可用 kind=memo 下载审查报告。",
                      headers={"Retry-After": "60"}) from None
    except Exception as exc:  # a worker that died on this draft: the memo is still there
        log.error("annotating review %s crashed: %s", row["id"][:12], type(exc).__name__)
        return None
    if "error" in result:  # a draft we cannot annotate still gets its memo, never a 500
        log.warning("annotating review %s failed: %s", row["id"][:12], result["error"])
        return None
    return result["docx"]


def _page_routes(app: FastAPI) -> None:
    @app.get("/healthz", response_model=Health, summary="存活检查", tags=["ops"])
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(WEB / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/docs", include_in_schema=False)
    def docs() -> FileResponse:  # our own page: Swagger UI would load scripts from a CDN
        return FileResponse(WEB / "docs.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=WEB), name="static")


def _openapi_with_bodies(app: FastAPI):
    base = app.openapi

    def openapi() -> dict:
        if app.openapi_schema:
            return app.openapi_schema
        schema = base()
        comps = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (FileSubmission, TextSubmission):  # bodies we parse by hand (two media types)
            comps[model.__name__] = model.model_json_schema(ref_template="#/components/schemas/{model}")
        comps["FileSubmission"]["properties"]["file"] = {"type": "string", "format": "binary"}
        problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}
        for ops in schema["paths"].values():
            for op in ops.values():
                for code, resp in op.get("responses", {}).items():
                    # every error is problem+json, FastAPI's own 422 included; routes that already
                    # say problem+json (the batches router) keep their own schema
                    if code[0] in "45" and "application/problem+json" not in resp.get("content", {}):
                        resp["content"] = problem
                        resp["description"] = problems.TITLES.get(int(code), resp.get("description", ""))
        for ops in schema["paths"].values():  # FastAPI's default descriptions are English
            for op in ops.values():
                for code, resp in op.get("responses", {}).items():
                    resp["description"] = problems.response_description(code, resp.get("description", ""))
        for unused in ("HTTPValidationError", "ValidationError"):
            comps.pop(unused, None)
        return schema

    return openapi


# ---- app ----

async def _purge_loop(app: FastAPI) -> None:
    s: Settings = app.state.settings
    while True:
        await asyncio.sleep(max(1.0, s.purge_interval_s))
        try:
            await run_in_threadpool(_purge, app)
        except Exception as exc:
            log.error("purge failed: %s", type(exc).__name__)


def _purge(app: FastAPI) -> None:
    n = app.state.store.purge(app.state.settings.retention_days)
    if n:
        log.info(json.dumps({"event": "purge", "deleted": n}))


@asynccontextmanager
async def _lifespan(app: FastAPI):
    await run_in_threadpool(app.state.store.migrate)
    await run_in_threadpool(_purge, app)
    app.state.pool.start()
    purger = asyncio.create_task(_purge_loop(app)) if app.state.settings.retention_days > 0 else None
    try:
        yield
    finally:
        if purger:
            purger.cancel()
        app.state.pool.stop()
        app.state.store.close()


def create_app(settings: Settings | None = None) -> FastAPI:
    from .settings import from_env

    s = settings or from_env()
    app = FastAPI(title="clausecheck", version=_version(), lifespan=_lifespan, docs_url=None, redoc_url=None,
                  description="党政部门、档案部门云服务合同安全条款审查。错误以 application/problem+json 返回，detail 为中文。")
    app.state.settings = s
    app.state.store = Store(s.url)
    app.state.pool = make_pool(s.pool_kind, s.workers, s.queue_size, s.review_timeout_s, s.limits)
    app.state.batch_registry = _batch_registry(s)
    hosts = {h.lower() for h in (*LOOPBACK_NAMES, s.host, *s.allowed_hosts)}
    app.state.auth = Authenticator(app.state.store, require_token=not s.loopback, allowed_hosts=hosts)
    problems.install(app)
    app.include_router(_api_router())
    try:
        from service.batches_router import router as batches_router
    except ModuleNotFoundError as exc:
        if exc.name != "service.batches_router":
            raise
    else:
        app.include_router(batches_router, dependencies=[Depends(require_token)], responses=_errors(401, 403))
    from service.compare_router import router as compare_router
    from service.feedback_router import router as feedback_router

    app.include_router(feedback_router, dependencies=[Depends(require_token)])
    app.include_router(compare_router, dependencies=[Depends(require_token)])
    _page_routes(app)
    app.openapi = _openapi_with_bodies(app)
    from .origin import SameOrigin

    # inside Edge, so a refusal still gets the security headers and the access log
    app.add_middleware(SameOrigin, trusted_origins=s.trusted_origins)
    app.add_middleware(Edge, max_body=s.max_upload_bytes, max_batch_body=s.max_batch_bytes)
    return app


def _batch_registry(s: Settings):
    """POST /v1/batches reviews with as many sandbox children per batch as the server has review
    workers (CLAUSECHECK_WORKERS), within the same per-document deadline."""
    try:
        from service.batch.jobs import JobSettings, Registry
    except ModuleNotFoundError:
        return None
    return Registry(JobSettings(workers=s.workers, timeout=s.review_timeout_s))


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("clausecheck")
    except Exception:
        return os.environ.get("CLAUSECHECK_VERSION", "0.1.0")
