"""REST: reviewer feedback on a stored review.

    GET    /v1/reviews/{id}/feedback                the corrections of one review
    POST   /v1/reviews/{id}/feedback                mark a finding wrong: {requirement, status, note}
    DELETE /v1/reviews/{id}/feedback/{requirement}  withdraw a correction

Errors are problem+json with a Chinese detail; nothing the client sent is echoed back."""
from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from . import feedback as fb
from .feedback import FeedbackItem, Status  # the model GET /v1/reviews/{id} uses too
from .api import _errors, require_token
from .problems import Problem

ALLOWED = "satisfied（满足）、weak（薄弱）、conflicting（冲突）、missing（缺失）"


class FeedbackSubmission(BaseModel):
    requirement: str = Field(min_length=1, max_length=128, description="要更正的审查要求 id（见审查结果 findings[].requirement）")
    status: Status = Field(description="审查人认为正确的状态；也接受 满足、薄弱、冲突、缺失")
    note: str | None = Field(None, max_length=fb.MAX_NOTE, description="备注：为什么原结论不对")


class FeedbackList(BaseModel):
    review_id: str
    items: list[FeedbackItem]


def _not_found() -> Problem:
    return Problem(404, "not-found", "未找到", "找不到该审查记录（可能已删除或已过保存期限）。")


def _review(request: Request, review_id: str) -> dict:
    row = request.app.state.store.get_review(review_id) if len(review_id) <= 64 else None
    if row is None:
        raise _not_found()
    return row["review"]


def _titles(review: dict) -> dict[str, str]:
    return {f["requirement"]: f.get("title", f["requirement"]) for f in review.get("findings", [])}


def _invalid(code: str, detail: str) -> Problem:
    return Problem(422, code, "参数无效", detail)


def _parse(raw: bytes, review: dict) -> tuple[str, str, str, str | None]:
    """-> (requirement, original status, corrected status, note), or a Problem in Chinese."""
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise _invalid("invalid-json", "请求体不是有效的 JSON。请提交 {\"requirement\": …, \"status\": …, \"note\": …}。") from None
    if not isinstance(body, dict):
        raise _invalid("invalid-parameters", "请求体须为 JSON 对象：{\"requirement\": …, \"status\": …, \"note\": …}。")
    unknown = set(body) - {"requirement", "status", "note"}
    if unknown:
        raise _invalid("invalid-parameters", "请求体含有不支持的字段；只接受 requirement、status、note。")
    req = body.get("requirement")
    if not isinstance(req, str) or not req.strip():
        raise _invalid("requirement-required", "缺少 requirement：要更正的审查要求 id（见审查结果中的 findings[].requirement）。")
    findings = {f["requirement"]: f for f in review.get("findings", [])}
    if req not in findings:
        raise _invalid("unknown-requirement", "该审查中没有这项要求；requirement 须为审查结果中某项意见的 requirement。")
    status = body.get("status")
    status = fb.FROM_ZH.get(status, status) if isinstance(status, str) else status
    if status not in fb.STATUSES:
        raise _invalid("invalid-status", f"status 缺少或无效，须为 {ALLOWED} 之一。")
    original = findings[req]["status"]
    if status == original:
        raise _invalid("same-status", f"更正后的状态与原结论相同（{fb.STATUS_ZH[original]}）。请选择审查人认为正确的其他状态；"
                                      "如需撤销更正，请使用 DELETE。")
    note = body.get("note")
    if note is not None and not isinstance(note, str):
        raise _invalid("invalid-note", "note（备注）须为文字。")
    note = (note or "").strip() or None
    if note and len(note) > fb.MAX_NOTE:
        raise _invalid("note-too-long", f"备注不能超过 {fb.MAX_NOTE} 字。")
    return req, original, status, note


router = APIRouter(prefix="/v1/reviews/{review_id}/feedback", tags=["feedback"],
                   responses=_errors(401, 403, 404, 422))

_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": FeedbackSubmission.model_json_schema()}}}}


@router.get("", response_model=FeedbackList, summary="审查人对该审查的更正")
async def list_feedback(request: Request, review_id: str) -> Any:
    review = await run_in_threadpool(_review, request, review_id)
    items = await run_in_threadpool(fb.list_for, request.app.state.store, review_id, _titles(review))
    return {"review_id": review_id, "items": items}


@router.post("", response_model=FeedbackItem, status_code=201, openapi_extra=_BODY,
             responses={200: {"model": FeedbackItem, "description": "已替换此前对同一项的更正"},
                        **_errors(415)},
             summary="标记一项审查意见有误：给出正确状态和备注")
async def create_feedback(request: Request, review_id: str, owner: str | None = Depends(require_token)) -> Any:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype not in ("application/json", ""):
        raise Problem(415, "unsupported-media-type", "不支持的请求格式",
                      "请以 application/json 提交 {\"requirement\": …, \"status\": …, \"note\": …}。")
    review = await run_in_threadpool(_review, request, review_id)
    raw = await request.body()
    req, original, status, note = _parse(raw, review)
    item, created = await run_in_threadpool(fb.put, request.app.state.store, review_id, req, original, status, note,
                                            owner, _titles(review))
    body = FeedbackItem.model_validate(item).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


@router.delete("/{requirement}", status_code=204, response_class=Response, summary="撤销对一项审查意见的更正")
async def delete_feedback(request: Request, review_id: str, requirement: str) -> Response:
    await run_in_threadpool(_review, request, review_id)
    if not await run_in_threadpool(fb.remove, request.app.state.store, review_id, requirement):
        raise Problem(404, "not-found", "未找到", "该项没有审查人的更正。")
    return Response(status_code=204)
