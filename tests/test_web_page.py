"""The web page for legal staff, in real headless Chromium: printing (to PDF), a 390 px phone, filter
and sort, each selected passage's own role, clean state after a failed upload, reviewer feedback that
survives reopening, and comparing with the next draft. Same set-up as test_web.py."""
from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

import webserver

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
OTHER = ROOT / "fixtures" / "corpus" / "c01_iaas-caigou-hetong.txt"  # a different contract
STATUS_ZH = {"satisfied": "满足", "weak": "薄弱", "conflicting": "冲突", "missing": "缺失"}
ARTIFACTS = ROOT / "test-artifacts"  # screenshots and the printed PDF, for the README and for people
DELETION = "2. 移交完成后，乙方应在15日内彻底删除档案数据及其全部备份，使其不可恢复，并由甲方监督删除。\n"
INCIDENT = ("第七条 安全事件\n发生网络安全事件或重大事件时，乙方应立即采取处置措施，并在1小时内向甲方报告、按规定及时向网信、"
            "公安等有关主管部门报告，不得迟报、漏报、瞒报。\n")

sync_api = webserver.require_browser()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from webserver.serve(tmp_path_factory)


@pytest.fixture(scope="module")
def browser():
    yield from webserver.launch(sync_api)


@pytest.fixture
def page(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    pg = ctx.new_page()
    pg.problems = []
    pg.on("console", lambda m: pg.problems.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.problems.append(str(e)))
    pg.on("dialog", lambda d: d.accept())
    yield pg
    ctx.close()


def review(page, server: str, path: Path = SAMPLE, keep: bool = False) -> None:
    page.goto(server + "/")
    page.wait_for_selector("#profile option[value='archives-gov-cloud']", state="attached")
    page.set_input_files("#file", str(path))
    if keep:
        page.check("#keep")
    page.click("#submit")
    page.wait_for_selector(".finding", timeout=30_000)


def squeeze(s: str) -> str:
    return "".join(unicodedata.normalize("NFKC", s).split())


def printed(expected: str, flat: str) -> bool:
    """Whether `expected` is in the PDF's text (squeezed: line breaks fall anywhere there)."""
    return squeeze(expected) in flat


def pdf_text(pdf: bytes) -> str:
    import pypdfium2  # a dependency of the readers; much faster than pypdf on CJK text

    doc = pypdfium2.PdfDocument(pdf)
    try:
        return "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def visible_cards(page) -> list[dict]:
    return page.eval_on_selector_all(".finding", """els => els.filter(e => e.offsetParent !== null).map(e => ({
        status: [...e.classList].find(c => c.startsWith('st-')).slice(3),
        severity: e.querySelector('.finding-title .badge[class*=sev-]').className.match(/sev-(\\w+)/)[1],
        requirement: e.dataset.requirement}))""")


def test_print_has_every_finding_and_its_evidence(server, page):
    review(page, server)
    titles = page.eval_on_selector_all(".finding-title .t", "els => els.map(e => e.firstChild.textContent.trim())")
    evidence = page.eval_on_selector_all(".ev-link", "els => els.map(e => e.lastChild.textContent)")
    page.uncheck("input[name=filter-status][value=satisfied]")  # a filter on screen does not shorten the print
    assert len(visible_cards(page)) < len(titles)

    page.emulate_media(media="print")
    shown = page.evaluate("""() => {
        const on = (el) => el && getComputedStyle(el).display !== 'none' && el.getClientRects().length > 0;
        return {upload: on(document.querySelector('#upload-panel')), form: on(document.querySelector('#upload-form')),
                recent: on(document.querySelector('#recent')), text: on(document.querySelector('#doc-text')),
                findings: [...document.querySelectorAll('.finding')].filter(on).length,
                evidence: [...document.querySelectorAll('.ev-link')].filter(on).length,
                sources: [...document.querySelectorAll('.finding details li')].filter(on).length};
    }""")
    assert not shown["upload"] and not shown["form"] and not shown["recent"]
    assert shown["findings"] == len(titles) and shown["evidence"] == len(evidence)
    assert shown["sources"] > 0  # the policy sources print although folded on screen

    pdf = page.pdf(format="A4", print_background=True)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "web-print.pdf").write_bytes(pdf)
    flat = squeeze(pdf_text(pdf))
    assert printed("审查结果", flat) and printed("结论", flat)
    missing_titles = [t for t in titles if not printed(t, flat)]
    assert not missing_titles, missing_titles
    missing_evidence = [e for e in evidence if not printed(e[:20], flat)]
    assert not missing_evidence, missing_evidence
    assert not any(printed(t, flat) for t in ("开始审查", "选择文件", "最近的审查", "保存原文"))
    assert not page.problems, page.problems


def test_phone_width(server, browser):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True, has_touch=True)
    page = ctx.new_page()
    fits = "() => document.scrollingElement.scrollWidth <= 390"
    page.goto(server + "/")
    page.wait_for_selector("#profile option[value='archives-gov-cloud']", state="attached")
    assert page.evaluate(fits), page.evaluate("() => document.scrollingElement.scrollWidth")
    review(page, server, keep=True)
    assert page.evaluate(fits), page.evaluate("() => document.scrollingElement.scrollWidth")
    trapped = page.evaluate("""() => {
        const out = [];
        for (let el = document.querySelector('.finding').parentElement; el && el !== document.body; el = el.parentElement) {
            const oy = getComputedStyle(el).overflowY;
            if ((oy === 'auto' || oy === 'scroll' || oy === 'hidden') && el.scrollHeight > el.clientHeight + 1)
                out.push(el.id || el.className);
        }
        return out;
    }""")
    assert not trapped, trapped  # the findings flow with the page
    assert page.evaluate("() => document.querySelector('#findings').scrollHeight > window.innerHeight")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "web-phone.png"))
    page.click("#recent summary")
    page.wait_for_selector("#recent-body tr")
    page.locator(".finding .fb-open").first.click()
    page.click("#compare-open")
    assert page.evaluate(fits), page.evaluate("() => document.scrollingElement.scrollWidth")
    ctx.close()


def test_filter_sort_and_each_passage_shows_its_own_role(server, page):
    review(page, server, keep=True)
    every = visible_cards(page)
    assert {c["status"] for c in every} >= {"satisfied", "weak", "missing"}
    assert "共 %d 项" % len(every) in page.text_content("#filter-count")

    page.uncheck("input[name=filter-status][value=satisfied]")
    page.uncheck("input[name=filter-status][value=missing]")
    cards = visible_cards(page)
    assert cards and {c["status"] for c in cards} <= {"weak", "conflicting"}
    assert f"显示 {len(cards)} / {len(every)} 项" in page.text_content("#filter-count")
    page.check("input[name=filter-status][value=missing]")
    page.select_option("#filter-severity", "high")
    cards = visible_cards(page)
    assert cards and all(c["severity"] == "high" and c["status"] != "satisfied" for c in cards)
    page.select_option("#filter-severity", "")
    page.check("input[name=filter-status][value=satisfied]")

    page.select_option("#sort-by", "severity")
    order = {"high": 0, "medium": 1, "low": 2}
    sev = [order[c["severity"]] for c in visible_cards(page)]
    assert len(sev) == len(every) and sev == sorted(sev)
    assert page.eval_on_selector_all(".group-h", "els => els.map(e => e.textContent)")[0].startswith("高风险")
    page.select_option("#sort-by", "position")
    assert page.locator(".group-h").count() == 0 and len(visible_cards(page)) == len(every)
    page.select_option("#sort-by", "status")
    first = [c["status"] for c in visible_cards(page)]
    rank = {"conflicting": 0, "missing": 1, "weak": 2, "satisfied": 3}
    assert [rank[s] for s in first] == sorted(rank[s] for s in first)

    # each selected finding's passages are labelled with the role they play for it
    for card in page.locator(".finding:has(.ev-link[class*=role-])").all()[:6]:  # evidence, not a nearest passage
        roles = set(card.locator(".ev-link .where").evaluate_all("els => els.map(e => e.textContent.split(' · ')[1])"))
        card.locator(".finding-title").click()
        starts = page.locator("#doc-text mark.ev.active.ev-start")
        starts.first.wait_for()
        assert set(starts.evaluate_all("els => els.map(e => e.dataset.roleLabel)")) == roles
        assert all(r in page.text_content("#status") for r in roles)

    # a passage that supports one requirement and weakens or conflicts with another shows, each time,
    # the role for the finding selected (in the sample: 第三条第2项, for 安全标准 and 档案安全合规)
    shared = page.evaluate("""() => {
        for (const m of document.querySelectorAll('#doc-text mark.ev')) {
            const roles = Object.fromEntries(m.dataset.roles.split(' ').map(x => x.split(':')));
            if (new Set(Object.values(roles)).size > 1) return roles;
        }
        return null;
    }""")
    assert shared, "the sample has a passage with two roles"
    seen = {}
    for index, role in shared.items():
        page.click(f"#finding-{index} .finding-title")
        mark = page.locator(f"#doc-text mark.ev.active[data-roles*='{index}:{role}']").first
        assert mark.get_attribute("data-role") == role and f"active-{role}" in mark.get_attribute("class")
        seen[role] = mark.evaluate("e => getComputedStyle(e).backgroundColor")
    assert len(set(seen.values())) == len(seen) > 1  # and looks different
    assert not page.problems, page.problems


def test_failed_upload_clears_previous_result(server, page, tmp_path):
    review(page, server)
    assert page.is_visible("#result") and page.locator("#doc-text mark.ev").count() > 0
    page.uncheck("input[name=filter-status][value=satisfied]")
    page.locator(".ev-link").first.click()
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7\nnot really a pdf")
    page.set_input_files("#file", str(bad))
    page.click("#submit")
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    assert page.is_hidden("#result")
    assert page.locator(".finding").count() == 0 and page.text_content("#doc-text") == ""
    assert page.text_content("#doc-name") == "" and page.text_content("#verdict") == ""
    # and a new document starts with an unfiltered list, nothing selected, its text pane at the top
    page.set_input_files("#file", str(OTHER))
    page.click("#submit")
    page.wait_for_selector(".finding")
    assert page.is_hidden("#error")
    assert page.is_checked("input[name=filter-status][value=satisfied]")
    assert page.evaluate("() => document.querySelector('#doc-text').scrollTop") == 0
    assert page.locator(".finding.selected").count() == 0
    assert "鹤川" in page.text_content("#doc-text") and "海棠" not in page.text_content("#doc-text")


def test_feedback_is_kept_with_the_review(server, page):
    review(page, server, keep=True)
    card = page.locator(".finding[data-requirement='security-responsibility']")
    was = card.get_attribute("class").split("st-")[1].split()[0]
    right = "conflicting" if was != "conflicting" else "weak"
    card.locator(".fb-open").click()
    form = card.locator(".fb-form")
    assert form.is_visible()
    assert was not in form.locator("option").evaluate_all("els => els.map(e => e.value)")  # only other statuses
    form.locator("select").select_option(right)
    form.locator("textarea").fill("第三条只约定了乙方的义务，甲方责任未写明，应重点复核。")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".finding[data-requirement='security-responsibility'] .fb-note")
    note = page.text_content(".finding[data-requirement='security-responsibility'] .fb-note")
    assert STATUS_ZH[right] in note and f"原结论：{STATUS_ZH[was]}" in note and "重点复核" in note
    assert "已记录更正" in page.text_content("#status")
    url = page.url
    assert "?review=" in url

    page.goto(url)  # reopening the review (a reload, as after a batch link) shows the correction
    page.wait_for_selector(".finding[data-requirement='security-responsibility'] .fb-note")
    assert f"已更正为{STATUS_ZH[right]}" in page.text_content(".finding[data-requirement='security-responsibility']")
    page.locator(".finding[data-requirement='security-responsibility'] button", has_text="撤销更正").click()
    page.wait_for_selector(".finding[data-requirement='security-responsibility'] .fb-open")
    assert page.locator(".fb-note").count() == 0
    assert not page.problems, page.problems


def test_compare_with_the_next_draft(server, page, tmp_path):
    review(page, server, keep=True)
    draft2 = tmp_path / "第二稿.txt"
    draft2.write_text(SAMPLE.read_text("utf-8").replace(DELETION, "").replace("附件一 服务清单", INCIDENT + "附件一 服务清单"),
                      "utf-8")
    page.click("#compare-open")
    assert page.is_visible("#compare") and "档案" in page.text_content("#compare-profile")
    page.set_input_files("#compare-file", str(draft2))
    page.click("#compare-submit")
    page.wait_for_selector("#compare-rows .cmp-row", timeout=30_000)
    assert "比较完成" in page.text_content("#compare-status")
    assert page.locator("#compare-warnings li").count() == 0  # the same contract
    fixed = page.locator(".cmp-row[data-requirement='incident-reporting']")
    assert "ch-fixed" in fixed.get_attribute("class") and "改进" in fixed.text_content()
    assert fixed.locator(".cmp-side.old .cmp-ev").count() == 0 and fixed.locator(".cmp-side.new .cmp-ev").count() >= 1
    worse = page.locator(".cmp-row[data-requirement='termination-deletion']")
    assert "ch-regressed" in worse.get_attribute("class") and "退步" in worse.text_content()
    assert "彻底删除" in worse.locator(".cmp-side.old").text_content()
    first = page.eval_on_selector_all(".cmp-row", "els => els.map(e => e.className)")[0]
    assert "ch-regressed" in first  # regressions first
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#compare").screenshot(path=str(ARTIFACTS / "web-compare.png"))
    page.check("#compare-changed-only")
    assert page.locator(".cmp-row.ch-unchanged").count() == 0 and page.locator(".cmp-row").count() >= 2

    # a different contract: compared all the same, with a clear warning
    page.set_input_files("#compare-file", str(OTHER))
    page.click("#compare-submit")
    page.wait_for_selector("#compare-warnings li", timeout=30_000)
    warning = page.text_content("#compare-warnings")
    assert "不是同一份合同" in warning and "相似度" in warning

    page.click("#compare-open-new")
    page.wait_for_function("() => document.querySelector('#doc-name').textContent.includes('c01_')")
    assert page.is_hidden("#compare")
    assert not page.problems, page.problems


def test_annotated_word_draft_offered_for_a_kept_docx(server, page, tmp_path):
    import io

    from docx import Document

    corpus_docx = ROOT / "fixtures" / "corpus" / "c03_anquan-baomi-buchong.docx"
    review(page, server, corpus_docx)  # not kept: the memo only
    assert page.is_visible("#dl-docx") and page.is_hidden("#dl-annotated") and page.is_hidden("#dl-redline")

    review(page, server, corpus_docx, keep=True)
    assert page.is_visible("#dl-annotated") and page.is_visible("#dl-redline")
    assert page.text_content("#dl-annotated") == "下载批注版Word"
    with page.expect_download() as got:
        page.click("#dl-annotated")
    download = got.value
    assert download.suggested_filename.endswith("-审查批注.docx")
    data = Path(download.path()).read_bytes()
    comments = list(Document(io.BytesIO(data)).comments)
    assert comments and all(c.author == "clausecheck" for c in comments)
    with page.expect_download() as got:
        page.click("#dl-docx")  # the memo stays one click away
    memo = Document(io.BytesIO(Path(got.value.path()).read_bytes()))
    assert memo.paragraphs[0].text.startswith("合同安全条款审查报告") and not list(memo.comments)

    page.set_input_files("#file", str(SAMPLE))  # a text file, kept: no Word draft to annotate
    page.check("#keep")
    page.click("#submit")
    page.wait_for_function("() => document.querySelector('#doc-name').textContent.endsWith('.txt')")
    assert page.is_hidden("#dl-annotated")
    assert not page.problems, page.problems


def test_profiles_from_every_loaded_pack_are_offered_by_pack(server, page):
    page.goto(server + "/")
    page.wait_for_selector("#profile option[value='gov-cloud-extended']", state="attached")
    groups = page.eval_on_selector_all(
        "#profile optgroup", "gs => gs.map(g => [g.label, [...g.querySelectorAll('option')].map(o => o.value)])")
    by_pack = {label.split("（")[-1].split()[0]: values for label, values in groups}
    assert by_pack["clausecheck-core"] == ["party-gov-cloud", "archives-gov-cloud"]
    assert by_pack["gov-cloud-extended"] == ["gov-cloud-extended", "archives-gov-cloud-extended"]
    assert page.problems == []
