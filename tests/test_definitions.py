"""Defined terms, including "<body>，均为/统称<term>" read backwards from the naming words."""
from __future__ import annotations

import subprocess
import sys

from nlp.definitions import find_definitions


def test_named_after_takes_the_sentence_before_the_comma():
    text = "甲方开展业务时上传、存储和处理的文件与记录，均为甲方的业务数据。乙方不得使用。"
    # the possessive before the term is not a customer word here, so it stays in the term
    assert find_definitions("您上传的文件与记录，均为您的用户业务数据。") == {"用户业务数据": "您上传的文件与记录"}
    defs = find_definitions(text)
    assert list(defs.values()) == ["甲方开展业务时上传、存储和处理的文件与记录"]


def test_named_after_stays_in_its_sentence_and_needs_a_body():
    assert find_definitions("第一条。数据，统称“客户内容”。") == {}  # "数据" is under 4 characters
    defs = find_definitions("与本合同无关的说明；您存储的图片和文档，统称“客户内容”。")
    assert defs == {"客户内容": "您存储的图片和文档"}


def test_a_long_line_without_sentence_ends_is_read():
    """Hostile input: 240,000 characters with no sentence end, read in a child under the issue's 30 s
    bound (a guard against hanging, not a speed test: bench/ measures speed)."""
    code = ("from nlp.definitions import find_definitions\n"
            "assert list(find_definitions('数据，' * 80000 + '统称客户内容')) == ['客户内容']\n"
            "find_definitions('记录' * 120000)\n")
    run = subprocess.run([sys.executable, "-c", code], timeout=30, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
