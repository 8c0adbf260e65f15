"""Development aid: every passage that a rule's signals fire on in one file.
Usage: python scripts/rule_hits.py FILE RULE_ID"""
import sys
from clause_library.library import library
from clause_library.engine import DocContext, _match_signal
from nlp import read_path
doc = read_path(sys.argv[1]); ctx = DocContext(doc); rule = library().rules[sys.argv[2]]
print(doc.parties)
for p in ctx.passages:
    for sig in rule.signals:
        h = _match_signal(ctx, sig, p)
        if h:
            f = ctx.analyzer.facts(p.text)
            print(h.role, sig.name, h.reasons, '|', p.article, p.text[:120])
