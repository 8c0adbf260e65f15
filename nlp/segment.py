"""Word segmentation: jieba inside a blank spaCy Chinese pipeline, with the contract user dictionary.

No spaCy model is used (none may be downloaded); spacy.blank('zh') with the jieba segmenter gives
spaCy Docs whose tokens are jieba's words. jieba reads its own bundled dictionary and the user
dictionary in nlp/data/userdict.txt; nothing touches the network.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

USER_DICT = Path(__file__).with_name("data") / "userdict.txt"

_lock = threading.Lock()
_nlp = None
_jieba_ready = False


def user_terms(path: Path = USER_DICT) -> list[tuple[str, int | None, str | None]]:
    """(term, frequency, tag) from a user dictionary that may carry # comments."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip().lstrip("\ufeff")
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        tag = parts[-1] if len(parts) > 1 and not parts[-1].isdigit() else None
        out.append((parts[0], freq, tag))
    return out


def _jieba():
    """jieba with the contract user dictionary, loaded once (thread-safe). spaCy's zh tokenizer
    calls the same module-level jieba, so both see the same words."""
    global _jieba_ready
    if not _jieba_ready:
        with _lock:
            if not _jieba_ready:
                import jieba

                # jieba reports "Building prefix dict…" on stderr when it initialises; the CLI's stderr
                # is for errors only
                jieba.setLogLevel(logging.WARNING)
                from .jieba_dict import attach

                attach(jieba.dt)  # the dictionary from a mapped trie: milliseconds instead of seconds
                for term, freq, tag in user_terms():
                    jieba.add_word(term, freq, tag)
                _jieba_ready = True
    import jieba

    return jieba


def get_nlp():
    """The shared blank Chinese pipeline with jieba and the user dictionary (built once, thread-safe)."""
    global _nlp
    if _nlp is not None:
        return _nlp
    _jieba()
    with _lock:
        if _nlp is None:
            import spacy

            _nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    return _nlp


def tokenize(text: str):
    """A spaCy Doc of `text` (tokenizer only: the blank pipeline has no other components)."""
    return get_nlp().tokenizer(text)


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(token, start, end) for every non-whitespace token; offsets index into `text`."""
    return [(t.text, t.idx, t.idx + len(t.text)) for t in tokenize(text) if not t.is_space]


def search_tokens(text: str) -> list[tuple[str, int, int]]:
    """jieba's search-mode words with offsets: every dictionary word, and the shorter words inside
    longer ones (数字档案资源总库 also gives 档案, 资源, 总库), with the contract user dictionary."""
    return list(_jieba().tokenize(text, mode="search"))
