"""REST: POST /v1/compare — compare two drafts of a contract, per requirement fixed / regressed /
unchanged with the evidence of each side, both judged under the same profile.

multipart/form-data:
    new          the new draft (file, required)
    old          the earlier draft (file), or
    old_review   the id of a stored review of the earlier draft
    profile      optional; auto (default) takes the earlier draft's profile for both
    keep         optional; keep the uploaded drafts' files and text with their reviews

Each uploaded draft is stored as a review like POST /v1/reviews does, so it can be opened, corrected
and downloaded afterwards. Logic shared with `clausecheck diff` lives in service/compare.py."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from . import compare
from .api import Evidence, Summary, _check_profile, _clean_name, _errors, _run_review, require_token
from .problems import Problem
from .settings import Settings

Status = Literal["satisfied", "weak", "conflicting", "missing"]


class Side(BaseModel):
    status: Status
    reasons: list[str]
    evidence: list[Evidence]


class Change(BaseModel):
    requirement: str
    title: str
    severity: Literal["high", "medium", "low"] | None
    change: Literal["fixed", "regressed", "unchanged"]
    old: Side
    new: Side


class Draft(BaseModel):
    id: str | None = Field(description="审查记录 id（GET /v1/reviews/{id}）")
    name: str
    verdict: str | None
    summary: Summary
    kept: bool = Field(description="原文是否随审查保存")


class Counts(BaseModel):
    fixed: int
    regressed: int
    unchanged: int


class Comparison(BaseModel):
    profile: str
    profile_title: str | None
    old: Draft
    new: Draft
    similarity: float | None = Field(description="两稿规范化文字的相似度（0–1）；上一稿未保存原文时为空")
    different_contracts: bool = Field(description="两份文件看起来不是同一份合同的两稿")
    warnings: list[str] = Field(description="中文提示，不引用合同原文")
    counts: Counts
    changes: list[Change]


_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["new"],
    "properties": {
        "new": {"type": "string", "format": "binary", "description": "新一稿"},
        "old": {"type": "string", "format": "binary", "description": "上一稿（与 old_review 二选一）"},
        "old_review": {"type": "string", "maxLength": 64, "description": "上一稿的审查记录 id（与 old 二选一）"},
        "profile": {"type": "string", "default": "auto", "maxLength": 64,
                    "description": "审查模板 id；auto 时两稿都按上一稿的模板审查"},
        "keep": {"type": "boolean", "default": False, "description": "保存两稿的原文，以便以后重新查看"},
    }}}}}}

router = APIRouter(tags=["compare"])


async def _read(upload: UploadFile, s: Settings) -> bytes:
    data = await upload.read(s.max_upload_bytes + 1)
    if len(data) > s.max_upload_bytes:
        raise Problem(413, "too-large", "文件过大", f"文件超过大小上限（{s.max_upload_bytes / 1048576:g} MB）。")
    from . import api

    check = getattr(api, "_check_characters", None)  # plain text over the characters limit: refused at once
    if check is not None and getattr(s, "max_characters", None):
        await check(data, s.max_characters)
    return data


async def _store(request: Request, review: dict, data: bytes, text: str, keep: bool, owner: str | None) -> str:
    rid, _ = await run_in_threadpool(request.app.state.store.add_review, review, size=len(data), owner=owner,
                                     text=text if keep else None, upload=data if keep else None)
    return rid


def _stored_upload(request: Request, rid: str) -> bytes | None:
    from .db import ReviewRow

    with request.app.state.store.session() as s:
        row = s.get(ReviewRow, rid)
        return None if row is None else row.upload


def _draft(review: dict, rid: str | None, kept: bool) -> dict:
    return {"id": rid, "name": review.get("document", {}).get("name", ""), "verdict": review.get("summary", {}).get("verdict"),
            "summary": review.get("summary", {}), "kept": kept}


@router.post("/v1/compare", response_model=Comparison, openapi_extra=_BODY,
             responses=_errors(400, 404, 413, 415, 422, 503), summary="比较合同的两稿（改进 / 退步 / 未变）")
async def compare_drafts(request: Request, owner: str | None = Depends(require_token)) -> Any:
    s: Settings = request.app.state.settings
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "multipart/form-data":
        raise Problem(415, "unsupported-media-type", "不支持的请求格式",
                      "请以 multipart/form-data 提交：new（新一稿文件），以及 old（上一稿文件）或 old_review（上一稿的审查记录 id）。")
    form = await request.form(max_files=2, max_fields=8)
    try:
        new_up, old_up = form.get("new"), form.get("old")
        old_id = form.get("old_review")
        old_id = old_id.strip() if isinstance(old_id, str) and old_id.strip() else None
        if not isinstance(new_up, UploadFile):
            raise Problem(422, "file-required", "缺少文件", "请在表单字段 new 中上传新一稿。")
        if isinstance(old_up, UploadFile) == (old_id is not None):
            raise Problem(422, "old-required", "参数无效", "请提供上一稿：上传文件 old，或给出其审查记录 id old_review（二者选一）。")
        profile = form.get("profile")
        profile = profile.strip() if isinstance(profile, str) and profile.strip() else "auto"
        if len(profile) > 64:
            raise Problem(422, "unknown-profile", "审查模板无效", "审查模板 id 过长。")
        _check_profile(profile)
        keep = str(form.get("keep", "")).lower() in ("1", "true", "on", "yes") or s.keep_uploads
        new_data, new_name = await _read(new_up, s), _clean_name(new_up.filename)
        old_data = await _read(old_up, s) if isinstance(old_up, UploadFile) else None
        old_name = _clean_name(old_up.filename) if isinstance(old_up, UploadFile) else None
    finally:
        await form.close()

    if old_id is not None:  # the earlier draft as it was reviewed and stored
        row = await run_in_threadpool(request.app.state.store.get_review, old_id) if len(old_id) <= 64 else None
        if row is None:
            raise Problem(404, "not-found", "未找到", "找不到上一稿的审查记录（可能已删除或已过保存期限）。")
        old, old_text, old_kept = row["review"], row["document_text"], row["kept"]
        if profile not in ("auto", old["profile"]):  # judge the earlier draft again, under the profile asked for
            data = await run_in_threadpool(_stored_upload, request, old_id)
            if data is None:
                raise Problem(422, "profile-mismatch", "审查模板不一致",
                              "上一稿是按另一审查模板审查的，且未保存原文，无法按所选模板重新审查。请不指定模板（auto），两稿将按上一稿的模板比较。")
            result = await _run_review(request, data, old["document"].get("name", "upload"), profile)
            old, old_text = result["review"], result["text"]
    else:
        result = await _run_review(request, old_data, old_name, profile)
        old, old_text, old_kept = result["review"], result["text"], keep
        old_id = await _store(request, old, old_data, old_text, keep, owner)

    result = await _run_review(request, new_data, new_name, old["profile"])  # the same profile for both
    new, new_text = result["review"], result["text"]
    new_id = await _store(request, new, new_data, new_text, keep, owner)

    warnings, ratio = await run_in_threadpool(compare.different_contract_warnings, old, new, old_text, new_text)
    rows = compare.compare_reviews(old, new)
    notes = [] if old_text is not None else ["上一稿未保存原文，未能比较两稿的文字相似度，只比较了当事方名称。"]
    body = {"profile": new["profile"], "profile_title": new.get("profile_title"),
            "old": _draft(old, old_id, old_kept), "new": _draft(new, new_id, keep),
            "similarity": None if ratio is None else round(ratio, 4), "different_contracts": bool(warnings),
            "warnings": warnings + notes, "counts": compare.counts(rows), "changes": rows}
    return JSONResponse(body)
