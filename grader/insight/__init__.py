"""Class insight for TAs: shared mistakes, likely copying, and what to re-teach.

Batch grading keeps, per exercise, the student's function (`ExerciseResult.source`) and what
it did on each case (`ExerciseResult.behaviour`); everything here reads those, never the
submissions again. Modules, in the order data flows:

- behaviour: the per-case tokens and the digest of a wrong value, made while grading;
- source: the function's text out of a submission, and the pack's stub and reference;
- fingerprint: names and formatting normalised away, then winnowed k-grams of tokens;
- evidence: one student's exercise, as the pages compare it;
- index: candidate pairs from an inverted index of rare fingerprints (not all pairs);
- scoring: how much a pair's code and wrong answers say, and why;
- mistakes: wrong answers grouped by behaviour, for summary.html;
- load, render, command: `python -m grader similarity OUT_DIR`.
"""
