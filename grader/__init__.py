"""An auto-grader for PyTorch autograd exercises: one pipeline, several front doors.

    from grader import Grader
    with Grader.open() as g:
        report = g.grade_file("alice.ipynb")
"""
from grader.api import Grader
from grader.errors import GraderError, PackError, SubmissionError
from grader.model import CheckResult, Diagnosis, ExerciseResult, Report

__all__ = ["CheckResult", "Diagnosis", "ExerciseResult", "Grader", "GraderError", "PackError",
           "Report", "SubmissionError"]
__version__ = "0.1.0"
