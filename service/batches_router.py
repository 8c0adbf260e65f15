"""REST: POST /v1/batches (several files, or one zip) and GET /v1/batches/{id}.

Inside the server (create_app), each document reviewed is also stored as a review, so the batch
answer gives its `review_id`, `review_url` (GET /v1/reviews/{id}: the findings) and `page_url` (the
web page opened on it).

The server's process only moves bytes: zips are opened (and .docx told apart from archives) in a
limited child process (service.batch_upload), and each document is reviewed in the batch's sandbox
children. Under create_app the app's own registry (app.state.batch_registry) is used, sized by the
server settings (CLAUSECHECK_WORKERS)."""
from __future__ import annotations

import threading

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from service.batch.archive import ArchiveLimits, is_zip
from service.batch.jobs import Overloaded, Registry
from service.names import clean_name

router = APIRouter(tags=["batches"])
registry = Registry()  # outside create_app (a bare router in tests); the server has its own
limits = ArchiveLimits()
READ_CHUNK = 1024 * 1024
FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and headers around the files
UNPACK_TIMEOUT = 60.0  # seconds to open the zips of one request
# Children opening zips at once; more requests with zips get 503 rather than more processes.
UNPACK_CONCURRENCY = 2
_unpacking = threading.BoundedSemaphore(UNPACK_CONCURRENCY)

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["files"],
            "properties": {
                "files": {"type": "array", "items": {"type": "string", "format": "binary"},
                          "description": "合同文件（可多个），或一个包含合同的 zip 压缩包"},
                "profile": {"type": "string", "default": "auto", "description": "审查依据；auto 自动选择"},
            }}}},
    },
}
_PROBLEM = {"content": {"application/problem+json": {"schema": {"type": "object"}}}}


def problem(status: int, title: str, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail},
                        status_code=status, media_type="application/problem+json", headers=headers)


def _storer(request: Request):
    """The callback that stores each successful review of a batch, or None outside the server."""
    state = request.app.state
    store = getattr(state, "store", None)
    if store is None:
        return None
    auth = getattr(state, "auth", None)
    owner = auth.check(request.headers.get("authorization"), request.headers.get("host")) if auth else None

    def on_review(item, review: dict) -> str:
        rid, _ = store.add_review(review, size=len(item.data or b""), owner=owner, text=None, upload=None)
        return rid

    return on_review


def _registry(request: Request) -> Registry:
    return getattr(request.app.state, "batch_registry", None) or registry


def _with_links(view: dict, root: str) -> dict:
    for r in view.get("results", []):
        if r.get("review_id"):
            r["review_url"] = f"{root}/v1/reviews/{r['review_id']}"
            r["page_url"] = f"{root}/?review={r['review_id']}"
    return view


class _Refused(Exception):
    def __init__(self, response: JSONResponse):
        self.response = response


async def _read_upload(upload: UploadFile, budget: int) -> bytes:
    cap = min(limits.max_member_bytes, budget)
    chunks, size = [], 0
    while True:
        chunk = await upload.read(READ_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > cap:
            which = "单个文件" if cap == limits.max_member_bytes else "上传文件总大小"
            raise _Refused(problem(413, "Payload Too Large", f"{which}超过上限（{cap // (1024 * 1024)} MB）。"))
        chunks.append(chunk)
    return b"".join(chunks)


def _shown(path: str) -> str:
    """A name for the results: no control characters or terminal escapes (service.names)."""
    return "/".join(clean_name(part) or "_" for part in path.split("/")) or "upload"


def _expand(uploads: list[tuple[str, bytes]], archive_limits: ArchiveLimits, work_limits) -> dict:
    """Open the zips among the uploads in a limited child; runs in a thread, off the event loop."""
    from service.isolated import IsolatedFailure, call_isolated

    if not _unpacking.acquire(blocking=False):
        raise _Refused(problem(503, "Service Unavailable", "正在解压的批量任务过多，请稍后再试。", {"Retry-After": "10"}))
    try:
        return call_isolated("service.batch_upload:expand_uploads", uploads, archive_limits,
                             timeout=UNPACK_TIMEOUT, limits=work_limits)
    except IsolatedFailure as exc:
        status = 413 if exc.code == "too-large" else 422
        title = "Payload Too Large" if status == 413 else "Unprocessable Entity"
        raise _Refused(problem(status, title, f"无法打开上传的压缩包：{exc.message_zh}")) from None
    finally:
        _unpacking.release()


async def _collect(form, work_limits=None) -> list[tuple[str, bytes]]:
    uploads = [v for v in form.getlist("files") if isinstance(v, UploadFile)]
    if not uploads:
        raise _Refused(problem(422, "Unprocessable Entity", "请在 files 字段上传至少一个合同文件或一个 zip 压缩包。"))
    received: list[tuple[str, bytes]] = []
    budget = limits.max_total_bytes
    for upload in uploads:
        data = await _read_upload(upload, budget)
        budget -= len(data)
        name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1] or "upload"
        received.append((name, data))
    files = received
    if any(is_zip(data) for _, data in received):
        answer = await run_in_threadpool(_expand, received, limits, work_limits)
        if "rejected" in answer:
            status, detail = answer["rejected"]
            raise _Refused(problem(status, "Payload Too Large" if status == 413 else "Bad Request", detail))
        files = answer["files"]
    files = [(_shown(name), data) for name, data in files]
    if len(files) > limits.max_members:
        raise _Refused(problem(413, "Payload Too Large", f"一次最多审查 {limits.max_members} 个文件。"))
    if sum(len(d) for _, d in files) > limits.max_total_bytes:
        raise _Refused(problem(413, "Payload Too Large",
                               f"待审查文件总大小超过上限（{limits.max_total_bytes // (1024 * 1024)} MB）。"))
    return files


@router.post("/v1/batches", status_code=202, openapi_extra=_UPLOAD_BODY,
             responses={400: _PROBLEM, 413: _PROBLEM, 415: _PROBLEM, 422: _PROBLEM, 503: _PROBLEM},
             summary="提交一批合同（多个文件或一个 zip）")
async def create_batch(request: Request):
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return problem(415, "Unsupported Media Type", "请求须为 multipart/form-data，在 files 字段上传文件。")
    declared = request.headers.get("content-length", "")
    # Refuse before starlette spools the whole body to temporary files.
    if declared.isdigit() and int(declared) > limits.max_total_bytes + FORM_OVERHEAD:
        return problem(413, "Payload Too Large",
                       f"上传内容超过上限（{limits.max_total_bytes // (1024 * 1024)} MB）。")
    try:
        form = await request.form(max_files=limits.max_members, max_fields=50)
    except Exception as exc:
        if "Too many files" in str(exc):
            return problem(413, "Payload Too Large", f"一次最多上传 {limits.max_members} 个文件。")
        return problem(400, "Bad Request", "无法解析上传的表单（multipart 格式错误）。")
    try:
        profile = str(form.get("profile") or "auto")
        if profile != "auto":
            from clause_library import list_profiles

            known = [p["id"] for p in list_profiles()]
            if profile not in known:
                return problem(422, "Unprocessable Entity", f"未知的审查依据 {profile}；可选：{'、'.join(known)}。")
        settings = getattr(request.app.state, "settings", None)
        try:
            files = await _collect(form, settings.limits if settings is not None else None)
        except _Refused as exc:
            return exc.response
        try:
            job = _registry(request).submit(files, profile, on_review=_storer(request))
        except Overloaded:
            return problem(503, "Service Unavailable", "待处理的批量任务过多，请稍后再试。", {"Retry-After": "30"})
    finally:
        await form.close()
    status_url = f"{request.scope.get('root_path', '')}/v1/batches/{job.id}"
    return JSONResponse({"id": job.id, "status_url": status_url}, status_code=202, headers={"Location": status_url})


@router.get("/v1/batches/{batch_id}", responses={404: _PROBLEM}, summary="批量任务的进度与结果")
async def get_batch(request: Request, batch_id: str):
    job = _registry(request).get(batch_id)
    if job is None:
        return problem(404, "Not Found", "没有这个批量任务（编号错误，或任务已过期被清除）。")
    return _with_links(job.view(), request.scope.get("root_path", ""))
