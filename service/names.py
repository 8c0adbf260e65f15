"""File names as people will see them: no terminal escapes, no control characters.

A name comes from whoever sent the file. Stored as given, "\\x1b[2J合同.docx" would clear the terminal
of whoever lists the batch, a U+202E would show "exe.docx" as "xcod.exe", and a newline would forge a
second line in a text report. Chinese, other scripts and ordinary punctuation are kept.
"""
from __future__ import annotations

import re
import unicodedata

# ESC-introduced sequences (CSI "ESC [ ... final", OSC "ESC ] ... BEL|ST", two-character escapes) and
# the 8-bit CSI/OSC introducers: removed whole, so no "[31m" remnants stay behind.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[ -~]?"
                   r"|\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x1b]*(?:\x07|\x1b\\)?")
_DROP = {"Cc", "Cf", "Zl", "Zp"}  # controls, invisible format characters (bidi overrides), line breaks


def clean_name(name: str) -> str:
    name = _ANSI.sub("", name)
    out = []
    for ch in name:
        cat = unicodedata.category(ch)
        if cat in _DROP:
            continue
        out.append("\ufffd" if cat == "Cs" else ch)  # undecodable bytes of a name on disk
    return "".join(out).strip()
