#!/usr/bin/env python3
"""Checks Tests/Relevance/queries.json: its shape, the counts per kind, and that every needle
occurs in the corpus (whitespace removed on both sides) and every `absent` term does not.
Usage: python3 Tests/Relevance/check.py [CORPUS_DIR]   (exit 1 on any problem)"""
import json, os, re, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
corpus_dir = sys.argv[1] if len(sys.argv) > 1 else next(
    (d for d in [os.environ.get("PLANSEARCH_CORPUS", ""), os.path.join(root, "..", "shared", "corpus"), "/work/shared/corpus"]
     if d and os.path.exists(os.path.join(d, "itc-programme-plan-2021.txt"))), "")
squeeze = lambda s: re.sub(r"\s+", "", s)
text = "".join(squeeze(open(os.path.join(corpus_dir, f), encoding="utf-8").read())
               for f in sorted(os.listdir(corpus_dir)) if f.endswith(".txt"))
data = json.load(open(os.path.join(here, "queries.json"), encoding="utf-8"))
kinds = {"term": 10, "keywords": 10, "phrase": 10, "question": 8, "mixed": 8, "traditional": 6, "abbreviation": 6, "noanswer": 8}
problems, counts, ids = [], {}, set()
for q in data["queries"]:
    if q["id"] in ids: problems.append(f"{q['id']}: duplicate id")
    ids.add(q["id"])
    if q["kind"] not in kinds: problems.append(f"{q['id']}: unknown kind {q['kind']}")
    counts[q["kind"]] = counts.get(q["kind"], 0) + 1
    if q["kind"] == "noanswer":
        if q["needles"]: problems.append(f"{q['id']}: a no-answer query has needles")
        for term in q.get("absent", []):
            if squeeze(term) in text: problems.append(f"{q['id']}: '{term}' does occur in the corpus")
    elif not q["needles"]:
        problems.append(f"{q['id']}: no needles")
    for n in q["needles"]:
        s = squeeze(n["text"])
        if not 8 <= len(s) <= 30: problems.append(f"{q['id']}: needle of {len(s)} characters: {n['text']}")
        if n["grade"] not in (1, 2): problems.append(f"{q['id']}: grade {n['grade']}")
        if s not in text: problems.append(f"{q['id']}: needle not in the corpus: {n['text']}")
for kind, least in kinds.items():
    if counts.get(kind, 0) < least: problems.append(f"only {counts.get(kind, 0)} {kind} queries (want {least})")
print(" ".join(f"{k}={counts.get(k, 0)}" for k in kinds), f"total={len(data['queries'])}")
for p in problems: print("PROBLEM:", p)
sys.exit(1 if problems else 0)
