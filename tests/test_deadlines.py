"""Deadlines normalised from contract wording (cn2an for Chinese numerals), and the incident-reporting
rule reading them: a report due within a day is prompt, one due in thirty days is not."""
from __future__ import annotations

import pytest

from nlp.deadlines import find_deadlines

from test_frames import finding


@pytest.mark.parametrize("text,kind,hours", [
    ("应在两小时内报告", "within", 2), ("须于1小时以内告知", "within", 1), ("半小时内", "within", 0.5),
    ("五个工作日内", "within", 120), ("十五日内", "within", 360), ("立即报告", "immediate", 0),
    ("保留期不少于九十日", "period", 2160),
])
def test_deadline_is_normalised(text, kind, hours):
    d = find_deadlines(text)[0]
    assert (d.kind, d.hours) == (kind, hours)


def test_prompt_without_a_figure():
    assert [d.kind for d in find_deadlines("乙方应及时报告")] == ["prompt"]


PRE = "甲方（采购人）：某市人力资源和社会保障局\n乙方（服务商）：某信息技术有限公司\n"


def test_report_within_hours_is_prompt():
    f = finding(PRE + "乙方发生网络安全事件的，应在三小时内告知甲方，同时报告属地公安机关。", "incident-reporting")
    assert f["status"] == "satisfied"


def test_report_within_a_month_is_not_prompt():
    f = finding(PRE + "乙方发生网络安全事件的，应在二十个工作日内告知甲方，同时报告属地公安机关。", "incident-reporting")
    assert f["status"] == "weak"
    assert any("及时报告" in r for r in f["reasons"])
    assert "二十个工作日内" in f["evidence"][0]["text"]


def test_absurd_numbers_are_not_deadlines():
    """Hostile input: a 4,200-digit Chinese numeral before 小时 overflowed float(); it is no deadline."""
    from nlp.deadlines import find_deadlines

    text = "乙方应在" + "九" * 4200 + "小时内报告，并应在2小时内通知甲方。"
    found = [d for d in find_deadlines(text) if d.kind == "within"]
    assert [d.hours for d in found] == [2]
