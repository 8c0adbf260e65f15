"""What people read: Chinese reports (table, Markdown, HTML, batch workbook and page) that say what
each quoted passage does and where it is, titles instead of ids, a warning for text that is not a
contract, and API answers that refuse oversized or malformed requests at once, in Chinese."""
from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from service import labels_zh as zh
from service import report
from service.api import create_app
from service.batch.outputs import Portfolio, write_all
from service.contract_check import assess
from service.pipeline import review_bytes, review_path
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fixtures" / "corpus"
CONFLICTS = CORPUS / "c02_saas-dinggoudan-tiaokuan.txt"  # conflicts, weakening and supporting passages
GOOD = CORPUS / "c07_fanben-hetong.txt"
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
PRICE_LIST = "价格表 100元"
LONG_PRICE_LIST = "云产品价格表（2024年版）\n" + "\n".join(
    f"云服务器 规格{i}核{2 * i}G 系统盘40G 带宽{i}M 月付 {100 * i}元 年付 {1000 * i}元 备注：含税价格" for i in range(1, 20))
HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def rich_review() -> dict:
    return review_path(str(CONFLICTS))


@pytest.fixture(scope="module")
def price_review() -> dict:
    return review_bytes(PRICE_LIST.encode("utf-8"), "价格表.txt")


def _ids(review: dict) -> list[str]:
    return [review["profile"], *(f["requirement"] for f in review["findings"])]


def _without_small_print(text: str) -> str:
    return re.sub(r"<small[^>]*>.*?</small>", "", text, flags=re.S)


# ---- Markdown and HTML ----

def test_markdown_quotes_say_role_and_place(rich_review):
    md = report.render_markdown(rich_review)
    roles = set()
    for f in rich_review["findings"]:
        for ev in f["evidence"]:
            label = f"【{zh.ROLE[ev['role']]}】{ev['location']['article']}"
            assert label in md, label
            roles.add(ev["role"])
        assert f"严重程度：{zh.SEVERITY[f['severity']]}" in md
        for s in f["sources"]:
            assert f"政策依据：{s}" in md
    assert roles == {"supports", "weakens", "conflicts"}  # the fixture shows all three
    assert f"审查日期：{zh.review_date(rich_review)}" in md
    assert rich_review["rules_version"] in md and "clausecheck" in md
    assert f"审查模板：{rich_review['profile_title']}" in md


def test_html_quotes_say_role_and_place(rich_review):
    page = report.render_html(rich_review)
    for f in rich_review["findings"]:
        for ev in f["evidence"]:
            assert (f"<span class='role {ev['role']}'>{zh.ROLE[ev['role']]}</span>"
                    f"<small class='where'>{ev['location']['article']}</small>") in page
    assert "审查日期：" in page and rich_review["rules_version"] in page and "政策依据" in page
    assert "<details" not in page  # the policy sources are printed, not folded away


def test_ids_only_as_small_print_in_md_and_html(rich_review):
    md = report.render_markdown(rich_review)
    page = report.render_html(rich_review)
    for text in (md, page):
        rest = _without_small_print(text)
        for rid in _ids(rich_review):
            assert rid not in rest, rid
        for f in rich_review["findings"]:
            assert f["title"] in rest
        assert rich_review["profile_title"] in rest
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert not any(rid in line for line in headings for rid in _ids(rich_review))


def test_one_word_per_status_everywhere():
    import service.batch.report_html as batch_html

    assert zh.STATUS == {"satisfied": "满足", "weak": "薄弱", "conflicting": "冲突", "missing": "缺失"}
    assert report.STATUS_ZH is zh.STATUS and batch_html.STATUS_ZH is zh.STATUS
    own_words = re.compile(r"""["']weak["']\s*:\s*["'][\u4e00-\u9fff]""")
    for path in (ROOT / "service").rglob("*.py"):  # no second translation table anywhere
        if path.name != "labels_zh.py":
            assert not own_words.search(path.read_text("utf-8")), path


# ---- the terminal table ----

def _table_text(review: dict, *, styles: bool = False) -> str:
    console = Console(width=120, record=True, file=io.StringIO(), force_terminal=styles,
                      color_system="standard" if styles else None)
    report.render_table(review, console)
    return console.export_text(styles=styles)


def _column(text: str, index: int) -> str:
    """The content of one table column, all rows, joined without the padding."""
    parts = []
    for line in text.splitlines():
        cells = line.split("│")
        if len(cells) == 7:
            parts.append(cells[index].strip())
    return "".join(parts).replace(" ", "")


def test_table_wraps_long_reasons_and_quotes_at_120_columns(rich_review):
    text = _table_text(rich_review)
    assert max(len(line) for line in text.splitlines()) <= 120
    reasons = _column(text, 4)
    quotes = _column(text, 5)
    longest_reason = max(("；".join(f["reasons"]) for f in rich_review["findings"]), key=len)
    assert len(longest_reason) > 40  # longer than its column: it must wrap, not be cut
    assert longest_reason.replace(" ", "") in reasons
    longest_quote = max((ev["text"] for f in rich_review["findings"] for ev in f["evidence"]), key=len)
    assert longest_quote.replace(" ", "") in quotes
    for f in rich_review["findings"]:
        for ev in f["evidence"]:
            assert f"【{zh.ROLE[ev['role']]}】{ev['location']['article']}".replace(" ", "") in quotes
    assert "审查日期：" in text and rich_review["rules_version"] in text and "政策依据：" in reasons


def test_table_shows_ids_only_dimmed(rich_review):
    ansi = _table_text(rich_review, styles=True)
    plain_rest = re.sub(r"\x1b\[2m.*?\x1b\[0m", "", ansi, flags=re.S)  # drop the dim (small print) spans
    plain_rest = re.sub(r"\x1b\[[0-9;]*m", "", plain_rest)
    for rid in _ids(rich_review):
        assert rid[:10] not in plain_rest, rid
    assert rich_review["profile_title"] in plain_rest


def test_cli_table_output(capsys):
    from service.cli import main

    assert main(["check", str(CONFLICTS)]) == 1
    out = capsys.readouterr().out
    assert "薄弱" in out and "冲突" in out and "【冲突】" in out


# ---- text that is not a contract ----

def test_price_list_gets_a_warning_first(price_review):
    doc = price_review["document"]
    assert doc["not_contract"] is True and "不是" in doc["warnings"][0]
    warning = doc["warnings"][0]
    md = report.render_markdown(price_review)
    assert md.splitlines()[2] == f"> **⚠ 注意：{warning}**"
    page = report.render_html(price_review)
    assert page.index("role='alert'") < page.index("<section")
    table = _table_text(price_review)
    assert table.index("可能不是合同") < table.index("状态")
    assert "".join(table.split()).count("".join(warning.split())[:30]) >= 1
    long = review_bytes(LONG_PRICE_LIST.encode("utf-8"), "prices.txt")
    assert long["document"].get("not_contract") and "价格表" in long["document"]["warnings"][0]


def test_real_contracts_get_no_warning():
    for path in sorted(CORPUS.glob("*.txt")):
        verdict = assess(path.read_text("utf-8"))
        assert verdict["contract"], (path.name, verdict["characters"], verdict["markers"], verdict["duties"])
    review = review_path(str(GOOD))
    assert not review["document"].get("not_contract")
    assert not any("不是合同" in w for w in review["document"]["warnings"])
    assert "role='alert'" not in report.render_html(review) and "⚠" not in report.render_markdown(review)


# ---- batch workbook and page ----

def test_batch_workbook_and_page(tmp_path, rich_review, price_review):
    from openpyxl import load_workbook

    good = review_path(str(GOOD))
    reviews = [("c02.txt", {**rich_review, "batch": {"finished": time.time()}}), ("c07.txt", good),
               ("=price.txt", price_review)]
    reqs = list(dict.fromkeys((f["requirement"], f["title"]) for _, r in reviews for f in r["findings"]))
    port = Portfolio(reviews=reviews, failures=[("bad.docx", "corrupt", "文件已损坏")], requirements=reqs)
    write_all(str(tmp_path), port, title="合同目录")

    wb = load_workbook(tmp_path / "summary.xlsx")
    assert wb.sheetnames == ["汇总", "明细", "读取失败", "说明"]
    ws = wb["汇总"]
    header = [c.value for c in ws[1]]
    assert header[:9] == ["文件", "审查模板", "结论", "满足", "薄弱", "冲突", "缺失", "审查日期", "提示"]
    assert header[9:] == [t for _, t in reqs]  # titles, not ids
    assert all(HAN.search(h) for h in header)
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=len(header)).column_letter}4"
    assert ws.column_dimensions["A"].width >= 10 and ws.column_dimensions["J"].width >= 10
    assert ws.cell(row=1, column=10).comment is not None and reqs[0][0] in ws.cell(row=1, column=10).comment.text
    rows = {ws.cell(row=i, column=1).value: i for i in range(2, ws.max_row + 1)}
    assert "'=price.txt" in rows  # still no formula
    r = rows["c02.txt"]
    assert ws.cell(row=r, column=2).value == rich_review["profile_title"]
    assert ws.cell(row=r, column=3).value == "不通过"
    by_id = {f["requirement"]: f for f in rich_review["findings"]}
    for col, (rid, _) in enumerate(reqs, 10):
        cell = ws.cell(row=r, column=col)
        if rid not in by_id:  # judged for another contract only (a wider profile): left blank, not "missing"
            assert cell.value is None
            continue
        status = by_id[rid]["status"]
        assert cell.value == zh.STATUS[status]
        assert cell.fill.fgColor.rgb.endswith(zh.STATUS_FILL[status])
    assert "不是" in ws.cell(row=rows["'=price.txt"], column=9).value
    detail = wb["明细"]
    assert detail.freeze_panes and detail.auto_filter.ref
    quotes = "\n".join(str(detail.cell(row=i, column=6).value or "") for i in range(2, detail.max_row + 1))
    assert "【冲突】" in quotes and "【削弱】" in quotes and "【支持】" in quotes
    assert [c.value for c in wb["读取失败"][1]] == ["文件", "原因代码", "说明"]
    about = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert rich_review["rules_version"] in about["规则库版本"] and about["工具版本"].startswith("clausecheck")

    page = (tmp_path / "report.html").read_text("utf-8")
    assert "不充分" not in page and "薄弱" in page
    assert "<span class=\"role conflicts\">冲突</span>" in page and "<span class=\"role weakens\">削弱</span>" in page
    assert "政策依据：" in page and "规则库版本" in page and "审查日期" in page and "工具版本" in page
    assert 'role="alert"' in page and "疑似不是合同" in page
    assert rich_review["profile_title"] in page
    for rid in _ids(rich_review):
        assert rid not in _without_small_print(page), rid


# ---- the API ----

def _settings(tmp_path, **kw) -> Settings:
    base = dict(db_path=str(tmp_path / "cc.sqlite3"), pool_kind="thread", workers=1, queue_size=2,
                allowed_hosts=("testserver",), retention_days=0)
    base.update(kw)
    return Settings(**base)


@pytest.fixture
def client(tmp_path, monkeypatch):
    with TestClient(create_app(_settings(tmp_path))) as c:
        yield c


@pytest.fixture
def no_review(monkeypatch):
    """Any request that reaches the reviewing fails the test."""
    import service.api

    calls = []

    def forbidden(*a, **k):
        calls.append(1)
        raise AssertionError("reviewed although it should have been refused")

    monkeypatch.setattr(service.api, "review_job", forbidden)
    return calls


def _problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text[:300]
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert HAN.search(body["detail"]) and HAN.search(body["title"])
    if code:
        assert body["code"] == code
    return body


def test_oversized_text_is_refused_at_once(client, no_review):
    text = "甲方应当按照合同约定履行义务。" * 70_000  # 1.05 million characters, 3 MB
    started = time.perf_counter()
    body = _problem(client.post("/v1/reviews", files={"file": ("big.txt", text.encode("utf-8"))}), 413,
                    "too-many-characters")
    assert "字" in body["detail"] and "甲方应当" not in json.dumps(body, ensure_ascii=False)
    _problem(client.post("/v1/reviews", json={"text": text}), 413, "too-many-characters")
    assert time.perf_counter() - started < 10 and not no_review


def test_fifty_megabyte_text_upload_answers_at_once(client, no_review):
    data = ("第一条 乙方应按约定提供云服务。\n".encode("utf-8")) * (48 * 1024 * 1024 // 48)
    assert len(data) >= 45 * 1024 * 1024
    started = time.perf_counter()
    _problem(client.post("/v1/reviews", files={"file": ("huge.txt", data)}), 413)
    assert time.perf_counter() - started < 20 and not no_review


def test_character_limit_applies_to_read_documents_too(tmp_path):
    docx = CORPUS / "c03_anquan-baomi-buchong.docx"
    with TestClient(create_app(_settings(tmp_path, max_characters=500))) as c:
        _problem(c.post("/v1/reviews", files={"file": (docx.name, docx.read_bytes())}), 413, "too-many-characters")
        assert c.post("/v1/reviews", json={"text": "甲方" * 100}).status_code == 200


def test_multipart_profile_has_the_json_limit_and_is_not_echoed(client, no_review):
    long = "p" * 5000
    body = _problem(client.post("/v1/reviews", data={"profile": long}, files={"file": ("a.txt", SAMPLE.read_bytes())}),
                    422, "invalid-parameters")
    assert "64" in body["detail"] and "ppppp" not in json.dumps(body)
    body = _problem(client.post("/v1/reviews", json={"text": "甲方", "profile": long}), 422, "invalid-parameters")
    assert "64" in body["detail"] and "ppppp" not in json.dumps(body)
    body = _problem(client.post("/v1/reviews", data={"profile": "q" * 64},
                                files={"file": ("a.txt", SAMPLE.read_bytes())}), 422, "unknown-profile")
    assert not no_review


def test_validation_errors_are_chinese(client):
    for r in (client.get("/v1/reviews", params={"limit": 0}),
              client.get("/v1/reviews/x/report", params={"format": "pdf"}),
              client.post("/v1/reviews", json={"text": ""}),
              client.post("/v1/reviews", json={"text": "甲方", "keep": "maybe", "extra" * 50: 1})):
        body = _problem(r, 422)
        assert not re.search(r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,}", body["detail"]), body["detail"]  # no English sentence
    detail = client.get("/v1/reviews", params={"limit": 0}).json()["detail"]
    assert "limit" in detail and "不能小于 1" in detail


def test_openapi_descriptions_are_chinese(client):
    schema = client.get("/openapi.json").json()
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            for code, resp in op.get("responses", {}).items():
                assert HAN.search(resp["description"]), (path, method, code, resp["description"])


def test_api_reports_show_the_review_date(client):
    rid = client.post("/v1/reviews", files={"file": ("a.txt", SAMPLE.read_bytes())}).json()["id"]
    created = client.get(f"/v1/reviews/{rid}").json()["created_at"][:10]
    md = client.get(f"/v1/reviews/{rid}/report", params={"format": "md"}).text
    assert f"审查日期：{created}" in md and "规则库版本" in md
