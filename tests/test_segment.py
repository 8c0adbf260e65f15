"""Segmentation (jieba inside spaCy, user dictionary, offline, quiet, fast) and substring term matching."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from nlp.segment import get_nlp, tokens, user_terms
from nlp.terms import TermHit, TermMatcher

ROOT = Path(__file__).parents[1]
DEV = Path(__file__).parents[2] / "shared" / "corpus" / "dev"


def words(text: str) -> list[str]:
    return [t for t, _, _ in tokens(text)]


def test_pipeline_is_blank_zh_with_jieba_and_cached():
    nlp = get_nlp()
    assert nlp.lang == "zh"
    assert nlp.pipe_names == []  # no model, no components
    assert nlp.tokenizer.segmenter == "jieba"
    assert get_nlp() is nlp


def test_user_dictionary_terms_kept_whole():
    terms = [t for t, _, _ in user_terms()]
    assert len(terms) >= 150
    for term in ("政务云", "网络安全等级保护", "数字档案资源总库", "档案行业网络与信息安全信息通报平台",
                 "彻底删除", "不可恢复", "原则上"):
        assert term in terms
    # each term survives inside a sentence, not only on its own
    broken = [t for t in terms if t not in words(f"根据{t}的规定")]
    assert broken == []


def test_tokens_offsets_and_no_whitespace():
    text = "乙方应在15个工作日内彻底删除档案数据，确保数据不可恢复。\n  甲方 有权 监督。"
    toks = tokens(text)
    assert all(text[s:e] == t for t, s, e in toks)
    assert all(t.strip() for t, _, _ in toks)
    assert "彻底删除" in words(text) and "不可恢复" in words(text) and "有权" in words(text)
    # jieba, not spaCy's default one-character segmentation
    assert "档案数据" in words(text) and len(toks) < len(text.replace(" ", "").replace("\n", "")) / 1.5


def test_segmentation_offline_and_quiet():
    """A fresh interpreter with sockets disabled segments fine and prints nothing on stderr."""
    code = (
        "import socket\n"
        "def no_network(*a, **k):\n"
        "    raise RuntimeError('network used')\n"
        "socket.socket.connect = no_network\n"
        "socket.socket.connect_ex = no_network\n"
        "socket.create_connection = no_network\n"
        "socket.getaddrinfo = no_network\n"
        "from nlp.segment import tokens\n"
        "print([t for t, _, _ in tokens('政务云平台应符合网络安全等级保护第三级要求')])\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "政务云平台" in run.stdout and "网络安全等级保护" in run.stdout
    assert run.stderr.strip() == ""


def test_segmentation_speed():
    """About 60 pages (60,000 characters) of contract text in well under a few seconds."""
    if DEV.is_dir():
        sample = "\n".join(p.read_text(encoding="utf-8") for p in sorted(DEV.glob("*.txt")))
    else:
        sample = "乙方应按照网络安全等级保护第三级的要求进行建设、运营和管理，并接受甲方监督检查。\n" * 50
    text = (sample * (60_000 // len(sample) + 1))[:60_000]
    get_nlp()
    started = time.perf_counter()
    toks = tokens(text)
    elapsed = time.perf_counter() - started
    assert len(toks) > 20_000
    assert elapsed < 5.0, f"60k characters took {elapsed:.2f}s"


# --- TermMatcher -------------------------------------------------------------------------------


def test_term_inside_a_longer_word_that_phrasematcher_misses():
    from spacy.matcher import PhraseMatcher

    text = "乙方应遵守《中华人民共和国数据安全法》。"
    assert "数据安全法" in words(text) and "数据安全" not in words(text)

    nlp = get_nlp()
    pm = PhraseMatcher(nlp.vocab)
    pm.add("TERM", [nlp.make_doc("数据安全")])
    assert pm(nlp.make_doc(text)) == []  # token-based: the term is half a token

    hits = TermMatcher(["数据安全"]).find(text)
    assert hits == [TermHit("数据安全", text.index("数据安全"), text.index("数据安全") + 4)]
    assert TermMatcher(["数据安全"]).find_aligned(text) == [(hits[0], False)]
    whole = TermMatcher(["数据安全法"]).find_aligned(text)
    assert [(h.term, aligned) for h, aligned in whole] == [("数据安全法", True)]


def test_longest_first_and_overlapping():
    m = TermMatcher(["等级保护", "网络安全", "网络安全等级保护", "安全"])
    text = "落实网络安全等级保护制度，开展等级保护测评"
    assert [h.term for h in m.find(text)] == ["网络安全等级保护", "等级保护"]
    every = m.find(text, overlapping=True)
    assert [h.term for h in every] == ["网络安全等级保护", "网络安全", "安全", "等级保护", "等级保护"]
    assert all(text[h.start:h.end] == h.term for h in every)
    assert m.search("无关文字") is None and m.search(text).term == "网络安全等级保护"


def test_term_matcher_case_and_edge_cases():
    m = TermMatcher(["GB/T 22239", "ISO/IEC 27001"], ignore_case=True)
    hits = m.find("符合gb/t 22239和iso/iec 27001")
    assert [h.term for h in hits] == ["GB/T 22239", "ISO/IEC 27001"]
    assert TermMatcher([]).find("任何文字") == []
    assert TermMatcher(["a.b"]).find("axb") == []  # terms are literal, not patterns


@pytest.mark.parametrize("term", ["境外", "工作秘密", "背景调查"])
def test_terms_found_regardless_of_segmentation(term):
    text = f"不得在{term}存储，涉及{term}的除外"
    assert len(TermMatcher([term]).find(text)) == 2


def _standard_and_trie_tokenizers(tmp_path):
    """Two fresh jieba Tokenizers on jieba's own dictionary: one loaded as jieba loads it, one opened
    from the mapped trie (built here, in an empty cache directory)."""
    import jieba

    from nlp import jieba_dict

    standard = jieba.Tokenizer()
    standard.tmp_dir = str(tmp_path)
    standard.initialize()
    trie = jieba.Tokenizer()
    assert jieba_dict.attach(trie) is True
    assert isinstance(trie.FREQ, jieba_dict.TrieFreq)
    return standard, trie


def test_trie_dictionary_segments_exactly_as_jieba(tmp_path, monkeypatch):
    """The trie is a faster store, not another segmenter: default, search mode, HMM on and off, and
    after adding user words, every word and offset equals jieba's on its own dictionary."""
    monkeypatch.setenv("CLAUSECHECK_CACHE_DIR", str(tmp_path / "cache"))
    standard, trie = _standard_and_trie_tokenizers(tmp_path)
    assert trie.total == standard.total
    texts = [p.read_text(encoding="utf-8") for p in sorted(DEV.glob("*.txt"))]
    real = DEV.parent / "real"
    texts += [p.read_text(encoding="utf-8")[:20000] for p in sorted(real.glob("*.txt"))[:6]]
    texts.append("服务商将在用户下单时选定的地域和可用区内存放用户上传的数据；ABC-12云主机，99.95%。")
    assert sum(map(len, texts)) > 50000
    for tk in (standard, trie):
        for term, freq, tag in user_terms():
            tk.add_word(term, freq, tag)
    for text in texts:
        assert list(trie.tokenize(text, mode="search")) == list(standard.tokenize(text, mode="search"))
        assert list(trie.cut(text, HMM=False)) == list(standard.cut(text, HMM=False))
    # lookups jieba makes: a word, a bare prefix (0), an unknown string (absent)
    for key in ("数据", "数据安", "政务云", "彻底删除", "zz不存在", "彻"):
        assert (key in trie.FREQ) == (key in standard.FREQ)
        assert trie.FREQ.get(key) == standard.FREQ.get(key)
    assert (tmp_path / "cache").is_dir() and any((tmp_path / "cache").glob("jieba-*.trie"))


def test_trie_dictionary_falls_back_to_jieba_when_the_cache_cannot_be_written(tmp_path, monkeypatch):
    import jieba

    from nlp import jieba_dict

    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv("CLAUSECHECK_CACHE_DIR", str(blocked / "cache"))
    tk = jieba.Tokenizer()
    assert jieba_dict.attach(tk) is False
    assert tk.initialized is False and tk.FREQ == {}  # untouched: jieba initialises itself as usual
    tk.tmp_dir = str(tmp_path)
    assert "政务" in tk.lcut("政务云服务")[0]
