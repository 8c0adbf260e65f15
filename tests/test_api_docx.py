"""`GET /v1/reviews/{id}/report?format=docx` gives the lawyer's own Word draft back with Word comments
(and with `redline=true` tracked insertions) when the upload was a .docx kept with the review; otherwise
the Word memo. `GET /v1/reviews/{id}` says whether the annotated draft is available and carries the
reviewers' corrections. The draft is built here with python-docx, in its own wording."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn
from fastapi.testclient import TestClient

from nlp.normalize import normalize
from service.api import create_app
from service.db import ReviewRow, utcnow
from service.settings import Settings

PROFILE = "archives-gov-cloud"
NAME = "档案云存储协议.docx"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PARAGRAPHS = [
    ("某区档案馆数字档案云存储服务协议", "Title"),
    ("甲方：某区档案馆", None),
    ("乙方：某信息技术有限公司", None),
    ("第一条 服务范围", None),
    ("乙方为甲方提供数字档案的云存储、备份和检索服务，服务期限两年。", None),
    ("第二条 数据权属与使用", None),
    ("甲方的档案数据归甲方所有。乙方可以将甲方数据用于优化乙方自己的产品。", None),
    ("第三条 存放地点", None),
    ("乙方的机房一般位于中国境内。乙方应每日备份甲方数据。", None),
    ("第四条 合同终止", None),
    ("合同终止后，乙方应协助甲方迁出数据。", None),
]


def build_draft() -> bytes:
    d = Document()
    for text, style in PARAGRAPHS:
        d.add_paragraph(text, style=style) if style else d.add_paragraph(text)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def draft() -> bytes:
    return build_draft()


@pytest.fixture
def client(tmp_path):
    s = Settings(db_path=str(tmp_path / "cc.sqlite3"), pool_kind="thread", workers=1, queue_size=4,
                 allowed_hosts=("testserver",), retention_days=30)
    with TestClient(create_app(s)) as c:
        yield c


def upload(c, data: bytes, keep: bool, name: str = NAME) -> dict:
    form = {"profile": PROFILE, **({"keep": "true"} if keep else {})}
    r = c.post("/v1/reviews", files={"file": (name, data, "application/octet-stream")}, data=form)
    assert r.status_code == 200, r.text
    return r.json()


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


from test_docx_annotate import _comments as comments  # noqa: E402  (one reader of comment ranges)


def our_insertions(data: bytes) -> list[str]:
    """Per paragraph, the text clausecheck inserted as a tracked change."""
    body = Document(io.BytesIO(data)).element.body
    out = []
    for p in body.iter(_w("p")):
        text = "".join(t.text or "" for i in p.iter(_w("ins")) if i.get(qn("w:author")) == "clausecheck"
                       for t in i.iter(_w("t")))
        if text:
            out.append(text)
    return out


def is_memo(data: bytes) -> bool:
    document = Document(io.BytesIO(data))
    return (document.paragraphs[0].text.startswith("合同安全条款审查报告") and not list(document.comments)
            and document.core_properties.author == "clausecheck")


def test_kept_docx_comes_back_as_the_annotated_draft(client, draft):
    review = upload(client, draft, keep=True)
    assert review["kept"] is True and review["annotated_available"] is True and review["feedback"] == []
    weak = [f for f in review["findings"] if f["status"] in ("weak", "conflicting")]
    assert {f["status"] for f in weak} == {"weak", "conflicting"}  # what this test relies on
    got = client.get(f"/v1/reviews/{review['id']}").json()
    assert got["annotated_available"] is True

    r = client.get(f"/v1/reviews/{review['id']}/report", params={"format": "docx"})
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    assert r.headers["x-clausecheck-docx"] == "annotated"
    assert "annotated.docx" in r.headers["content-disposition"]
    assert "%E5%AE%A1%E6%9F%A5%E6%89%B9%E6%B3%A8" in r.headers["content-disposition"]  # …-审查批注.docx

    out = Document(io.BytesIO(r.content))
    assert [p.text for p in out.paragraphs] == [t for t, _ in PARAGRAPHS]  # the lawyer's own draft, unchanged
    found = comments(r.content)
    assert found and all(c.author == "clausecheck" for c, _ in found.values())
    covered = [normalize(text) for _, text in found.values()]
    for f in weak:
        for ev in f["evidence"]:
            assert normalize(ev["text"]) in covered, f"no comment anchored on the evidence of {f['requirement']}"
            mine = [c.text for c, text in found.values() if normalize(text) == normalize(ev["text"])]
            assert any(f["title"] in t for t in mine)
    summary = [c.text for c, text in found.values() if text == PARAGRAPHS[0][0]]
    assert len(summary) == 1 and "结论" in summary[0]
    for f in review["findings"]:
        if f["status"] == "missing":
            assert f["title"] in summary[0]
    assert not our_insertions(r.content)  # suggestions as tracked changes only on request

    # the memo is still there for whoever wants it
    memo = client.get(f"/v1/reviews/{review['id']}/report", params={"format": "docx", "kind": "memo"})
    assert memo.headers["x-clausecheck-docx"] == "memo" and is_memo(memo.content)


def test_redline_adds_the_suggestions_as_tracked_insertions(client, draft):
    review = upload(client, draft, keep=True)
    r = client.get(f"/v1/reviews/{review['id']}/report", params={"format": "docx", "redline": "true"})
    assert r.status_code == 200 and r.headers["x-clausecheck-docx"] == "annotated"
    assert "annotated-redline.docx" in r.headers["content-disposition"]
    inserted = our_insertions(r.content)
    suggested = [f["suggestion"] for f in review["findings"]
                 if f["status"] in ("missing", "weak") and f.get("suggestion")]
    assert inserted and suggested
    for s in suggested:
        assert s in inserted
    assert all(c.author == "clausecheck" for c, _ in comments(r.content).values())


def test_without_keep_the_memo(client, draft):
    review = upload(client, draft, keep=False)
    assert review["kept"] is False and review["annotated_available"] is False
    assert client.get(f"/v1/reviews/{review['id']}").json()["annotated_available"] is False
    for params in ({"format": "docx"}, {"format": "docx", "redline": "true"}):
        r = client.get(f"/v1/reviews/{review['id']}/report", params=params)
        assert r.status_code == 200 and r.headers["x-clausecheck-docx"] == "memo"
        assert is_memo(r.content) and not our_insertions(r.content)
    r = client.get(f"/v1/reviews/{review['id']}/report", params={"format": "docx", "kind": "annotated"})
    assert r.status_code == 422 and r.json()["code"] == "annotated-unavailable"
    assert r.headers["content-type"].startswith("application/problem+json")


def test_kept_text_upload_gets_the_memo(client):
    text = "\n".join(t for t, _ in PARAGRAPHS)
    r = client.post("/v1/reviews", json={"name": "协议.txt", "text": text, "profile": PROFILE, "keep": True})
    review = r.json()
    assert review["kept"] is True and review["annotated_available"] is False
    r = client.get(f"/v1/reviews/{review['id']}/report", params={"format": "docx"})
    assert r.headers["x-clausecheck-docx"] == "memo" and is_memo(r.content)


def test_a_draft_that_cannot_be_annotated_gets_the_memo(client, draft):
    review = upload(client, draft, keep=True)
    with client.app.state.store.session.begin() as s:  # not the file the review was made of any more
        s.get(ReviewRow, review["id"]).upload = build_draft().replace(b"PK", b"PK", 1) + b"\0"
    r = client.get(f"/v1/reviews/{review['id']}/report", params={"format": "docx"})
    assert r.status_code == 200 and r.headers["x-clausecheck-docx"] == "memo" and is_memo(r.content)
    r = client.get(f"/v1/reviews/{review['id']}/report", params={"format": "docx", "kind": "annotated"})
    assert r.status_code == 422 and r.json()["code"] == "annotated-unavailable"
    assert "无法在该原稿上添加批注" in r.json()["detail"]


def test_the_kept_draft_goes_with_its_review(client, draft):
    store = client.app.state.store
    deleted, purged, young = (upload(client, draft, keep=True)["id"] for _ in range(3))
    assert store.get_upload(deleted) == draft
    assert client.delete(f"/v1/reviews/{deleted}").status_code == 204
    assert store.get_upload(deleted) is None
    assert client.get(f"/v1/reviews/{deleted}/report", params={"format": "docx"}).status_code == 404

    with store.session.begin() as s:  # older than the retention period
        s.get(ReviewRow, purged).created_at = utcnow() - timedelta(days=31)
    assert store.purge(30) == 1
    assert store.get_upload(purged) is None and store.get_upload(young) == draft


def test_get_review_carries_the_reviewers_corrections(client, draft):
    review = upload(client, draft, keep=False)
    rid = review["id"]
    assert client.get(f"/v1/reviews/{rid}").json()["feedback"] == []
    f = next(f for f in review["findings"] if f["status"] == "conflicting")
    posted = client.post(f"/v1/reviews/{rid}/feedback",
                         json={"requirement": f["requirement"], "status": "weak", "note": "第二条第二句有例外约定，应复核。"})
    assert posted.status_code == 201, posted.text
    got = client.get(f"/v1/reviews/{rid}").json()
    assert got["feedback"] == client.get(f"/v1/reviews/{rid}/feedback").json()["items"] == [posted.json()]
    item = got["feedback"][0]
    assert item["requirement"] == f["requirement"] and item["title"] == f["title"]
    assert item["original_status"] == "conflicting" and item["status"] == "weak" and "复核" in item["note"]
    assert got["findings"] == review["findings"]  # the review itself is unchanged
    assert client.delete(f"/v1/reviews/{rid}/feedback/{f['requirement']}").status_code == 204
    assert client.get(f"/v1/reviews/{rid}").json()["feedback"] == []


def test_openapi_describes_the_new_options(client):
    spec = client.get("/openapi.json").json()
    params = {p["name"]: p for p in spec["paths"]["/v1/reviews/{review_id}/report"]["get"]["parameters"]}
    assert params["redline"]["schema"]["type"] == "boolean"
    assert set(params["kind"]["schema"]["enum"]) == {"auto", "annotated", "memo"}
    props = spec["components"]["schemas"]["StoredReview"]["properties"]
    assert "annotated_available" in props and "feedback" in props
