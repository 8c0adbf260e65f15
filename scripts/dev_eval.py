"""Development aid: scores on a labelled folder and the mismatches, optionally for some rules only.
Usage: python scripts/dev_eval.py DIR [RULE_ID...]"""
import sys, json
from pathlib import Path
from clause_library.evaluate import evaluate
from service.pipeline import review_path
r = evaluate(Path(sys.argv[1]), lambda p, prof: review_path(p, prof))
o = r['overall']; print({k: (round(v,3) if isinstance(v,float) else v) for k,v in o.items() if k!='confusion'}); print(o['confusion'])
only = sys.argv[2:] 
for m in r['mismatches']:
    if not only or m['requirement'] in only: print(m)
