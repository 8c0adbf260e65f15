"""REST: POST /v1/batches (several files, or one zip) and GET /v1/batches/{id}.

Inside the server (create_app), each document reviewed is also stored as a review, so the batch
answer gives its `review_id`, `review_url` (GET /v1/reviews/{id}: the findings) and `page_url` (the
web page opened on it)."""
from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from service.batch.archive import ArchiveLimits, ArchiveRejected, looks_like_archive, read_archive
from service.batch.jobs import Overloaded, Registry

router = APIRouter(tags=["batches"])
registry = Registry()
limits = ArchiveLimits()
READ_CHUNK = 1024 * 1024
FORM_OVERHEAD = 1024 * 1024  # multipart boundaries and headers around the files

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


async def _collect(form) -> list[tuple[str, bytes]]:
    uploads = [v for v in form.getlist("files") if isinstance(v, UploadFile)]
    if not uploads:
        raise _Refused(problem(422, "Unprocessable Entity", "请在 files 字段上传至少一个合同文件或一个 zip 压缩包。"))
    files: list[tuple[str, bytes]] = []
    budget = limits.max_total_bytes
    for upload in uploads:
        data = await _read_upload(upload, budget)
        budget -= len(data)
        name = (upload.filename or "upload").replace("\\", "/").rsplit("/", 1)[-1] or "upload"
        if looks_like_archive(data):
            try:
                members = read_archive(data, limits)
            except ArchiveRejected as exc:
                title = "Payload Too Large" if exc.status == 413 else "Bad Request"
                raise _Refused(problem(exc.status, title, exc.detail)) from None
            files.extend(members)
        else:
            files.append((name, data))
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
        try:
            files = await _collect(form)
        except _Refused as exc:
            return exc.response
        try:
            job = registry.submit(files, profile, on_review=_storer(request))
        except Overloaded:
            return problem(503, "Service Unavailable", "待处理的批量任务过多，请稍后再试。", {"Retry-After": "30"})
    finally:
        await form.close()
    status_url = f"{request.scope.get('root_path', '')}/v1/batches/{job.id}"
    return JSONResponse({"id": job.id, "status_url": status_url}, status_code=202, headers={"Location": status_url})


@router.get("/v1/batches/{batch_id}", responses={404: _PROBLEM}, summary="批量任务的进度与结果")
async def get_batch(request: Request, batch_id: str):
    job = registry.get(batch_id)
    if job is None:
        return problem(404, "Not Found", "没有这个批量任务（编号错误，或任务已过期被清除）。")
    return _with_links(job.view(), request.scope.get("root_path", ""))
