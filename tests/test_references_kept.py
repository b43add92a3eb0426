"""A per-student exercise's references are kept for the students being graded, not for the
whole class: a batch of thousands (or a web service that runs for a term) stays flat."""
from __future__ import annotations

from conftest import REPO
from grader.pack.load import load_pack
from grader.pack.probes import probes_for
from grader.run import references as references_module
from grader.run.references import References

PER_STUDENT = REPO / "tests" / "packs" / "per_student"


def test_only_the_students_asked_for_last_are_kept_and_an_evicted_one_comes_back_the_same():
    pack = load_pack(PER_STUDENT)
    exercise = pack.exercise("weighted_grad")
    assert exercise.per_student
    item = next(p for p in probes_for(exercise) if p.kind == "value")
    references = References(pack)
    first = references.observe(exercise, item, student="s0000")
    for i in range(1, 3 * references_module.STUDENTS_KEPT):
        references.observe(exercise, item, student=f"s{i:04d}")
    kept = references._by_student
    assert len(kept) == references_module.STUDENTS_KEPT and "s0000" not in kept
    again = references.observe(exercise, item, student="s0000")
    assert again is not first and again == first
    assert again != references.observe(exercise, item, student="s0001")  # the students' own inputs
