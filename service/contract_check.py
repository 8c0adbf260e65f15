"""Does the text look like a contract at all? A two-word note or a price list reviewed against a
profile comes back with every requirement "missing", which reads like a verdict on a bad contract.
This small heuristic catches such input so that the reports can say so plainly first.

A contract has some length, names its parties or calls itself an agreement, is organised in
articles, and imposes duties (应/须/不得). Missing several of those, the text is flagged."""
from __future__ import annotations

import re

MIN_CHARS = 200  # non-blank characters; even a one-page rental agreement has more
MIN_MARKERS = 3  # kinds of contract marker, of MARKERS below
MIN_DUTIES = 2  # obligation phrases

MARKERS = {
    "parties": re.compile(r"[甲乙丙丁]方|委托方|受托方|采购人|采购方|供应商|服务商|服务方|服务提供[者方]|需求方|买方|卖方|"
                          r"承租方|出租方|使用单位|运营单位|管理方|用户方"),
    "agreement": re.compile(r"合同|协议|契约|约定|订单条款|服务条款"),
    "articles": re.compile(r"条款|第\s*[一二三四五六七八九十百零〇\d]+\s*[条章款节]|(?m:^\s*\d+(\.\d+)+\s*\S)"),
    "both": re.compile(r"双方|三方|各方|一方|对方"),
    "service": re.compile(r"服务|数据|信息|系统"),
    "liability": re.compile(r"违约|责任|赔偿|终止|解除|争议|保密"),
    "signing": re.compile(r"签订|签署|签字|盖章|生效|有效期"),
}
# 应 as a duty, not inside 应用/供应/对应/响应/相应/反应/适应/回应/应急
DUTIES = re.compile(r"应当|必须|不得|严禁|禁止|(?<![供对响相反适回])应(?![用急])|须|承诺|负责|保证")

WARNING_SHORT = "该文件正文只有{n}个字，看起来不是一份完整的合同；以下各项“缺失”不代表合同存在缺陷，请确认上传的是合同正文。"
WARNING_NOT_CONTRACT = ("该文件看起来不是合同（未发现足够的合同要素，如甲方/乙方、条款编号、“应/须/不得”等义务用语），"
                        "可能是价格表、说明材料或其他文件；以下各项“缺失”不代表合同存在缺陷，请确认上传的是合同正文。")


def assess(text: str) -> dict:
    """{'contract': bool, 'characters': n, 'markers': [...], 'duties': n, 'warning': str | None}"""
    chars = sum(1 for ch in text if not ch.isspace())
    markers = sorted(k for k, rx in MARKERS.items() if rx.search(text))
    duties = len(DUTIES.findall(text))
    warning = None
    if chars < MIN_CHARS:
        warning = WARNING_SHORT.format(n=chars)
    elif len(markers) < MIN_MARKERS or duties < MIN_DUTIES:
        warning = WARNING_NOT_CONTRACT
    return {"contract": warning is None, "characters": chars, "markers": markers, "duties": duties,
            "warning": warning}


def annotate(review: dict, text: str) -> dict:
    """Put the warning first among the document's warnings (and flag the document) when the text
    does not look like a contract. Returns the same review."""
    verdict = assess(text)
    doc = review.setdefault("document", {})
    if verdict["warning"]:
        warnings = [w for w in doc.get("warnings", []) if w != verdict["warning"]]
        doc["warnings"] = [verdict["warning"], *warnings]
        doc["not_contract"] = True
    return review


def is_flagged(review: dict) -> bool:
    return bool((review.get("document") or {}).get("not_contract"))


def flag_warning(review: dict) -> str | None:
    doc = review.get("document") or {}
    if not doc.get("not_contract"):
        return None
    return next(iter(doc.get("warnings") or []), None)
