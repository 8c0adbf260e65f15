"""`--profile auto`: archives departments get the archives profile, everyone else the CAC one; a
profile of a rule pack may then take the place of the chosen one when the contract cites the laws it
rests on (its `auto:` in profiles.yaml: `replaces` the chosen profile, `cites` patterns). Contracts
that cite none of them are chosen for exactly as before."""
from __future__ import annotations

import re

from nlp.model import Document

_ARCHIVES = re.compile(r"档案馆|档案局|档案部门")


def base_profile(doc: Document) -> str:
    customers = " ".join(doc.parties.get("customer", []))
    title = doc.text[:200]
    if _ARCHIVES.search(customers) or _ARCHIVES.search(title) or doc.text.count("档案数据") >= 3:
        return "archives-gov-cloud"
    return "party-gov-cloud"


def choose_profile(doc: Document, lib=None) -> str:
    from .library import library

    chosen = base_profile(doc)
    lib = lib or library()
    for prof in lib.profiles.values():  # load order: the built-in first, then the packs
        if prof.auto and prof.auto.replaces == chosen and any(re.search(c, doc.text) for c in prof.auto.cites):
            return prof.id
    return chosen
