"""jieba's main dictionary, opened from a memory-mapped trie instead of unmarshalled into a dict.

A fresh jieba spends about two seconds building a Python dict of its 349,000 words and their
prefixes before it cuts a single sentence; a fresh `clausecheck check` needs only the few runs of
text where a rule's act was found. The same words and frequencies, stored once in a marisa-trie
file, open in milliseconds and answer exactly the lookups jieba's own DAG, route and HMM code make
(`frag in FREQ`, `FREQ[frag]`, `FREQ.get(frag)`), so the segmentation is jieba's, word for word
(tests/test_segment.py compares the two). Words added later (the contract user dictionary) go to a
small dict in front of the trie.

The trie is built from jieba's own dict.txt on first use (about 2 s, as jieba's own cache is) and
kept, named by that file's hash, in the cache directory; if it cannot be built or opened, jieba
loads its dictionary the usual way.
"""
from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)
_MISSING = object()


class TrieFreq:
    """The mapping jieba's Tokenizer keeps in FREQ: every word with its frequency, and every prefix of
    a word with 0."""

    def __init__(self, trie):
        self._trie = trie
        self._added: dict[str, int] = {}

    def get(self, key: str, default=None):
        v = self._added.get(key, _MISSING)
        if v is not _MISSING:
            return v
        rec = self._trie.get(key)
        if rec:
            return rec[0][0]
        if self._is_prefix(key):
            return 0
        return default

    def __contains__(self, key: str) -> bool:
        return key in self._added or self._is_prefix(key)

    def _is_prefix(self, key: str) -> bool:
        return next(self._trie.iterkeys(key), None) is not None

    def __getitem__(self, key: str) -> int:
        v = self.get(key, _MISSING)
        if v is _MISSING:
            raise KeyError(key)
        return v

    def __setitem__(self, key: str, value: int) -> None:
        self._added[key] = value


def cache_dir() -> Path:
    """CLAUSECHECK_CACHE_DIR, else $XDG_CACHE_HOME/clausecheck, else ~/.cache/clausecheck."""
    if os.environ.get("CLAUSECHECK_CACHE_DIR"):
        return Path(os.environ["CLAUSECHECK_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "clausecheck"


def _read_dict(data: bytes) -> tuple[dict[str, int], int]:
    """Words and the total frequency exactly as jieba's gen_pfdict reads dict.txt (a repeated word keeps
    its last frequency; the total counts every line)."""
    words: dict[str, int] = {}
    total = 0
    for line in data.decode("utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        word, freq = line.split(" ")[:2]
        words[word] = int(freq)
        total += int(freq)
    return words, total


def _paths(dict_bytes: bytes) -> tuple[Path, Path]:
    from importlib.metadata import version

    key = hashlib.sha256(dict_bytes).hexdigest()[:16]
    d = cache_dir()
    stem = f"jieba-{key}-marisa{version('marisa-trie')}"
    return d / f"{stem}.trie", d / f"{stem}.total"


def build(dict_bytes: bytes) -> tuple[Path, Path]:
    """Write the trie and its total frequency (atomically: a reader never sees half a file)."""
    import marisa_trie

    trie_path, total_path = _paths(dict_bytes)
    if trie_path.exists() and total_path.exists():
        return trie_path, total_path
    words, total = _read_dict(dict_bytes)
    trie_path.parent.mkdir(parents=True, exist_ok=True)
    trie = marisa_trie.RecordTrie("<I", ((w, (f,)) for w, f in words.items()))
    for path, write in ((total_path, lambda p: Path(p).write_text(str(total))), (trie_path, trie.save)):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".build-")
        os.close(fd)
        try:
            write(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return trie_path, total_path


def attach(tokenizer) -> bool:
    """Give an uninitialised jieba Tokenizer (its default dictionary) the trie-backed FREQ. False, and
    the tokenizer untouched, when that cannot be done; jieba then initialises itself as usual."""
    import jieba

    if tokenizer.initialized or tokenizer.dictionary != jieba.DEFAULT_DICT:
        return False
    try:
        import marisa_trie

        with tokenizer.get_dict_file() as fh:
            dict_bytes = fh.read()
        trie_path, total_path = build(dict_bytes)
        trie = marisa_trie.RecordTrie("<I")
        trie.mmap(str(trie_path))
        total = int(total_path.read_text())
    except Exception as exc:  # any failure: jieba's own loading still works, only slower
        log.warning("jieba dictionary trie unavailable (%s); loading jieba's dictionary instead",
                    type(exc).__name__)
        return False
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = TrieFreq(trie), total, True
    return True
