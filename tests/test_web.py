"""The web page in real headless Chromium (Debian's /usr/bin/chromium; Playwright never downloads a
browser here): upload, findings, click-to-highlight, recent list, no CSP violations."""
from __future__ import annotations

from pathlib import Path

import pytest

import webserver

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
ARTIFACTS = ROOT / "test-artifacts"

sync_api = webserver.require_browser()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from webserver.serve(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    yield from webserver.launch(sync_api)


def test_upload_review_and_highlight(server, browser):
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN",
                               permissions=["clipboard-read", "clipboard-write"]).new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("dialog", lambda d: d.accept())
    page.goto(server + "/")
    page.wait_for_selector("#profile option[value='archives-gov-cloud']", state="attached")

    assert page.is_hidden("#progress") and page.is_hidden("#result") and page.is_disabled("#submit")
    page.set_input_files("#file", str(SAMPLE))
    assert page.is_enabled("#submit")
    page.click("#submit")
    page.wait_for_selector(".finding", timeout=60_000)
    assert page.text_content("#verdict").startswith("结论：")
    assert "审查完成" in page.text_content("#status")  # announced through the aria-live region
    assert page.locator(".finding").count() >= 10
    assert page.locator("#doc-text mark.ev").count() > 0

    link = page.locator(".ev-link").first
    card = link.locator("xpath=ancestor::article[1]")
    link.click()
    active = page.locator("#doc-text mark.ev.active")
    active.first.wait_for()
    assert "selected" in card.get_attribute("class")
    in_view = """() => {
        const m = document.querySelector('#doc-text mark.active'), box = document.querySelector('#doc-text');
        const a = m.getBoundingClientRect(), b = box.getBoundingClientRect();
        return a.top >= b.top && a.bottom <= b.bottom && a.top >= 0 && a.bottom <= window.innerHeight;
    }"""
    page.wait_for_function(in_view, timeout=5000)  # scrolled into the text pane's view and the window's
    index = card.get_attribute("data-index")
    assert all(index in m.split() for m in active.evaluate_all("els => els.map(e => e.dataset.findings)"))

    # keyboard: the finding titles are real buttons, reachable and usable without a mouse
    page.focus(".finding-title")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.classList.contains('finding-title')")
    page.wait_for_function(in_view, timeout=5000)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web.png"))

    copy = page.locator(".suggestion button").first
    copy.click()
    page.wait_for_function("() => document.querySelector('.suggestion button').textContent === '已复制'")
    with page.expect_download() as dl:
        page.click("#dl-json")
    assert dl.value.suggested_filename.endswith(".json")
    assert '"clausecheck.review/v1"' in Path(dl.value.path()).read_text("utf-8")

    page.click("#recent summary")
    rows = page.locator("#recent-body tr")
    assert rows.count() == 1
    rows.first.locator("button", has_text="打开").click()
    page.wait_for_function("() => document.querySelector('#status').textContent.includes('已打开')")
    assert "未保存" in page.text_content("#doc-text")  # text not retained by default
    rows.first.locator("button", has_text="删除").click()
    page.wait_for_selector("#recent-empty:not([hidden])")
    assert page.is_hidden("#result")
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems
    page.context.close()


def test_error_is_shown_in_chinese(server, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\nnot really a pdf")
    page.goto(server + "/")
    page.wait_for_selector("#profile option[value='party-gov-cloud']", state="attached")
    page.set_input_files("#file", str(bad))
    page.click("#submit")
    page.wait_for_selector("#error:not([hidden])", timeout=60_000)
    text = page.text_content("#error")
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    page.close()
