"""`--profile auto`: archives departments get the archives profile, everyone else the CAC one."""
from __future__ import annotations

import re

from nlp.model import Document

_ARCHIVES = re.compile(r"档案馆|档案局|档案部门")


def choose_profile(doc: Document) -> str:
    customers = " ".join(doc.parties.get("customer", []))
    title = doc.text[:200]
    if _ARCHIVES.search(customers) or _ARCHIVES.search(title) or doc.text.count("档案数据") >= 3:
        return "archives-gov-cloud"
    return "party-gov-cloud"
