"""Class insight for TAs: shared mistakes, likely copying, and what to re-teach.

Batch grading keeps, per exercise, the student's function (`ExerciseResult.source`) and what
it did on each case (`ExerciseResult.behaviour`); everything here reads those, never the
submissions again. It is analysis, below the pages: render/summary.py shows the shared
mistakes, render/similarity.py the ranked pairs, and commands/similarity.py is
`python -m grader similarity OUT_DIR`. The per-case tokens and the digest of a wrong value are
made while grading (judge/behaviour.py), the function's text too (source/excerpt.py). Modules, in
the order data flows:

- source: the pack's stub and reference, and code without its comments;
- fingerprint: names and formatting normalised away, then winnowed k-grams of tokens;
- evidence: one student's exercise, as the pages compare it;
- index: candidate pairs from an inverted index of rare fingerprints (not all pairs);
- scoring: how much a pair's code and wrong answers say, and why;
- mistakes: wrong answers grouped by behaviour, for summary.html.
"""
