"""Contract structure: numbering schemes, nesting, traps, citations; and the five dev contracts."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nlp.document import assemble
from nlp.model import Block, Paragraph, RawDocument, Section
from nlp.structure import article_at, article_of, build_tree, cn_to_int, label_of, parse_sections

DEV = Path(__file__).parents[2] / "shared" / "corpus" / "dev"


def paragraphs(text: str, table_rows: bool = False) -> tuple[list[Paragraph], int]:
    """Lines to paragraphs with offsets, as nlp.document.assemble lays them out."""
    out, pos = [], 0
    for line in text.strip().split("\n"):
        body = line.strip()
        if not body:
            continue
        kind = "table_row" if table_rows and "｜" in body else "paragraph"
        out.append(Paragraph(index=len(out), text=body, start=pos, end=pos + len(body), kind=kind))
        pos += len(body) + 1
    return out, max(pos - 1, 0)


def sections(text: str) -> tuple[list[Section], str]:
    ps, n = paragraphs(text)
    return parse_sections(ps, n), "\n".join(p.text for p in ps)


def outline(secs: list[Section]) -> list[tuple[int, str]]:
    """(depth, label) for every node of the tree, in order."""
    out: list[tuple[int, str]] = []

    def walk(nodes: list[Section], depth: int) -> None:
        for s in nodes:
            out.append((depth, s.label))
            walk(s.children, depth + 1)

    walk(build_tree(secs), 0)
    return out


def cite(secs: list[Section], text: str, passage: str) -> str | None:
    return article_at(secs, text.index(passage))


# --- labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize("line,expected", [
    ("第三章 合同价款", ("chapter", "第三章")),
    ("第一章总则", ("chapter", "第一章")),
    ("第十二条 安全标准", ("article", "第十二条")),
    ("第二十一条乙方应当…", ("article", "第二十一条")),
    ("第3条 服务期", ("article", "第3条")),
    ("十一、协议期限", ("clause", "十一")),
    ("（三）丙方责任", ("clause", "（三）")),
    ("(三) 丙方责任", ("clause", "（三）")),
    ("1. 下列文件构成本合同", ("item", "1")),
    ("2、乙方应当", ("item", "2")),
    ("（1）计算资源", ("item", "（1）")),
    ("(2)存储资源", ("item", "（2）")),
    ("3）网络资源", ("item", "3）")),
    ("① 云主机", ("item", "①")),
    ("1.1 合同组成", ("article", "1.1")),
    ("2.1.3 鉴定与处置", ("clause", "2.1.3")),
    ("附件一 服务清单", ("attachment", "附件一")),
    ("附件2：报价明细", ("attachment", "附件2")),
    ("附件：安全保密承诺书（样式）", ("attachment", "附件")),
    ("## 第四章 网络安全", ("chapter", "第四章")),
])
def test_label_of(line, expected):
    assert label_of(line) == expected


@pytest.mark.parametrize("line", [
    "2024.7.1起执行新的价格",  # a date
    "2024年7月1日",
    "1.5万元由乙方承担",  # an amount
    "99.9%的可用性",
    "3个工作日内",
    "1｜云主机服务可用性｜≥99.95%｜按月统计",  # a table row
    "第五条约定的违约金不足以弥补损失的",  # a reference, not a heading
    "第三条至第五条不适用",
    "第四章所列数据",
    "附件与本协议具有同等法律效力。",
    "附件一《服务清单》所列资源按月结算。",
    "一方违约的",
    "（甲方、乙方以下合称“双方”）",
    "鉴于：",
])
def test_not_a_label(line):
    assert label_of(line) is None


def test_cn_numerals():
    assert [cn_to_int(s) for s in ("一", "十", "十二", "二十", "二十九", "一百零五", "两")] == \
        [1, 10, 12, 20, 29, 105, 2]
    assert cn_to_int("二三") is None and cn_to_int("条") is None


# --- numbering styles and nesting --------------------------------------------------------------

ARTICLES = """
采购合同
第一章 总则
第一条 合同文件
1. 下列文件构成本合同：
（1）本合同条款；
（2）中标通知书。
2. 上述文件不一致的，以在后者为准。
第二条 服务期
服务期自2024年7月1日起。
第二章 价款
第三条 价款
1. 合同总价1.5万元。
2. 按季度支付。
第四条 服务水平
序号｜指标｜承诺值
1｜云主机可用性｜≥99.95%
2｜故障响应｜≤15分钟
未达到的扣减服务费。
第五条 终止
（1）乙方违约的；
（2）乙方被吊销许可的。
（以下无正文）
甲方（盖章）：某市大数据局
"""


def test_articles_nest_under_chapters():
    secs, _ = sections(ARTICLES)
    assert outline(secs) == [
        (0, "第一章"), (1, "第一条"), (2, "1"), (3, "（1）"), (3, "（2）"), (2, "2"), (1, "第二条"),
        (0, "第二章"), (1, "第三条"), (2, "1"), (2, "2"), (1, "第四条"), (1, "第五条"), (2, "（1）"), (2, "（2）"),
    ]
    levels = {s.label: s.level for s in secs if s.label.startswith("第")}
    assert levels["第一章"] == "chapter" and levels["第三条"] == "article"


def test_flat_list_and_ends():
    secs, text = sections(ARTICLES)
    assert all(not s.children for s in secs)  # parse_sections stays flat; build_tree copies
    assert [s.start for s in secs] == sorted(s.start for s in secs)
    by = {(s.label, s.start): s for s in secs}
    first = next(s for s in secs if s.label == "第一条")
    second = next(s for s in secs if s.label == "第二条")
    assert first.end == second.start
    chapter1 = next(s for s in secs if s.label == "第一章")
    assert chapter1.end == text.index("第二章")
    # the last article stops at （以下无正文）, not in the signature block
    last = next(s for s in secs if s.label == "第五条")
    assert last.end == text.index("（以下无正文）")
    assert len(by) == len(secs)
    tree = build_tree(secs)
    assert [c.label for c in tree[0].children] == ["第一条", "第二条"]


def test_article_traps():
    secs, text = sections(ARTICLES)
    labels = [s.label for s in secs]
    assert labels.count("1") == 2 and labels.count("2") == 2  # table rows "1｜…" are not items
    assert cite(secs, text, "合同总价1.5万元") == "第三条第1项"  # 1.5万元 is not a clause 1.5
    assert cite(secs, text, "未达到的扣减服务费") == "第四条"
    assert cite(secs, text, "服务期自2024") == "第二条"


def test_citations_article_style():
    secs, text = sections(ARTICLES)
    assert cite(secs, text, "第一条 合同文件") == "第一条"
    assert cite(secs, text, "上述文件不一致") == "第一条第2项"
    assert cite(secs, text, "中标通知书") == "第一条第1项第（2）目"
    assert cite(secs, text, "乙方被吊销") == "第五条第（2）项"
    assert cite(secs, text, "第二章 价款") == "第二章"
    assert cite(secs, text, "采购合同") is None
    assert cite(secs, text, "某市大数据局") is None


CN_STYLE = """
三方协议
鉴于：
1. 乙方负责政务云平台的建设管理；
2. 甲方拟将档案数据部署于政务云平台。
为此，三方签订本协议。
一、定义
（一）档案数据：指甲方的档案目录数据。
（二）服务期：指三年。
二、服务内容
（一）服务内容
丙方提供以下服务：
1. 计算资源：云主机12台；
2. 存储资源：块存储30TB。
（二）使用范围
1. 甲方部署的数据限于以下范围：
（1）已开放档案的目录数据；
（2）门户网站数据。
2. 其他数据不得部署。
三、数据保护
（一）档案数据归甲方所有。
（二）丙方不得私自访问档案数据。
附件1：上云数据清单
序号｜名称｜数据量
1｜开放档案目录｜约86万条
附件2：服务水平指标
1. 云主机可用性不低于99.95%。
"""


def test_cn_style_hierarchy_and_recitals():
    secs, text = sections(CN_STYLE)
    assert outline(secs) == [
        (0, "鉴于"), (1, "1"), (1, "2"),
        (0, "一"), (1, "（一）"), (1, "（二）"),
        (0, "二"), (1, "（一）"), (2, "1"), (2, "2"), (1, "（二）"), (2, "1"), (3, "（1）"), (3, "（2）"), (2, "2"),
        (0, "三"), (1, "（一）"), (1, "（二）"),
        (0, "附件1"), (0, "附件2"), (1, "1"),
    ]
    top = {s.label: s.level for s in build_tree(secs)}
    assert top["一"] == "article" and top["附件1"] == "attachment"


def test_cn_style_citations():
    secs, text = sections(CN_STYLE)
    assert cite(secs, text, "丙方不得私自访问") == "三（二）"
    assert cite(secs, text, "存储资源") == "二（一）2"
    assert cite(secs, text, "门户网站数据") == "二（二）1（2）"
    assert cite(secs, text, "指三年") == "一（二）"
    assert cite(secs, text, "甲方拟将档案数据") == "鉴于第2项"
    assert cite(secs, text, "开放档案目录") == "附件1"
    assert cite(secs, text, "云主机可用性不低于") == "附件2第1条"


DECIMAL = """
云服务合同
1 总则
1.1 合同组成
1.1.1 本合同由下列文件组成。
1.1.2 上述文件如有矛盾，以本合同条款为准。
1.2 定义
1.2.1 “本系统”：指档案管理系统。
2 服务内容
2.1 系统功能
2.1.1 档案收集与整理。
2.1.2 档案管理：删除的条目进入回收站。
12.30前完成全部迁移。
2.2 费用
超出部分按1.2万元/TB计费。
3 安全与保密
3.1 乙方应按照网络安全等级保护第二级的要求落实防护措施。
3.2 甲方数据不得存储于境外。
"""


def test_decimal_hierarchy():
    secs, text = sections(DECIMAL)
    assert outline(secs) == [
        (0, "1"), (1, "1.1"), (2, "1.1.1"), (2, "1.1.2"), (1, "1.2"), (2, "1.2.1"),
        (0, "2"), (1, "2.1"), (2, "2.1.1"), (2, "2.1.2"), (1, "2.2"),
        (0, "3"), (1, "3.1"), (1, "3.2"),
    ]
    levels = {s.label: s.level for s in secs}
    assert levels["1"] == "chapter" and levels["1.1"] == "article" and levels["2.1.2"] == "clause"
    assert cite(secs, text, "删除的条目") == "2.1.2"
    assert cite(secs, text, "12.30前") == "2.1.2"  # a date at a line start is not clause 12.30
    assert cite(secs, text, "1.2万元") == "2.2"
    assert cite(secs, text, "境外") == "3.2"


def test_numbered_headings_with_decimals():
    """'1. 总则' followed by 1.1 is a level-1 heading, not an item."""
    secs, text = sections("1. 总则\n1.1 本合同适用于政务云服务。\n2. 数据\n2.1 数据归甲方所有。\n2.2 不得出境。")
    assert outline(secs) == [(0, "1"), (1, "1.1"), (0, "2"), (1, "2.1"), (1, "2.2")]
    assert cite(secs, text, "不得出境") == "2.2"


def test_decimal_headings_without_subclauses():
    """'2. 服务期限' has no 2.1 but continues the run of headings 1, 2, 3; a list inside 3.1 does not."""
    text = ("1. 维保范围\n1.1 维保设备见附件。\n2. 服务期限\n服务期限为一年。\n3. 服务要求\n"
            "3.1 乙方应提供以下服务：\n1. 故障受理；\n2. 现场维修；\n3. 备件更换；\n4. 固件升级。\n4. 巡检\n"
            "乙方每季度巡检一次。")
    secs, text = sections(text)
    assert outline(secs) == [(0, "1"), (1, "1.1"), (0, "2"), (0, "3"), (1, "3.1"), (2, "1"), (2, "2"), (2, "3"),
                             (2, "4"), (0, "4")]
    assert cite(secs, text, "服务期限为一年") == "第2条"
    assert cite(secs, text, "现场维修") == "3.12"
    assert cite(secs, text, "每季度巡检") == "第4条"


def test_attachment_with_its_own_numbering():
    text = ("第一条 数据处理\n乙方按附件一处理数据。\n附件一 处理说明\n1. 数据类别：姓名、证件号码。\n"
            "2. 处理目的：\n2.1 提供服务；\n2.2 改进服务。\n3. 处理期限：服务期内。")
    secs, text = sections(text)
    assert outline(secs) == [(0, "第一条"), (0, "附件一"), (1, "1"), (1, "2"), (2, "2.1"), (2, "2.2"), (1, "3")]
    assert cite(secs, text, "改进服务") == "附件一2.2"
    assert cite(secs, text, "服务期内") == "附件一第3条"
    assert cite(secs, text, "姓名") == "附件一第1条"


def test_first_scheme_on_top_when_unusual():
    """1. above （一）, and 一、 above 第X条: the document's own nesting wins over the usual order."""
    secs, text = sections("1. 服务内容\n（一）云主机\n（二）存储\n2. 费用\n（一）按季度支付\n（二）开具发票")
    assert outline(secs) == [(0, "1"), (1, "（一）"), (1, "（二）"), (0, "2"), (1, "（一）"), (1, "（二）")]
    assert cite(secs, text, "开具发票") == "第2条第（二）项"
    secs, text = sections("一、总则\n第一条 目的\n本合同旨在…\n第二条 范围\n二、安全\n第三条 安全责任\n乙方负责。")
    assert outline(secs) == [(0, "一"), (1, "第一条"), (1, "第二条"), (0, "二"), (1, "第三条")]
    assert cite(secs, text, "乙方负责") == "第三条"


def test_articles_restarting_per_chapter_are_cited_with_the_chapter():
    secs, text = sections("第一章 总则\n第一条 目的\n甲方采购。\n第二章 安全\n第一条 责任\n（1）乙方监测。")
    assert cite(secs, text, "甲方采购") == "第一章第一条"
    assert cite(secs, text, "乙方监测") == "第二章第一条第（1）项"


def test_signature_line_inside_a_clause_does_not_end_the_body():
    secs, text = sections("第一条 生效\n本合同经双方授权代表（签字）并加盖公章后生效。\n乙方应按时交付。")
    assert cite(secs, text, "乙方应按时交付") == "第一条"


def test_table_rows_by_kind():
    ps, n = paragraphs("第一条 资源\n1 云主机 8台\n2 对象存储 800TB\n第二条 费用", table_rows=False)
    ps[1].kind = ps[2].kind = "table_row"
    secs = parse_sections(ps, n)
    assert [s.label for s in secs] == ["第一条", "第二条"]


def test_attached_agreement_keeps_its_articles():
    text = "订购单\n一、订购内容\n二、付款方式：一次性支付。\n附件：云服务协议\n第一条 定义\n第二条 数据\n（1）用户数据归用户所有。"
    secs, text = sections(text)
    assert outline(secs) == [(0, "一"), (0, "二"), (0, "附件"), (1, "第一条"), (1, "第二条"), (2, "（1）")]
    assert cite(secs, text, "用户数据归用户") == "第二条第（1）项"


def test_describe():
    import json

    from nlp.describe import describe, describe_text

    raw = RawDocument(format="txt", blocks=[Block(text=line) for line in ARTICLES.strip().split("\n")])
    doc = assemble(raw, "sample.txt", "0" * 64)
    d = describe(doc)
    json.dumps(d, ensure_ascii=False)
    assert d["format"] == "txt" and d["characters"] == len(doc.text) and d["token_count"] > 50
    assert d["sentence_count"] == len(doc.sentences)
    first = d["structure"][0]
    assert (first["level"], first["label"], first["title"]) == ("chapter", "第一章", "总则")
    article = first["children"][0]
    assert article["cite"] == "第一条" and article["children"][0]["cite"] == "第一条第1项"
    assert doc.text[article["start"]:].startswith("第一条")
    out = describe_text(doc)
    assert "格式：txt" in out and "结构：" in out
    assert "  第一章 总则  [" in out and "    第一条 合同文件  [" in out and "      1. 下列文件构成本合同" in out


def test_article_of_citation():
    assert [article_of(c) for c in ("第十条第4项", "第七条第（2）项", "二（三）1", "附件二第1条第（2）项", "鉴于第2项",
                                    "1.2.3", None)] == ["第十条", "第七条", "二", "附件二第1条", "鉴于", "1.2.3", None]


def test_empty():
    assert parse_sections([], 0) == [] and build_tree([]) == [] and article_at([], 0) is None


# --- the dev contracts -------------------------------------------------------------------------

CN_NUM = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]


def cn(n: int) -> str:
    if n <= 10:
        return CN_NUM[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_NUM[tens - 1]) + "十" + (CN_NUM[ones - 1] if ones else "")


def load(pattern: str):
    if not DEV.is_dir():
        pytest.skip("shared corpus not present")
    path = next(DEV.glob(pattern))
    text = path.read_text(encoding="utf-8")
    raw = RawDocument(format="txt", blocks=[Block(text=line) for line in text.split("\n") if line.strip()])
    return assemble(raw, path.name, hashlib.sha256(text.encode()).hexdigest())


def sentence_cite(doc, passage: str) -> str | None:
    at = doc.text.index(passage)
    return next(s.article for s in doc.sentences if s.start <= at < s.end)


def test_dev01_chapters_and_articles():
    doc = load("dev01_*.txt")
    tree = build_tree(doc.sections)
    assert [s.label for s in tree] == [f"第{cn(i)}章" for i in range(1, 12)]
    articles = [a.label for ch in tree for a in ch.children]
    assert articles == [f"第{cn(i)}条" for i in range(1, 30)]
    assert all(a.level == "article" for ch in tree for a in ch.children)
    assert sentence_cite(doc, "原则上应设在中华人民共和国境内") == "第十八条第1项"
    assert sentence_cite(doc, "乙方承诺达到下列服务水平指标") == "第九条"
    assert sentence_cite(doc, "同一自然年度内累计三个月") == "第九条"  # after the SLA table
    assert sentence_cite(doc, "乙方承诺，其为本项目提供服务的政务云平台") == "第十三条"
    assert sentence_cite(doc, "中恒电信股份有限公司云江市分公司\n负责人或授权") is None


def test_dev02_cn_outline():
    doc = load("dev02_*.txt")
    tree = build_tree(doc.sections)
    assert [s.label for s in tree] == ["鉴于"] + [cn(i) for i in range(1, 14)] + ["附件1", "附件2"]
    two = tree[2]
    assert [c.label for c in two.children] == ["（一）", "（二）", "（三）"]
    assert sentence_cite(doc, "丙方有权在相关费用结清之前") == "八（二）"
    assert sentence_cite(doc, "档案数据和档案业务系统的管理，应符合") == "五（二）"
    assert sentence_cite(doc, "已向社会开放档案的目录数据及全文") == "二（二）1（1）"
    assert sentence_cite(doc, "开放档案目录数据｜") in (None, "附件1")


def test_dev03_decimal_outline():
    doc = load("dev03_*.txt")
    tree = build_tree(doc.sections)
    assert [s.label for s in tree] == [str(i) for i in range(1, 15)] + ["附件2"]
    assert all(s.level == "chapter" for s in tree[:-1])
    assert [c.label for c in tree[1].children] == [f"2.{i}" for i in range(1, 9)]
    assert sentence_cite(doc, "删除的条目进入回收站") == "2.1.2"
    assert sentence_cite(doc, "报告格式和内容由乙方确定") == "4.3.1"
    assert sentence_cite(doc, "完成等级保护备案和测评") == "5.1"
    assert sentence_cite(doc, "系统月度可用率：不低于99.5%") == "4.1"


def test_dev04_attached_agreement():
    doc = load("dev04_*.txt")
    tree = build_tree(doc.sections)
    assert [s.label for s in tree] == [cn(i) for i in range(1, 7)] + ["附件"]
    assert [a.label for a in tree[-1].children] == [f"第{cn(i)}条" for i in range(1, 18)]
    assert sentence_cite(doc, "可能将用户数据和使用数据传输至") == "第五条第（2）项"
    assert sentence_cite(doc, "服务商将在终止后保留用户数据15日") == "第七条第（2）项"
    assert sentence_cite(doc, "请用户在签署订购单前仔细阅读") == "附件"


def test_dev05_recitals_and_attachment():
    doc = load("dev05_*.txt")
    tree = build_tree(doc.sections)
    assert [s.label for s in tree] == ["鉴于"] + [cn(i) for i in range(1, 11)] + ["附件"]
    assert [c.label for c in tree[3].children] == [str(i) for i in range(1, 8)]
    assert sentence_cite(doc, "乙方人员上岗前，乙方应当对其进行背景调查") == "三1"
    assert sentence_cite(doc, "参保人员个人信息，包括姓名") == "一1（2）"
    assert sentence_cite(doc, "不向任何单位和个人透露") == "附件第二条"  # not 附件二
    assert sentence_cite(doc, "承诺人（签字）") is None
